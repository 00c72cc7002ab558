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
#include <unistd.h>

#include "clock.h"
#include "log.h"

#define RENEGOTIATIONS_TOLERATED 3
#define PEM_MAX_SIZE (1 << 20)

/*
 * TLS 1.2 and 1.3, AEAD ciphers, ECDHE: no CBC, no RSA key exchange.
 * X25519 first: it is the key share clients send, and with the server's
 * precedence any other first group costs every connection a
 * HelloRetryRequest (a round trip and a second key pair).
 */
const char tls_default_priority[] =
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
	"-GROUP-ALL:+GROUP-X25519:+GROUP-EC-ALL:+GROUP-DH-ALL:"
	"%SAFE_RENEGOTIATION:%SERVER_PRECEDENCE";

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *buf, size_t size)
{
	struct tls_conn *t = ptr;

	if (t->prefix_off < t->prefix_len) {
		size_t n = t->prefix_len - t->prefix_off;
		if (n > size)
			n = size;
		memcpy(buf, t->prefix + t->prefix_off, n);
		t->prefix_off += n;
		return (ssize_t)n;
	}
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
	size_t n = t->ahead_len - t->ahead_off;
	if (n > size)
		n = size;
	memcpy(buf, t->ahead + t->ahead_off, n);
	t->ahead_off += n;
	return (ssize_t)n;
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

static int tls_read_file(const char *what, const char *path,
			 gnutls_datum_t *out, char *err, size_t err_size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	out->data = NULL;
	out->size = 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, err_size, "%s %s: cannot read: %s", what, path,
			 log_strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_CONFIG;
	}
	if (st.st_size > PEM_MAX_SIZE || !S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s %s: not a PEM file of at most 1 MiB",
			 what, path);
		close(fd);
		return EX_CONFIG;
	}
	out->data = gnutls_malloc((size_t)st.st_size + 1);
	size_t len = 0;
	while (out->data != NULL && len < (size_t)st.st_size) {
		ssize_t n = read(fd, out->data + len, (size_t)st.st_size - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (out->data == NULL || len == 0) {
		snprintf(err, err_size, "%s %s: %s", what, path,
			 out->data == NULL ? "out of memory" : "empty file");
		gnutls_free(out->data);
		out->data = NULL;
		return EX_CONFIG;
	}
	out->data[len] = '\0';
	out->size = (unsigned)len;
	return 0;
}

void tls_files_free(struct tls_files *f)
{
	for (unsigned i = 0; i < f->cert_count; i++)
		gnutls_x509_crt_deinit(f->certs[i]);
	gnutls_free(f->certs);
	if (f->key != NULL)
		gnutls_x509_privkey_deinit(f->key);
	memset(f, 0, sizeof *f);
}

static int tls_files_parse(const struct options *o, const gnutls_datum_t *cert,
			   const gnutls_datum_t *key, struct tls_files *f,
			   char *err, size_t err_size)
{
	const char *key_path = o->key ? o->key : o->cert;
	int rc;

	memset(f, 0, sizeof *f);
	rc = gnutls_x509_crt_list_import2(&f->certs, &f->cert_count, cert,
					  GNUTLS_X509_FMT_PEM,
					  GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED);
	if (rc < 0) {
		snprintf(err, err_size, "cert %s: cannot parse: %s", o->cert,
			 gnutls_strerror(rc));
		f->cert_count = 0;
		return EX_CONFIG;
	}
	if ((rc = gnutls_x509_privkey_init(&f->key)) < 0 ||
	    (rc = gnutls_x509_privkey_import2(f->key, key, GNUTLS_X509_FMT_PEM,
					      NULL, 0)) < 0) {
		snprintf(err, err_size, "key %s: cannot parse: %s", key_path,
			 rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
					 rc == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR
				 ? "no PEM private key found"
				 : gnutls_strerror(rc));
		tls_files_free(f);
		return EX_CONFIG;
	}

	unsigned char cert_id[64], key_id[64];
	size_t cert_id_len = sizeof cert_id, key_id_len = sizeof key_id;
	if (gnutls_x509_crt_get_key_id(f->certs[0], GNUTLS_KEYID_USE_SHA256,
				       cert_id, &cert_id_len) < 0 ||
	    gnutls_x509_privkey_get_key_id(f->key, GNUTLS_KEYID_USE_SHA256,
					   key_id, &key_id_len) < 0 ||
	    cert_id_len != key_id_len ||
	    memcmp(cert_id, key_id, cert_id_len) != 0) {
		snprintf(err, err_size, "cert %s and key %s do not match",
			 o->cert, key_path);
		tls_files_free(f);
		return EX_CONFIG;
	}
	return 0;
}

int tls_files_load(const struct options *o, struct tls_files *f, char *err,
		   size_t err_size)
{
	gnutls_datum_t cert, key;
	int rc;

	memset(f, 0, sizeof *f);
	if (o->cert == NULL) {
		snprintf(err, err_size, "no --cert given");
		return EX_CONFIG;
	}
	if ((rc = tls_read_file("cert", o->cert, &cert, err, err_size)) != 0)
		return rc;
	key = cert;
	if (o->key != NULL &&
	    (rc = tls_read_file("key", o->key, &key, err, err_size)) != 0) {
		gnutls_free(cert.data);
		return rc;
	}
	rc = tls_files_parse(o, &cert, &key, f, err, err_size);
	if (key.data != cert.data) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	gnutls_free(cert.data);
	return rc;
}

/*
 * Left to itself, GnuTLS proves that the key fits the certificate by
 * signing and verifying with them: a quarter of a TLS connection's
 * instructions.  Comparing the certificate's public key with the key's
 * catches the same mistake (a renewed certificate with the old key) for
 * a hundredth of that.
 */
static int tls_pair_matches(gnutls_certificate_credentials_t credentials)
{
	gnutls_x509_privkey_t key = NULL;
	gnutls_x509_crt_t crt = NULL;
	gnutls_datum_t der;
	unsigned char cert_id[64], key_id[64];
	size_t cert_id_len = sizeof cert_id, key_id_len = sizeof key_id;

	int ok = gnutls_certificate_get_crt_raw(credentials, 0, 0, &der) == 0 &&
		 gnutls_x509_crt_init(&crt) == 0 &&
		 gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) == 0 &&
		 gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, cert_id,
					    &cert_id_len) == 0 &&
		 gnutls_certificate_get_x509_key(credentials, 0, &key) == 0 &&
		 gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256,
						key_id, &key_id_len) == 0 &&
		 cert_id_len == key_id_len &&
		 memcmp(cert_id, key_id, cert_id_len) == 0;
	if (crt != NULL)
		gnutls_x509_crt_deinit(crt);
	if (key != NULL)
		gnutls_x509_privkey_deinit(key);
	return ok;
}

