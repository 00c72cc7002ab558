/*
 * program: --exec.  The program gets the stream on fds 0 and 1 (a socket
 * either way: the client's own, or one end of a socketpair that tlsmux
 * feeds with the decrypted bytes) and the facts about the connection in
 * its environment, as tcpserver and s6-tlsd do.  It never sees the key:
 * it starts from exec with fresh memory, every descriptor but 0, 1 and 2
 * is closed, and the paths of the certificate and key are not passed.
 */
#include "program.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <sys/pidfd.h>
#endif

#include "clock.h"
#include "log.h"
#include "pump.h"
#include "sandbox.h"

#ifndef __GLIBC__
/* musl (make PEEKER_LIBC=musl) has no wrappers for these two calls. */
static int pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int close_range(unsigned int first, unsigned int last, int flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}
#endif

int program_split(const char *text, char *buf, size_t buf_size, char **argv,
		  size_t max)
{
	size_t len = strlen(text), argc = 0;

	if (len + 1 > buf_size)
		return -1;
	memcpy(buf, text, len + 1);
	for (char *p = buf; *p != '\0';) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (argc + 1 >= max)
			return -1;
		argv[argc++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	argv[argc] = NULL;
	return argc == 0 ? -1 : (int)argc;
}

/* Variables the program must not inherit: ours, or stale, or secret. */
static int program_hides(const char *entry)
{
	static const char *const prefixes[] = {
		"TLSMUX_", "LISTEN_", "CREDENTIALS_DIRECTORY=", "TCP", "SSL_",
		"TLS=", "PROTO=",
	};

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (strncmp(entry, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

struct env_builder {
	char **out;
	size_t max, count;
	char *storage;
	size_t size, used;
	int overflow;
};

static void env_add(struct env_builder *b, const char *name, const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	size_t need = strlen(name) + 1 + strlen(value) + 1;
	if (b->count + 1 >= b->max || need > b->size - b->used) {
		b->overflow = 1;
		return;
	}
	char *entry = b->storage + b->used;
	snprintf(entry, need, "%s=%s", name, value);
	b->used += need;
	b->out[b->count++] = entry;
}

static void env_add_endpoint(struct env_builder *b, const char *ip_name,
			     const char *port_name,
			     const struct proxyproto_endpoint *e)
{
	char ip[INET6_ADDRSTRLEN], port[8];

	if (e == NULL || (e->family != AF_INET && e->family != AF_INET6))
		return;
	if (inet_ntop(e->family, e->ip, ip, sizeof ip) == NULL)
		return;
	snprintf(port, sizeof port, "%u", e->port);
	env_add(b, ip_name, ip);
	env_add(b, port_name, port);
}

int program_environment(char *const *inherited, const struct program_facts *f,
			char **out, size_t max, char *storage,
			size_t storage_size)
{
	struct env_builder b = {.out = out, .max = max, .storage = storage,
				.size = storage_size};

	for (size_t i = 0; inherited != NULL && inherited[i] != NULL; i++) {
		if (program_hides(inherited[i]))
			continue;
		if (b.count + 1 >= b.max) {
			b.overflow = 1;
			break;
		}
		out[b.count++] = inherited[i];
	}
	env_add(&b, "PROTO", "TCP");
	env_add_endpoint(&b, "TCPREMOTEIP", "TCPREMOTEPORT", f->remote);
	env_add_endpoint(&b, "TCPLOCALIP", "TCPLOCALPORT", f->local);
	env_add(&b, "TLS", f->tls ? "1" : "0");
	if (f->tls) {
		env_add(&b, "SSL_PROTOCOL", f->protocol);
		env_add(&b, "SSL_CIPHER", f->cipher);
		env_add(&b, "SSL_TLS_SNI_SERVERNAME", f->sni);
		env_add(&b, "SSL_PEER_CERT_SUBJECT", f->peer_subject);
		env_add(&b, "SSL_PEER_CERT_CN", f->peer_cn);
	}
	if (b.overflow || b.count >= b.max)
		return -1;
	out[b.count] = NULL;
	return (int)b.count;
}

/* In the child, between fork and exec (tlsmux has a single thread). */
static void program_child(char *const *argv, char *const *envp, int in_fd,
			  int out_fd, int err_fd, int report)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;

	if (err_fd < 0)
		err_fd = open("/dev/null", O_WRONLY);
	if ((in_fd != 0 && dup2(in_fd, 0) < 0) ||
	    (out_fd != 1 && dup2(out_fd, 1) < 0) ||
	    (err_fd >= 0 && err_fd != 2 && dup2(err_fd, 2) < 0))
		goto fail;
	for (int fd = 0; fd <= 1; fd++) {
		int flags = fcntl(fd, F_GETFL);
		if (flags >= 0 && (flags & O_NONBLOCK))
			fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
	}
	/* SIGPIPE was ignored by tlsmux: an ignored signal survives exec. */
	sigaction(SIGPIPE, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Nothing of tlsmux's leaks in: only 0, 1, 2 (and report, close-on-exec). */
	if (report > 3)
		close_range(3, (unsigned)report - 1, 0);
	close_range((unsigned)report + 1, ~0U, 0);
	execvpe(argv[0], argv, envp);
fail:;
	int e = errno;
	ssize_t ignored = write(report, &e, sizeof e);
	(void)ignored;
	_exit(127);
}

/* With fd 2 closed a new pair may land there, where fd 2 goes: move it up. */
static void program_move_above_stderr(int pair[2])
{
	for (int i = 0; i < 2; i++) {
		if (pair[i] <= 2) {
			int moved = fcntl(pair[i], F_DUPFD_CLOEXEC, 3);
			if (moved >= 0) {
				close(pair[i]);
				pair[i] = moved;
			}
		}
	}
}

/* exec's errno from the report descriptor; 0 when exec closed it. */
static int program_read_report(int fd)
{
	int child_errno = 0;
	ssize_t n;

	do
		n = read(fd, &child_errno, sizeof child_errno);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof child_errno ? child_errno : 0;
}

pid_t program_start(char *const *argv, char *const *envp, int in_fd,
		    int out_fd, int err_fd, char *err, size_t err_size)
{
	int report[2];

	/* exec closes the report pipe: EOF there means the program runs. */
	if (pipe2(report, O_CLOEXEC) < 0) {
		snprintf(err, err_size, "cannot run %s: %s", argv[0],
			 log_strerror(errno));
		return -1;
	}
	program_move_above_stderr(report);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, err_size, "cannot run %s: %s", argv[0],
			 log_strerror(errno));
		close(report[0]);
		close(report[1]);
		return -1;
	}
	if (pid == 0) {
		close(report[0]);
		program_child(argv, envp, in_fd, out_fd, err_fd, report[1]);
	}
	close(report[1]);
	int child_errno = program_read_report(report[0]);
	close(report[0]);
	if (child_errno != 0) {
		waitpid(pid, NULL, 0);
		snprintf(err, err_size, "cannot run %s: %s", argv[0],
			 log_strerror(child_errno));
		return -1;
	}
	return pid;
}

static void program_status_text(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "signal:%d", WTERMSIG(status));
	else
		snprintf(out, size, "exit:%d", WEXITSTATUS(status));
}

/* Wait up to ms for pid; 1 with *status when it ended, 0 if not yet. */
static int program_wait_for(pid_t pid, int pidfd, long ms, int *status)
{
	long deadline = clock_now_ms() + ms;

	for (;;) {
		pid_t r = waitpid(pid, status, WNOHANG);
		if (r == pid)
			return 1;
		if (r < 0 && errno != EINTR)
			return 1;	/* not ours to wait for any more */
		if (clock_remaining_ms(deadline) == 0)
			return 0;
		if (pidfd >= 0) {
			struct pollfd p = {.fd = pidfd, .events = POLLIN};
			poll(&p, 1, clock_remaining_ms(deadline));
		} else {
			struct timespec pause = {0, 10 * 1000000};
			nanosleep(&pause, NULL);
		}
	}
}

int program_wait(pid_t pid, long grace_ms, char *status_text,
		 size_t status_size)
{
	int status = 0;

	if (grace_ms < 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	} else {
		int pidfd = pidfd_open(pid, 0);
		if (!program_wait_for(pid, pidfd, grace_ms, &status)) {
			log_error("program %d still running %ld.%03lds after its connection ended: terminating",
				  (int)pid, grace_ms / 1000, grace_ms % 1000);
			kill(pid, SIGTERM);
			if (!program_wait_for(pid, pidfd, 1000, &status)) {
				kill(pid, SIGKILL);
				program_wait_for(pid, pidfd, 5000, &status);
			}
		}
		if (pidfd >= 0)
			close(pidfd);
	}
	program_status_text(status, status_text, status_size);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int program_open(char *const *argv, char *const *envp,
		 struct program_run *run, char *err, size_t err_size)
{
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		snprintf(err, err_size, "cannot run %s: %s", argv[0],
			 log_strerror(errno));
		return -1;
	}
	program_move_above_stderr(pair);
	pid_t pid = program_start(argv, envp, pair[1], pair[1],
				  log_stderr_is_safe() ? 2 : -1, err, err_size);
	close(pair[1]);
	if (pid < 0) {
		close(pair[0]);
		return -1;
	}
	run->pid = pid;
	run->fd = pair[0];
	return 0;
}

int program_relay(struct program_run *run, struct pump_end *client,
		  const void *prefix, size_t prefix_len, long idle_ms,
		  struct pump_result *r, char *status, size_t status_size)
{
	int flags = fcntl(run->fd, F_GETFL);
	if (flags >= 0)
		fcntl(run->fd, F_SETFL, flags | O_NONBLOCK);
	struct pump_end program = {.name = "program", .rfd = run->fd,
				   .wfd = run->fd};
	pump_run(client, &program, prefix, prefix_len, idle_ms, r);
	/* The program sees the end of its input, if it did not already. */
	close(run->fd);
	run->fd = -1;
	return program_wait(run->pid, PROGRAM_EXIT_GRACE_MS, status,
			    status_size);
}

/*
 * The spawner.  What it is sent: the TLS facts, nothing else.  The
 * command, the user and the addresses it already holds from before the
 * fork, so a parent subverted during the handshake can choose neither
 * the program nor its addresses, only lie about these strings.
 */
struct spawner_message {
	char protocol[32];
	char cipher[96];
	char sni[256];
	char peer_subject[1024];
	char peer_cn[256];
};

static void copy_text(char *out, size_t size, const char *text)
{
	snprintf(out, size, "%s", text != NULL ? text : "");
}

/* Fill buf from fd; 0 at a clean end of stream or on a short read. */
static int read_full(int fd, void *buf, size_t size)
{
	size_t got = 0;

	while (got < size) {
		ssize_t n = read(fd, (char *)buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

static int write_full(int fd, const void *buf, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = write(fd, (const char *)buf + done, size - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* In the spawner: unsandboxed, holding neither key nor client socket. */
static void program_spawner_child(const char *command,
				  const struct program_facts *base,
				  const char *user, int control, int stream)
{
	static char words[4096], storage[8192];
	static char *argv[PROGRAM_MAX_ARGS], *envp[PROGRAM_MAX_ENV];
	struct spawner_message m;
	char err[256];

	/* Let go of the client's socket at once: tlsmux-tls alone serves it. */
	int err_fd = log_stderr_is_safe() ? 2 : open("/dev/null", O_WRONLY);
	if (dup2(stream, 0) < 0 || dup2(stream, 1) < 0 ||
	    (err_fd >= 0 && err_fd != 2 && dup2(err_fd, 2) < 0) ||
	    dup2(control, 3) < 0)
		_exit(EX_OSERR);
	close_range(4, ~0U, 0);
	/* A failed switch is logged by tlsmux-tls, which tries the same. */
	if (user != NULL && sandbox_drop_user(user, err, sizeof err) != 0)
		_exit(EX_NOPERM);
	/* Blocks as long as tlsmux-tls lives: its exit is the end of stream. */
	if (!read_full(3, &m, sizeof m))
		_exit(0);
	m.protocol[sizeof m.protocol - 1] = '\0';
	m.cipher[sizeof m.cipher - 1] = '\0';
	m.sni[sizeof m.sni - 1] = '\0';
	m.peer_subject[sizeof m.peer_subject - 1] = '\0';
	m.peer_cn[sizeof m.peer_cn - 1] = '\0';
	struct program_facts f = *base;
	f.tls = 1;
	f.protocol = m.protocol;
	f.cipher = m.cipher;
	f.sni = m.sni;
	f.peer_subject = m.peer_subject;
	f.peer_cn = m.peer_cn;
	int e = E2BIG;
	if (program_split(command, words, sizeof words, argv,
			  PROGRAM_MAX_ARGS) < 0 ||
	    program_environment(environ, &f, envp, PROGRAM_MAX_ENV, storage,
				sizeof storage) < 0) {
		ssize_t ignored = write(3, &e, sizeof e);
		(void)ignored;
		_exit(127);
	}
	fcntl(3, F_SETFD, FD_CLOEXEC);
	program_child(argv, envp, 0, 1, 2, 3);
}

int program_spawner_start(struct program_spawner *sp, const char *command,
			  const struct program_facts *base, const char *user,
			  char *err, size_t err_size)
{
	int control[2], stream[2];

	sp->pid = -1;
	sp->control = sp->stream = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, control) < 0)
		goto fail;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, stream) < 0) {
		close(control[0]);
		close(control[1]);
		goto fail;
	}
	program_move_above_stderr(control);
	program_move_above_stderr(stream);
	pid_t pid = fork();
	if (pid == 0) {
		close(control[0]);
		close(stream[0]);
		program_spawner_child(command, base, user, control[1],
				      stream[1]);
	}
	close(control[1]);
	close(stream[1]);
	if (pid < 0) {
		close(control[0]);
		close(stream[0]);
		goto fail;
	}
	sp->pid = pid;
	sp->control = control[0];
	sp->stream = stream[0];
	return 0;
fail:
	snprintf(err, err_size, "--exec: cannot prepare the program: %s",
		 log_strerror(errno));
	return -1;
}

int program_spawner_run(struct program_spawner *sp, const char *name,
			const struct program_facts *tls,
			struct program_run *run, char *err, size_t err_size)
{
	struct spawner_message m;

	memset(&m, 0, sizeof m);
	copy_text(m.protocol, sizeof m.protocol, tls->protocol);
	copy_text(m.cipher, sizeof m.cipher, tls->cipher);
	copy_text(m.sni, sizeof m.sni, tls->sni);
	copy_text(m.peer_subject, sizeof m.peer_subject, tls->peer_subject);
	copy_text(m.peer_cn, sizeof m.peer_cn, tls->peer_cn);
	int child_errno = write_full(sp->control, &m, sizeof m) < 0
				  ? errno
				  : program_read_report(sp->control);
	close(sp->control);
	sp->control = -1;
	if (child_errno != 0) {
		program_spawner_cancel(sp);
		snprintf(err, err_size, "cannot run %s: %s", name,
			 log_strerror(child_errno));
		return -1;
	}
	run->pid = sp->pid;
	run->fd = sp->stream;
	sp->pid = -1;
	sp->stream = -1;
	return 0;
}

void program_spawner_cancel(struct program_spawner *sp)
{
	if (sp->control >= 0)
		close(sp->control);
	if (sp->stream >= 0)
		close(sp->stream);
	/* It exits at the end of its control stream, at once. */
	if (sp->pid > 0)
		while (waitpid(sp->pid, NULL, 0) < 0 && errno == EINTR)
			;
	sp->pid = -1;
	sp->control = sp->stream = -1;
}
