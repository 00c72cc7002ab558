/*
 * connrate: new connections per second, one HTTP request on each.  C
 * connections at a time; each connects, does the TLS handshake (--tls),
 * sends GET PATH with Connection: close, reads the whole reply (by its
 * Content-Length, or to the end of the stream) and closes, as wrk does;
 * another starts in its place.
 *
 * Why not only wrk: wrk waits for a TLS handshake with its socket
 * registered for writing, so it spins on SSL_connect until the server
 * answers and burns CPU in proportion to the server's handshake latency
 * -- on two cores, CPU taken from the server being measured.  This
 * client waits for exactly what OpenSSL asks for (readable or writable),
 * and sets TCP_NODELAY as the servers do.
 *   connrate [--tls] [-c CONNECTIONS] [-d SECONDS] HOST PORT PATH
 * Prints: "connections N errors N seconds S rate R finished N", where
 * finished also counts the connections that ended after the S seconds
 * (for dividing the servers' CPU time over the whole run).
 *
 * A reconnect storm, as after a server restart: --once opens all C
 * connections at the same instant, each does its one request and is not
 * replaced; a connection not over within S seconds counts as failed.
 * Prints: "storm C ok N failed N last_ms T median_ms T", the times from
 * the first connect to the end of the last (of the median) success.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { CONNECTING, HANDSHAKE, SENDING, READING };

struct slot {
	int fd;
	SSL *ssl;
	enum state state;
	size_t sent;
	size_t got;		/* bytes of the reply */
	char head[2048];	/* its first bytes: status line and headers */
	long total;		/* the reply's length, once its headers are in */
};

static SSL_CTX *ctx;
static struct sockaddr_in server;
static char request[512];
static size_t request_len;
static int epoll_fd;
static long done, errors, finished;
static double end;	/* connections that end later are not counted */
static double start;
static double *latencies;	/* --once: seconds from start, per success */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void slot_watch(struct slot *s, unsigned events)
{
	struct epoll_event ev = {.events = events, .data.ptr = s};

	epoll_ctl(epoll_fd, EPOLL_CTL_MOD, s->fd, &ev);
}

static void slot_close(struct slot *s, int ok)
{
	finished++;
	if (now() <= end) {
		if (ok && strncmp(s->head, "HTTP/1.1 200", 12) == 0) {
			if (latencies != NULL)
				latencies[done] = now() - start;
			done++;
		} else
			errors++;
	}
	if (s->ssl != NULL) {
		if (ok)
			SSL_shutdown(s->ssl);	/* close_notify, as clients do */
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	close(s->fd);
	s->fd = -1;
}

static int slot_open(struct slot *s)
{
	int one = 1;

	memset(s, 0, sizeof *s);
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -1;
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(s->fd, (struct sockaddr *)&server, sizeof server) < 0 &&
	    errno != EINPROGRESS) {
		close(s->fd);
		return -1;
	}
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = s};
	epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s->fd, &ev);
	s->state = CONNECTING;
	return 0;
}

/* Headers plus Content-Length once the headers are in; 0 before, -1 without one. */
static long reply_length(const char *head)
{
	const char *end = strstr(head, "\r\n\r\n");
	const char *field = strcasestr(head, "\r\nContent-Length:");

	if (end == NULL)
		return 0;
	if (field == NULL || field > end)
		return -1;
	return (long)(end + 4 - head) + strtol(field + 18, NULL, 10);
}

/* Wait for what OpenSSL needs; 0 to wait, -1 on a failure. */
static int ssl_wait(struct slot *s, int rc)
{
	switch (SSL_get_error(s->ssl, rc)) {
	case SSL_ERROR_WANT_READ:
		slot_watch(s, EPOLLIN);
		return 0;
	case SSL_ERROR_WANT_WRITE:
		slot_watch(s, EPOLLOUT);
		return 0;
	default:
		ERR_clear_error();
		return -1;
	}
}

