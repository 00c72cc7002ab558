/*
 * tls: GnuTLS over the client's fds.  The transport functions are ours:
 * when the pull function reads a bare FIN it records it and answers
 * EAGAIN, because GnuTLS would otherwise invalidate the session
 * (GNUTLS_E_PREMATURE_TERMINATION) and the reply to a client that only
 * ended its sending side would be lost.
 */
#include "tls.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "policy.h"
#include "route.h"
#include "ticket.h"

#define RENEGOTIATIONS_TOLERATED 3
/*
 * Reads of a certificate and key that fail, then the pauses before the
 * next read: 10 ms, then three times longer each time, 400 ms in all.
 * The deploy hook's two renames are two processes one after the other,
 * which on a loaded host can be tens of milliseconds apart.
 */
#define CREDENTIAL_ATTEMPTS 5
#define CREDENTIAL_FIRST_PAUSE_MS 10

/* Up to size bytes of from[*off, len) into buf; *off moves past them. */
static ssize_t tls_take(void *buf, size_t size, const unsigned char *from,
			size_t *off, size_t len)
{
	size_t n = len - *off;

	if (n > size)
		n = size;
	memcpy(buf, from + *off, n);
	*off += n;
	return (ssize_t)n;
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
	struct tls_conn *t = ptr;

	if (t->prefix_off < t->prefix_len)
		return tls_take(buf, size, t->prefix, &t->prefix_off, t->prefix_len);
	/*
	 * GnuTLS asks for a record's 5-byte header, then for its body: read
	 * ahead, so that one read serves several records.
	 */
	if (t->ahead_off == t->ahead_len) {
		/* Allocated, not on the stack: only the pages used are touched. */
		if (t->ahead == NULL && (t->ahead = malloc(TLS_READ_AHEAD)) == NULL) {
			t->transport_errno = ENOMEM;
			gnutls_transport_set_errno(t->session, ENOMEM);
			return -1;
		}
		ssize_t n = read(t->in_fd, t->ahead, TLS_READ_AHEAD);
		if (n == 0) {
			t->transport_eof = 1;
			gnutls_transport_set_errno(t->session, EAGAIN);
			return -1;
		}
		if (n < 0) {
			t->transport_errno = errno;
			gnutls_transport_set_errno(t->session, errno);
			return -1;
		}
		t->ahead_off = 0;
		t->ahead_len = (size_t)n;
	}
	return tls_take(buf, size, t->ahead, &t->ahead_off, t->ahead_len);
}

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *buf,
			size_t size)
{
	struct tls_conn *t = ptr;
	ssize_t n = t->out_is_socket ? send(t->out_fd, buf, size, MSG_NOSIGNAL)
				     : write(t->out_fd, buf, size);
	if (n < 0) {
		t->transport_errno = errno;
		gnutls_transport_set_errno(t->session, errno);
	}
	return n;
}

static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
	struct tls_conn *t = ptr;
	struct pollfd p = {.fd = t->in_fd, .events = POLLIN};

	if (t->prefix_off < t->prefix_len || t->ahead_off < t->ahead_len)
		return 1;
	return poll(&p, 1, (int)ms);
}

/* After the ClientHello: which certificate, or a refusal (--strict-sni). */
static int tls_on_client_hello(gnutls_session_t session)
{
	struct tls_conn *t = gnutls_session_get_ptr(session);
	char name[1024];
	size_t len = sizeof name - 1;
	unsigned type;
	int alert = -1;

	/* The second ClientHello after a HelloRetryRequest names the same server. */
	if (t->chosen)
		return 0;

	int rc = gnutls_server_name_get(session, name, &len, &type, 0);
	if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER) {
		len = sizeof name - 1;	/* too long for a host name: refused by sni */
		name[len] = '\0';
	} else if (rc < 0 || type != GNUTLS_NAME_DNS) {
		len = 0;
	}
	snprintf(t->sni, sizeof t->sni, "%.*s", (int)len, name);
	rc = certs_choose(t->options, name, len, &t->choice, &alert,
			  t->refusal, sizeof t->refusal);
	if (rc != 0) {
		t->refusal_exit = rc;
		t->refusal_alert = alert;
		return GNUTLS_E_CERTIFICATE_ERROR;
	}
	t->chosen = 1;
	return 0;
}

/*
 * GnuTLS asks for the certificate only when it is about to use it: a
 * resumed session never reads the files.
 */
