/* conn: where the client connection is, who the client is, and its first bytes. */
#ifndef TLSMUX_CONN_H
#define TLSMUX_CONN_H

#include <stddef.h>

#include "sniff.h"

struct client {
	int in_fd;		/* 0 */
	int out_fd;		/* 1, or 0 when both are one socket */
	int is_socket;
	char addr[64];		/* 192.0.2.1:5555, [2001:db8::1]:5555, unix, pipe */
	/* Bytes already consumed from a pipe (sockets are only peeked). */
	unsigned char prefix[SNIFF_MAX];
	size_t prefix_len;
};

/*
 * Find the connection: fd 3 from systemd (LISTEN_FDS) is moved to fds 0
 * and 1, so everything after, the TLS helper included, finds it there.
 */
void conn_setup(struct client *c);

/*
 * What the TLS helper needs from the peeker crosses exec in the
 * environment, so it neither asks the kernel again nor loses bytes
 * consumed from a pipe.  conn_import returns -1 when there is no state
 * (the helper was started directly by a launcher).
 */
void conn_export(const struct client *c, long start_ms);
int conn_import(struct client *c, long *start_ms);

/*
 * End a connection that did not run its course: send our FIN and discard
 * what the client already sent, so that closing does not turn into a
 * reset that would destroy what we sent before it.
 */
void conn_abort(const struct client *c);

enum detect_outcome {
	DETECT_DONE,		/* *result holds the class */
	DETECT_SILENT,		/* no byte before the timeout */
	DETECT_CLOSED,		/* the client left without a byte */
	DETECT_ERROR,		/* errno says why */
};

enum detect_outcome conn_detect(struct client *c, long timeout_ms,
				enum sniff_result *result, size_t *seen);

#endif
