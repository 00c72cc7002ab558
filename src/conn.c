/*
 * conn: the client side of one connection.  Detection peeks (MSG_PEEK)
 * so that the backend or GnuTLS later reads the stream from its first
 * byte; SO_RCVLOWAT makes poll() wake only when more bytes arrive than
 * were already seen, so a client trickling bytes costs no busy loop.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define LISTEN_FDS_START 3

/* The sd_listen_fds(3) protocol, without linking libsystemd (it doubles start-up). */
static int conn_listen_fd(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");

	if (pid == NULL || fds == NULL)
		return -1;
	if (strtol(pid, NULL, 10) != (long)getpid() || strtol(fds, NULL, 10) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return LISTEN_FDS_START;
}

static void conn_describe(struct client *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN];

	if (getpeername(c->in_fd, (struct sockaddr *)&ss, &len) < 0) {
		c->is_socket = errno != ENOTSOCK;
		const char *ip = getenv("TCPREMOTEIP"), *port = getenv("TCPREMOTEPORT");
		if (!c->is_socket && ip != NULL && port != NULL)
			snprintf(c->addr, sizeof c->addr, "%s:%s", ip, port);
		else
			snprintf(c->addr, sizeof c->addr, "%s",
				 c->is_socket ? "unknown" : "pipe");
		return;
	}
	c->is_socket = 1;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
		snprintf(c->addr, sizeof c->addr, "%s:%u", host,
			 ntohs(sin->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], host,
				  sizeof host);
			snprintf(c->addr, sizeof c->addr, "%s:%u", host,
				 ntohs(sin6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
			snprintf(c->addr, sizeof c->addr, "[%s]:%u", host,
				 ntohs(sin6->sin6_port));
		}
	} else {
		snprintf(c->addr, sizeof c->addr, "unix");
	}
}

