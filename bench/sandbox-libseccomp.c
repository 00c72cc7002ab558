/*
 * The same two-stage filter as src/sandbox.c, built with libseccomp, to
 * measure what libseccomp would cost per start (bench/sandboxcost.sh).
 * Built with -DLINK_ONLY it links libseccomp but builds no filter: the
 * cost of loading the library alone.  With -DEXPORT_ONLY it builds the
 * filters and writes them to /dev/null instead of loading them, so that
 * callgrind can count the user-space work (a loaded filter would apply
 * to valgrind's own system calls).
 */
#include <fcntl.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>

static const int always[] = {
	SCMP_SYS(splice), SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(sendto),
	SCMP_SYS(recvfrom), SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(readv),
	SCMP_SYS(writev), SCMP_SYS(sendmsg), SCMP_SYS(recvmsg),
	SCMP_SYS(shutdown), SCMP_SYS(close), SCMP_SYS(pipe2), SCMP_SYS(dup3),
	SCMP_SYS(dup2), SCMP_SYS(fcntl), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(lseek), SCMP_SYS(statx), SCMP_SYS(getsockopt), SCMP_SYS(munmap),
	SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise), SCMP_SYS(futex),
	SCMP_SYS(getrandom), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall), SCMP_SYS(exit),
	SCMP_SYS(exit_group),
};
static const int connect_stage[] = {
	SCMP_SYS(socket), SCMP_SYS(connect), SCMP_SYS(bind),
	SCMP_SYS(setsockopt), SCMP_SYS(getsockname), SCMP_SYS(getpeername),
	SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg), SCMP_SYS(pread64),
	SCMP_SYS(mmap), SCMP_SYS(mprotect), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(uname), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
	SCMP_SYS(select), SCMP_SYS(pselect6),
};

static void stage(int connect)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_TRAP);
	const unsigned writes = O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND;

	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, always[i], 0);
	if (connect) {
		for (size_t i = 0; i < sizeof connect_stage / sizeof connect_stage[0]; i++)
			seccomp_rule_add(ctx, SCMP_ACT_ALLOW, connect_stage[i], 0);
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				 SCMP_A2(SCMP_CMP_MASKED_EQ, writes, 0));
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				 SCMP_A1(SCMP_CMP_EQ, FIONREAD));
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 0);
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 0);
	} else {
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				 SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0);
	}
#ifdef EXPORT_ONLY
	int null = open("/dev/null", O_WRONLY);
	if (seccomp_export_bpf(ctx, null) < 0)
		exit(71);
#else
	if (seccomp_load(ctx) < 0)
		exit(71);
#endif
	seccomp_release(ctx);
}

int main(void)
{
#ifdef LINK_ONLY
	return seccomp_api_get() == 0;	/* keeps the library linked */
#endif
	stage(1);
	stage(0);
	return 0;
}