/* Load both files into the credentials; on failure, find out which one is wrong. */
static int tls_load_credentials(struct tls_conn *t, const struct options *o,
				char *err, size_t err_size)
{
	gnutls_datum_t cert, key;
	int rc;

	if (o->cert == NULL) {
		snprintf(err, err_size, "no --cert given: cannot serve TLS");
		return EX_CONFIG;
	}
	if ((rc = tls_read_file("cert", o->cert, &cert, err, err_size)) != 0)
		return rc;
	key = cert;
	if (o->key != NULL &&
	    (rc = tls_read_file("key", o->key, &key, err, err_size)) != 0) {
		gnutls_free(cert.data);
		return rc;
	}
	rc = gnutls_certificate_allocate_credentials(&t->credentials);
	if (rc == 0) {
		gnutls_certificate_set_flags(t->credentials,
					     GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
		rc = gnutls_certificate_set_x509_key_mem2(
			t->credentials, &cert, &key, GNUTLS_X509_FMT_PEM, NULL, 0);
	}
	if (rc >= 0 && !tls_pair_matches(t->credentials))
		rc = GNUTLS_E_CERTIFICATE_KEY_MISMATCH;
	if (rc < 0) {
		struct tls_files f;
		if (tls_files_parse(o, &cert, &key, &f, err, err_size) == 0) {
			tls_files_free(&f);
			snprintf(err, err_size, "cert %s: %s", o->cert,
				 gnutls_strerror(rc));
		}
		rc = EX_CONFIG;
	}
	if (key.data != cert.data) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	gnutls_free(cert.data);
	return rc < 0 ? EX_CONFIG : rc;
}

int tls_start(struct tls_conn *t, const struct options *o,
	      const struct client *c, char *err, size_t err_size)
{
	const char *bad;
	int rc;

	memset(t, 0, sizeof *t);
	t->in_fd = c->in_fd;
	t->out_fd = c->out_fd;
	t->out_is_socket = c->is_socket;
	t->prefix = c->prefix;
	t->prefix_len = c->prefix_len;

	if ((rc = tls_load_credentials(t, o, err, err_size)) != 0)
		return rc;
	rc = gnutls_init(&t->session, GNUTLS_SERVER | GNUTLS_NONBLOCK);
	if (rc < 0) {
		snprintf(err, err_size, "TLS: %s", gnutls_strerror(rc));
		return EX_OSERR;
	}
	rc = gnutls_priority_set_direct(
		t->session, o->priority ? o->priority : tls_default_priority,
		&bad);
	if (rc < 0) {
		snprintf(err, err_size, "--priority: %s at '%.40s'",
			 gnutls_strerror(rc), bad ? bad : "");
		return EX_CONFIG;
	}
	gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE,
			       t->credentials);
	gnutls_certificate_server_set_request(t->session, GNUTLS_CERT_IGNORE);
	gnutls_transport_set_ptr(t->session, t);
	gnutls_transport_set_pull_function(t->session, tls_pull);
	gnutls_transport_set_push_function(t->session, tls_push);
	gnutls_transport_set_pull_timeout_function(t->session, tls_pull_timeout);
	return 0;
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
		tls_alert_text(t, rc, why, sizeof why);
		if (rc == GNUTLS_E_PUSH_ERROR || rc == GNUTLS_E_PULL_ERROR)
			snprintf(why, sizeof why, "%s",
				 log_strerror(t->transport_errno));
		snprintf(err, err_size, "TLS handshake failed: %s", why);
		return EX_PROTOCOL;
	}

	unsigned type;
	size_t len = sizeof t->sni - 1;
	if (gnutls_server_name_get(t->session, t->sni, &len, &type, 0) < 0 ||
	    type != GNUTLS_NAME_DNS)
		t->sni[0] = '\0';
	return 0;
}

void tls_describe(struct tls_conn *t, const char **version,
		  const char **cipher)
{
	*version = gnutls_protocol_get_name(gnutls_protocol_get_version(t->session));
	*cipher = gnutls_cipher_get_name(gnutls_cipher_get(t->session));
}

void tls_free(struct tls_conn *t)
{
	if (t->session != NULL)
		gnutls_deinit(t->session);
	if (t->credentials != NULL)
		gnutls_certificate_free_credentials(t->credentials);
	free(t->ahead);
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
	else {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, t->out_fd);
			close(null);
		}
	}
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