static int tls_on_certificate(gnutls_session_t session,
			      const struct gnutls_cert_retr_st *info,
			      gnutls_pcert_st **certs, unsigned *certs_length,
			      gnutls_ocsp_data_st **ocsp, unsigned *ocsp_length,
			      gnutls_privkey_t *key, unsigned *flags)
{
	struct tls_conn *t = gnutls_session_get_ptr(session);

	if (!t->chosen || t->refusal_exit != 0)
		return -1;
	if (t->loaded.count == 0) {
		/*
		 * The certificate and the key are two paths read one after the
		 * other: a renewal swapped in between (even a single atomic
		 * rename of a directory symlink) gives a pair that does not
		 * match.  Read both again before giving the connection up;
		 * only failures pay for it.
		 */
		int rc;
		long pause_ms = CREDENTIAL_FIRST_PAUSE_MS;
		for (int attempt = 1;; attempt++) {
			rc = certs_load(&t->choice, &t->loaded, t->refusal,
					sizeof t->refusal);
			if (rc == 0 || attempt == CREDENTIAL_ATTEMPTS)
				break;
			struct timespec pause = {0, pause_ms * 1000000};
			nanosleep(&pause, NULL);
			pause_ms *= 3;
		}
		if (rc != 0) {
			t->refusal_exit = rc;
			t->refusal_alert = -1;	/* as before any handshake */
			return -1;
		}
	}
	*certs = t->loaded.pcerts;
	*certs_length = t->loaded.count;
	*key = t->loaded.key;
	*ocsp = t->loaded.ocsp.response.size > 0 ? &t->loaded.ocsp : NULL;
	*ocsp_length = t->loaded.ocsp.response.size > 0 ? 1 : 0;
	*flags = 0;	/* ours to free, in tls_free */
	return 0;
}

/* The client's certificate, once it has proved it holds the key. */
static int tls_on_client_certificate(gnutls_session_t session)
{
	struct tls_conn *t = gnutls_session_get_ptr(session);

	t->client_checked = 1;
	clientcert_verify(session, t->options, t->crl_stale_since, &t->client);
	if (t->client.exit_code == 0)
		return 0;
	t->refusal_exit = t->client.exit_code;
	t->refusal_alert = t->client.alert;
	snprintf(t->refusal, sizeof t->refusal, "%s", t->client.why);
	return -1;
}

int tls_check_options(const struct options *o, char *err, size_t err_size)
{
	if (o->cert == NULL && o->cert_dir == NULL) {
		snprintf(err, err_size, "no --cert or --cert-dir given");
		return EX_CONFIG;
	}
	if (o->strict_sni && o->cert_dir == NULL) {
		snprintf(err, err_size, "--strict-sni needs --cert-dir");
		return EX_USAGE;
	}
	return clientcert_check_options(o, err, err_size);
}

static int tls_set_alpn(struct tls_conn *t, const char *list, char *err,
			size_t err_size)
{
	gnutls_datum_t protocols[OPTIONS_MAX_ALPN];
	unsigned count = 0;

	for (const char *p = list; *p != '\0' && count < OPTIONS_MAX_ALPN;) {
		size_t len = strcspn(p, ",");
		protocols[count].data = (unsigned char *)p;
		protocols[count++].size = (unsigned)len;
		p += len;
		if (*p == ',')
			p++;
	}
	/* MANDATORY: a client that offers ALPN and shares none is refused
	 * (RFC 7301 3.2); one that offers no ALPN is served. */
	int rc = gnutls_alpn_set_protocols(t->session, protocols, count,
					   GNUTLS_ALPN_MANDATORY |
						   GNUTLS_ALPN_SERVER_PRECEDENCE);
	if (rc < 0) {
		snprintf(err, err_size, "--alpn %s: %s", list, gnutls_strerror(rc));
		return EX_CONFIG;
	}
	return 0;
}

#define TLS_EXTENSION_ALPN 16

struct alpn_offer {
	const unsigned char *data;
	size_t len;
};

static int tls_find_alpn(void *ctx, unsigned tls_id, const unsigned char *data,
			 unsigned size)
{
	struct alpn_offer *offer = ctx;

	if (tls_id == TLS_EXTENSION_ALPN) {
		offer->data = data;
		offer->len = size;
	}
	return 0;
}

/*
 * Without --alpn, --route alpn= rules choose the protocol.  Runs on the
 * ClientHello before GnuTLS reads it: offer, of the protocols the client
 * lists, the one the first matching route names, so that the route and
 * the negotiated protocol agree.
 */
