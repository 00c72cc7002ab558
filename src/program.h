/* program: --exec, a program per connection on the stream, ucspi style. */
#ifndef TLSMUX_PROGRAM_H
#define TLSMUX_PROGRAM_H

#include <stddef.h>
#include <sys/types.h>

#include "proxyproto.h"

#define PROGRAM_MAX_ARGS 32	/* as OPTIONS_MAX_EXEC_ARGS */
#define PROGRAM_MAX_ENV 256

/* What the program is told about its connection, in its environment. */
struct program_facts {
	const struct proxyproto_endpoint *remote;	/* the client */
	const struct proxyproto_endpoint *local;	/* what it connected to */
	int tls;
	const char *protocol;		/* TLS only: "TLSv1.3" */
	const char *cipher;
	const char *sni;		/* "" or NULL: none */
	const char *peer_subject;	/* a verified client certificate's subject */
	const char *peer_cn;		/* ... and its common name */
};

/*
 * Split --exec's text on blanks (no quoting) into argv, copied into buf.
 * Returns the count (argv NULL-terminated), or -1 when empty or too big.
 */
int program_split(const char *text, char *buf, size_t buf_size, char **argv,
		  size_t max);

/*
 * The program's environment: the inherited one without what it must not
 * see (the credentials directory, tlsmux's own state, socket-activation
 * variables) nor stale connection variables, then PROTO=TCP,
 * TCPREMOTEIP, TCPREMOTEPORT, TCPLOCALIP, TCPLOCALPORT, TLS=0|1 and, for
 * TLS, SSL_PROTOCOL, SSL_CIPHER, SSL_TLS_SNI_SERVERNAME,
 * SSL_PEER_CERT_SUBJECT, SSL_PEER_CERT_CN.  New strings go in storage.
 * Returns the count (out NULL-terminated), or -1 when out or storage is
 * too small.
 */
int program_environment(char *const *inherited, const struct program_facts *f,
			char **out, size_t max, char *storage,
			size_t storage_size);

/*
 * Start argv with fd 0 on in_fd, fd 1 on out_fd (the same socket, as a
 * launcher gives it) and fd 2 on err_fd (-1: /dev/null), every other
 * descriptor closed, default signal handling, blocking I/O.  Returns
 * the pid, or -1 with err set (exec's errno is passed back).
 */
pid_t program_start(char *const *argv, char *const *envp, int in_fd,
		    int out_fd, int err_fd, char *err, size_t err_size);

/*
 * Wait for the program; with grace_ms >= 0, at most that long, then
 * SIGTERM, then SIGKILL.  status gets "exit:N" or "signal:N".  Returns 0
 * for exit 0, 1 otherwise.
 */
int program_wait(pid_t pid, long grace_ms, char *status, size_t status_size);

/* How long a program may run on once its connection has ended. */
#define PROGRAM_EXIT_GRACE_MS 5000

struct pump_end;
struct pump_result;

/* A running program: its pid, and our end of its socketpair. */
struct program_run {
	pid_t pid;
	int fd;
};

/*
 * Start argv on one end of a socketpair, for program_relay.  Returns 0,
 * or -1 with err set when it could not be started.
 */
int program_open(char *const *argv, char *const *envp,
		 struct program_run *run, char *err, size_t err_size);

/*
 * Pump between client and the program (prefix first), half-close passed
 * on both ways; then close our end and wait for the program.  Returns
 * program_wait's value.
 */
int program_relay(struct program_run *run, struct pump_end *client,
		  const void *prefix, size_t prefix_len, long idle_ms,
		  struct pump_result *r, char *status, size_t status_size);

/*
 * The TLS path learns which program runs, and with what facts, only
 * after the handshake, when tlsmux-tls is under its seccomp filter, which
 * a forked child would inherit and a program cannot live with.  So a
 * spawner is forked before the key is read and before any filter: it
 * lets go of the client's socket, switches to --user, and waits for the
 * TLS facts; then it execs the program on one end of a socketpair.  It
 * only ever runs the command it was given at the fork; its end of
 * stream (tlsmux-tls exiting, or program_spawner_cancel) makes it exit.
 */
struct program_spawner {
	pid_t pid;
	int control;	/* facts out, exec's errno back */
	int stream;	/* our end of the program's socketpair */
};

/* base: the addresses (remote, local).  0, or -1 with err set. */
int program_spawner_start(struct program_spawner *sp, const char *command,
			  const struct program_facts *base, const char *user,
			  char *err, size_t err_size);

/*
 * Send the TLS facts; once the program runs, run is its pid and stream.
 * 0, or -1 with err set ("cannot run NAME: ..."), the spawner reaped.
 */
int program_spawner_run(struct program_spawner *sp, const char *name,
			const struct program_facts *tls,
			struct program_run *run, char *err, size_t err_size);

/* No program for this connection: end the spawner and reap it. */
void program_spawner_cancel(struct program_spawner *sp);

#endif
