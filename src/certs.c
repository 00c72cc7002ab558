/*
 * certs: the server certificate, per connection.  The choice happens
 * after the ClientHello and costs a few open() calls whatever the size
 * of --cert-dir: the entry is named after the server name, so it is
 * looked up, never searched for.  Reading and parsing wait until the
 * handshake asks for the certificate, which a resumed session never does.
 */
#include "certs.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/ocsp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "pem.h"

#define FILE_MAX_SIZE (1 << 20)
/* How long a response without a next update may be stapled. */
#define OCSP_NO_NEXT_UPDATE_SECONDS (3 * 86400)
/* Clocks differ a little: a response made "in the future" by this much is fine. */
#define OCSP_CLOCK_SKEW_SECONDS 300

/* The files of one --cert-dir entry, tried in this order. */
static const struct {
	const char *cert;
	const char *key;	/* NULL: the cert file holds the key too */
	const char *ocsp;
} certs_layouts[] = {
	{".pem", NULL, ".ocsp"},
	{".crt", ".key", ".ocsp"},
	{"/fullchain.pem", "/privkey.pem", "/ocsp.der"},	/* certbot's live/ */
};

void certs_format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

int certs_read_file(const char *what, const char *path, int fd,
		    gnutls_datum_t *out, char *err, size_t err_size)
{
	struct stat st;

	out->data = NULL;
	out->size = 0;
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, err_size, "%s %s: cannot read: %s", what, path,
			 log_strerror(errno));
		if (fd >= 0)
			close(fd);
		return EX_CONFIG;
	}
	if (st.st_size > FILE_MAX_SIZE || !S_ISREG(st.st_mode)) {
		snprintf(err, err_size, "%s %s: not a file of at most 1 MiB",
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

static void certs_wipe(gnutls_datum_t *d)
{
	if (d->data != NULL) {
		gnutls_memset(d->data, 0, d->size);
		gnutls_free(d->data);
	}
	d->data = NULL;
	d->size = 0;
}

/* The server name as a log may show it: printable, bounded. */
static void certs_printable(const char *in, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 1 < size; i++)
		out[o++] = (unsigned char)in[i] > 0x20 && (unsigned char)in[i] < 0x7f
				   ? in[i] : '?';
	out[o] = '\0';
}

/* 0 when entry exists in dir (c filled), -1 when it does not, EX_CONFIG. */
static int certs_try_entry(const char *dir, const char *entry,
			   struct certs_choice *c, char *err, size_t err_size)
{
	for (size_t i = 0; i < sizeof certs_layouts / sizeof certs_layouts[0];
	     i++) {
		int n = snprintf(c->cert_path, sizeof c->cert_path, "%s/%s%s",
				 dir, entry, certs_layouts[i].cert);
		if (n < 0 || (size_t)n >= sizeof c->cert_path)
			continue;
		int fd = open(c->cert_path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 && (errno == ENOENT || errno == ENOTDIR ||
			       errno == ENAMETOOLONG))
			continue;
		if (fd < 0) {
			snprintf(err, err_size, "cert %s: cannot read: %s",
				 c->cert_path, log_strerror(errno));
			return EX_CONFIG;
		}
		c->cert_fd = fd;
		snprintf(c->entry, sizeof c->entry, "%s", entry);
		if (certs_layouts[i].key == NULL)
			snprintf(c->key_path, sizeof c->key_path, "%s",
				 c->cert_path);
		else
			snprintf(c->key_path, sizeof c->key_path, "%s/%s%s",
				 dir, entry, certs_layouts[i].key);
		snprintf(c->ocsp_path, sizeof c->ocsp_path, "%s/%s%s", dir,
			 entry, certs_layouts[i].ocsp);
		c->ocsp_optional = 1;
		return 0;
	}
	c->cert_path[0] = '\0';
	return -1;
}

static int certs_choose_default(const struct options *o, const char *name,
				struct certs_choice *c, int *alert, char *err,
				size_t err_size)
{
	c->is_default = 1;
	if (o->cert != NULL) {
		snprintf(c->entry, sizeof c->entry, "%s", SNI_DEFAULT_ENTRY);
		snprintf(c->cert_path, sizeof c->cert_path, "%s", o->cert);
		snprintf(c->key_path, sizeof c->key_path, "%s",
			 o->key != NULL ? o->key : o->cert);
		snprintf(c->ocsp_path, sizeof c->ocsp_path, "%s",
			 o->ocsp != NULL ? o->ocsp : "");
		return 0;
	}
	if (o->cert_dir != NULL) {
		int rc = certs_try_entry(o->cert_dir, SNI_DEFAULT_ENTRY, c, err,
					 err_size);
		if (rc >= 0)
			return rc;
	}
	if (name != NULL) {
		*alert = GNUTLS_A_UNRECOGNIZED_NAME;
		snprintf(err, err_size,
			 "no certificate for server name %s and no default: refused",
			 name);
	} else {
		*alert = GNUTLS_A_HANDSHAKE_FAILURE;
		snprintf(err, err_size,
			 "client sent no server name and there is no default certificate: refused");
	}
	return EX_PROTOCOL;
}

int certs_choose(const struct options *o, const char *sni, size_t sni_len,
		 struct certs_choice *c, int *alert, char *err,
		 size_t err_size)
{
	char names[2][SNI_ENTRY_MAX], shown[SNI_ENTRY_MAX];

	memset(c, 0, sizeof *c);
	c->cert_fd = -1;
	if (o->cert_dir == NULL)
		return certs_choose_default(o, NULL, c, alert, err, err_size);
	if (sni_len == 0) {
		if (!o->strict_sni)
			return certs_choose_default(o, NULL, c, alert, err,
						    err_size);
		*alert = GNUTLS_A_HANDSHAKE_FAILURE;
		snprintf(err, err_size,
			 "client sent no server name: refused (--strict-sni)");
		return EX_PROTOCOL;
	}

	int count = sni_entry_names(sni, sni_len, names);
	for (int i = 0; i < count; i++) {
		int rc = certs_try_entry(o->cert_dir, names[i], c, err,
					 err_size);
		if (rc >= 0)
			return rc;
	}
	certs_printable(sni, sni_len, shown, sizeof shown);
	if (!o->strict_sni)
		return certs_choose_default(o, count > 0 ? names[0] : shown, c,
					    alert, err, err_size);
	*alert = GNUTLS_A_UNRECOGNIZED_NAME;
	if (count == 0)
		snprintf(err, err_size,
			 "client sent an invalid server name %s: refused (--strict-sni)",
			 shown);
	else
		snprintf(err, err_size,
			 "no certificate for server name %s: refused (--strict-sni)",
			 names[0]);
	return EX_PROTOCOL;
}

void certs_choice_close(struct certs_choice *c)
{
	if (c->cert_fd >= 0)
		close(c->cert_fd);
	c->cert_fd = -1;
}

void certs_files_free(struct certs_files *f)
{
	for (unsigned i = 0; i < f->cert_count; i++)
		gnutls_x509_crt_deinit(f->certs[i]);
	gnutls_free(f->certs);
	if (f->key != NULL)
		gnutls_x509_privkey_deinit(f->key);
	memset(f, 0, sizeof *f);
}

/*
 * The key from its PEM text, decoded by pem.c into a buffer wiped after
 * use: GnuTLS's own PEM decoding leaves a copy of the base64 text in
 * memory it frees without wiping.
 */
static int certs_key_import(gnutls_x509_privkey_t key, const gnutls_datum_t *pem)
{
	gnutls_datum_t der = {gnutls_malloc(pem->size + 1), 0};
	int rc;

	if (der.data == NULL)
		return GNUTLS_E_MEMORY_ERROR;
	long n = pem_decode_private_key(pem->data, pem->size, der.data,
					pem->size + 1);
	if (n == 0)
		rc = GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE;
	else if (n < 0)
		rc = GNUTLS_E_BASE64_DECODING_ERROR;
	else {
		der.size = (unsigned)n;
		rc = gnutls_x509_privkey_import2(key, &der, GNUTLS_X509_FMT_DER,
						 NULL, 0);
	}
	gnutls_memset(der.data, 0, pem->size + 1);
	gnutls_free(der.data);
	return rc;
}

static int certs_datum_equal(const gnutls_datum_t *a, const gnutls_datum_t *b)
{
	return a->size == b->size &&
	       (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
}

/* The SHA-256 of each encoded public key: any algorithm, 20 times the cost. */
static int certs_key_ids_match(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	unsigned char cert_id[64], key_id[64];
	size_t cert_id_len = sizeof cert_id, key_id_len = sizeof key_id;

	return gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, cert_id,
					  &cert_id_len) == 0 &&
	       gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, key_id,
					      &key_id_len) == 0 &&
	       cert_id_len == key_id_len &&
	       memcmp(cert_id, key_id, cert_id_len) == 0;
}

