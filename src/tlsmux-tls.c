/*
 * tlsmux-tls: the TLS half of tlsmux, exec'd by tlsmux when a connection
 * opens with a ClientHello (and for --check).  Reads the certificate and
 * key afresh, so a renewed certificate is served from the next
 * connection on; runs the handshake; connects to the backend; pumps the
 * decrypted bytes with the same half-close rules as the plain path.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "backend.h"
#include "check.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "options.h"
#include "pump.h"
#include "sandbox.h"
#include "tls.h"

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

int main(int argc, char **argv)
{
	struct options o;
	struct tls_conn t;
	char err[1024];

	signal(SIGPIPE, SIG_IGN);
	options_defaults(&o);
	int rc = options_parse(&o, argc, argv, err, sizeof err);
	log_init(rc == 0 ? o.log : LOG_TO_AUTO);
	if (rc != 0) {
		log_error("%s", err);
		return rc;
	}
	if (o.check) {
		log_init_command();
		return check_run(&o);
	}

	start_ms = clock_now_ms();
	if (conn_import(&connection, &start_ms) < 0)
		conn_setup(&connection);	/* started directly by a launcher */
	struct log_summary s = {.client = connection.addr, .path = "tls",
				.phase = "handshake"};

	/* The key is read: the rest, handshake first, runs unprivileged. */
	rc = tls_start(&t, &o, &connection, err, sizeof err);
	if (rc == 0 && o.user != NULL)
		rc = sandbox_drop_user(o.user, err, sizeof err);
	if (rc == 0 && sandbox_enter(SANDBOX_CONNECT) < 0) {
		snprintf(err, sizeof err, "sandbox: %s", log_strerror(errno));
		rc = EX_OSERR;
	}
	if (rc == 0)
		rc = tls_handshake(&t, o.handshake_timeout_ms, err, sizeof err);
	if (rc != 0) {
		log_error("%s", err);
		s.closed = t.transport_eof ? "client" : "tlsmux";
		tls_free(&t);
		return finish(&s, rc);
	}
	tls_describe(&t, &s.version, &s.cipher);
	s.sni = t.sni;

	const struct addr *used;
	s.phase = "connect";
	int fd = backend_connect(&o, &used, err, sizeof err);
	if (fd < 0) {
		log_error("no backend reachable: %s", err);
		s.closed = "tlsmux";
		gnutls_alert_send(t.session, GNUTLS_AL_FATAL,
				  GNUTLS_A_INTERNAL_ERROR);
		tls_free(&t);
		return finish(&s, EX_UNAVAILABLE);
	}
	s.backend = used->text;
	s.phase = "pump";
	if (sandbox_enter(SANDBOX_PUMP) < 0) {
		log_error("sandbox: %s", log_strerror(errno));
		s.closed = "tlsmux";
		close(fd);
		tls_free(&t);
		return finish(&s, EX_OSERR);
	}

	struct pump_end client = {.name = "client", .rfd = connection.in_fd,
				  .wfd = connection.out_fd, .ops = &tls_pump_ops,
				  .ctx = &t};
	struct pump_end backend = {.name = "backend", .rfd = fd, .wfd = fd};
	struct pump_result r;
	pump_run(&client, &backend, NULL, 0, o.idle_timeout_ms, &r);
	close(fd);
	rc = log_pump_result(&r, o.idle_timeout_ms, &s);
	s.client_eof = t.client_eof;
	tls_free(&t);
	return finish(&s, rc);
}
