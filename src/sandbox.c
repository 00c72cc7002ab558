/*
 * sandbox: PR_SET_NO_NEW_PRIVS, a seccomp allow-list per stage, and the
 * switch to an unprivileged user.
 *
 * The filter is a raw BPF program handed to prctl(PR_SET_SECCOMP), not
 * built with libseccomp: building these filters with it takes some 0.9 M
 * instructions per process start, seven times an empty program's whole
 * start (bench/sandboxcost.sh), and the program below is short: the architecture first (a 32-bit or x32 call
 * on x86_64 has other numbers), the few calls whose arguments matter,
 * then a binary search over the allowed numbers.  What is not allowed
 * meets SECCOMP_RET_TRAP: the SIGSYS handler logs the call's number and
 * exits with EX_OSERR, so a refusal is never silent.
 */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sysexits.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <nss.h>	/* a static glibc: NSS sources */
#endif

#include "log.h"

/*
 * Valgrind runs its own system calls inside the process, and a filter
 * made for tlsmux kills it; memcheck runs skip the filter (and say so).
 * The check is one magic instruction sequence, nothing on a real CPU.
 */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define SANDBOX_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef SANDBOX_UNDER_VALGRIND
#define SANDBOX_UNDER_VALGRIND() 0
#endif

#if defined(__x86_64__)
#define SANDBOX_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define SANDBOX_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define SANDBOX_ARCH AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define SANDBOX_ARCH AUDIT_ARCH_RISCV64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SANDBOX_ARCH AUDIT_ARCH_PPC64LE
#elif defined(__s390x__)
#define SANDBOX_ARCH AUDIT_ARCH_S390X
#else
#error "sandbox.c: add this architecture's AUDIT_ARCH_ value"
#endif

/* The low 32 bits of a 64-bit argument (flags, prot, domain: all ints). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#else
#define ARG_LOW(i) (offsetof(struct seccomp_data, args) + 8 * (i) + 4)
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif

/*
 * Both stages.  -1 ends a list (a call this architecture lacks is left
 * out by #ifdef); order does not matter, the numbers are sorted.
 */
static const int calls_always[] = {
	SYS_splice, SYS_read, SYS_write, SYS_sendto, SYS_recvfrom,
#ifdef SYS_poll
	SYS_poll,
#endif
	SYS_ppoll, SYS_readv, SYS_writev, SYS_sendmsg, SYS_recvmsg,
	SYS_shutdown, SYS_close, SYS_pipe2, SYS_dup3,
#ifdef SYS_dup2
	SYS_dup2,
#endif
	SYS_fcntl, SYS_fstat, SYS_newfstatat, SYS_lseek,
#ifdef SYS_statx
	SYS_statx,
#endif
	SYS_getsockopt, SYS_munmap, SYS_mremap, SYS_brk, SYS_madvise,
	SYS_futex, SYS_getrandom, SYS_clock_gettime, SYS_gettimeofday,
	SYS_getpid, SYS_gettid, SYS_rt_sigprocmask, SYS_rt_sigreturn,
	SYS_restart_syscall, SYS_exit, SYS_exit_group,
	-1,
};

/* The handshake and the connect, resolver included. */
static const int calls_connect[] = {
	SYS_socket, SYS_connect, SYS_bind, SYS_setsockopt, SYS_getsockname,
	SYS_getpeername, SYS_sendmmsg, SYS_recvmmsg, SYS_pread64,
	SYS_mmap, SYS_mprotect, SYS_clock_nanosleep, SYS_nanosleep,
	SYS_uname, SYS_getuid, SYS_geteuid, SYS_getgid, SYS_getegid,
#ifdef SYS_select
	SYS_select,
#endif
	SYS_pselect6,
	/* Landlock, which can only narrow (landlock.h: after a --cert-dir handshake). */
#ifdef SYS_landlock_create_ruleset
	SYS_landlock_create_ruleset, SYS_landlock_add_rule,
	SYS_landlock_restrict_self,
#endif
	/* realpath there: where a renewed certificate's link points. */
#ifdef SYS_readlink
	SYS_readlink,
#endif
	SYS_readlinkat,
	-1,
};

/*
 * What the AddressSanitizer runtime does at exit: the leak check stops
 * the world with a ptrace'ing clone and reads /proc/self, and a report
 * may go to a file (opens, below).  Only in sanitizer builds, so that
 * those run the same sandbox too.
 */
