/* test_program: --exec's argument split and environment, and exit statuses. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "program.h"
#include "unit.h"

static void split_forms(void)
{
	char buf[256], *argv[PROGRAM_MAX_ARGS];

	CHECK_INT(program_split("/bin/cat", buf, sizeof buf, argv,
				PROGRAM_MAX_ARGS), 1);
	CHECK_STR(argv[0], "/bin/cat");
	CHECK(argv[1] == NULL);
	CHECK_INT(program_split("  /usr/bin/env \t -i  A=1 prog ", buf, sizeof buf,
				argv, PROGRAM_MAX_ARGS), 4);
	CHECK_STR(argv[0], "/usr/bin/env");
	CHECK_STR(argv[1], "-i");
	CHECK_STR(argv[2], "A=1");
	CHECK_STR(argv[3], "prog");
	CHECK(argv[4] == NULL);
	/* No quoting: quotes are bytes like any other. */
	CHECK_INT(program_split("sh -c 'echo hi'", buf, sizeof buf, argv,
				PROGRAM_MAX_ARGS), 4);
	CHECK_STR(argv[2], "'echo");

	CHECK_INT(program_split("", buf, sizeof buf, argv, PROGRAM_MAX_ARGS), -1);
	CHECK_INT(program_split(" \t ", buf, sizeof buf, argv, PROGRAM_MAX_ARGS), -1);
	CHECK_INT(program_split("a b c", buf, 4, argv, PROGRAM_MAX_ARGS), -1);
	CHECK_INT(program_split("a b c", buf, sizeof buf, argv, 3), -1);
	CHECK_INT(program_split("a b", buf, sizeof buf, argv, 3), 2);
}

static int has(char **env, const char *entry)
{
	for (; *env != NULL; env++)
		if (strcmp(*env, entry) == 0)
			return 1;
	return 0;
}

static int has_name(char **env, const char *name)
{
	size_t len = strlen(name);

	for (; *env != NULL; env++)
		if (strncmp(*env, name, len) == 0 && (*env)[len] == '=')
			return 1;
	return 0;
}

static void environment_tls(void)
{
	char *inherited[] = {
		"PATH=/usr/bin:/bin", "HOME=/root",
		"CREDENTIALS_DIRECTORY=/run/credentials/tlsmux@1.service",
		"TLSMUX_STATE=1:1:", "LISTEN_FDS=1", "LISTEN_PID=7",
		"TCPREMOTEIP=10.9.9.9", "SSL_CIPHER=stale", "TLS=0", "PROTO=UNIX",
		"TCPLOCALHOST=stale", NULL,
	};
	struct proxyproto_endpoint remote = {.family = AF_INET6, .port = 40000},
				   local = {.family = AF_INET, .port = 443};
	inet_pton(AF_INET6, "2001:db8::7", remote.ip);
	inet_pton(AF_INET, "192.0.2.9", local.ip);
	struct program_facts f = {
		.remote = &remote, .local = &local, .tls = 1,
		.protocol = "TLSv1.3", .cipher = "TLS_AES_256_GCM_SHA384",
		.sni = "fix.example.com", .peer_subject = "",
	};
	char *env[PROGRAM_MAX_ENV], storage[2048];

	int n = program_environment(inherited, &f, env, PROGRAM_MAX_ENV, storage,
				    sizeof storage);
	CHECK_INT(n, 11);
	CHECK(has(env, "PATH=/usr/bin:/bin"));
	CHECK(has(env, "HOME=/root"));
	CHECK(!has_name(env, "CREDENTIALS_DIRECTORY"));
	CHECK(!has_name(env, "TLSMUX_STATE"));
	CHECK(!has_name(env, "LISTEN_FDS"));
	CHECK(!has_name(env, "LISTEN_PID"));
	CHECK(!has_name(env, "TCPLOCALHOST"));
	CHECK(!has(env, "TCPREMOTEIP=10.9.9.9"));
	CHECK(!has(env, "SSL_CIPHER=stale"));
	CHECK(has(env, "PROTO=TCP"));
	CHECK(has(env, "TCPREMOTEIP=2001:db8::7"));
	CHECK(has(env, "TCPREMOTEPORT=40000"));
	CHECK(has(env, "TCPLOCALIP=192.0.2.9"));
	CHECK(has(env, "TCPLOCALPORT=443"));
	CHECK(has(env, "TLS=1"));
	CHECK(has(env, "SSL_PROTOCOL=TLSv1.3"));
	CHECK(has(env, "SSL_CIPHER=TLS_AES_256_GCM_SHA384"));
	CHECK(has(env, "SSL_TLS_SNI_SERVERNAME=fix.example.com"));
	CHECK(!has_name(env, "SSL_PEER_CERT_SUBJECT"));
	CHECK(!has_name(env, "SSL_PEER_CERT_CN"));
	CHECK(env[n] == NULL);

	/* Too little room: an error, not a cut environment. */
	CHECK_INT(program_environment(inherited, &f, env, PROGRAM_MAX_ENV,
				      storage, 40), -1);
	CHECK_INT(program_environment(inherited, &f, env, 5, storage,
				      sizeof storage), -1);

	/* A verified client certificate: its subject and CN, blanks kept. */
	f.peer_subject = "CN=gw 01,O=Example Bank";
	f.peer_cn = "gw 01";
	CHECK_INT(program_environment(inherited, &f, env, PROGRAM_MAX_ENV,
				      storage, sizeof storage), 13);
	CHECK(has(env, "SSL_PEER_CERT_SUBJECT=CN=gw 01,O=Example Bank"));
	CHECK(has(env, "SSL_PEER_CERT_CN=gw 01"));
	/* Plain: none of the TLS variables, whatever the facts say. */
	f.tls = 0;
	CHECK_INT(program_environment(inherited, &f, env, PROGRAM_MAX_ENV,
				      storage, sizeof storage), 8);
	CHECK(!has_name(env, "SSL_PEER_CERT_SUBJECT"));
	CHECK(!has_name(env, "SSL_PEER_CERT_CN"));
}

