/*
 * CPU time (user + system, as getrusage counts it for children) of a
 * process that starts and exits, with no filter, with the relay filter
 * alone (the plain path), and with both stages (the TLS path): the
 * kernel's share of a filter (checking, compiling and pre-evaluating it
 * for every system call number) shows here and not in callgrind's counts.
 *   sandbox-cpu CHILDREN
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "sandbox.h"

static double children_cpu_us(void)
{
	struct rusage r;

	getrusage(RUSAGE_CHILDREN, &r);
	return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 + r.ru_utime.tv_usec +
	       r.ru_stime.tv_usec;
}

static double per_child(int n, int stages)
{
	double before = children_cpu_us();

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			if ((stages & 1) && sandbox_enter(SANDBOX_CONNECT) < 0)
				_exit(71);
			if ((stages & 2) && sandbox_enter(SANDBOX_PUMP) < 0)
				_exit(71);
			_exit(0);
		}
		int status;
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0) {
			fprintf(stderr, "child failed\n");
			exit(1);
		}
	}
	return (children_cpu_us() - before) / n;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	double sum[3] = {0, 0, 0};
	const int stages[3] = {0, 2, 3};

	log_init(LOG_TO_STDERR);
	for (int round = 0; round < 5; round++)	/* interleaved: load drifts */
		for (int i = 0; i < 3; i++)
			sum[i] += per_child(n, stages[i]);
	printf("CPU per process (fork+exit, %d x 5 each)\n", n);
	printf("  no filter                          %6.1f us\n", sum[0] / 5);
	printf("  relay filter (plain path)          %6.1f us  (+%.1f)\n", sum[1] / 5,
	       (sum[1] - sum[0]) / 5);
	printf("  connect + relay filters (TLS path) %6.1f us  (+%.1f)\n", sum[2] / 5,
	       (sum[2] - sum[0]) / 5);
	return 0;
}
