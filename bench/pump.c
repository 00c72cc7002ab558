/*
 * pump: the floor of the per-connection model, for the benchmark.  The
 * launcher hands it the client on fd 0; it connects to an IPv4 backend
 * and moves bytes both ways with splice(), each EOF becoming a
 * shutdown(SHUT_WR) toward the other side.  No options, no detection,
 * no logging, no deadlines: the least any per-connection relay must do.
 * Built -static, so no dynamic loader runs either.
 *   pump 127.0.0.1 PORT
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHUNK (1 << 20)

struct way {
	int from, to;
	int pipe[2];
	size_t buffered;
	int eof, shut;
};

/* Moves what it can without blocking; returns -1 on an error. */
static int way_step(struct way *w)
{
	if (!w->eof && w->buffered < CHUNK) {
		ssize_t n = splice(w->from, NULL, w->pipe[1], NULL, CHUNK,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			w->buffered += (size_t)n;
		else if (n == 0)
			w->eof = 1;
		else if (errno != EAGAIN)
			return -1;
	}
	if (w->buffered > 0) {
		ssize_t n = splice(w->pipe[0], NULL, w->to, NULL, w->buffered,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n > 0)
			w->buffered -= (size_t)n;
		else if (n < 0 && errno != EAGAIN)
			return -1;
	}
	if (w->eof && w->buffered == 0 && !w->shut) {
		shutdown(w->to, SHUT_WR);
		w->shut = 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 64;
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	int backend = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (backend < 0 || connect(backend, (struct sockaddr *)&sa, sizeof sa) < 0)
		return 69;
	setsockopt(0, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	setsockopt(backend, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
	fcntl(backend, F_SETFL, fcntl(backend, F_GETFL) | O_NONBLOCK);

	struct way ways[2] = {{.from = 0, .to = backend},
			      {.from = backend, .to = 0}};
	for (int i = 0; i < 2; i++)
		if (pipe2(ways[i].pipe, O_NONBLOCK | O_CLOEXEC) < 0)
			return 71;

	while (!ways[0].shut || !ways[1].shut) {
		struct pollfd p[4];
		nfds_t n = 0;
		for (int i = 0; i < 2; i++) {
			if (way_step(&ways[i]) < 0)
				return 74;
			/* With bytes waiting, the destination is what to wait for. */
			if (!ways[i].eof && ways[i].buffered == 0)
				p[n++] = (struct pollfd){ways[i].from, POLLIN, 0};
			if (ways[i].buffered > 0)
				p[n++] = (struct pollfd){ways[i].to, POLLOUT, 0};
		}
		if (n > 0 && poll(p, n, -1) < 0 && errno != EINTR)
			return 71;
	}
	return 0;
}
