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
#include "tls.h"

static long start_ms;

static int finish(struct log_summary *s, int exit_code)
{
	s->exit_code = exit_code;
	s->duration_ms = clock_now_ms() - start_ms;
	log_summary(s);
	return exit_code;
}

/* TLSMUX_STATE from tlsmux: "START_MS:HEXBYTES" (bytes read from a pipe). */
static void state_restore(struct client *c)
{
	const char *state = getenv("TLSMUX_STATE");
	char *p;

	start_ms = clock_now_ms();
	if (state == NULL)
		return;
	long start = strtol(state, &p, 10);
	if (*p == ':' && start > 0 && start <= start_ms)
		start_ms = start;
	if (*p == ':')
		p++;
	for (c->prefix_len = 0; c->prefix_len < sizeof c->prefix &&
				 p[0] != '\0' && p[1] != '\0';
	     p += 2) {
		unsigned byte;
		if (sscanf(p, "%2x", &byte) != 1)
			break;
		c->prefix[c->prefix_len++] = (unsigned char)byte;
	}
	unsetenv("TLSMUX_STATE");
}

int main(int argc, char **argv)
{
	struct options o;
	struct client c;
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
	if (o.check)
		return check_run(&o);

	conn_setup(&c);
	state_restore(&c);
	struct log_summary s = {.client = c.addr, .path = "tls",
				.phase = "handshake"};

	rc = tls_start(&t, &o, &c, err, sizeof err);
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

	struct pump_end client = {.name = "client", .rfd = c.in_fd,
				  .wfd = c.out_fd, .ops = &tls_pump_ops,
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