static int tls_choose_alpn(gnutls_session_t session, unsigned htype,
			   unsigned when, unsigned incoming,
			   const gnutls_datum_t *msg)
{
	struct tls_conn *t = gnutls_session_get_ptr(session);
	struct alpn_offer offer = {0};
	const unsigned char *proto;
	size_t len;

	if (gnutls_ext_raw_parse(&offer, tls_find_alpn, msg,
				 GNUTLS_EXT_RAW_FLAG_TLS_CLIENT_HELLO) < 0 ||
	    offer.data == NULL)
		return 0;
	if (route_choose_alpn(t->options->routes, t->options->route_count,
			      offer.data, offer.len, &proto, &len) == 1) {
		gnutls_datum_t chosen = {(unsigned char *)proto, (unsigned)len};
		gnutls_alpn_set_protocols(session, &chosen, 1,
					  GNUTLS_ALPN_SERVER_PRECEDENCE);
	}
	return 0;
}

static int tls_set_ticket_key(struct tls_conn *t, const char *path, char *err,
			      size_t err_size)
{
	unsigned char key[TICKET_KEY_SIZE];
	int rc = ticket_key_read(path, key, err, err_size);

	if (rc != 0)
		return rc;
	gnutls_datum_t datum = {key, sizeof key};
	rc = gnutls_session_ticket_enable_server(t->session, &datum);
	gnutls_memset(key, 0, sizeof key);
	if (rc < 0) {
		snprintf(err, err_size, "ticket-key %s: %s", path,
			 gnutls_strerror(rc));
		return EX_CONFIG;
	}
	return 0;
}

int tls_start(struct tls_conn *t, const struct options *o,
	      const struct client *c, char *err, size_t err_size)
{
	char priority[2048];
	const char *bad;
	int rc;

	memset(t, 0, sizeof *t);
	t->options = o;
	t->choice.cert_fd = -1;
	t->refusal_alert = -1;
	t->in_fd = c->in_fd;
	t->out_fd = c->out_fd;
	t->out_is_socket = c->is_socket;
	t->prefix = c->prefix;
	t->prefix_len = c->prefix_len;

	if ((rc = tls_check_options(o, err, err_size)) != 0) {
		if (rc == EX_CONFIG)
			snprintf(err, err_size, "no --cert or --cert-dir given: cannot serve TLS");
		return rc;
	}
	rc = gnutls_certificate_allocate_credentials(&t->credentials);
	if (rc < 0) {
		snprintf(err, err_size, "TLS: %s", gnutls_strerror(rc));
		return EX_OSERR;
	}
	gnutls_certificate_set_retrieve_function3(t->credentials,
						  tls_on_certificate);
	enum verify_mode verify = clientcert_mode(o);
	if (verify != VERIFY_NONE) {
		if ((rc = clientcert_setup(t->credentials, o, &t->crl_stale_since,
					   err, err_size)) != 0)
			return rc;
		gnutls_certificate_set_verify_function(t->credentials,
						       tls_on_client_certificate);
	}

	rc = gnutls_init(&t->session, GNUTLS_SERVER | GNUTLS_NONBLOCK);
	if (rc < 0) {
		snprintf(err, err_size, "TLS: %s", gnutls_strerror(rc));
		return EX_OSERR;
	}
	gnutls_session_set_ptr(t->session, t);
	int user_len = policy_priority(o->priority, o->min_version, priority,
				       sizeof priority);
	if (user_len < 0) {
		snprintf(err, err_size, "--priority: too long");
		return EX_CONFIG;
	}
	rc = gnutls_priority_set_direct(t->session, priority, &bad);
	if (rc < 0) {
		/* Show the user's text where it went wrong, not our suffix. */
		int shown = 40;
		if (bad != NULL && bad >= priority && bad - priority < user_len &&
		    user_len - (bad - priority) < shown)
			shown = (int)(user_len - (bad - priority));
		snprintf(err, err_size, "--priority: %s at '%.*s'",
			 gnutls_strerror(rc), shown, bad ? bad : "");
		return EX_CONFIG;
	}
	gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
			       t->credentials);
	gnutls_certificate_server_set_request(
		t->session, verify == VERIFY_REQUIRED ? GNUTLS_CERT_REQUIRE
			    : verify == VERIFY_OPTIONAL ? GNUTLS_CERT_REQUEST
							: GNUTLS_CERT_IGNORE);
	gnutls_handshake_set_post_client_hello_function(t->session,
							tls_on_client_hello);
	/* One list of protocols: --alpn's when given, else the routes' choice. */
	if (o->alpn != NULL && (rc = tls_set_alpn(t, o->alpn, err, err_size)) != 0)
		return rc;
	if (o->alpn == NULL && o->alpn_routes)
		gnutls_handshake_set_hook_function(t->session,
						   GNUTLS_HANDSHAKE_CLIENT_HELLO,
						   GNUTLS_HOOK_PRE,
						   tls_choose_alpn);
	if (o->ticket_key != NULL &&
	    (rc = tls_set_ticket_key(t, o->ticket_key, err, err_size)) != 0)
		return rc;
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_pull_function(t->session, tls_pull);
	gnutls_transport_set_push_function(t->session, tls_push);
	gnutls_transport_set_pull_timeout_function(t->session, tls_pull_timeout);
	return 0;
}

