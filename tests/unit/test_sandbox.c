/*
 * test_sandbox: each case forks a child that enters a sandbox stage and
 * makes raw system calls; the parent checks how the child ended and what
 * it logged.  A refused call must end the child with EX_OSERR and one
 * log line naming the call; an allowed one must work.
 */
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"
#include "unit.h"

/* The AddressSanitizer needs ptrace and opens (see sandbox.c). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#endif

struct outcome {
	int status;		/* from waitpid */
	char log[512];		/* what the child wrote to stderr */
};

/* Run fn in a child whose stderr is captured; fn's return is its exit code. */
static void run_child(int (*fn)(void), struct outcome *out)
{
	int pipefd[2];

	memset(out, 0, sizeof *out);
	if (pipe(pipefd) < 0) {
		perror("pipe");
		exit(1);
	}
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		log_init(LOG_TO_STDERR);
		_exit(fn());
	}
	close(pipefd[1]);
	size_t len = 0;
	ssize_t n;
	while (len < sizeof out->log - 1 &&
	       (n = read(pipefd[0], out->log + len, sizeof out->log - 1 - len)) > 0)
		len += (size_t)n;
	close(pipefd[0]);
	waitpid(pid, &out->status, 0);
	/* Drop the "tlsmux[PID]: " prefix. */
	char *colon = strstr(out->log, "]: ");
	if (colon != NULL)
		memmove(out->log, colon + 3, strlen(colon + 3) + 1);
}

static int exited_with(const struct outcome *o, int code)
{
	return WIFEXITED(o->status) && WEXITSTATUS(o->status) == code;
}

static void expect_refused(int (*fn)(void), long nr)
{
	struct outcome o;
	char want[128];

	run_child(fn, &o);
	snprintf(want, sizeof want, "sandbox: system call %ld refused: exiting\n", nr);
	CHECK(exited_with(&o, EX_OSERR));
	CHECK_STR(o.log, want);
}

static void expect_allowed(int (*fn)(void))
{
	struct outcome o;

	run_child(fn, &o);
	CHECK(exited_with(&o, 0));
	CHECK_STR(o.log, "");
}

static int enter(enum sandbox_stage stage)
{
	if (sandbox_enter(SANDBOX_CONNECT) < 0)
		return 90;
	if (stage == SANDBOX_PUMP && sandbox_enter(SANDBOX_PUMP) < 0)
		return 91;
	return 0;
}

/* --- the connect stage --- */

static int connect_opens_read_only(void)
{
	if (enter(SANDBOX_CONNECT) != 0)
		return 2;
	long fd = syscall(SYS_openat, AT_FDCWD, "/etc/hosts", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 3;
	char buf[16];
	return read((int)fd, buf, sizeof buf) >= 0 && close((int)fd) == 0 ? 0 : 4;
}


static int connect_makes_sockets(void)
{
	if (enter(SANDBOX_CONNECT) != 0)
		return 2;
	long fd = syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return fd >= 0 && close((int)fd) == 0 ? 0 : 3;
}

static int connect_execs(void)
{
	char *argv[] = {"true", NULL};

	enter(SANDBOX_CONNECT);
	syscall(SYS_execve, "/bin/true", argv, NULL);
	return 5;
}

#ifndef UNDER_SANITIZER
static int connect_opens_for_writing(void)
{
	enter(SANDBOX_CONNECT);
	syscall(SYS_openat, AT_FDCWD, "/tmp/tlsmux-sandbox-test", O_WRONLY | O_CREAT, 0600);
	return 5;
}

static int connect_ptraces(void)
{
	enter(SANDBOX_CONNECT);
	syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
	return 5;
}

static int pump_opens(void)
{
	enter(SANDBOX_PUMP);
	syscall(SYS_openat, AT_FDCWD, "/etc/hosts", O_RDONLY);
	return 5;
}
#endif

static int connect_sets_uid(void)
{
	enter(SANDBOX_CONNECT);
	syscall(SYS_setuid, 0);
	return 5;
}

/* --- the pump stage --- */

static int pump_relays(void)
{
	int p[2];
	char byte = 'x';

	if (enter(SANDBOX_PUMP) != 0 || pipe2(p, O_NONBLOCK) < 0)
		return 2;
	if (write(p[1], &byte, 1) != 1 || read(p[0], &byte, 1) != 1)
		return 3;
	void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED || munmap(m, 1 << 20) < 0)
		return 4;
	long fd = syscall(SYS_socket, AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0)
		return 5;
	return 0;
}

