/*
 * tlsmux: one accepted connection, TLS or plain, on one port.
 *
 * Started per connection (systemd Accept=yes, inetd, xinetd, tcpserver).
 * Peek at the first bytes; a TLS ClientHello execs tlsmux-tls, anything
 * else is pumped as is to the backend.  This program never links GnuTLS,
 * so a plain connection does not pay for loading it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "backend.h"
#include "clock.h"
#include "conn.h"
#include "landlock.h"
#include "log.h"
#include "options.h"
#include "program.h"
#include "pump.h"
#include "route.h"
#include "sandbox.h"
#include "sniff.h"

#ifndef TLSMUX_VERSION
#define TLSMUX_VERSION "0"
#endif
#ifndef TLSMUX_LIBEXECDIR
#define TLSMUX_LIBEXECDIR "/usr/local/libexec/tlsmux"
#endif

static long start_ms;
static struct client connection;
static int narrowed;	/* under the Landlock domain: see narrow_files */

static int finish(struct log_summary *s, int exit_code)
{
	return conn_finish(&connection, s, start_ms, exit_code);
}

/*
 * The TLS helper sits next to this binary (build tree, relocated
 * install) or in the configured libexec directory.
 */
static const char *tls_helper(void)
{
	static char path[PATH_MAX + 16];
	char self[PATH_MAX];
	ssize_t n;

	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/tlsmux-tls", self);
			if (access(path, X_OK) == 0)
				return path;
		}
	}
	snprintf(path, sizeof path, "%s/tlsmux-tls", TLSMUX_LIBEXECDIR);
	return path;
}

static void exec_tls_helper(char **argv, const struct client *c)
{
	const char *path = tls_helper();

	conn_export(c, start_ms, narrowed);
	argv[0] = "tlsmux-tls";
	execv(path, argv);
	log_error("cannot run %s: %s", path, log_strerror(errno));
}

/* Logs why the sandbox could not be entered; the connection ends. */
static int sandbox_failed(struct log_summary *s)
{
	log_error("sandbox: %s", log_strerror(errno));
	s->closed = "tlsmux";
	return EX_OSERR;
}

/*
 * The file system narrowed to what the connection reads (landlock.h);
 * the TLS helper may still be exec'd, and runs under this domain: it
 * then skips making its own from the same list.  0, or -1 with errno.
 */
static int narrow_files(const struct options *o)
{
	if (landlock_enter(o, tls_helper()) < 0)
		return -1;
	narrowed = 1;
	return 0;
}

/* Detection is over: what is left needs no privilege. */
static int drop_user(const struct options *o, struct log_summary *s)
{
	char err[1024];
	int rc = o->user ? sandbox_drop_user(o->user, err, sizeof err) : 0;

	if (rc != 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
	}
	return rc;
}

static int relay_plain(const struct options *o, struct client *from,
		       const struct route_target *target,
		       struct log_summary *s)
{
	char err[1024];
	static char unique_id[33];
	const struct addr *used;

	s->path = "plain";
	s->phase = "connect";
	/* With --exec or --cert-dir, tlsmux is not narrowed from its start. */
	if ((o->exec != NULL || o->cert_dir != NULL) && narrow_files(o) < 0)
		return sandbox_failed(s);
	int rc = drop_user(o, s);
	if (rc != 0)
		return rc;
	/*
	 * No filter for the connect: no client byte is parsed before the
	 * relay starts, and a filter costs every connection (sandbox.h).
	 */
	int fd = backend_connect_list(target->backends, target->count,
				      o->connect_timeout_ms, &used, err,
				      sizeof err);
	if (fd < 0) {
		log_error("no backend reachable: %s", err);
		s->closed = "tlsmux";
		return EX_UNAVAILABLE;
	}
	s->backend = used->text;
	if (o->send_proxy != SEND_PROXY_NONE) {
		struct proxyproto_header h;
		conn_proxy_header(from, &h);
		/* SSL TLV with client=0: one backend can tell plain from TLS. */
		h.ssl.present = 1;
		h.ssl.verify = 1;
		rc = backend_send_proxy(fd, o, &h, unique_id, used, err,
					sizeof err);
		s->unique_id = unique_id;
		if (rc != 0) {
			log_error("%s", err);
			close(fd);
			s->closed = "backend";
			return rc;
		}
	}
	s->phase = "pump";
	if (sandbox_enter(SANDBOX_PUMP) < 0) {
		close(fd);
		return sandbox_failed(s);
	}

