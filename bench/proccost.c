/*
 * proccost: what one connection's process costs, in turns with others,
 * one connection at a time, so that the figures move little with the
 * machine's load.  Each round starts each command once on an accepted
 * loopback TCP connection (fds 0 and 1, as inetd does), sends one HTTP GET
 * /1k with Connection: close, reads to the end, and takes the child's
 * rusage: CPU (user+system, fork to exit), minor page faults, context
 * switches.  Prints the median (and the first quartile) per command, and
 * its ratio to the first command.
 *   proccost ROUNDS 'CMD ARGS...' 'CMD ARGS...' ...
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_COMMANDS 8
#define MAX_WORDS 32

struct figures {
	double *cpu_us, *faults, *switches;
};

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, by_value);
	return v[n / 2];
}

/* One connection through argv; 0, or -1 when the command failed. */
static int one(int listener, const struct sockaddr_in *sa, char **argv,
	       struct rusage *ru)
{
	static const char request[] =
		"GET /1k HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
	char buf[65536];
	int one = 1, status;
	size_t got = 0;
	ssize_t n;
	int client = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(client, (const struct sockaddr *)sa, sizeof *sa) < 0)
		return -1;
	int conn = accept(listener, NULL, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(conn, 0);
		dup2(conn, 1);
		close(conn);
		close(client);
		close(listener);
		execv(argv[0], argv);
		_exit(127);
	}
	close(conn);
	if (write(client, request, sizeof request - 1) < 0)
		return -1;
	while ((n = read(client, buf, sizeof buf)) > 0)
		got += (size_t)n;
	close(client);
	if (wait4(pid, &status, 0, ru) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || got < 1024) {
		fprintf(stderr, "proccost: %s: status %#x, %zu bytes\n", argv[0],
			status, got);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 2 ? atoi(argv[1]) : 0, count = argc - 2;
	char *words[MAX_COMMANDS][MAX_WORDS + 1];
	struct figures f[MAX_COMMANDS];
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;

	if (rounds < 1 || count < 1 || count > MAX_COMMANDS) {
		fprintf(stderr, "usage: proccost ROUNDS 'CMD ARGS...'... (up to %d)\n",
			MAX_COMMANDS);
		return 64;
	}
	for (int c = 0; c < count; c++) {
		int k = 0;
		for (char *w = strtok(strdup(argv[c + 2]), " "); w && k < MAX_WORDS;
		     w = strtok(NULL, " "))
			words[c][k++] = w;
		words[c][k] = NULL;
		f[c].cpu_us = calloc((size_t)rounds, sizeof(double));
		f[c].faults = calloc((size_t)rounds, sizeof(double));
		f[c].switches = calloc((size_t)rounds, sizeof(double));
	}
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(listener, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(listener, 16) < 0 ||
	    getsockname(listener, (struct sockaddr *)&sa, &len) < 0) {
		perror("proccost: listen");
		return 71;
	}
	for (int i = 0; i < rounds; i++)
		for (int c = 0; c < count; c++) {
			struct rusage ru;
			if (one(listener, &sa, words[c], &ru) < 0)
				return 1;
			f[c].cpu_us[i] = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
					 ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
			f[c].faults[i] = (double)ru.ru_minflt;
			f[c].switches[i] = (double)(ru.ru_nvcsw + ru.ru_nivcsw);
		}
	double first = 0;
	printf("%-44s %9s %9s %7s %7s %9s\n", "per connection (median)", "CPU us",
	       "(1st qu.)", "ratio", "faults", "switches");
	for (int c = 0; c < count; c++) {
		double cpu = median(f[c].cpu_us, rounds);
		if (c == 0)
			first = cpu;
		printf("%-44.44s %9.0f %9.0f %6.2fx %7.0f %9.0f\n", argv[c + 2], cpu,
		       f[c].cpu_us[rounds / 4], cpu / first,
		       median(f[c].faults, rounds), median(f[c].switches, rounds));
	}
	return 0;
}