#ifdef SANDBOX_SANITIZER
static const int calls_sanitizer[] = {
	SYS_clone, SYS_wait4, SYS_ptrace, SYS_prctl, SYS_getdents64,
	SYS_readlinkat, SYS_sched_yield, SYS_sigaltstack, SYS_rt_sigaction,
	SYS_getppid, SYS_tgkill, SYS_kill, SYS_getrlimit, SYS_prlimit64,
	SYS_pread64, SYS_munmap, SYS_madvise, SYS_ioctl,
#ifdef SYS_readlink
	SYS_readlink,
#endif
#ifdef SYS_getdents
	SYS_getdents,
#endif
	-1,
};
#endif

#define PROGRAM_MAX 256
#define CALLS_MAX 128

struct program {
	struct sock_filter insn[PROGRAM_MAX];
	unsigned short len;
	int overflow;		/* too long, or a jump too far: not loaded */
};

static void emit(struct program *p, struct sock_filter f)
{
	if (p->len < PROGRAM_MAX)
		p->insn[p->len++] = f;
	else
		p->overflow = 1;
}

/* Relative jump from the instruction at pc to the one at target (8 bits). */
static unsigned char jump_to(struct program *p, unsigned pc, unsigned target)
{
	if (target <= pc || target - pc - 1 > 255) {
		p->overflow = 1;
		return 0;
	}
	return (unsigned char)(target - pc - 1);
}

#ifdef SANDBOX_SANITIZER
/* A holds the call's number, and holds it again after every block. */
static void allow(struct program *p, int nr)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					     (unsigned)nr, 0, 1));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}
#endif

/* Allow nr when (argument & mask) == 0; refuse it otherwise. */
static void allow_without(struct program *p, int nr, int arg, unsigned mask)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					     (unsigned)nr, 0, 4));
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(arg)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, mask, 0, 1));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/* Allow nr when the argument is one of values[0..n); refuse it otherwise. */
static void allow_if(struct program *p, int nr, int arg, const unsigned *values,
		     unsigned n)
{
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					     (unsigned)nr, 0, (unsigned char)(n + 3)));
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(arg)));
	for (unsigned i = 0; i < n; i++)
		emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						     values[i],
						     (unsigned char)(n - i), 0));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/*
 * The allowed numbers as a binary search, not a list: when a filter is
 * attached the kernel runs it for every system call number to find the
 * ones it always allows (its action cache), so a filter's length is paid
 * some 450 times per process start: a 150-instruction list cost about
 * 0.3 ms of CPU per process here, the tree a small part of that.
 */
#define TREE_LEAF 4	/* numbers compared one by one at the bottom */

static unsigned tree_size(unsigned n)
{
	if (n <= TREE_LEAF)
		return n + 1;
	return 1 + tree_size(n / 2) + tree_size(n - n / 2);
}

static void emit_tree(struct program *p, const int *nr, unsigned n,
		      unsigned allow_at, unsigned trap_at)
{
	if (n <= TREE_LEAF) {
		for (unsigned i = 0; i < n; i++)
			emit(p, (struct sock_filter)BPF_JUMP(
					BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr[i],
					jump_to(p, p->len, allow_at), 0));
		emit(p, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA,
						     trap_at - p->len - 1));
		return;
	}
	unsigned left = n / 2;
	/* Below nr[left]: the left half, next; from it on: the right half. */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
					     (unsigned)nr[left],
					     jump_to(p, p->len, p->len + 1 + tree_size(left)),
					     0));
	emit_tree(p, nr, left, allow_at, trap_at);
	emit_tree(p, nr + left, n - left, allow_at, trap_at);
}

/* Append a -1-ended list to set[0..n), keeping it sorted and unique. */
static unsigned set_add(int *set, unsigned n, const int *calls)
{
	for (; *calls >= 0; calls++) {
		unsigned i = n;
		while (i > 0 && set[i - 1] > *calls)
			i--;
		if ((i > 0 && set[i - 1] == *calls) || n == CALLS_MAX)
			continue;
		memmove(set + i + 1, set + i, (n - i) * sizeof *set);
		set[i] = *calls;
		n++;
	}
	return n;
}

