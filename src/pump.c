/*
 * pump: one buffer per direction (a pipe for splice, or memory when an
 * end needs TLS work), one poll loop.  EOF on one side becomes a
 * shutdown of the write side toward the other while the other direction
 * keeps flowing; the loop ends when both inputs are gone and both
 * buffers are empty.
 */
#include "pump.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"

#define COPY_BUFFER_SIZE (64 * 1024)
#define SPLICE_CHUNK (1024 * 1024)

struct direction {
	struct pump_end *src;
	struct pump_end *dst;
	int splice;		/* bytes wait in pipe[] instead of buf */
	int pipe[2];
	unsigned char *buf;
	size_t head, tail;	/* buf[head..tail) waits to be written */
	size_t buffered;
	int eof;
	int shut;
	int pipe_full;		/* splice: wait for the writer, not the source */
	uint64_t bytes;
};

/*
 * A pipe's reader sees EOF only when every writer is closed.  The number
 * stays taken (a later socket must not land on fd 1) by the read end of
 * a fresh pipe: no open(), which the sandbox forbids while relaying.
 */
void pump_close_pipe_writer(int fd)
{
	int spare[2];

	if (pipe2(spare, O_CLOEXEC) < 0) {
		close(fd);
		return;
	}
	dup2(spare[0], fd);
	close(spare[0]);
	close(spare[1]);
}

static int fd_shutdown_write(struct pump_end *end)
{
	if (shutdown(end->wfd, SHUT_WR) == 0)
		return 0;
	if (errno == ENOTSOCK) {
		pump_close_pipe_writer(end->wfd);
		return 0;
	}
	return errno == ENOTCONN ? 0 : -1;
}

/* splice() needs a pipe or a socket on each side. */
static int fd_can_splice(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 &&
	       (S_ISSOCK(st.st_mode) || S_ISFIFO(st.st_mode));
}

static int direction_init(struct direction *d, struct pump_end *src,
			  struct pump_end *dst)
{
	d->src = src;
	d->dst = dst;
	if (src->ops == NULL && dst->ops == NULL && fd_can_splice(src->rfd) &&
	    fd_can_splice(dst->wfd) &&
	    pipe2(d->pipe, O_NONBLOCK | O_CLOEXEC) == 0) {
		d->splice = 1;
		return 0;
	}
	d->buf = malloc(COPY_BUFFER_SIZE);
	return d->buf == NULL ? -1 : 0;
}

static void direction_free(struct direction *d)
{
	if (d->pipe[0] >= 0) {
		close(d->pipe[0]);
		close(d->pipe[1]);
	}
	free(d->buf);
}

