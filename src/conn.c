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
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

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

/* A socket address as an endpoint: IPv4-mapped IPv6 becomes IPv4. */
static void conn_endpoint_from(const struct sockaddr_storage *ss,
			       struct proxyproto_endpoint *e)
{
	memset(e, 0, sizeof *e);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
		e->family = AF_INET;
		memcpy(e->ip, &sin->sin_addr, 4);
		e->port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
		e->family = AF_INET6;
		memcpy(e->ip, &sin6->sin6_addr, 16);
		e->port = ntohs(sin6->sin6_port);
		proxyproto_endpoint_unmap(e);
	} else if (ss->ss_family == AF_UNIX) {
		e->family = AF_UNIX;
	}
}

void conn_format_endpoint(const struct proxyproto_endpoint *e, char *out,
			  size_t size)
{
	if (e->family == AF_UNIX)
		snprintf(out, size, "unix");
	else
		proxyproto_endpoint_format(e, out, size);
}

void conn_destination(struct client *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (c->destination.family != AF_UNSPEC || !c->is_socket)
		return;
	if (getsockname(c->in_fd, (struct sockaddr *)&ss, &len) == 0)
		conn_endpoint_from(&ss, &c->destination);
}

static void conn_describe(struct client *c)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char host[INET6_ADDRSTRLEN];

	if (getpeername(c->in_fd, (struct sockaddr *)&ss, &len) < 0) {
		c->is_socket = errno != ENOTSOCK;
		c->peer_gone = errno == ENOTCONN;
		const char *ip = getenv("TCPREMOTEIP"), *port = getenv("TCPREMOTEPORT");
		if (!c->is_socket && ip != NULL && port != NULL)
			snprintf(c->addr, sizeof c->addr, "%s:%s", ip, port);
		else
			snprintf(c->addr, sizeof c->addr, "%s",
				 c->is_socket ? "unknown" : "pipe");
		return;
	}
	c->is_socket = 1;
	conn_endpoint_from(&ss, &c->source);
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

int conn_finish(const struct client *c, struct log_summary *s,
		long start_ms, int exit_code)
{
	if (exit_code != 0)
		conn_abort(c);
	s->exit_code = exit_code;
	s->duration_ms = clock_now_ms() - start_ms;
	log_summary(s);
	return exit_code;
}

#define STATE_VARIABLE "TLSMUX_STATE"

#define ENDPOINT_STATE_MAX 40

/* "-", "u", "4" + 8 hex digits + 4 for the port, or "6" + 32 + 4. */
static int endpoint_export(const struct proxyproto_endpoint *e, char *out,
			   size_t size)
{
	size_t ip_len = e->family == AF_INET ? 4 : e->family == AF_INET6 ? 16 : 0;
	int off;

	if (ip_len == 0)
		return snprintf(out, size, "%s", e->family == AF_UNIX ? "u" : "-");
	off = snprintf(out, size, "%c", ip_len == 4 ? '4' : '6');
	for (size_t i = 0; i < ip_len; i++)
		off += snprintf(out + off, size - (size_t)off, "%02x", e->ip[i]);
	off += snprintf(out + off, size - (size_t)off, "%04x", e->port);
	return off;
}