/*
 * A process with an --exec program as its child waits for it, and ends
 * it when it outlives its connection: wait4, kill and pidfd_open, each on
 * that pid alone (argument checks, before the search), and a pause
 * between polls (program_wait; in the search).
 */
static unsigned allow_child(struct program *p, pid_t child, int *set,
			    unsigned n)
{
	const unsigned pid[] = {(unsigned)child};
	static const int pauses[] = {SYS_clock_nanosleep, SYS_nanosleep, -1};

	allow_if(p, SYS_wait4, 0, pid, 1);
	allow_if(p, SYS_kill, 0, pid, 1);
#ifdef SYS_pidfd_open
	allow_if(p, SYS_pidfd_open, 0, pid, 1);
#endif
	return set_add(set, n, pauses);
}

static void program_build(struct program *p, enum sandbox_stage stage,
			  pid_t child)
{
	const unsigned writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;
	int set[CALLS_MAX];
	unsigned n = 0;

	p->len = 0;
	p->overflow = 0;
	/*
	 * When a filter is attached, the kernel (5.11 and later) runs it in
	 * an emulator for every system call number of every architecture, to
	 * find those it always allows; a third of the attach's CPU (some 25
	 * of 75 us here), repaid only by processes that make many calls.  A
	 * first load the emulator cannot follow ends that at once; the
	 * filter then runs, JIT-compiled, on each call: nanoseconds.
	 */
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data,
						      instruction_pointer)));
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
					     SANDBOX_ARCH, 1, 0));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					     SECCOMP_RET_KILL_PROCESS));
	emit(p, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					     offsetof(struct seccomp_data, nr)));
#ifdef __x86_64__
	/* x32 calls share the architecture value; their numbers have this bit. */
	emit(p, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K,
					     0x40000000, 0, 1));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
					     SECCOMP_RET_KILL_PROCESS));
#endif
#ifdef SANDBOX_SANITIZER
	/* Before the argument checks, which they would otherwise meet. */
	for (const int *c = calls_sanitizer; *c >= 0; c++)
		allow(p, *c);
	/* Reports go to the file ASAN_OPTIONS=log_path names. */
	allow(p, SYS_openat);
#ifdef SYS_open
	allow(p, SYS_open);
#endif
#endif
	n = set_add(set, n, calls_always);
	if (stage == SANDBOX_CONNECT) {
		n = set_add(set, n, calls_connect);
		/* The resolver reads files; nothing may write one. */
		allow_without(p, SYS_openat, 2, writes);
#ifdef SYS_open
		allow_without(p, SYS_open, 1, writes);
#endif
		static const unsigned fionread[] = {FIONREAD};
		allow_if(p, SYS_ioctl, 1, fionread, 1);
		/* The next stage adds its own, narrower filter. */
		static const unsigned narrowing[] = {PR_SET_NO_NEW_PRIVS,
						     PR_SET_SECCOMP};
		allow_if(p, SYS_prctl, 0, narrowing, 2);
	} else {
		static const int log_connect[] = {SYS_connect, -1};
		/* The log's socket (journal, syslog) may be opened late. */
		n = set_add(set, n, log_connect);
		static const unsigned unix_only[] = {AF_UNIX};
		allow_if(p, SYS_socket, 0, unix_only, 1);
		/* Memory, yes; new code, no. */
		allow_without(p, SYS_mmap, 2, PROT_EXEC);
		allow_without(p, SYS_mprotect, 2, PROT_EXEC);
	}
	if (child > 0)
		n = allow_child(p, child, set, n);
	unsigned allow_at = p->len + tree_size(n);
	emit_tree(p, set, n, allow_at, allow_at + 1);
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	emit(p, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
}

unsigned sandbox_program(enum sandbox_stage stage, struct sock_filter *out,
			 unsigned max)
{
	static struct program p;

	program_build(&p, stage, 0);
	if (p.overflow || p.len > max)
		return 0;
	memcpy(out, p.insn, p.len * sizeof *out);
	return p.len;
}

unsigned sandbox_allowed(enum sandbox_stage stage, int *out, unsigned max)
{
	int set[CALLS_MAX];
	unsigned n = set_add(set, 0, calls_always);
	static const int log_connect[] = {SYS_connect, -1};

	n = set_add(set, n, stage == SANDBOX_CONNECT ? calls_connect : log_connect);
	if (n > max)
		return 0;
	memcpy(out, set, n * sizeof *out);
	return n;
}

