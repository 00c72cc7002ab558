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
#include "landlock.h"
#include "log.h"
#include "options.h"
#include "program.h"
#include "pump.h"
#include "route.h"
#include "sandbox.h"
#include "ticket.h"
#include "tls.h"

static long start_ms;
static struct client connection;

/*
 * The connection is over: log it and end.  _exit, not exit: GnuTLS's
 * destructor would free, one by one, what the kernel frees at once (3%
 * of a TLS connection's instructions).  Nothing is left to flush: log
 * lines are written whole, the socket is not a stdio stream.
 */
static _Noreturn void finish(struct log_summary *s, int exit_code)
{
	_exit(conn_finish(&connection, s, start_ms, exit_code));
}

/* The PROXY v2 TLVs that describe the session (v1 carries none). */
static void proxy_tls_header(struct tls_conn *t, const struct tls_facts *f,
			     struct proxyproto_header *h)
{
	conn_proxy_header(&connection, h);
	if (t->alpn_len > 0) {
		h->alpn.data = (const unsigned char *)t->alpn;
		h->alpn.len = t->alpn_len;
	}
	if (t->sni[0] != '\0') {
		h->authority.data = (const unsigned char *)t->sni;
		h->authority.len = strlen(t->sni);
	}
	h->ssl.present = 1;
	h->ssl.client = PROXYPROTO_CLIENT_SSL;
	/* CERT_CONN: sent in this handshake; CERT_SESS: the session has one. */
	if (f->peer_cert_conn)
		h->ssl.client |= PROXYPROTO_CLIENT_CERT_CONN;
	if (f->peer_cert)
		h->ssl.client |= PROXYPROTO_CLIENT_CERT_SESS;
	/* The spec: 0 only for a client certificate that was verified. */
	h->ssl.verify = f->peer_cert ? 0 : 1;
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
	if (sandbox_enter(SANDBOX_PUMP) < 0) {
		log_error("sandbox: %s", log_strerror(errno));
		s->closed = "tlsmux";
		close(fd);
		return EX_OSERR;
	}

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

/*
 * --exec: the program gets the decrypted stream through a socketpair.
 * The spawner, forked before the key was read and before the filter,
 * execs it: a child forked now would inherit the filter.
 */
static int run_program(const struct options *o, struct tls_conn *t,
		       struct program_spawner *spawner, const char *command,
		       struct log_summary *s)
{
	static char label[300], status[32];
	struct tls_facts f;
	char err[1024];

	s->phase = "connect";
	/* The program's name, as program_split finds it in the spawner. */
	command += strspn(command, " \t");
	snprintf(label, sizeof label, "exec:%.*s", (int)strcspn(command, " \t"),
		 command);
	const char *name = label + strlen("exec:");
	s->backend = label;
	tls_get_facts(t, &f);
	struct program_facts facts = {
		.tls = 1, .protocol = f.version, .cipher = f.cipher,
		.sni = t->sni, .peer_subject = f.peer_subject,
		.peer_cn = f.peer_cn,
	};
	struct program_run run;
	if (program_spawner_run(spawner, name, &facts, &run, err,
				sizeof err) < 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
		gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
				  GNUTLS_A_INTERNAL_ERROR);
		return EX_UNAVAILABLE;
	}
	if (sandbox_enter_with_child(SANDBOX_PUMP, run.pid) < 0) {
		log_error("sandbox: %s", log_strerror(errno));
		s->closed = "tlsmux";
		close(run.fd);
		program_wait(run.pid, PROGRAM_EXIT_GRACE_MS, status,
			     sizeof status);
		s->program = status;
		return EX_OSERR;
	}
	struct pump_end client = {.name = "client", .rfd = connection.in_fd,
				  .wfd = connection.out_fd, .ops = &tls_pump_ops,
				  .ctx = t};
	struct pump_result r;
	int rc = program_relay(&run, &client, NULL, 0, o->idle_timeout_ms, &r,
			       status, sizeof status);
	s->program = status;
	int exit_code = log_pump_result(&r, o->idle_timeout_ms, s);
	s->client_eof = t->client_eof;
	if (rc != 0)
		log_error("program %s ended with %s", name, status);
	return exit_code;
}

static int enter_connect_sandbox(pid_t child, char *err, size_t err_size)
{
	if (sandbox_enter_with_child(SANDBOX_CONNECT, child) == 0)
		return 0;
	snprintf(err, err_size, "sandbox: %s", log_strerror(errno));
	return EX_OSERR;
}

/*
 * Parse the options; --check and --new-ticket-key run here.  Returns -1
 * for a connection to serve, or the exit code.
 */
static int configure(struct options *o, int argc, char **argv)
{
	char err[1024];
	int rc = options_parse(o, argc, argv, err, sizeof err);

	log_init(rc == 0 ? o->log : LOG_TO_AUTO);
	if (rc != 0) {
		log_error("%s", err);
		return rc;
	}
	if (o->check) {
		log_init_command();
		return check_run(o);
	}
	if (o->new_ticket_key) {
		log_init_command();
		rc = ticket_key_write_new(o->new_ticket_key, err, sizeof err);
		if (rc != 0)
			log_error("%s", err);
		return rc;
	}
	if ((rc = options_validate(o, err, sizeof err)) != 0) {
		log_error("%s", err);
		return rc;
	}
	return -1;
}