/* The plain path's only filter: the handler must come with it. */
static int pump_alone_makes_inet_socket(void)
{
	if (sandbox_enter(SANDBOX_PUMP) < 0)
		return 91;
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return 5;
}

static int pump_makes_inet_socket(void)
{
	enter(SANDBOX_PUMP);
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
	return 5;
}

static int pump_maps_code(void)
{
	enter(SANDBOX_PUMP);
	syscall(SYS_mmap, NULL, 4096, PROT_READ | PROT_EXEC,
		MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 5;
}

static int pump_shows_in_proc(void)
{
	char status[4096];
	int fd = open("/proc/self/status", O_RDONLY);

	if (fd < 0 || enter(SANDBOX_PUMP) != 0)
		return 2;
	ssize_t n = read(fd, status, sizeof status - 1);
	if (n <= 0)
		return 3;
	status[n] = '\0';
	if (strstr(status, "\nNoNewPrivs:\t1\n") == NULL)
		return 4;
	if (strstr(status, "\nSeccomp:\t2\n") == NULL)
		return 5;
	if (strstr(status, "\nSeccomp_filters:\t2\n") == NULL)
		return 6;
	return 0;
}

#ifdef __x86_64__
/* A 32-bit call (int 0x80) has other numbers: the arch check kills it. */
static int pump_calls_i386(void)
{
	long ret, nr = 20;	/* i386 getpid */

	enter(SANDBOX_PUMP);
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr) : "memory");
	return 5;
}

static int pump_calls_x32(void)
{
	enter(SANDBOX_PUMP);
	syscall(0x40000000 | SYS_getpid);
	return 5;
}
#endif

/* --- the program itself, run by a small BPF interpreter --- */

/* --- an --exec program's parent --- */

/* A child that waits to be killed, and the relay filter with its pid. */
static pid_t program_child_then_pump(void)
{
	pid_t parent = getpid();
	pid_t child = fork();
	if (child == 0) {
		/* Gone with its parent, also when the filter ends that one. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == parent)
			pause();
		_exit(0);
	}
	if (child < 0 || sandbox_enter_with_child(SANDBOX_PUMP, child) < 0)
		return -1;
	return child;
}

static int pump_waits_for_its_program(void)
{
	pid_t child = program_child_then_pump();
	int status;
	struct timespec pause_ms = {0, 1000000};

	if (child < 0)
		return 90;
	if (nanosleep(&pause_ms, NULL) < 0 || kill(child, SIGTERM) < 0 ||
	    waitpid(child, &status, 0) != child)
		return 1;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 2;
}

static int pump_kills_another_process(void)
{
	pid_t child = program_child_then_pump();

	if (child < 0)
		return 90;
	kill(1, 0);	/* init: surely not its child */
	return 0;
}

static int pump_waits_for_another_process(void)
{
	pid_t child = program_child_then_pump();

	if (child < 0)
		return 90;
	waitpid(-1, NULL, WNOHANG);
	return 0;
}


/* The instructions sandbox.c emits, on a seccomp_data; returns the action. */
static unsigned bpf_run(const struct sock_filter *f, unsigned len,
			const struct seccomp_data *d)
{
	unsigned a = 0;

	for (unsigned pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (i->k + 4 > sizeof *d)
				return 0xdead;
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			return 0xbad;
		}
	}
	return 0xfa11;	/* fell off the end */
}

static int in_set(const int *set, unsigned n, int nr)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == nr)
			return 1;
	return 0;
}