/* A fatal alert that tells the client why, within a short deadline. */
static void tls_send_alert(struct tls_conn *t, int alert)
{
	long deadline = clock_now_ms() + 1000;

	for (;;) {
		int rc = gnutls_alert_send(t->session, GNUTLS_AL_FATAL,
					   (gnutls_alert_description_t)alert);
		if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED)
			return;
		struct pollfd p = {.fd = t->out_fd, .events = POLLOUT};
		if (poll(&p, 1, clock_remaining_ms(deadline)) <= 0)
			return;
	}
}

static void tls_alert_text(struct tls_conn *t, int rc, char *out, size_t size)
{
	if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED)
		snprintf(out, size, "%s (%s)", gnutls_strerror(rc),
			 gnutls_alert_get_name(gnutls_alert_get(t->session)));
	else
		snprintf(out, size, "%s", gnutls_strerror(rc));
}

int tls_handshake(struct tls_conn *t, long timeout_ms, char *err,
		  size_t err_size)
{
	long deadline = clock_now_ms() + timeout_ms;
	char why[200];

	for (;;) {
		int rc = gnutls_handshake(t->session);
		if (rc == 0)
			break;
		if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
			if (t->transport_eof) {
				snprintf(err, err_size,
					 "client closed the connection during the TLS handshake");
				return EX_PROTOCOL;
			}
			int out = gnutls_record_get_direction(t->session);
			struct pollfd p = {.fd = out ? t->out_fd : t->in_fd,
					   .events = out ? POLLOUT : POLLIN};
			int ready = poll(&p, 1, clock_remaining_ms(deadline));
			if (ready == 0) {
				snprintf(err, err_size,
					 "TLS handshake timed out after %ld.%03lds",
					 timeout_ms / 1000, timeout_ms % 1000);
				return EX_TEMPFAIL;
			}
			continue;
		}
		if (!gnutls_error_is_fatal(rc))
			continue;
		if (t->refusal_exit != 0) {
			if (t->refusal_alert >= 0)
				tls_send_alert(t, t->refusal_alert);
			snprintf(err, err_size, "%s", t->refusal);
			return t->refusal_exit;
		}
		if (rc == GNUTLS_E_NO_APPLICATION_PROTOCOL) {
			tls_send_alert(t, GNUTLS_A_NO_APPLICATION_PROTOCOL);
			snprintf(err, err_size,
				 "client offered none of --alpn %s: refused",
				 t->options->alpn);
			return EX_PROTOCOL;
		}
		if (rc == GNUTLS_E_NO_CERTIFICATE_FOUND ||
		    rc == GNUTLS_E_CERTIFICATE_REQUIRED) {
			tls_send_alert(t, gnutls_protocol_get_version(t->session) ==
							  GNUTLS_TLS1_3
						  ? GNUTLS_A_CERTIFICATE_REQUIRED
						  : GNUTLS_A_HANDSHAKE_FAILURE);
			snprintf(err, err_size,
				 "client sent no certificate: refused (--verify required)");
			return EX_PROTOCOL;
		}
		tls_alert_text(t, rc, why, sizeof why);
		if (rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR)
			snprintf(why, sizeof why, "%s",
				 log_strerror(t->transport_errno));
		else if (rc != GNUTLS_E_FATAL_ALERT_RECEIVED)
			/* protocol_version, handshake_failure...: tell the client why. */
			gnutls_alert_send_appropriate(t->session, rc);
		snprintf(err, err_size, "TLS handshake failed: %s", why);
		return EX_PROTOCOL;
	}

	/*
	 * A resumed session skips the certificate messages: judge the
	 * certificate it carries against today's CRL, dates and lists.
	 */
	if (clientcert_mode(t->options) != VERIFY_NONE && !t->client_checked) {
		t->client_checked = 1;
		clientcert_verify(t->session, t->options, t->crl_stale_since,
				  &t->client);
		if (t->client.exit_code != 0) {
			tls_send_alert(t, t->client.alert);
			snprintf(err, err_size, "%s (resumed session)",
				 t->client.why);
			return t->client.exit_code;
		}
	}
	gnutls_datum_t alpn;
	if (gnutls_alpn_get_selected_protocol(t->session, &alpn) == 0 &&
	    alpn.size < sizeof t->alpn) {
		memcpy(t->alpn, alpn.data, alpn.size);
		t->alpn[alpn.size] = '\0';
		t->alpn_len = alpn.size;
	}
	return 0;
}