/*
 * Whether the key is the one the certificate names.  For RSA and the
 * elliptic curves (ECDSA, EdDSA) the public numbers are compared as
 * they are (no private part is exported); other algorithms by key ID.  Computing key IDs encodes both
 * public keys in ASN.1 first: 234 K instructions, 4.8% of a TLS
 * connection, against some 15 K for the numbers.
 */
static int certs_key_matches(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	gnutls_datum_t c1 = {NULL, 0}, c2 = {NULL, 0}, k1 = {NULL, 0},
		       k2 = {NULL, 0};
	gnutls_ecc_curve_t cert_curve, key_curve;
	int algorithm = gnutls_x509_crt_get_pk_algorithm(crt, NULL);
	int match;

	if (algorithm < 0 || algorithm != gnutls_x509_privkey_get_pk_algorithm(key))
		return 0;
	switch (algorithm) {
	case GNUTLS_PK_RSA:
		match = gnutls_x509_crt_get_pk_rsa_raw(crt, &c1, &c2) == 0 &&
			gnutls_x509_privkey_export_rsa_raw(key, &k1, &k2, NULL,
							   NULL, NULL, NULL) == 0;
		break;
	case GNUTLS_PK_ECDSA:
	case GNUTLS_PK_EDDSA_ED25519:
	case GNUTLS_PK_EDDSA_ED448:
		match = gnutls_x509_crt_get_pk_ecc_raw(crt, &cert_curve, &c1, &c2) == 0 &&
			gnutls_x509_privkey_export_ecc_raw(key, &key_curve, &k1, &k2,
							   NULL) == 0 &&
			cert_curve == key_curve;
		break;
	default:
		return certs_key_ids_match(crt, key);
	}
	match = match && certs_datum_equal(&c1, &k1) && certs_datum_equal(&c2, &k2);
	gnutls_free(c1.data);
	gnutls_free(c2.data);
	gnutls_free(k1.data);
	gnutls_free(k2.data);
	return match;
}

