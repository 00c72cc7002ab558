/* policy: the GnuTLS priority string from --priority and --min-version (pure). */
#ifndef TLSMUX_POLICY_H
#define TLSMUX_POLICY_H

#include <stddef.h>

/* The TLS versions --min-version names, as 10 + the minor number. */
#define POLICY_TLS10 10
#define POLICY_TLS11 11
#define POLICY_TLS12 12
#define POLICY_TLS13 13
#define POLICY_MIN_DEFAULT POLICY_TLS12

/*
 * The priority string for a session: the preset named priority (secure,
 * strict, compatible; NULL means secure) or priority itself as a GnuTLS
 * string, then every version below min_version removed.  The removal
 * comes last, so no --priority can bring TLS 1.0 or 1.1 back unless
 * --min-version allows it.  Returns the length of the text in out that
 * came from --priority (error positions beyond it are ours), or -1 when
 * out is too small.
 */
int policy_priority(const char *priority, int min_version, char *out,
		    size_t size);

#endif