/* START_MS:IS_SOCKET:NARROWED:PREFIX_HEX:SOURCE:DESTINATION:BALANCER:ADDR */
void conn_export(const struct client *c, long start_ms, int narrowed)
{
	char state[32 + 2 * SNIFF_MAX + 3 * (ENDPOINT_STATE_MAX + 1) +
		   sizeof c->addr];
	int off = snprintf(state, sizeof state, "%ld:%d:%d:", start_ms,
			   c->is_socket, narrowed != 0);

	for (size_t i = 0; i < c->prefix_len; i++)
		off += snprintf(state + off, sizeof state - (size_t)off, "%02x",
				c->prefix[i]);
	const struct proxyproto_endpoint *ends[3] = {&c->source, &c->destination,
						     &c->balancer};
	for (int i = 0; i < 3; i++) {
		off += snprintf(state + off, sizeof state - (size_t)off, ":");
		off += endpoint_export(ends[i], state + off,
				       sizeof state - (size_t)off);
	}
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

static int hex_value(char h);

static int hex_bytes(const char **p, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hex_value((*p)[0]), lo = hi < 0 ? -1 : hex_value((*p)[1]);
		if (lo < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
		*p += 2;
	}
	return 0;
}

static int endpoint_import(const char **p, struct proxyproto_endpoint *e)
{
	unsigned char port[2];

	memset(e, 0, sizeof *e);
	switch (*(*p)++) {
	case '-':
		return 0;
	case 'u':
		e->family = AF_UNIX;
		return 0;
	case '4':
		e->family = AF_INET;
		break;
	case '6':
		e->family = AF_INET6;
		break;
	default:
		return -1;
	}
	if (hex_bytes(p, e->ip, e->family == AF_INET ? 4 : 16) < 0 ||
	    hex_bytes(p, port, 2) < 0)
		return -1;
	e->port = (uint16_t)(port[0] << 8 | port[1]);
	return 0;
}

/* A flag of the state: '0' or '1' and its colon; -1 for anything else. */
static int flag_import(const char **p)
{
	const char *f = *p;

	if ((f[0] != '0' && f[0] != '1') || f[1] != ':')
		return -1;
	*p += 2;
	return f[0] == '1';
}

int conn_import(struct client *c, long *start_ms, int *narrowed)
{
	const char *state = getenv(STATE_VARIABLE), *p;
	char *end;

	memset(c, 0, sizeof *c);
	*narrowed = 0;
	if (state == NULL)
		return -1;
	*start_ms = strtol(state, &end, 10);
	p = end;
	if (*p++ != ':' || (c->is_socket = flag_import(&p)) < 0 ||
	    (*narrowed = flag_import(&p)) < 0) {
		c->is_socket = 0;
		*narrowed = 0;
		return -1;
	}
	while (p[0] != ':' && c->prefix_len < sizeof c->prefix) {
		if (hex_bytes(&p, &c->prefix[c->prefix_len], 1) < 0)
			return -1;
		c->prefix_len++;
	}
	struct proxyproto_endpoint *ends[3] = {&c->source, &c->destination,
					       &c->balancer};
	for (int i = 0; i < 3; i++)
		if (*p++ != ':' || endpoint_import(&p, ends[i]) < 0)
			return -1;
	if (*p++ != ':')
		return -1;
	snprintf(c->addr, sizeof c->addr, "%s", p);
	if (c->balancer.family != AF_UNSPEC)
		conn_format_endpoint(&c->balancer, c->via, sizeof c->via);
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

void conn_unique_id(char out[33])
{
	unsigned char raw[16];
	size_t got = 0;

	while (got < sizeof raw) {
		ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	/* No entropy source: time and pid still tell connections apart. */
	if (got < sizeof raw) {
		long now = clock_now_ms();
		pid_t pid = getpid();
		memset(raw, 0, sizeof raw);
		memcpy(raw, &now, sizeof now);
		memcpy(raw + sizeof now, &pid, sizeof pid);
	}
	for (size_t i = 0; i < sizeof raw; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* The largest header tlsmux takes: any v2 header the spec allows. */
static unsigned char proxy_buf[PROXYPROTO_V2_MAX];

enum proxy_read {
	PROXY_READ_OK,
	PROXY_READ_INVALID,	/* *why says what */
	PROXY_READ_CLOSED,	/* after *got bytes */
	PROXY_READ_TIMEOUT,	/* after *got bytes */
	PROXY_READ_ERROR,	/* errno */
};

/* A pipe cannot be peeked: read exactly what the parser asks for. */
static enum proxy_read conn_read_proxy_pipe(struct client *c, long deadline,
					    size_t *got, const char **why)
{
	struct proxyproto_header h;
	size_t need = 1;

	*got = 0;
	for (;;) {
		while (*got < need) {
			struct pollfd p = {.fd = c->in_fd, .events = POLLIN};
			int rc = poll(&p, 1, clock_remaining_ms(deadline));
			if (rc < 0 && errno == EINTR)
				continue;
			if (rc < 0)
				return PROXY_READ_ERROR;
			if (rc == 0)
				return PROXY_READ_TIMEOUT;
			ssize_t n = read(c->in_fd, proxy_buf + *got, need - *got);
			if (n < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (n < 0)
				return PROXY_READ_ERROR;
			if (n == 0)
				return PROXY_READ_CLOSED;
			*got += (size_t)n;
		}
		switch (proxyproto_parse(proxy_buf, *got, &h, &need, why)) {
		case PROXYPROTO_OK:
			return PROXY_READ_OK;
		case PROXYPROTO_INVALID:
			return PROXY_READ_INVALID;
		case PROXYPROTO_NEED_MORE:
			break;
		}
	}
}

/*
 * Peek until the parser accepts a header, then consume exactly its
 * length: the bytes after it stay in the socket for detection.
 */
static enum proxy_read conn_read_proxy_socket(struct client *c, long deadline,
					      size_t *got, const char **why)
{
	struct proxyproto_header h;
	enum proxy_read outcome;
	ssize_t seen = -1;
	int lowat = 1;

	*got = 0;
	for (;;) {
		ssize_t n = recv(c->in_fd, proxy_buf, sizeof proxy_buf,
				 MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN) {
			outcome = PROXY_READ_ERROR;
			break;
		}
		if (n == 0) {
			outcome = PROXY_READ_CLOSED;
			break;
		}
		if (n > 0) {
			size_t need;
			*got = (size_t)n;
			enum proxyproto_parse_result r =
				proxyproto_parse(proxy_buf, (size_t)n, &h, &need, why);
			if (r == PROXYPROTO_INVALID) {
				outcome = PROXY_READ_INVALID;
				break;
			}
			if (r == PROXYPROTO_OK) {
				ssize_t taken;
				do
					taken = recv(c->in_fd, proxy_buf, need,
						     MSG_DONTWAIT);
				while (taken < 0 && errno == EINTR);
				if (taken != (ssize_t)need) {
					outcome = PROXY_READ_ERROR;
					if (taken >= 0)
						errno = EIO;
					break;
				}
				outcome = PROXY_READ_OK;
				break;
			}
			if (lowat != (int)need && need < (size_t)INT32_MAX) {
				lowat = (int)need;
				setsockopt(c->in_fd, SOL_SOCKET, SO_RCVLOWAT,
					   &lowat, sizeof lowat);
			}
			if (n == seen) {
				/* AF_UNIX ignores SO_RCVLOWAT: do not spin. */
				struct timespec pause = {0, 1000000};
				nanosleep(&pause, NULL);
			}
			seen = n;
		}
		struct pollfd p = {.fd = c->in_fd, .events = POLLIN | POLLRDHUP};
		int rc = poll(&p, 1, clock_remaining_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			outcome = PROXY_READ_ERROR;
			break;
		}
		if (rc == 0) {
			outcome = PROXY_READ_TIMEOUT;
			break;
		}
		if (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) {
			/* Nothing more will come: a last look at what is here. */
			n = recv(c->in_fd, proxy_buf, sizeof proxy_buf,
				 MSG_PEEK | MSG_DONTWAIT);
			if (n > 0 && (size_t)n > *got)
				continue;
			outcome = n < 0 && errno != EAGAIN ? PROXY_READ_ERROR
							   : PROXY_READ_CLOSED;
			break;
		}
	}
	if (lowat != 1) {
		lowat = 1;
		setsockopt(c->in_fd, SOL_SOCKET, SO_RCVLOWAT, &lowat,
			   sizeof lowat);
	}
	return outcome;
}

int conn_accept_proxy(struct client *c, const struct cidr *trusted,
		      size_t trusted_count, long timeout_ms, char *err,
		      size_t err_size)
{
	long deadline = clock_now_ms() + timeout_ms;
	size_t i, got = 0;
	const char *why = NULL;

	err[0] = '\0';
	/*
	 * A peer reset before we could ask its address (a health check
	 * that connects, sends its header and resets at once) is a client
	 * that left, not an untrusted one.
	 */
	if (c->peer_gone)
		return EX_NOINPUT;
	for (i = 0; i < trusted_count; i++)
		if (cidr_match(&trusted[i], &c->source))
			break;
	if (i == trusted_count) {
		snprintf(err, err_size,
			 "client %s: not in --proxy-from, no PROXY header taken from it",
			 c->addr);
		return EX_NOPERM;
	}

	enum proxy_read r = c->is_socket
		? conn_read_proxy_socket(c, deadline, &got, &why)
		: conn_read_proxy_pipe(c, deadline, &got, &why);
	switch (r) {
	case PROXY_READ_OK:
		break;
	case PROXY_READ_INVALID:
		snprintf(err, err_size, "PROXY header from %s: %s", c->addr, why);
		return EX_PROTOCOL;
	case PROXY_READ_CLOSED:
		if (got == 0)
			return EX_NOINPUT;	/* connected and left: no line */
		snprintf(err, err_size,
			 "PROXY header from %s: cut short, closed after %zu bytes",
			 c->addr, got);
		return EX_PROTOCOL;
	case PROXY_READ_TIMEOUT:
		snprintf(err, err_size,
			 "PROXY header from %s: none within %ld.%03lds (%zu bytes came)",
			 c->addr, timeout_ms / 1000, timeout_ms % 1000, got);
		return EX_TEMPFAIL;
	case PROXY_READ_ERROR:
		snprintf(err, err_size, "PROXY header from %s: %s", c->addr,
			 log_strerror(errno));
		return EX_IOERR;
	}

	/* proxy_buf now holds exactly the header. */
	struct proxyproto_header h;
	size_t used;
	proxyproto_parse(proxy_buf, sizeof proxy_buf, &h, &used, &why);
	if (h.command == PROXYPROTO_LOCAL || (h.source.family != AF_INET &&
					      h.source.family != AF_INET6))
		return 0;	/* the spec: keep the real endpoints */
	c->balancer = c->source;
	conn_format_endpoint(&c->balancer, c->via, sizeof c->via);
	c->source = h.source;
	c->destination = h.destination;
	proxyproto_endpoint_unmap(&c->source);
	proxyproto_endpoint_unmap(&c->destination);
	conn_format_endpoint(&c->source, c->addr, sizeof c->addr);
	return 0;
}

int conn_take_proxy(struct client *c, const struct cidr *trusted,
		    size_t trusted_count, long timeout_ms, struct log_summary *s)
{
	char err[1024];

	s->phase = "proxy";
	int rc = conn_accept_proxy(c, trusted, trusted_count, timeout_ms, err,
				   sizeof err);
	if (rc == EX_NOINPUT) {	/* connected and left, as checks do */
		s->closed = "client";
		return 0;
	}
	if (rc != 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
		return rc;
	}
	s->via = c->via;
	return -1;
}

void conn_proxy_header(struct client *c, struct proxyproto_header *h)
{
	memset(h, 0, sizeof *h);
	conn_destination(c);
	h->command = PROXYPROTO_PROXY;
	h->source = c->source;
	h->destination = c->destination;
}