void tls_describe(struct tls_conn *t, struct log_summary *s)
{
	s->sni = t->sni;
	s->cert = t->chosen ? t->choice.entry : NULL;
	s->client_cert = t->client.subject;
	if (t->session == NULL)
		return;
	s->version = gnutls_protocol_get_name(gnutls_protocol_get_version(t->session));
	s->cipher = gnutls_cipher_get_name(gnutls_cipher_get(t->session));
	s->alpn = t->alpn;
	s->resumed = gnutls_session_is_resumed(t->session) ? "yes" : "no";
}

/* As OpenSSL's SSL_get_version() spells them (and so HAProxy's TLV). */
static const char *tls_version_text(gnutls_protocol_t version)
{
	switch (version) {
	case GNUTLS_SSL3: return "SSLv3";
	case GNUTLS_TLS1_0: return "TLSv1";
	case GNUTLS_TLS1_1: return "TLSv1.1";
	case GNUTLS_TLS1_2: return "TLSv1.2";
	case GNUTLS_TLS1_3: return "TLSv1.3";
	default: return "unknown";
	}
}

/* Our certificate's signature and key, as HAProxy names the key: "EC256". */
static void tls_our_cert_facts(struct tls_conn *t, struct tls_facts *f)
{
	const gnutls_datum_t *der = gnutls_certificate_get_ours(t->session);
	gnutls_x509_crt_t crt;
	unsigned bits = 0;

	if (der == NULL || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) == 0) {
		int sign = gnutls_x509_crt_get_signature_algorithm(crt);
		const char *name = sign > 0 ? gnutls_sign_get_name(sign) : NULL;
		if (name != NULL)
			snprintf(f->sig_alg, sizeof f->sig_alg, "%s", name);
		int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
		if (pk == GNUTLS_PK_RSA || pk == GNUTLS_PK_RSA_PSS)
			snprintf(f->key_alg, sizeof f->key_alg, "RSA%u", bits);
		else if (pk == GNUTLS_PK_ECDSA)
			snprintf(f->key_alg, sizeof f->key_alg, "EC%u", bits);
		else if (pk > 0 && gnutls_pk_get_name(pk) != NULL)
			snprintf(f->key_alg, sizeof f->key_alg, "%s",
				 gnutls_pk_get_name(pk));
	}
	gnutls_x509_crt_deinit(crt);
}

void tls_get_facts(struct tls_conn *t, struct tls_facts *f)
{
	memset(f, 0, sizeof *f);
	f->version = tls_version_text(gnutls_protocol_get_version(t->session));
	f->cipher = gnutls_ciphersuite_get(t->session);
	tls_our_cert_facts(t, f);
	/* clientcert_verify keeps the subject of an admitted certificate only. */
	f->peer_cert = t->client.subject[0] != '\0';
	f->peer_cert_conn = f->peer_cert &&
			    !gnutls_session_is_resumed(t->session);
	f->peer_cn = t->client.cn;
	f->peer_subject = t->client.subject;
}

void tls_free(struct tls_conn *t)
{
	if (t->session != NULL)
		gnutls_deinit(t->session);
	if (t->credentials != NULL)
		gnutls_certificate_free_credentials(t->credentials);
	certs_loaded_free(&t->loaded);
	certs_choice_close(&t->choice);
	t->session = NULL;
	t->credentials = NULL;
	free(t->ahead);
	t->ahead = NULL;
	t->ahead_len = t->ahead_off = 0;
}

