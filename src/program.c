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
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "pump.h"

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
	/* With fd 2 closed a pipe end may land there, where fd 2 goes. */
	for (int i = 0; i < 2; i++) {
		if (report[i] <= 2) {
			int moved = fcntl(report[i], F_DUPFD_CLOEXEC, 3);
			if (moved >= 0) {
				close(report[i]);
				report[i] = moved;
			}
		}
	}
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
	int child_errno = 0;
	ssize_t n;
	do
		n = read(report[0], &child_errno, sizeof child_errno);
	while (n < 0 && errno == EINTR);
	close(report[0]);
	if (n == (ssize_t)sizeof child_errno) {
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

int program_relay(char *const *argv, char *const *envp, struct pump_end *client,
		  const void *prefix, size_t prefix_len, long idle_ms,
		  struct pump_result *r, char *status, size_t status_size,
		  char *err, size_t err_size)
{
	int pair[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) {
		snprintf(err, err_size, "cannot run %s: %s", argv[0],
			 log_strerror(errno));
		return -1;
	}
	pid_t pid = program_start(argv, envp, pair[1], pair[1],
				  log_stderr_is_safe() ? 2 : -1, err, err_size);
	close(pair[1]);
	if (pid < 0) {
		close(pair[0]);
		return -1;
	}
	int flags = fcntl(pair[0], F_GETFL);
	if (flags >= 0)
		fcntl(pair[0], F_SETFL, flags | O_NONBLOCK);
	struct pump_end program = {.name = "program", .rfd = pair[0],
				   .wfd = pair[0]};
	pump_run(client, &program, prefix, prefix_len, idle_ms, r);
	/* The program sees the end of its input, if it did not already. */
	close(pair[0]);
	return program_wait(pid, PROGRAM_EXIT_GRACE_MS, status, status_size);
}
