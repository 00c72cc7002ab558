/* pump: move bytes both ways between client and backend, honouring half-close. */
#ifndef TLSMUX_PUMP_H
#define TLSMUX_PUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * An end whose bytes need work (TLS) supplies ops; an end without ops is
 * a plain file descriptor, and two plain ends are joined with splice().
 * read/write return >0, 0 for EOF (read), or -1 with errno (EAGAIN: try
 * again when poll() says so).  shutdown_write returns 0 or -1/EAGAIN.
 */
struct pump_ops {
	ssize_t (*read)(void *ctx, void *buf, size_t size);
	ssize_t (*write)(void *ctx, const void *buf, size_t size);
	int (*shutdown_write)(void *ctx);
	size_t (*pending)(void *ctx);	/* readable without waiting */
	/* What went wrong when an op failed with EPROTO. */
	const char *(*error_text)(void *ctx);
};

struct pump_end {
	const char *name;	/* "client" or "backend", for messages */
	int rfd;
	int wfd;
	const struct pump_ops *ops;	/* NULL: plain fds */
	void *ctx;
	/* Filled by the pump: */
	int can_read;
	int can_write;
};

enum pump_end_reason {
	PUMP_DONE,		/* both directions ended with EOF, all delivered */
	PUMP_IDLE_TIMEOUT,
	PUMP_ERROR,		/* see error_side, error_errno, error_text */
};

struct pump_result {
	enum pump_end_reason reason;
	uint64_t bytes_in;	/* client -> backend */
	uint64_t bytes_out;	/* backend -> client */
	const char *first_eof;	/* name of the end that finished sending first */
	const char *error_side;
	int error_errno;
	const char *error_text;
};

/*
 * Run until both directions are finished, an error, or idle_ms without a
 * byte moving (0: no limit).  prefix is delivered to the backend first.
 */
void pump_run(struct pump_end *client, struct pump_end *backend,
	      const void *prefix, size_t prefix_len, long idle_ms,
	      struct pump_result *result);

/* End the writing side of a pipe (fd stays open on something harmless). */
void pump_close_pipe_writer(int fd);

#endif
