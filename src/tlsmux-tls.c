/*
 * tlsmux-tls: the TLS half of tlsmux, exec'd by tlsmux when a connection
 * opens with a ClientHello (and for --check and --new-ticket-key).  Reads
 * the certificate and key afresh, so a renewed certificate is served from
 * the next connection on; runs the handshake; connects to the backend;
 * pumps the decrypted bytes with the same half-close rules as the plain
 * path.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sysexits.h>
#include <unistd.h>

#include "backend.h"
#include "check.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "options.h"
#include "program.h"
#include "pump.h"
#include "route.h"
#include "ticket.h"
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

/* The PROXY v2 TLVs that describe the session (v1 carries none). */
static void proxy_tls_header(struct tls_conn *t, const struct tls_facts *f,
			     struct proxyproto_header *h)
{
	conn_proxy_header(&connection, h);
	if (t->alpn_len > 0) {
		h->alpn.data = t->alpn;
		h->alpn.len = t->alpn_len;
	}
	if (t->sni[0] != '\0') {
		h->authority.data = (const unsigned char *)t->sni;
		h->authority.len = strlen(t->sni);
	}
	h->ssl.present = 1;
	h->ssl.client = PROXYPROTO_CLIENT_SSL;
	if (f->peer_cert)
		h->ssl.client |= PROXYPROTO_CLIENT_CERT_CONN |
				 PROXYPROTO_CLIENT_CERT_SESS;
	/* The spec: 0 only for a client certificate that was verified. */
	h->ssl.verify = f->peer_cert && f->peer_verified ? 0 : 1;
	const char *values[5] = {f->version, f->cipher, f->sig_alg, f->key_alg,
				 f->peer_cn};
	struct proxyproto_bytes *slots[5] = {&h->ssl.version, &h->ssl.cipher,
					     &h->ssl.sig_alg, &h->ssl.key_alg,
					     &h->ssl.cn};
	for (int i = 0; i < 5; i++) {
		if (values[i] != NULL && values[i][0] != '\0') {
			slots[i]->data = (const unsigned char *)values[i];
			slots[i]->len = strlen(values[i]);
		}
	}
}

static int relay_tls(const struct options *o, struct tls_conn *t,
		     const struct route_target *target, struct log_summary *s)
{
	static char unique_id[33];
	const struct addr *used;
	char err[1024];

	s->phase = "connect";
	int fd = backend_connect_list(target->backends, target->count,
				      o->connect_timeout_ms, &used, err,
				      sizeof err);
	if (fd < 0) {
		log_error("no backend reachable: %s", err);
		s->closed = "tlsmux";
		gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
				  GNUTLS_A_INTERNAL_ERROR);
		return EX_UNAVAILABLE;
	}
	s->backend = used->text;
	if (o->send_proxy != SEND_PROXY_NONE) {
		struct proxyproto_header h;
		struct tls_facts f;
		tls_get_facts(t, &f);
		proxy_tls_header(t, &f, &h);
		int rc = backend_send_proxy(fd, o, &h, unique_id, used, err,
					    sizeof err);
		s->unique_id = unique_id;
		if (rc != 0) {
			log_error("%s", err);
			close(fd);
			s->closed = "backend";
			gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
					  GNUTLS_A_INTERNAL_ERROR);
			return rc;
		}
	}
	s->phase = "pump";

	struct pump_end client = {.name = "client", .rfd = connection.in_fd,
				  .wfd = connection.out_fd, .ops = &tls_pump_ops,
				  .ctx = t};
	struct pump_end backend = {.name = "backend", .rfd = fd, .wfd = fd};
	struct pump_result r;
	pump_run(&client, &backend, NULL, 0, o->idle_timeout_ms, &r);
	close(fd);
	int rc = log_pump_result(&r, o->idle_timeout_ms, s);
	s->client_eof = t->client_eof;
	return rc;
}