static ssize_t tls_record_read(struct tls_conn *t, void *buf, size_t size)
{
	ssize_t rc = gnutls_record_recv(t->session, buf, size);

	if (rc > 0)
		return rc;
	if (rc == 0) {
		t->client_eof = "close_notify";
		return 0;
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		if (t->transport_eof) {
			t->client_eof = "fin";
			log_info("client ended TLS with a bare FIN, no close_notify");
			return 0;
		}
		errno = EAGAIN;
		return -1;
	}
	if (rc == GNUTLS_E_REHANDSHAKE) {
		log_error("client asked for renegotiation: refused");
		gnutls_alert_send(t->session, GNUTLS_AL_WARNING,
				  GNUTLS_A_NO_RENEGOTIATION);
		if (++t->renegotiations <= RENEGOTIATIONS_TOLERATED) {
			errno = EAGAIN;
			return -1;
		}
		t->error = "too many renegotiation attempts";
		errno = EPROTO;
		return -1;
	}
	if (!gnutls_error_is_fatal((int)rc)) {
		errno = EAGAIN;
		return -1;
	}
	if (rc == GNUTLS_E_PULL_ERROR) {
		errno = t->transport_errno;
		return -1;
	}
	t->error = gnutls_strerror((int)rc);
	errno = EPROTO;
	return -1;
}

/* A whole record waits in the read-ahead buffer, or decrypted bytes in GnuTLS. */
static int tls_record_ready(const struct tls_conn *t)
{
	size_t left = t->ahead_len - t->ahead_off;

	if (gnutls_record_check_pending(t->session) > 0)
		return 1;
	if (left < 5)
		return 0;
	const unsigned char *at = t->ahead + t->ahead_off;
	return left >= 5 + (size_t)(at[3] << 8 | at[4]);
}

/*
 * Decrypt every record already read, so that the backend gets them in
 * one write rather than one write per record.  An error after some
 * bytes is kept for the next call.
 */
static ssize_t tls_op_read(void *ctx, void *buf, size_t size)
{
	struct tls_conn *t = ctx;

	if (t->deferred_errno != 0) {
		errno = t->deferred_errno;
		return -1;
	}
	ssize_t got = tls_record_read(t, buf, size);
	while (got > 0 && size - (size_t)got >= TLS_RECORD_MAX && tls_record_ready(t)) {
		ssize_t n = tls_record_read(t, (unsigned char *)buf + got,
					    size - (size_t)got);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN)
				t->deferred_errno = errno;
			break;
		}
		got += n;
	}
	return got;
}

static ssize_t tls_op_write(void *ctx, const void *buf, size_t size)
{
	struct tls_conn *t = ctx;
	/* After EAGAIN GnuTLS holds the record; NULL/0 flushes it. */
	ssize_t rc = t->send_again ? gnutls_record_send(t->session, NULL, 0)
				   : gnutls_record_send(t->session, buf, size);

	if (rc >= 0) {
		t->send_again = 0;
		return rc;
	}
	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		t->send_again = 1;
		errno = EAGAIN;
		return -1;
	}
	if (rc == GNUTLS_E_PUSH_ERROR) {
		errno = t->transport_errno;
		return -1;
	}
	t->error = gnutls_strerror((int)rc);
	errno = EPROTO;
	return -1;
}

/* close_notify, then a TCP FIN for clients that wait for the socket's EOF. */
static int tls_op_shutdown_write(void *ctx)
{
	struct tls_conn *t = ctx;
	int rc = gnutls_bye(t->session, GNUTLS_SHUT_WR);

	if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
		errno = EAGAIN;
		return -1;
	}
	if (rc < 0 && rc != GNUTLS_E_PUSH_ERROR) {
		t->error = gnutls_strerror(rc);
		errno = EPROTO;
		return -1;
	}
	if (rc < 0) {
		errno = t->transport_errno;
		return -1;
	}
	if (t->out_is_socket)
		shutdown(t->out_fd, SHUT_WR);
	else
		pump_close_pipe_writer(t->out_fd);
	return 0;
}

static size_t tls_op_pending(void *ctx)
{
	struct tls_conn *t = ctx;

	return gnutls_record_check_pending(t->session) + t->ahead_len - t->ahead_off;
}

static const char *tls_op_error_text(void *ctx)
{
	struct tls_conn *t = ctx;

	return t->error;
}

const struct pump_ops tls_pump_ops = {
	.read = tls_op_read,
	.write = tls_op_write,
	.shutdown_write = tls_op_shutdown_write,
	.pending = tls_op_pending,
	.error_text = tls_op_error_text,
};
