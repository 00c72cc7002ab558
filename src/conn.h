/* conn: where the client connection is, who the client is, and its first bytes. */
#ifndef TLSMUX_CONN_H
#define TLSMUX_CONN_H

#include <stddef.h>

#include "cidr.h"
#include "proxyproto.h"
#include "sniff.h"

struct client {
	int in_fd;		/* 0 */
	int out_fd;		/* 1, or 0 when both are one socket */
	int is_socket;
	char addr[64];		/* 192.0.2.1:5555, [2001:db8::1]:5555, unix, pipe */
	/* Bytes already consumed from a pipe (sockets are only peeked). */
	unsigned char prefix[SNIFF_MAX];
	size_t prefix_len;
	/*
	 * The client and the address it connected to: the socket's own
	 * ends, or what a trusted PROXY header said (then balancer is the
	 * peer that sent it).  IPv4-mapped addresses are kept as IPv4;
	 * family AF_UNIX for a unix socket, AF_UNSPEC when not known.
	 */
	struct proxyproto_endpoint source;
	struct proxyproto_endpoint destination;	/* see conn_destination */
	struct proxyproto_endpoint balancer;
	char via[64];		/* balancer as text, "" when not proxied */
	int peer_gone;		/* reset before its address could be read */
};

/*
 * Find the connection: fd 3 from systemd (LISTEN_FDS) is moved to fds 0
 * and 1, so everything after, the TLS helper included, finds it there.
 */
void conn_setup(struct client *c);

/*
 * What the TLS helper needs from the peeker crosses exec in the
 * environment, so it neither asks the kernel again nor loses bytes
 * consumed from a pipe; narrowed says that the peeker is under its
 * Landlock domain (landlock_enter), which the helper inherits.
 * conn_import returns -1 when there is no state (the helper was started
 * directly by a launcher), *narrowed then 0.
 */
void conn_export(const struct client *c, long start_ms, int narrowed);
int conn_import(struct client *c, long *start_ms, int *narrowed);

/*
 * End a connection that did not run its course: send our FIN and discard
 * what the client already sent, so that closing does not turn into a
 * reset that would destroy what we sent before it.
 */
void conn_abort(const struct client *c);

struct log_summary;

/*
 * The end of every connection: abort it unless it ran its course, log
 * the summary line with the duration since start_ms, return exit_code.
 */
int conn_finish(const struct client *c, struct log_summary *s,
		long start_ms, int exit_code);

/*
 * --accept-proxy: take the PROXY header (v1 or v2) that a balancer sends
 * first, consuming exactly its bytes, and make its client the client.
 * Only peers inside trusted may send one; the header must arrive within
 * timeout_ms.  Returns 0, or an exit code with err set to the line to
 * log (empty when the peer merely connected and left, as some health
 * checks do).
 */
int conn_accept_proxy(struct client *c, const struct cidr *trusted,
		      size_t trusted_count, long timeout_ms, char *err,
		      size_t err_size);

/*
 * conn_accept_proxy for a connection logged in s: s->phase is "proxy"
 * while the header is awaited.  Returns -1 when it was taken (s->via
 * names the balancer; the caller sets the next phase), or the exit code
 * of a connection that ended there, its line logged and s->closed set
 * (0 for a peer that connected and left): the caller ends it with that.
 */
int conn_take_proxy(struct client *c, const struct cidr *trusted,
		    size_t trusted_count, long timeout_ms, struct log_summary *s);

/* Fill c->destination from the socket (getsockname) unless already known. */
void conn_destination(struct client *c);

/* "192.0.2.1:5555", "[2001:db8::1]:443", "unix" or "unknown". */
void conn_format_endpoint(const struct proxyproto_endpoint *e, char *out,
			  size_t size);

/* A PROXY header naming this client and its destination; no TLVs yet. */
void conn_proxy_header(struct client *c, struct proxyproto_header *h);

/* An identifier for this connection, as 32 hex digits and a NUL. */
void conn_unique_id(char out[33]);

enum detect_outcome {
	DETECT_DONE,		/* *result holds the class */
	DETECT_SILENT,		/* no byte before the timeout */
	DETECT_CLOSED,		/* the client left without a byte */
	DETECT_ERROR,		/* errno says why */
};

enum detect_outcome conn_detect(struct client *c, long timeout_ms,
				enum sniff_result *result, size_t *seen);

#endif