static void sandbox_refused(int sig, siginfo_t *info, void *context)
{
	char line[96] = "sandbox: system call ";
	size_t len = strlen(line);
	char digits[12];
	int n = 0;
	unsigned nr = (unsigned)info->si_syscall;

	do
		digits[n++] = (char)('0' + nr % 10);
	while ((nr /= 10) > 0 && n < (int)sizeof digits);
	while (n > 0)
		line[len++] = digits[--n];
	memcpy(line + len, " refused: exiting", sizeof " refused: exiting");
	log_error_signal_safe(line);
	_exit(EX_OSERR);
}

int sandbox_enter(enum sandbox_stage stage)
{
	return sandbox_enter_with_child(stage, 0);
}

int sandbox_enter_with_child(enum sandbox_stage stage, pid_t child)
{
	static struct program p;
	struct sigaction sa = {.sa_sigaction = sandbox_refused,
			       .sa_flags = SA_SIGINFO};

	program_build(&p, stage, child);
	if (p.overflow) {
		errno = E2BIG;
		return -1;
	}
	struct sock_fprog prog = {.len = p.len, .filter = p.insn};
	sigemptyset(&sa.sa_mask);
	log_before_sandbox();
	/* The first filter comes with the handler; after it, sigaction is refused. */
	static int handler_installed;
	if (!handler_installed && sigaction(SIGSYS, &sa, NULL) < 0)
		return -1;
	handler_installed = 1;
	if (SANDBOX_UNDER_VALGRIND()) {
		static int said;
		if (!said++)
			log_info("sandbox: running under valgrind, no seccomp filter");
		return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0)
		return -1;
	return 0;
}

int sandbox_user_find(const char *name, struct sandbox_user *u, char *err,
		      size_t err_size)
{
	/*
	 * A static build cannot load the system's NSS modules safely (they
	 * need the very glibc it was linked with): users from /etc/passwd,
	 * as with musl.
	 */
#ifdef __GLIBC__
	if (getauxval(AT_BASE) == 0)
		__nss_configure_lookup("passwd", "files");
#endif
	errno = 0;
	struct passwd *pw = getpwnam(name);
	if (pw == NULL) {
		snprintf(err, err_size, "--user %s: %s", name,
			 errno ? log_strerror(errno) : "no such user");
		return EX_NOUSER;
	}
	u->name = name;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	u->switch_needed = 1;
	if (u->uid == 0) {
		snprintf(err, err_size, "--user %s: has uid 0, nothing dropped",
			 name);
		return EX_USAGE;
	}
	if (geteuid() != 0) {
		if (getuid() == u->uid && geteuid() == u->uid) {
			u->switch_needed = 0;	/* already that user (systemd's User=) */
			return 0;
		}
		snprintf(err, err_size, "--user %s: only root can switch users",
			 name);
		return EX_NOPERM;
	}
	return 0;
}

int sandbox_user_switch(const struct sandbox_user *u, char *err,
			size_t err_size)
{
	const char *name = u->name;
	uid_t uid = u->uid;
	gid_t gid = u->gid;

	if (!u->switch_needed)
		return 0;
	/* Changing users resets it to fs.suid_dumpable: keep ours (0 in tlsmux-tls). */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	if (setgroups(1, &gid) < 0 || setgid(gid) < 0 || setuid(uid) < 0) {
		snprintf(err, err_size, "--user %s: %s", name,
			 log_strerror(errno));
		return EX_OSERR;
	}
	if (dumpable >= 0 && prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0) < 0) {
		snprintf(err, err_size, "--user %s: %s", name,
			 log_strerror(errno));
		return EX_OSERR;
	}
	if (setuid(0) == 0 || (gid != 0 && setgid(0) == 0) || getuid() != uid ||
	    geteuid() != uid || getgid() != gid || getegid() != gid) {
		snprintf(err, err_size, "--user %s: privileges still held after the switch",
			 name);
		return EX_OSERR;
	}
	return 0;
}

int sandbox_drop_user(const char *name, char *err, size_t err_size)
{
	struct sandbox_user u;
	int rc = sandbox_user_find(name, &u, err, err_size);

	return rc != 0 ? rc : sandbox_user_switch(&u, err, err_size);
}