/* --exec's spawner, forked before the key is read: see program.h. */
static void start_spawner(const struct options *o,
			  struct program_spawner *spawner,
			  struct log_summary *s)
{
	char err[1024];

	conn_destination(&connection);
	struct program_facts base = {.remote = &connection.source,
				     .local = &connection.destination};
	if (program_spawner_start(spawner, o->exec, &base, o->user, err,
				  sizeof err) < 0) {
		log_error("%s", err);
		s->closed = "tlsmux";
		finish(s, EX_OSERR);
	}
}

/*
 * The files this process reads, and nothing else.  When tlsmux narrowed
 * itself (narrowed), this process runs under that domain, inherited
 * across exec, and a second one from the same options would cost 65-110
 * us for nothing: the first only adds the right to exec tlsmux-tls, this
 * very program, which the package puts beneath /usr, executable under
 * both; and once the seccomp filter is on, execve is refused anyway.
 * Otherwise (--exec, or a launcher started this process directly) its
 * own; with --cert-dir, once the handshake has read the chosen entry.
 */
static void narrow_files(const struct options *o, int narrowed,
			 struct program_spawner *spawner,
			 struct log_summary *s)
{
	if (narrowed) {
		landlock_probe();	/* what the inherited domain allows */
		return;
	}
	if (o->cert_dir == NULL && landlock_enter(o, NULL) < 0) {
		log_error("sandbox: %s", log_strerror(errno));
		s->closed = "tlsmux";
		program_spawner_cancel(spawner);
		finish(s, EX_OSERR);
	}
}

/*
 * The certificate and key are read during the handshake, once the
 * client's SNI has chosen them.  Without --user the handshake already
 * runs in the sandbox (it allows read-only opens); with --user it runs
 * first, so that a root-only key can be read, then privileges go.
 */
static int handshake(const struct options *o, struct tls_conn *t,
		     pid_t spawner, char *err, size_t err_size)
{
	struct sandbox_user user;
	int rc = tls_start(t, o, &connection, err, err_size);

	if (rc == 0 && o->user != NULL)
		rc = sandbox_user_find(o->user, &user, err, err_size);
	if (rc == 0 && o->user == NULL)
		rc = enter_connect_sandbox(spawner, err, err_size);
	if (rc == 0)
		rc = tls_handshake(t, o->handshake_timeout_ms, err, err_size);
	if (rc == 0 && o->cert_dir != NULL && landlock_enter(o, NULL) < 0) {
		snprintf(err, err_size, "sandbox: %s", log_strerror(errno));
		rc = EX_OSERR;
	}
	if (rc == 0 && o->user != NULL) {
		rc = sandbox_user_switch(&user, err, err_size);
		if (rc == 0)
			rc = enter_connect_sandbox(spawner, err, err_size);
	}
	return rc;
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
	int rc = configure(&o, argc, argv);
	if (rc >= 0)
		return rc;

	start_ms = clock_now_ms();
	int narrowed;
	int direct = conn_import(&connection, &start_ms, &narrowed) < 0;
	if (direct)
		conn_setup(&connection);	/* started directly by a launcher */
	struct log_summary s = {.client = connection.addr, .path = "tls",
				.phase = "handshake", .via = connection.via,
				.extra = options_log_fields(&o)};
	/* --accept-proxy when a launcher started us directly: the header, or the end. */
	if (direct && o.accept_proxy) {
		rc = conn_take_proxy(&connection, o.proxy_from,
				     o.proxy_from_count, o.detect_timeout_ms, &s);
		if (rc >= 0)
			finish(&s, rc);
		s.phase = "handshake";
	}

	/* Before the key and the filter: see program.h. */
	struct program_spawner spawner = {.pid = -1, .control = -1,
					  .stream = -1};
	if (o.exec != NULL && o.tls_backend_count == 0)
		start_spawner(&o, &spawner, &s);
	narrow_files(&o, narrowed, &spawner, &s);

	rc = handshake(&o, &t, spawner.pid, err, sizeof err);
	if (rc != 0) {
		log_error("%s", err);
		s.closed = t.transport_eof ? "client" : "tlsmux";
		program_spawner_cancel(&spawner);
		tls_free(&t);
		finish(&s, rc);
	}
	tls_describe(&t, &s);

	struct route_table table;
	struct route_target target;
	options_route_table(&o, &table);
	route_decide(&table, 1, t.sni, (const unsigned char *)t.alpn,
		     t.alpn_len, &target);
	if (target.exec != NULL) {
		rc = run_program(&o, &t, &spawner, target.exec, &s);
	} else {
		program_spawner_cancel(&spawner);
		rc = relay_tls(&o, &t, &target, &s);
	}
	tls_free(&t);
	finish(&s, rc);
}