/* Advance one connection; returns 1 when it is over. */
static int slot_step(struct slot *s)
{
	char buf[16384];

	if (s->state == CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0)
			return slot_close(s, 0), 1;
		if (ctx != NULL) {
			s->ssl = SSL_new(ctx);
			SSL_set_fd(s->ssl, s->fd);
			SSL_set_tlsext_host_name(s->ssl, "localhost");
			s->state = HANDSHAKE;
		} else {
			s->state = SENDING;
		}
	}
	if (s->state == HANDSHAKE) {
		int rc = SSL_connect(s->ssl);
		if (rc != 1)
			return ssl_wait(s, rc) < 0 ? (slot_close(s, 0), 1) : 0;
		s->state = SENDING;
	}
	while (s->state == SENDING) {
		const char *at = request + s->sent;
		int len = (int)(request_len - s->sent);
		ssize_t n = s->ssl ? SSL_write(s->ssl, at, len)
				   : send(s->fd, at, (size_t)len, MSG_NOSIGNAL);
		if (n <= 0) {
			if (s->ssl)
				return ssl_wait(s, (int)n) < 0 ? (slot_close(s, 0), 1) : 0;
			if (errno == EAGAIN) {
				slot_watch(s, EPOLLOUT);
				return 0;
			}
			return slot_close(s, 0), 1;
		}
		s->sent += (size_t)n;
		if (s->sent == request_len) {
			s->state = READING;
			slot_watch(s, EPOLLIN);
		}
	}
	for (;;) {
		ssize_t n = s->ssl ? SSL_read(s->ssl, buf, sizeof buf)
				   : recv(s->fd, buf, sizeof buf, 0);
		if (n > 0) {
			if (s->got < sizeof s->head - 1) {
				size_t keep = sizeof s->head - 1 - s->got;
				memcpy(s->head + s->got, buf,
				       keep < (size_t)n ? keep : (size_t)n);
			}
			s->got += (size_t)n;
			if (s->total == 0)
				s->total = reply_length(s->head);
			if (s->total > 0 && s->got >= (size_t)s->total)
				return slot_close(s, 1), 1;
			continue;
		}
		if (s->ssl) {
			if (SSL_get_error(s->ssl, (int)n) == SSL_ERROR_ZERO_RETURN)
				return slot_close(s, 1), 1;
			return ssl_wait(s, (int)n) < 0 ? (slot_close(s, 0), 1) : 0;
		}
		if (n == 0)
			return slot_close(s, 1), 1;
		if (errno == EAGAIN)
			return 0;
		return slot_close(s, 0), 1;
	}
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	int concurrency = 8, tls = 0, once = 0, arg = 1;
	double seconds = 5;

	for (; arg < argc && argv[arg][0] == '-'; arg++) {
		if (strcmp(argv[arg], "--tls") == 0)
			tls = 1;
		else if (strcmp(argv[arg], "--once") == 0)
			once = 1;
		else if (strcmp(argv[arg], "-c") == 0 && arg + 1 < argc)
			concurrency = atoi(argv[++arg]);
		else if (strcmp(argv[arg], "-d") == 0 && arg + 1 < argc)
			seconds = atof(argv[++arg]);
		else
			break;
	}
	if (argc - arg != 3 || concurrency < 1 ||
	    concurrency > (once ? 20000 : 1024) ||
	    inet_pton(AF_INET, argv[arg], &server.sin_addr) != 1) {
		fprintf(stderr, "usage: connrate [--tls] [--once] [-c N] [-d SECONDS] HOST PORT PATH\n");
		return 64;
	}
	server.sin_family = AF_INET;
	server.sin_port = htons((unsigned short)atoi(argv[arg + 1]));
	request_len = (size_t)snprintf(request, sizeof request,
				       "GET %s HTTP/1.1\r\nHost: localhost\r\n"
				       "Connection: close\r\n\r\n", argv[arg + 2]);
	if (tls) {
		ctx = SSL_CTX_new(TLS_client_method());
		SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
		/* Every connection a full handshake, as a new client's. */
		SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
		/* A bare FIN after the reply ends it too (hitch sends no close_notify). */
		SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	}
	epoll_fd = epoll_create1(EPOLL_CLOEXEC);

	struct slot *slots = calloc((size_t)concurrency, sizeof *slots);
	if (once) {
		/* A socket each, and the usual soft limit is 1024 files. */
		struct rlimit files;
		getrlimit(RLIMIT_NOFILE, &files);
		files.rlim_cur = files.rlim_max;
		setrlimit(RLIMIT_NOFILE, &files);
		latencies = calloc((size_t)concurrency, sizeof *latencies);
	}
	start = now();
	end = start + seconds;
	int open = 0;
	for (int i = 0; i < concurrency; i++)
		if (slot_open(&slots[i]) == 0)
			open++;
		else if (once)
			errors++;
	while (open > 0) {
		struct epoll_event events[64];
		double left = end - now();
		int n = epoll_wait(epoll_fd, events, 64, left > 0 ? (int)(left * 1000) + 1 : 1000);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			struct slot *s = events[i].data.ptr;
			if (slot_step(s)) {
				open--;
				if (!once && now() < end && slot_open(s) == 0)
					open++;
			}
		}
		/* Past the end, finish what is in flight, but not forever. */
		if (now() > end + (once ? 0 : 10))
			break;
	}
	if (once) {
		qsort(latencies, (size_t)done, sizeof *latencies, by_value);
		printf("storm %d ok %ld failed %ld last_ms %.0f median_ms %.0f\n",
		       concurrency, done, concurrency - done,
		       done > 0 ? latencies[done - 1] * 1000 : 0.0,
		       done > 0 ? latencies[done / 2] * 1000 : 0.0);
		return done > 0 ? 0 : 1;
	}
	printf("connections %ld errors %ld seconds %.3f rate %.1f finished %ld\n",
	       done, errors, seconds, (double)done / seconds, finished);
	return done > 0 ? 0 : 1;
}
