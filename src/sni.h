/* sni: from the server name a client asked for to the --cert-dir entries that may serve it (pure). */
#ifndef TLSMUX_SNI_H
#define TLSMUX_SNI_H

#include <stddef.h>

/* A host name (253) with room for "*." and the NUL. */
#define SNI_ENTRY_MAX 256
/* The entry for clients without a usable name; '_' is never in a host name. */
#define SNI_DEFAULT_ENTRY "_default"

/*
 * The entry names to try for a server name of len bytes, best first, into
 * names: the name itself in lower case ("www.example.com"), then its
 * wildcard parent ("*.example.com") when that parent has at least two
 * labels.  One trailing dot is dropped.  Returns how many (1 or 2), or 0
 * when the name is not a host name: letters, digits and '-' in labels of
 * 1 to 63 bytes that neither start nor end with '-', joined by single
 * dots, 253 bytes at most.  No accepted name can contain '/', "..", a
 * leading '.', '_' or '*', so no entry name leaves the directory or
 * reaches the default entry.
 */
int sni_entry_names(const char *sni, size_t len, char names[2][SNI_ENTRY_MAX]);

/*
 * Whether a file or directory named entry (without its suffix) in
 * --cert-dir can ever be chosen: a host name in lower case, "*." and a
 * host name of two labels or more, or SNI_DEFAULT_ENTRY.
 */
int sni_entry_valid(const char *entry);

#endif