static void conn_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags >= 0 && !(flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

void conn_setup(struct client *c)
{
	memset(c, 0, sizeof *c);
	int fd = conn_listen_fd();
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		close(fd);
	}
	c->in_fd = 0;
	c->out_fd = 1;
	conn_describe(c);
	if (c->is_socket)
		c->out_fd = 0;	/* one socket: shutdown() reaches every copy */
	/* Every wait has a deadline: no call may block. */
	conn_set_nonblocking(c->in_fd);
	if (c->out_fd != c->in_fd)
		conn_set_nonblocking(c->out_fd);
	if (c->is_socket) {
		int one = 1;
		setsockopt(c->in_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
}

#define ABORT_DISCARD_MAX (1 << 20)

void conn_abort(const struct client *c)
{
	char sink[4096];
	size_t discarded = 0;

	if (!c->is_socket)
		return;
	shutdown(c->in_fd, SHUT_WR);
	while (discarded < ABORT_DISCARD_MAX) {
		ssize_t n = recv(c->in_fd, sink, sizeof sink, MSG_DONTWAIT);
		if (n <= 0)
			break;
		discarded += (size_t)n;
	}
}

#define STATE_VARIABLE "TLSMUX_STATE"

/* START_MS:IS_SOCKET:PREFIX_HEX:ADDR */
void conn_export(const struct client *c, long start_ms)
{
	char state[32 + 2 * SNIFF_MAX + sizeof c->addr];
	int off = snprintf(state, sizeof state, "%ld:%d:", start_ms,
			   c->is_socket);

	for (size_t i = 0; i < c->prefix_len; i++)
		off += snprintf(state + off, sizeof state - (size_t)off, "%02x",
				c->prefix[i]);
	snprintf(state + off, sizeof state - (size_t)off, ":%s", c->addr);
	setenv(STATE_VARIABLE, state, 1);
}

static int hex_value(char h)
{
	if (h >= '0' && h <= '9')
		return h - '0';
	if (h >= 'a' && h <= 'f')
		return h - 'a' + 10;
	return -1;
}

int conn_import(struct client *c, long *start_ms)
{
	const char *state = getenv(STATE_VARIABLE);
	char *p;

	memset(c, 0, sizeof *c);
	if (state == NULL)
		return -1;
	*start_ms = strtol(state, &p, 10);
	if (*p++ != ':' || (*p != '0' && *p != '1') || p[1] != ':')
		return -1;
	c->is_socket = *p == '1';
	p += 2;
	while (p[0] != ':' && c->prefix_len < sizeof c->prefix) {
		int hi = hex_value(p[0]), lo = hi < 0 ? -1 : hex_value(p[1]);
		if (lo < 0)
			return -1;
		c->prefix[c->prefix_len++] = (unsigned char)(hi << 4 | lo);
		p += 2;
	}
	if (*p++ != ':')
		return -1;
	snprintf(c->addr, sizeof c->addr, "%s", p);
	c->in_fd = 0;
	c->out_fd = c->is_socket ? 0 : 1;
	unsetenv(STATE_VARIABLE);
	return 0;
}

static enum detect_outcome conn_detect_pipe(struct client *c, long deadline,
					    enum sniff_result *result)
{
	/* A pipe cannot be peeked: read byte by byte, never past a decision. */
	for (;;) {
		struct pollfd p = {.fd = c->in_fd, .events = POLLIN};
		int rc = poll(&p, 1, clock_remaining_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return DETECT_ERROR;
		if (rc == 0)
			break;
		ssize_t n = read(c->in_fd, c->prefix + c->prefix_len, 1);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return DETECT_ERROR;
		if (n == 0)
			break;
		c->prefix_len++;
		*result = sniff_classify(c->prefix, c->prefix_len);
		if (*result != SNIFF_NEED_MORE)
			return DETECT_DONE;
	}
	if (c->prefix_len == 0)
		return clock_remaining_ms(deadline) == 0 ? DETECT_SILENT
							 : DETECT_CLOSED;
	*result = SNIFF_PLAIN;	/* a stalled TLS-looking prefix is not TLS */
	return DETECT_DONE;
}

static enum detect_outcome conn_detect_socket(struct client *c, long deadline,
					      enum sniff_result *result,
					      size_t *seen)
{
	unsigned char buf[SNIFF_MAX];
	int lowat = 1;
	enum detect_outcome outcome = DETECT_DONE;

	for (;;) {
		ssize_t n = recv(c->in_fd, buf, sizeof buf,
				 MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			outcome = DETECT_ERROR;
			break;
		}
		if (n == 0) {
			outcome = DETECT_CLOSED;
			break;
		}
		if (n > 0) {
			*seen = (size_t)n;
			*result = sniff_classify(buf, (size_t)n);
			if (*result != SNIFF_NEED_MORE)
				break;
			if (lowat != n + 1) {
				lowat = (int)n + 1;
				setsockopt(c->in_fd, SOL_SOCKET, SO_RCVLOWAT,
					   &lowat, sizeof lowat);
			}
		}

		struct pollfd p = {.fd = c->in_fd, .events = POLLIN | POLLRDHUP};
		int rc = poll(&p, 1, clock_remaining_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			outcome = DETECT_ERROR;
			break;
		}
		if (rc == 0) {
			if (n <= 0) {
				outcome = DETECT_SILENT;
				break;
			}
			*result = SNIFF_PLAIN;	/* stalled TLS-looking prefix */
			break;
		}
		if (n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
			/* Nothing more will come: decide on what is here. */
			n = recv(c->in_fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
			if (n > 0) {
				*seen = (size_t)n;
				*result = sniff_classify(buf, (size_t)n);
			}
			if (n > 0 && *result == SNIFF_NEED_MORE)
				*result = SNIFF_PLAIN;
			if (n > 0)
				break;
		}
		if (n > 0 && (p.revents & POLLIN)) {
			/* AF_UNIX ignores SO_RCVLOWAT: do not spin on old bytes. */
			ssize_t again = recv(c->in_fd, buf, sizeof buf,
					     MSG_PEEK | MSG_DONTWAIT);
			if (again == n) {
				struct timespec pause = {0, 1000000};
				nanosleep(&pause, NULL);
			}
		}
	}
	if (lowat != 1) {
		lowat = 1;
		setsockopt(c->in_fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
			   sizeof lowat);
	}
	return outcome;
}

enum detect_outcome conn_detect(struct client *c, long timeout_ms,
				enum sniff_result *result, size_t *seen)
{
	long deadline = clock_now_ms() + timeout_ms;

	*seen = 0;
	if (!c->is_socket) {
		enum detect_outcome o = conn_detect_pipe(c, deadline, result);
		*seen = c->prefix_len;
		return o;
	}
	return conn_detect_socket(c, deadline, result, seen);
}