static void environment_plain_unknown(void)
{
	char *inherited[] = {"SSL_PROTOCOL=stale", NULL};
	struct proxyproto_endpoint remote = {.family = AF_UNIX}, local = {0};
	struct program_facts f = {.remote = &remote, .local = &local,
				  .protocol = "ignored"};
	char *env[PROGRAM_MAX_ENV], storage[512];

	int n = program_environment(inherited, &f, env, PROGRAM_MAX_ENV, storage,
				    sizeof storage);
	CHECK_INT(n, 2);
	CHECK(has(env, "PROTO=TCP"));
	CHECK(has(env, "TLS=0"));
}

static void exit_statuses(void)
{
	char err[256], status[32];
	char *env[] = {NULL};
	char *three[] = {"/bin/sh", "-c", "exit 3", NULL};
	char *killed[] = {"/bin/sh", "-c", "kill -9 $$", NULL};
	char *missing[] = {"/nonexistent/program", NULL};
	char *slow[] = {"/bin/sh", "-c", "trap '' TERM; sleep 30", NULL};
	int pair[2];

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, pair), 0);
	pid_t pid = program_start(three, env, pair[1], pair[1], -1, err, sizeof err);
	CHECK(pid > 0);
	CHECK_INT(program_wait(pid, 5000, status, sizeof status), 1);
	CHECK_STR(status, "exit:3");

	pid = program_start(killed, env, pair[1], pair[1], -1, err, sizeof err);
	CHECK(pid > 0);
	CHECK_INT(program_wait(pid, -1, status, sizeof status), 1);
	CHECK_STR(status, "signal:9");

	pid = program_start(missing, env, pair[1], pair[1], -1, err, sizeof err);
	CHECK_INT(pid, -1);
	CHECK_STR(err, "cannot run /nonexistent/program: no such file or directory");

	/* One that ignores SIGTERM is killed after the grace and a second. */
	pid = program_start(slow, env, pair[1], pair[1], -1, err, sizeof err);
	CHECK(pid > 0);
	CHECK_INT(program_wait(pid, 100, status, sizeof status), 1);
	CHECK_STR(status, "signal:9");
	close(pair[0]);
	close(pair[1]);
}

int main(void)
{
	UNIT_RUN(split_forms);
	UNIT_RUN(environment_tls);
	UNIT_RUN(environment_plain_unknown);
	UNIT_RUN(exit_statuses);
	return unit_summary();
}
