/* sandbox: least privilege for one connection's process once it holds what it needs. */
#ifndef TLSMUX_SANDBOX_H
#define TLSMUX_SANDBOX_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The stages narrow and stack (a seccomp filter cannot be removed):
 *   SANDBOX_CONNECT  the TLS handshake and the backend connect: sockets,
 *                    read-only opens (the resolver reads /etc/hosts and
 *                    may load an NSS module), no exec, no writes to files
 *   SANDBOX_PUMP     relaying only: no opens, no new sockets but the
 *                    log's, no executable mappings
 * Anything else is a bug or an attack: the process logs the system call
 * and exits with EX_OSERR.
 */
enum sandbox_stage { SANDBOX_CONNECT, SANDBOX_PUMP };

/* PR_SET_NO_NEW_PRIVS and the stage's filter.  0, or -1 with errno. */
int sandbox_enter(enum sandbox_stage stage);

/*
 * The same for the parent of an --exec program: it may also wait for,
 * signal and pidfd_open that one pid (and nothing else), and pause.
 * The program itself is never under a filter: it is started before the
 * first one (see program.h).
 */
int sandbox_enter_with_child(enum sandbox_stage stage, pid_t child);

/*
 * Run as user NAME from now on: no supplementary groups, NAME's group,
 * NAME's uid; then check that root cannot be had back.  0, or an exit
 * code with a one-line reason in err.
 */
int sandbox_drop_user(const char *name, char *err, size_t err_size);

/*
 * The same in two steps, for a process that must still read a root-only
 * file after it knows the user exists: look NAME up now (an unknown user
 * fails before any work), switch later.
 */
struct sandbox_user {
	const char *name;
	uid_t uid;
	gid_t gid;
	int switch_needed;
};
int sandbox_user_find(const char *name, struct sandbox_user *u, char *err,
		      size_t err_size);
int sandbox_user_switch(const struct sandbox_user *u, char *err,
			size_t err_size);

#endif