	struct pump_end client = {.name = "client", .rfd = from->in_fd,
				  .wfd = from->out_fd};
	struct pump_end backend = {.name = "backend", .rfd = fd, .wfd = fd};
	struct pump_result r;
	pump_run(&client, &backend, from->prefix, from->prefix_len,
		 o->idle_timeout_ms, &r);
	close(fd);
	return log_pump_result(&r, o->idle_timeout_ms, s);
}

/* Replace fd with /dev/null: the program alone holds the connection. */
static void give_up_fd(int fd)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, fd);
		close(null);
	}
}

/*
 * --exec on the plain path: the program runs on the client's own socket,
 * nothing in between.  Bytes consumed from a pipe must be replayed, so
 * that case goes through a socketpair and the pump instead.  The program
 * runs as --user but outside the sandbox: it is forked before the filter,
 * which then holds tlsmux alone (waiting for that one child included).
 */
static int run_program(const struct options *o, struct client *c,
		       const char *command, struct log_summary *s)
{
	static char words[4096], storage[8192], label[300], status[32];
	static char *argv[PROGRAM_MAX_ARGS], *envp[PROGRAM_MAX_ENV];
	char err[1024];

	s->path = "plain";
	s->phase = "connect";
	program_split(command, words, sizeof words, argv, PROGRAM_MAX_ARGS);
	snprintf(label, sizeof label, "exec:%s", argv[0]);
	s->backend = label;
	conn_destination(c);
	struct program_facts facts = {.remote = &c->source,
				      .local = &c->destination};
	if (program_environment(environ, &facts, envp, PROGRAM_MAX_ENV, storage,
				sizeof storage) < 0) {
		log_error("--exec %s: environment too large", argv[0]);
		s->closed = "tlsmux";
		return EX_SOFTWARE;
	}

	int rc = drop_user(o, s);
	if (rc != 0)
		return rc;
	if (c->prefix_len > 0) {
		struct pump_end client = {.name = "client", .rfd = c->in_fd,
					  .wfd = c->out_fd};
		struct pump_result r;
		struct program_run run;
		if (program_open(argv, envp, &run, err, sizeof err) < 0) {
			log_error("%s", err);
			s->closed = "tlsmux";
			return EX_UNAVAILABLE;
		}
		if (narrow_files(o) < 0 ||
		    sandbox_enter_with_child(SANDBOX_PUMP, run.pid) < 0) {
			close(run.fd);	/* the program sees its end of input */
			program_wait(run.pid, PROGRAM_EXIT_GRACE_MS, status,
				     sizeof status);
			return sandbox_failed(s);
		}
		rc = program_relay(&run, &client, c->prefix, c->prefix_len,
				   o->idle_timeout_ms, &r, status,
				   sizeof status);
		s->program = status;
		int exit_code = log_pump_result(&r, o->idle_timeout_ms, s);
		if (rc != 0)
			log_error("program %s ended with %s", argv[0], status);
		return exit_code;
	}

	pid_t pid = program_start(argv, envp, c->in_fd, c->out_fd,
				  log_stderr_is_safe() ? 2 : -1, err,
				  sizeof err);
	if (pid < 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
		return EX_UNAVAILABLE;
	}
	give_up_fd(c->in_fd);
	give_up_fd(1);
	c->is_socket = 0;	/* nothing left to abort */
	if (narrow_files(o) < 0 ||
	    sandbox_enter_with_child(SANDBOX_PUMP, pid) < 0) {
		program_wait(pid, -1, status, sizeof status);
		s->program = status;
		return sandbox_failed(s);
	}
	s->phase = "program";
	s->bytes_unknown = 1;
	rc = program_wait(pid, -1, status, sizeof status);
	s->program = status;
	s->phase = "done";
	if (rc != 0)
		log_error("program %s ended with %s", argv[0], status);
	return 0;
}

