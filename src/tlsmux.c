/*
 * tlsmux: one accepted connection, TLS or plain, on one port.
 *
 * Started per connection (systemd Accept=yes, inetd, xinetd, tcpserver).
 * Peek at the first bytes; a TLS ClientHello execs tlsmux-tls, anything
 * else is pumped as is to the backend.  This program never links GnuTLS,
 * so a plain connection does not pay for loading it.
 */
#include <errno.h>
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
#include "log.h"
#include "options.h"
#include "pump.h"
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

static int finish(struct log_summary *s, int exit_code)
{
	if (exit_code != 0)
		conn_abort(&connection);
	s->exit_code = exit_code;
	s->duration_ms = clock_now_ms() - start_ms;
	log_summary(s);
	return exit_code;
}

/*
 * The TLS helper sits next to this binary (build tree, relocated
 * install) or in the configured libexec directory.
 */
static void exec_tls_helper(char **argv, const struct client *c)
{
	char self[PATH_MAX], path[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	conn_export(c, start_ms);
	argv[0] = "tlsmux-tls";
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash != NULL) {
			*slash = '\0';
			snprintf(path, sizeof path, "%s/tlsmux-tls", self);
			if (access(path, X_OK) == 0)
				execv(path, argv);
		}
	}
	snprintf(path, sizeof path, "%s/tlsmux-tls", TLSMUX_LIBEXECDIR);
	execv(path, argv);
	log_error("cannot run %s: %s", path, log_strerror(errno));
}

static int sandbox_failed(struct log_summary *s)
{
	log_error("sandbox: %s", log_strerror(errno));
	s->closed = "tlsmux";
	return EX_OSERR;
}

static int relay_plain(const struct options *o, const struct client *from,
		       struct log_summary *s)
{
	char err[1024];
	const struct addr *used;

	s->path = "plain";
	s->phase = "connect";
	/* Detection is over: what is left needs no privilege. */
	int rc = o->user ? sandbox_drop_user(o->user, err, sizeof err) : 0;
	if (rc != 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
		return rc;
	}
	/*
	 * No filter for the connect: no client byte is parsed before the
	 * relay starts, and a filter costs every connection (sandbox.h).
	 */
	int fd = backend_connect(o, &used, err, sizeof err);
	if (fd < 0) {
		log_error("no backend reachable: %s", err);
		s->closed = "tlsmux";
		return EX_UNAVAILABLE;
	}
	s->backend = used->text;
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
		fputs(options_usage, stdout);
		return 0;
	}
	if (o.version) {
		puts("tlsmux " TLSMUX_VERSION);
		return 0;
	}
	if (o.check) {
		struct client none = {0};
		exec_tls_helper(argv, &none);
		return EX_OSERR;
	}
	if (o.backend_count == 0) {
		log_error("no --backend given");
		return EX_USAGE;
	}

	conn_setup(&connection);
	struct log_summary s = {.client = connection.addr, .path = "none",
				.phase = "detect"};

	enum sniff_result kind = SNIFF_PLAIN;
	size_t seen;
	switch (conn_detect(&connection, o.detect_timeout_ms, &kind, &seen)) {
	case DETECT_DONE:
		break;
	case DETECT_CLOSED:
		s.closed = "client";
		return finish(&s, 0);
	case DETECT_ERROR:
		log_error("client: %s", log_strerror(errno));
		s.closed = "client";
		return finish(&s, EX_IOERR);
	case DETECT_SILENT:
		if (o.on_silence == SILENCE_CLOSE) {
			log_error("client silent for %ld.%03lds: closing",
				  o.detect_timeout_ms / 1000,
				  o.detect_timeout_ms % 1000);
			s.closed = "tlsmux";
			return finish(&s, EX_TEMPFAIL);
		}
		kind = SNIFF_PLAIN;
		break;
	}

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
	return finish(&s, relay_plain(&o, &connection, &s));
}