/* --exec: the program gets the decrypted stream through a socketpair. */
static int run_program(const struct options *o, struct tls_conn *t,
		       const char *command, struct log_summary *s)
{
	static char words[4096], storage[8192], label[300], status[32];
	static char *argv[PROGRAM_MAX_ARGS], *envp[PROGRAM_MAX_ENV];
	struct tls_facts f;
	char err[1024];

	s->phase = "connect";
	program_split(command, words, sizeof words, argv, PROGRAM_MAX_ARGS);
	snprintf(label, sizeof label, "exec:%s", argv[0]);
	s->backend = label;
	tls_get_facts(t, &f);
	conn_destination(&connection);
	struct program_facts facts = {
		.remote = &connection.source, .local = &connection.destination,
		.tls = 1, .protocol = f.version, .cipher = f.cipher,
		.sni = t->sni, .peer_subject = f.peer_subject,
	};
	if (program_environment(environ, &facts, envp, PROGRAM_MAX_ENV, storage,
				sizeof storage) < 0) {
		log_error("--exec %s: environment too large", argv[0]);
		s->closed = "tlsmux";
		return EX_SOFTWARE;
	}
	struct pump_end client = {.name = "client", .rfd = connection.in_fd,
				  .wfd = connection.out_fd, .ops = &tls_pump_ops,
				  .ctx = t};
	struct pump_result r;
	int rc = program_relay(argv, envp, &client, NULL, 0, o->idle_timeout_ms,
			       &r, status, sizeof status, err, sizeof err);
	if (rc < 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
		gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
				  GNUTLS_A_INTERNAL_ERROR);
		return EX_UNAVAILABLE;
	}
	s->program = status;
	int exit_code = log_pump_result(&r, o->idle_timeout_ms, s);
	s->client_eof = t->client_eof;
	if (rc != 0)
		log_error("program %s ended with %s", argv[0], status);
	return exit_code;
}

int main(int argc, char **argv)
{
	struct options o;
	struct tls_conn t;
	char err[1024];

	signal(SIGPIPE, SIG_IGN);
	/*
	 * This process will hold the key: other processes of the same user,
	 * an --exec program included, may not read its memory or trace it.
	 */
	prctl(PR_SET_DUMPABLE, 0);
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
	if (o.new_ticket_key) {
		log_init_command();
		rc = ticket_key_write_new(o.new_ticket_key, err, sizeof err);
		if (rc != 0)
			log_error("%s", err);
		return rc;
	}
	if ((rc = options_validate(&o, err, sizeof err)) != 0) {
		log_error("%s", err);
		return rc;
	}

	start_ms = clock_now_ms();
	int direct = conn_import(&connection, &start_ms) < 0;
	if (direct)
		conn_setup(&connection);	/* started directly by a launcher */
	struct log_summary s = {.client = connection.addr, .path = "tls",
				.phase = "handshake", .via = connection.via,
				.extra = log_extra_fields(&o)};
	if (direct && o.accept_proxy) {
		s.phase = "proxy";
		rc = conn_accept_proxy(&connection, o.proxy_from,
				       o.proxy_from_count, o.detect_timeout_ms,
				       err, sizeof err);
		if (rc == EX_NOINPUT) {
			s.closed = "client";
			return finish(&s, 0);
		}
		if (rc != 0) {
			log_error("%s", err);
			s.closed = "tlsmux";
			return finish(&s, rc);
		}
		s.phase = "handshake";
	}

	rc = tls_start(&t, &o, &connection, err, sizeof err);
	if (rc == 0)
		rc = tls_handshake(&t, o.handshake_timeout_ms, err, sizeof err);
	if (rc != 0) {
		log_error("%s", err);
		s.closed = t.transport_eof ? "client" : "tlsmux";
		tls_free(&t);
		return finish(&s, rc);
	}
	tls_describe(&t, &s);

	struct route_target target;
	route_decide(&o, 1, t.sni, t.alpn, t.alpn_len, &target);
	if (target.exec != NULL)
		rc = run_program(&o, &t, target.exec, &s);
	else
		rc = relay_tls(&o, &t, &target, &s);
	tls_free(&t);
	return finish(&s, rc);
}
