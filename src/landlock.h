/* landlock: the file system narrowed, in-process, to what a connection reads. */
#ifndef TLSMUX_LANDLOCK_H
#define TLSMUX_LANDLOCK_H

#include <stddef.h>

struct options;

/* What one path may be used for (LANDLOCK_ACCESS_FS_* subsets). */
enum landlock_use {
	LANDLOCK_USE_READ,	/* open a file for reading */
	/*
	 * A file that renewal replaces while a connection runs (a new file
	 * renamed over it, or certbot's live/ link moved to a new file in
	 * archive/): the file, and the files of its directory and of the
	 * directory of the file it resolves to now, for reading; none of
	 * them listed.  Not "/" nor "/etc" as such a directory.
	 */
	LANDLOCK_USE_RENEWED,
	LANDLOCK_USE_TREE,	/* read files and list directories beneath it */
	LANDLOCK_USE_RUN,	/* ... and execute them (programs, libraries) */
	LANDLOCK_USE_NULL,	/* read and write (/dev/null) */
};

struct landlock_path {
	const char *path;
	enum landlock_use use;
};

#define LANDLOCK_MAX_PATHS 48

/*
 * The paths a connection's processes may open, from the options: the
 * -f config files, the certificate, key, --cert-dir, --client-ca, --crl, --ocsp, --ticket-key;
 * the TLS helper (helper, NULL: none); what the resolver reads; the user
 * database with --user; /usr (libraries, NSS modules); /dev/null.
 * Everything else, and every write, create, remove or rename anywhere,
 * is refused.  A --cert-dir entry may be a link to anywhere (certbot's
 * live/ and archive/): with --cert-dir, tlsmux-tls narrows only once the
 * handshake has read the certificate (the peeker not at all).  Sockets
 * are not files here: unix: backends, the journal and syslog connect as
 * before.  Returns the count, at most max.
 */
size_t landlock_paths(const struct options *o, const char *helper,
		      struct landlock_path *out, size_t max);

/*
 * Restrict this process and what it execs to landlock_paths' list (a
 * path that does not exist is left out).  Returns 1 when restricted, 0
 * when the kernel has no Landlock (said once, in the log, at debug
 * level: the unit's own options then stand alone), -1 with errno.
 */
int landlock_enter(const struct options *o, const char *helper);

/*
 * TLSMUX_SANDBOX_PROBE=PATH[:PATH...]: try to open each for reading and
 * log how it went, one line each: how the tests see, from outside, what
 * the live process can open.  Nothing is read.  landlock_enter calls it
 * once restricted; a process under a domain it inherited calls it itself.
 */
void landlock_probe(void);

/* The kernel's Landlock ABI version, 0 without Landlock. */
int landlock_abi(void);

#endif