/* list_flags: --check refuses an unsorted chain, serving sorts it as GnuTLS would. */
static int certs_parse(const char *cert_path, const char *key_path,
		       const gnutls_datum_t *cert, const gnutls_datum_t *key,
		       unsigned list_flags, struct certs_files *f, char *err,
		       size_t err_size)
{
	int rc;

	memset(f, 0, sizeof *f);
	rc = gnutls_x509_crt_list_import2(&f->certs, &f->cert_count, cert,
					  GNUTLS_X509_FMT_PEM, list_flags);
	if (rc < 0) {
		snprintf(err, err_size, "cert %s: cannot parse: %s", cert_path,
			 gnutls_strerror(rc));
		f->cert_count = 0;
		return EX_CONFIG;
	}
	if ((rc = gnutls_x509_privkey_init(&f->key)) < 0 ||
	    (rc = certs_key_import(f->key, key)) < 0) {
		snprintf(err, err_size, "key %s: cannot parse: %s", key_path,
			 rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE ||
					 rc == GNUTLS_E_BASE64_UNEXPECTED_HEADER_ERROR
				 ? "no PEM private key found"
				 : gnutls_strerror(rc));
		certs_files_free(f);
		return EX_CONFIG;
	}

	if (!certs_key_matches(f->certs[0], f->key)) {
		snprintf(err, err_size, "cert %s and key %s do not match",
			 cert_path, key_path);
		certs_files_free(f);
		return EX_CONFIG;
	}
	return 0;
}

/* Read both files of a pair (one read when they are one file), then parse. */
static int certs_read_pair(const char *cert_path, const char *key_path,
			   int cert_fd, unsigned list_flags,
			   struct certs_files *f, char *err, size_t err_size)
{
	gnutls_datum_t cert, key;
	int rc;

	memset(f, 0, sizeof *f);
	if ((rc = certs_read_file("cert", cert_path, cert_fd, &cert, err,
				  err_size)) != 0)
		return rc;
	key = cert;
	if (strcmp(key_path, cert_path) != 0 &&
	    (rc = certs_read_file("key", key_path, -1, &key, err,
				  err_size)) != 0) {
		certs_wipe(&cert);
		return rc;
	}
	rc = certs_parse(cert_path, key_path, &cert, &key, list_flags, f, err,
			 err_size);
	if (key.data != cert.data)
		certs_wipe(&key);
	certs_wipe(&cert);
	return rc;
}

int certs_files_load(const char *cert_path, const char *key_path,
		     struct certs_files *f, char *err, size_t err_size)
{
	return certs_read_pair(cert_path, key_path, -1,
			       GNUTLS_X509_CRT_LIST_FAIL_IF_UNSORTED, f, err,
			       err_size);
}