/*
 * Wait for the client's first bytes and classify them into *kind (a
 * silent client is plain, unless --on-silence close).  Returns -1 to go
 * on, or the exit code of a connection that ended.
 */
static int detect(const struct options *o, struct log_summary *s,
		  enum sniff_result *kind)
{
	size_t seen;

	switch (conn_detect(&connection, o->detect_timeout_ms, kind, &seen)) {
	case DETECT_DONE:
		break;
	case DETECT_CLOSED:
		s->closed = "client";
		return finish(s, 0);
	case DETECT_ERROR:
		log_error("client: %s", log_strerror(errno));
		s->closed = "client";
		return finish(s, EX_IOERR);
	case DETECT_SILENT:
		if (o->on_silence == SILENCE_CLOSE) {
			log_error("client silent for %ld.%03lds: closing",
				  o->detect_timeout_ms / 1000,
				  o->detect_timeout_ms % 1000);
			s->closed = "tlsmux";
			return finish(s, EX_TEMPFAIL);
		}
		*kind = SNIFF_PLAIN;
		break;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct options o;
	char err[1024];

	start_ms = clock_now_ms();
	signal(SIGPIPE, SIG_IGN);
	options_defaults(&o);
	int rc = options_parse(&o, argc, argv, err, sizeof err);
	log_init(rc == 0 ? o.log : LOG_TO_AUTO);
	if (rc != 0) {
		log_error("%s", err);
		return rc;
	}
	if (o.help) {
		options_usage(stdout);
		return 0;
	}
	if (o.version) {
		puts("tlsmux " TLSMUX_VERSION);
		return 0;
	}
	if (o.check || o.new_ticket_key) {
		struct client none = {0};
		exec_tls_helper(argv, &none);
		return EX_OSERR;
	}
	if ((rc = options_validate(&o, err, sizeof err)) != 0) {
		log_error("%s", err);
		return rc;
	}

	conn_setup(&connection);
	struct log_summary s = {.client = connection.addr, .path = "none",
				.phase = "detect",
				.extra = options_log_fields(&o)};
	/*
	 * Before any byte of the client's is read.  An --exec program must
	 * not inherit the domain: then each path narrows once it started it.
	 * A --cert-dir entry may link anywhere: tlsmux-tls narrows once the
	 * handshake has read it.
	 */
	if (o.exec == NULL && o.cert_dir == NULL && narrow_files(&o) < 0)
		return finish(&s, sandbox_failed(&s));

	/* --accept-proxy: the balancer's header, before the client's bytes. */
	if (o.accept_proxy) {
		rc = conn_take_proxy(&connection, o.proxy_from,
				     o.proxy_from_count, o.detect_timeout_ms, &s);
		if (rc >= 0)
			return finish(&s, rc);
		s.phase = "detect";
	}
	enum sniff_result kind = SNIFF_PLAIN;
	if ((rc = detect(&o, &s, &kind)) >= 0)
		return rc;

	switch (kind) {
	case SNIFF_TLS:
		exec_tls_helper(argv, &connection);
		s.path = "tls";
		s.closed = "tlsmux";
		return finish(&s, EX_OSERR);
	case SNIFF_SSLV2:
		log_error("client sent an SSLv2 hello: refused");
		s.path = "sslv2";
		s.closed = "tlsmux";
		return finish(&s, EX_PROTOCOL);
	case SNIFF_PLAIN:
	case SNIFF_NEED_MORE:
		break;
	}
	struct route_table table;
	struct route_target target;
	options_route_table(&o, &table);
	route_decide(&table, 0, NULL, NULL, 0, &target);
	if (target.exec != NULL)
		return finish(&s, run_program(&o, &connection, target.exec, &s));
	return finish(&s, relay_plain(&o, &connection, &target, &s));
}