static ssize_t direction_read(struct direction *d)
{
	struct pump_end *src = d->src;

	if (d->splice)
		return splice(src->rfd, NULL, d->pipe[1], NULL, SPLICE_CHUNK,
			      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	if (d->head == d->tail)
		d->head = d->tail = 0;
	if (d->tail == COPY_BUFFER_SIZE) {
		errno = EAGAIN;		/* full: wait for the writer */
		return -1;
	}
	void *at = d->buf + d->tail;
	size_t room = COPY_BUFFER_SIZE - d->tail;
	ssize_t n = src->ops ? src->ops->read(src->ctx, at, room)
			     : read(src->rfd, at, room);
	if (n > 0)
		d->tail += (size_t)n;
	return n;
}

static ssize_t direction_write(struct direction *d)
{
	struct pump_end *dst = d->dst;

	if (d->splice)
		return splice(d->pipe[0], NULL, dst->wfd, NULL, d->buffered,
			      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
	const void *at = d->buf + d->head;
	size_t len = d->tail - d->head;
	ssize_t n = dst->ops ? dst->ops->write(dst->ctx, at, len)
			     : send(dst->wfd, at, len, MSG_NOSIGNAL);
	if (n < 0 && errno == ENOTSOCK)
		n = write(dst->wfd, at, len);
	if (n > 0)
		d->head += (size_t)n;
	return n;
}

static int direction_wants_read(const struct direction *d)
{
	if (d->eof)
		return 0;
	return d->splice ? d->buffered < SPLICE_CHUNK && !d->pipe_full
			 : d->tail < COPY_BUFFER_SIZE || d->head == d->tail;
}

/*
 * splice() into a pipe says EAGAIN both when the source is empty and when
 * the pipe is full.  A full pipe must not make us poll the source: it
 * stays readable, and the loop would spin without ever idling out.
 */
static int pipe_is_full(const struct direction *d)
{
	struct pollfd p = {.fd = d->pipe[1], .events = POLLOUT};

	return poll(&p, 1, 0) == 0;
}

static size_t end_pending(struct pump_end *end)
{
	return end->ops && end->ops->pending ? end->ops->pending(end->ctx) : 0;
}

static void pump_fail(struct pump_result *r, struct pump_end *end, int err)
{
	r->reason = PUMP_ERROR;
	r->error_side = end->name;
	r->error_errno = err;
	r->error_text = end->ops && end->ops->error_text && err == EPROTO
				? end->ops->error_text(end->ctx)
				: NULL;
}

/* One step of one direction; returns 1 if a byte moved, 0 if not, -1 on error. */
static int direction_step(struct direction *d, struct pump_result *r)
{
	int progress = 0;

	if (direction_wants_read(d) &&
	    (d->src->can_read || end_pending(d->src) > 0)) {
		ssize_t n = direction_read(d);
		if (n > 0) {
			d->buffered += (size_t)n;
			d->bytes += (uint64_t)n;
			progress = 1;
		} else if (n == 0) {
			d->eof = 1;
			if (r->first_eof == NULL)
				r->first_eof = d->src->name;
			progress = 1;
		} else if (errno == EAGAIN || errno == EINTR) {
			d->src->can_read = 0;
			d->pipe_full = d->splice && d->buffered > 0 &&
				       pipe_is_full(d);
		} else {
			pump_fail(r, d->src, errno);
			return -1;
		}
	}
	if (d->buffered > 0 && d->dst->can_write) {
		ssize_t n = direction_write(d);
		if (n > 0) {
			d->buffered -= (size_t)n;
			d->pipe_full = 0;
			progress = 1;
		} else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			d->dst->can_write = 0;
		} else {
			pump_fail(r, d->dst, n < 0 ? errno : EIO);
			return -1;
		}
	}
	if (d->eof && d->buffered == 0 && !d->shut && d->dst->can_write) {
		int rc = d->dst->ops ? d->dst->ops->shutdown_write(d->dst->ctx)
				     : fd_shutdown_write(d->dst);
		if (rc == 0) {
			d->shut = 1;
			progress = 1;
		} else if (errno == EAGAIN || errno == EINTR) {
			d->dst->can_write = 0;
		} else {
			pump_fail(r, d->dst, errno);
			return -1;
		}
	}
	return progress;
}

/* Bytes detection had to consume: they go out first.  0, or -1 with errno. */
static int direction_preload(struct direction *d, const void *prefix,
			     size_t prefix_len)
{
	ssize_t n = d->splice ? write(d->pipe[1], prefix, prefix_len)
			      : (memcpy(d->buf, prefix, prefix_len),
				 (ssize_t)prefix_len);

	if (n != (ssize_t)prefix_len)
		return -1;
	if (!d->splice)
		d->tail = prefix_len;
	d->buffered = prefix_len;
	d->bytes = prefix_len;
	return 0;
}

void pump_run(struct pump_end *client, struct pump_end *backend,
	      const void *prefix, size_t prefix_len, long idle_ms,
	      struct pump_result *r)
{
	struct direction dirs[2];
	long idle_deadline = clock_now_ms() + idle_ms;

	memset(r, 0, sizeof *r);
	memset(dirs, 0, sizeof dirs);
	dirs[0].pipe[0] = dirs[0].pipe[1] = dirs[1].pipe[0] = dirs[1].pipe[1] = -1;
	client->can_read = client->can_write = 1;
	backend->can_read = backend->can_write = 1;
	if (direction_init(&dirs[0], client, backend) < 0 ||
	    direction_init(&dirs[1], backend, client) < 0) {
		pump_fail(r, client, ENOMEM);
		goto out;
	}
	if (prefix_len > 0 &&
	    direction_preload(&dirs[0], prefix, prefix_len) < 0) {
		pump_fail(r, client, errno);
		goto out;
	}

	for (;;) {
		int progress = 0;
		for (int i = 0; i < 2; i++) {
			int step = direction_step(&dirs[i], r);
			if (step < 0)
				goto out;
			progress |= step;
		}
		if (dirs[0].shut && dirs[1].shut)
			break;
		if (progress) {
			idle_deadline = clock_now_ms() + idle_ms;
			continue;
		}

		/* Nothing moved: sleep until an end we wait on is ready. */
		struct pollfd p[4];
		struct pump_end *owner[4];
		int nfds = 0;
		for (int i = 0; i < 2; i++) {
			struct direction *d = &dirs[i];
			/*
			 * A splice read that found the pipe full said EAGAIN
			 * too, and the source polls readable at once: while
			 * the destination is full, wait for it alone.
			 */
			int draining = d->splice && d->buffered > 0 &&
				       !d->dst->can_write;
			if (direction_wants_read(d) && !d->src->can_read &&
			    !draining) {
				p[nfds] = (struct pollfd){d->src->rfd, POLLIN, 0};
				owner[nfds++] = d->src;
			}
			if ((d->buffered > 0 || (d->eof && !d->shut)) &&
			    !d->dst->can_write) {
				p[nfds] = (struct pollfd){d->dst->wfd, POLLOUT, 0};
				owner[nfds++] = d->dst;
			}
		}
		int rc = poll(p, (nfds_t)nfds,
			      idle_ms > 0 ? clock_remaining_ms(idle_deadline) : -1);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			pump_fail(r, client, errno);
			goto out;
		}
		if (rc == 0) {
			/* poll() waits at most INT_MAX ms: a longer limit loops. */
			if (clock_remaining_ms(idle_deadline) > 0)
				continue;
			r->reason = PUMP_IDLE_TIMEOUT;
			goto out;
		}
		for (int i = 0; i < nfds; i++) {
			if (p[i].revents == 0)
				continue;
			/* Errors and hang-ups surface through the next call. */
			if (p[i].events == POLLIN)
				owner[i]->can_read = 1;
			else
				owner[i]->can_write = 1;
		}
	}
	r->reason = PUMP_DONE;
out:
	r->bytes_in = dirs[0].bytes;
	r->bytes_out = dirs[1].bytes;
	direction_free(&dirs[0]);
	direction_free(&dirs[1]);
}