#ifdef __x86_64__
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#endif

/*
 * Every number from 0 to 1023 with zeroed arguments: the listed calls and
 * the argument-checked ones that zero satisfies are allowed, the rest
 * trapped; then the argument checks one by one.
 */
static void program_cases(void)
{
#ifdef NATIVE_ARCH
	static const char *names[] = {"connect stage", "pump stage"};
	for (int stage = SANDBOX_CONNECT; stage <= SANDBOX_PUMP; stage++) {
		struct sock_filter f[512];
		int allowed[256];
		unsigned len = sandbox_program(stage, f, 512);
		unsigned n = sandbox_allowed(stage, allowed, 256);
		struct seccomp_data d;
		int wrong = 0;

		unit_begin("%s: every system call number meets the allow-list, and only it",
			   names[stage]);
		CHECK(len > 0 && n > 0);
		for (int nr = 0; nr < 1024; nr++) {
			memset(&d, 0, sizeof d);
			d.arch = NATIVE_ARCH;
			d.nr = nr;
			int want = in_set(allowed, n, nr) ||
				   (stage == SANDBOX_CONNECT &&
				    (nr == SYS_openat
#ifdef SYS_open
				     || nr == SYS_open
#endif
				     )) ||
				   (stage == SANDBOX_PUMP &&
				    (nr == SYS_mmap || nr == SYS_mprotect));
			unsigned got = bpf_run(f, len, &d);
			if (got != (want ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP)) {
				if (wrong++ < 5)
					unit_fail(__FILE__, __LINE__,
						  "call %d: action %#x, want %s", nr,
						  got, want ? "allow" : "trap");
			}
		}
		unit_end();

		unit_begin("%s: opens with a load the kernel's cache emulator does not follow",
			   names[stage]);
		/* It follows loads of nr and arch only; anything else ends it. */
		CHECK_INT(f[0].code, BPF_LD | BPF_W | BPF_ABS);
		CHECK(f[0].k != offsetof(struct seccomp_data, nr) &&
		      f[0].k != offsetof(struct seccomp_data, arch));
		unit_end();

		unit_begin("%s: argument checks, architecture, x32", names[stage]);
#define RUN(NR, ARG, VALUE)                                             \
	(memset(&d, 0, sizeof d), d.arch = NATIVE_ARCH, d.nr = (NR),    \
	 d.args[ARG] = (VALUE), bpf_run(f, len, &d))
		if (stage == SANDBOX_CONNECT) {
			CHECK_INT(RUN(SYS_openat, 2, O_RDONLY | O_CLOEXEC), SECCOMP_RET_ALLOW);
			CHECK_INT(RUN(SYS_openat, 2, O_WRONLY), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_openat, 2, O_RDWR), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_openat, 2, O_RDONLY | O_CREAT), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_ioctl, 1, FIONREAD), SECCOMP_RET_ALLOW);
			CHECK_INT(RUN(SYS_ioctl, 1, TIOCSTI), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_prctl, 0, PR_SET_SECCOMP), SECCOMP_RET_ALLOW);
			CHECK_INT(RUN(SYS_prctl, 0, PR_SET_NO_NEW_PRIVS), SECCOMP_RET_ALLOW);
			CHECK_INT(RUN(SYS_prctl, 0, PR_SET_DUMPABLE), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_mmap, 2, PROT_READ | PROT_EXEC), SECCOMP_RET_ALLOW);
		} else {
			CHECK_INT(RUN(SYS_mmap, 2, PROT_READ | PROT_WRITE), SECCOMP_RET_ALLOW);
			CHECK_INT(RUN(SYS_mmap, 2, PROT_READ | PROT_EXEC), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_mprotect, 2, PROT_EXEC), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_socket, 0, AF_UNIX), SECCOMP_RET_ALLOW);
			CHECK_INT(RUN(SYS_socket, 0, AF_INET), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_socket, 0, AF_INET6), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_openat, 2, O_RDONLY), SECCOMP_RET_TRAP);
			CHECK_INT(RUN(SYS_prctl, 0, PR_SET_SECCOMP), SECCOMP_RET_TRAP);
		}
		memset(&d, 0, sizeof d);
		d.arch = AUDIT_ARCH_I386;
		d.nr = SYS_read;
		CHECK_INT(bpf_run(f, len, &d), SECCOMP_RET_KILL_PROCESS);