int certs_ocsp_check(const gnutls_datum_t *data, gnutls_x509_crt_t leaf,
		     gnutls_x509_crt_t issuer, time_t now, time_t *expires,
		     char *why, size_t why_size)
{
	gnutls_ocsp_resp_t resp;
	unsigned cert_status, verify;
	time_t this_update, next_update, revoked_at;
	char when[64];
	int rc;

	if ((rc = gnutls_ocsp_resp_init(&resp)) < 0) {
		snprintf(why, why_size, "%s", gnutls_strerror(rc));
		return -1;
	}
	rc = -1;
	int err = gnutls_ocsp_resp_import(resp, data);
	if (err < 0)
		snprintf(why, why_size, "cannot parse: %s", gnutls_strerror(err));
	else if (gnutls_ocsp_resp_get_status(resp) != GNUTLS_OCSP_RESP_SUCCESSFUL)
		snprintf(why, why_size, "the responder answered with error %d",
			 gnutls_ocsp_resp_get_status(resp));
	else if (gnutls_ocsp_resp_check_crt(resp, 0, leaf) < 0)
		snprintf(why, why_size, "not about this certificate");
	else if ((err = gnutls_ocsp_resp_get_single(resp, 0, NULL, NULL, NULL,
						    NULL, &cert_status,
						    &this_update, &next_update,
						    &revoked_at, NULL)) < 0)
		snprintf(why, why_size, "cannot parse: %s", gnutls_strerror(err));
	else if (cert_status == GNUTLS_OCSP_CERT_REVOKED)
		snprintf(why, why_size, "says the certificate is revoked");
	else if (cert_status != GNUTLS_OCSP_CERT_GOOD)
		snprintf(why, why_size, "says the certificate is unknown");
	else if (issuer != NULL &&
		 (gnutls_ocsp_resp_verify_direct(resp, issuer, &verify, 0) < 0 ||
		  verify != 0))
		snprintf(why, why_size, "not signed by the certificate's issuer");
	else if (this_update > now + OCSP_CLOCK_SKEW_SECONDS) {
		certs_format_time(this_update, when, sizeof when);
		snprintf(why, why_size, "not valid before %s", when);
	} else {
		*expires = next_update != (time_t)-1
				   ? next_update
				   : this_update + OCSP_NO_NEXT_UPDATE_SECONDS;
		if (now >= *expires) {
			certs_format_time(*expires, when, sizeof when);
			snprintf(why, why_size, "stale: next update was due %s",
				 when);
		} else {
			rc = 0;
		}
	}
	gnutls_ocsp_resp_deinit(resp);
	return rc;
}

/* The OCSP response for the chain in f, if there is a good one. */
static void certs_load_ocsp(const struct certs_choice *c,
			    const struct certs_files *f, struct certs_loaded *l)
{
	gnutls_datum_t der;
	char err[512], why[256];
	time_t expires;

	if (c->ocsp_path[0] == '\0')
		return;
	int fd = open(c->ocsp_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && c->ocsp_optional)
		return;
	if (certs_read_file("ocsp", c->ocsp_path, fd, &der, err, sizeof err) != 0) {
		log_error("%s: not stapled", err);
		return;
	}
	if (certs_ocsp_check(&der, f->certs[0],
			     f->cert_count > 1 ? f->certs[1] : NULL, time(NULL),
			     &expires, why, sizeof why) < 0) {
		log_error("ocsp %s: %s: not stapled", c->ocsp_path, why);
		gnutls_free(der.data);
		return;
	}
	l->ocsp.response = der;
	l->ocsp.exptime = expires;
}

int certs_load(struct certs_choice *c, struct certs_loaded *l, char *err,
	       size_t err_size)
{
	struct certs_files f;
	int rc;

	memset(l, 0, sizeof *l);
	rc = certs_read_pair(c->cert_path, c->key_path, c->cert_fd,
			     GNUTLS_X509_CRT_LIST_SORT, &f, err, err_size);
	c->cert_fd = -1;
	if (rc != 0)
		return rc;

	l->pcerts = gnutls_calloc(f.cert_count, sizeof *l->pcerts);
	unsigned count = f.cert_count;
	if (l->pcerts == NULL)
		rc = GNUTLS_E_MEMORY_ERROR;
	else if ((rc = gnutls_pcert_import_x509_list(l->pcerts, f.certs,
						     &count, 0)) == 0)
		l->count = count;
	if (rc == 0 && (rc = gnutls_privkey_init(&l->key)) == 0) {
		rc = gnutls_privkey_import_x509(l->key, f.key,
						GNUTLS_PRIVKEY_IMPORT_AUTO_RELEASE);
		if (rc == 0)
			f.key = NULL;	/* l->key owns it now */
	}
	if (rc < 0) {
		snprintf(err, err_size, "cert %s: %s", c->cert_path,
			 gnutls_strerror(rc));
		certs_files_free(&f);
		certs_loaded_free(l);
		return EX_CONFIG;
	}
	certs_load_ocsp(c, &f, l);
	certs_files_free(&f);
	return 0;
}

void certs_loaded_free(struct certs_loaded *l)
{
	for (unsigned i = 0; i < l->count; i++)
		gnutls_pcert_deinit(&l->pcerts[i]);
	gnutls_free(l->pcerts);
	if (l->key != NULL)
		gnutls_privkey_deinit(l->key);
	gnutls_free(l->ocsp.response.data);
	memset(l, 0, sizeof *l);
}