#ifdef __x86_64__
		CHECK_INT(RUN(0x40000000 | SYS_read, 0, 0), SECCOMP_RET_KILL_PROCESS);
#endif
#undef RUN
		unit_end();
	}
#endif
}

/* --- dropping the user --- */

static int drop_to_nobody(void)
{
	char err[256];

	if (sandbox_drop_user("nobody", err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	if (getuid() == 0 || geteuid() == 0 || getgid() == 0)
		return 3;
	return setuid(0) == 0 || seteuid(0) == 0 ? 4 : 0;
}

static void drop_user_cases(void)
{
	char err[256];
	struct outcome o;

	unit_begin("an unknown --user is refused with EX_NOUSER");
	CHECK_INT(sandbox_drop_user("no-such-user-tlsmux", err, sizeof err), EX_NOUSER);
	CHECK_STR(err, "--user no-such-user-tlsmux: no such user");
	unit_end();

	unit_begin("--user root drops nothing and is refused");
	CHECK_INT(sandbox_drop_user("root", err, sizeof err), EX_USAGE);
	CHECK_STR(err, "--user root: has uid 0, nothing dropped");
	unit_end();

	if (geteuid() != 0) {
		unit_begin("# SKIP not root: cannot test the switch to nobody");
		unit_end();
		return;
	}
	unit_begin("root becomes nobody and cannot become root again");
	run_child(drop_to_nobody, &o);
	CHECK(exited_with(&o, 0));
	CHECK_STR(o.log, "");
	unit_end();
}

#define REFUSED(fn, nr)                                                      \
	do {                                                                 \
		unit_begin("%s is refused", #fn);                            \
		expect_refused(fn, nr);                                      \
		unit_end();                                                  \
	} while (0)
#define ALLOWED(fn)                                                          \
	do {                                                                 \
		unit_begin("%s is allowed", #fn);                            \
		expect_allowed(fn);                                          \
		unit_end();                                                  \
	} while (0)

int main(void)
{
	/* Children orphaned by a refused call come back here to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
#ifndef UNDER_SANITIZER
	program_cases();	/* sanitizer builds allow more, on purpose */
#endif
	ALLOWED(connect_opens_read_only);
	ALLOWED(connect_makes_sockets);
	REFUSED(connect_execs, SYS_execve);
#ifndef UNDER_SANITIZER
	REFUSED(connect_ptraces, SYS_ptrace);
	REFUSED(pump_opens, SYS_openat);
	REFUSED(connect_opens_for_writing, SYS_openat);
#endif
	REFUSED(connect_sets_uid, SYS_setuid);
	ALLOWED(pump_relays);
	ALLOWED(pump_shows_in_proc);
	REFUSED(pump_makes_inet_socket, SYS_socket);
	REFUSED(pump_alone_makes_inet_socket, SYS_socket);
	REFUSED(pump_maps_code, SYS_mmap);
	ALLOWED(pump_waits_for_its_program);
#ifndef UNDER_SANITIZER
	REFUSED(pump_kills_another_process, SYS_kill);
	REFUSED(pump_waits_for_another_process, SYS_wait4);
#endif

#ifdef __x86_64__
	struct outcome o;
	unit_begin("a 32-bit system call kills the process (architecture check)");
	run_child(pump_calls_i386, &o);
	CHECK(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS);
	unit_end();
	unit_begin("an x32 system call kills the process");
	run_child(pump_calls_x32, &o);
	CHECK(WIFSIGNALED(o.status) && WTERMSIG(o.status) == SIGSYS);
	unit_end();
#endif
	drop_user_cases();
	while (wait(NULL) > 0)
		;
	return unit_summary();
}
