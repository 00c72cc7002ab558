/*
 * clientcert: mutual TLS.  GnuTLS checks the chain, the dates and the
 * CRL; this file turns its status bits into one reason a person can act
 * on and the alert that tells the client the same, then applies the
 * allow-lists, so that "signed by our CA" does not mean "let in".
 */
#include "clientcert.h"

#include <gnutls/x509.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "allow.h"
#include "certs.h"

enum verify_mode clientcert_mode(const struct options *o)
{
	if (o->verify != VERIFY_DEFAULT)
		return o->verify;
	return o->client_ca != NULL ? VERIFY_REQUIRED : VERIFY_NONE;
}

int clientcert_check_options(const struct options *o, char *err,
			     size_t err_size)
{
	const char *needs = NULL;

	if (o->client_ca != NULL)
		return 0;
	if (o->verify == VERIFY_OPTIONAL)
		needs = "--verify optional";
	else if (o->verify == VERIFY_REQUIRED)
		needs = "--verify required";
	else if (o->crl != NULL)
		needs = "--crl";
	else if (o->allow_cn_count > 0)
		needs = "--allow-cn";
	else if (o->allow_san_count > 0)
		needs = "--allow-san";
	if (needs == NULL)
		return 0;
	snprintf(err, err_size, "%s needs --client-ca", needs);
	return EX_USAGE;
}

int clientcert_setup(gnutls_certificate_credentials_t credentials,
		     const struct options *o, time_t *crl_stale_since,
		     char *err, size_t err_size)
{
	gnutls_datum_t data;
	int rc;

	if (o->client_ca == NULL || clientcert_mode(o) == VERIFY_NONE)
		return 0;
	if ((rc = certs_read_file("client-ca", o->client_ca, -1, &data, err,
				  err_size)) != 0)
		return rc;
	rc = gnutls_certificate_set_x509_trust_mem(credentials, &data,
						   GNUTLS_X509_FMT_PEM);
	gnutls_free(data.data);
	if (rc <= 0) {
		snprintf(err, err_size, "client-ca %s: %s", o->client_ca,
			 rc == 0 ? "no certificate found" : gnutls_strerror(rc));
		return EX_CONFIG;
	}
	if (o->crl == NULL)
		return 0;
	/*
	 * GnuTLS applies a CRL past its next update as if it were current;
	 * a revocation issued since would go unseen, so such a CRL refuses
	 * every certificate instead (clientcert_verify).
	 */
	gnutls_x509_crl_t *crls = NULL;
	unsigned count = 0;
	if ((rc = certs_read_file("crl", o->crl, -1, &data, err, err_size)) != 0)
		return rc;
	rc = gnutls_x509_crl_list_import2(&crls, &count, &data,
					  GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(data.data);
	if (rc < 0 || count == 0) {
		snprintf(err, err_size, "crl %s: cannot parse: %s", o->crl,
			 rc < 0 ? gnutls_strerror(rc) : "no CRL found");
		return EX_CONFIG;
	}
	time_t now = time(NULL);
	for (unsigned i = 0; i < count; i++) {
		time_t next = gnutls_x509_crl_get_next_update(crls[i]);
		if (next != (time_t)-1 && now >= next &&
		    (*crl_stale_since == 0 || next < *crl_stale_since))
			*crl_stale_since = next;
	}
	/* The credentials keep copies. */
	rc = gnutls_certificate_set_x509_crl(credentials, crls, (int)count);
	for (unsigned i = 0; i < count; i++)
		gnutls_x509_crl_deinit(crls[i]);
	gnutls_free(crls);
	if (rc < 0) {
		snprintf(err, err_size, "crl %s: %s", o->crl, gnutls_strerror(rc));
		return EX_CONFIG;
	}
	return 0;
}

/* The first reason, most telling first, with its alert (RFC 8446 6.2). */
static const struct {
	unsigned status;
	const char *reason;
	int alert;
} clientcert_reasons[] = {
	{GNUTLS_CERT_SIGNER_NOT_FOUND, "unknown CA", GNUTLS_A_UNKNOWN_CA},
	{GNUTLS_CERT_SIGNER_NOT_CA, "issuer is not a CA", GNUTLS_A_UNKNOWN_CA},
	{GNUTLS_CERT_REVOKED, "revoked", GNUTLS_A_CERTIFICATE_REVOKED},
	{GNUTLS_CERT_EXPIRED, "expired", GNUTLS_A_CERTIFICATE_EXPIRED},
	{GNUTLS_CERT_NOT_ACTIVATED, "not valid yet", GNUTLS_A_CERTIFICATE_EXPIRED},
	{GNUTLS_CERT_PURPOSE_MISMATCH, "not for TLS client authentication",
	 GNUTLS_A_UNSUPPORTED_CERTIFICATE},
	{GNUTLS_CERT_INSECURE_ALGORITHM, "signed with an insecure algorithm",
	 GNUTLS_A_BAD_CERTIFICATE},
	{GNUTLS_CERT_SIGNATURE_FAILURE, "bad signature", GNUTLS_A_BAD_CERTIFICATE},
	{GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE, "issuer's constraints forbid it",
	 GNUTLS_A_BAD_CERTIFICATE},
	{GNUTLS_CERT_UNKNOWN_CRIT_EXTENSIONS, "unknown critical extension",
	 GNUTLS_A_UNSUPPORTED_CERTIFICATE},
};

/* Subjects are peer-controlled: no control bytes into a log line. */
static void clientcert_printable(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			*s = '?';
}

static int clientcert_allowed(gnutls_x509_crt_t crt, const struct options *o)
{
	char value[1024];
	size_t size;

	if (o->allow_cn_count == 0 && o->allow_san_count == 0)
		return 1;
	for (unsigned i = 0;; i++) {
		size = sizeof value;
		int rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
						       i, 0, value, &size);
		if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (rc < 0)
			break;
		/* A NUL inside the name would cut the match short: never. */
		if (strlen(value) != size)
			continue;
		for (size_t p = 0; p < o->allow_cn_count; p++)
			if (allow_cn_match(o->allow_cn[p], value))
				return 1;
	}
	for (unsigned i = 0;; i++) {
		unsigned critical;
		size = sizeof value - 1;
		int type = gnutls_x509_crt_get_subject_alt_name(crt, i, value,
								&size, &critical);
		if (type == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;
		if (type < 0)
			break;
		enum allow_san_type kind;
		if (type == GNUTLS_SAN_DNSNAME)
			kind = ALLOW_SAN_DNS;
		else if (type == GNUTLS_SAN_URI)
			kind = ALLOW_SAN_URI;
		else if (type == GNUTLS_SAN_RFC822NAME)
			kind = ALLOW_SAN_EMAIL;
		else
			continue;
		value[size] = '\0';
		if (strlen(value) != size)
			continue;
		for (size_t p = 0; p < o->allow_san_count; p++)
			if (allow_san_match(o->allow_san[p], kind, value))
				return 1;
	}
	return 0;
}

static void clientcert_refuse(struct clientcert_verdict *v, int exit_code,
			      int alert, const char *reason)
{
	v->exit_code = exit_code;
	v->alert = alert;
	snprintf(v->why, sizeof v->why, "client certificate %s: %s",
		 v->subject, reason);
	v->subject[0] = '\0';	/* only a verified subject is logged as one */
	v->cn[0] = '\0';
}

void clientcert_verify(gnutls_session_t session, const struct options *o,
		       time_t crl_stale_since, struct clientcert_verdict *v)
{
	unsigned count = 0, status = 0;
	const gnutls_datum_t *chain = gnutls_certificate_get_peers(session, &count);
	gnutls_x509_crt_t crt;
	gnutls_datum_t dn;

	memset(v, 0, sizeof *v);
	if (chain == NULL || count == 0) {
		if (clientcert_mode(o) != VERIFY_REQUIRED)
			return;
		v->exit_code = EX_PROTOCOL;
		v->alert = gnutls_protocol_get_version(session) == GNUTLS_TLS1_3
				   ? GNUTLS_A_CERTIFICATE_REQUIRED
				   : GNUTLS_A_HANDSHAKE_FAILURE;
		snprintf(v->why, sizeof v->why,
			 "client sent no certificate: refused (--verify required)");
		return;
	}
	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &chain[0], GNUTLS_X509_FMT_DER) < 0) {
		snprintf(v->subject, sizeof v->subject, "(unparsable)");
		clientcert_refuse(v, EX_PROTOCOL, GNUTLS_A_BAD_CERTIFICATE,
				  "cannot parse");
		return;
	}
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
		snprintf(v->subject, sizeof v->subject, "%s", dn.data);
		gnutls_free(dn.data);
	}
	if (v->subject[0] == '\0')
		snprintf(v->subject, sizeof v->subject, "(empty subject)");
	clientcert_printable(v->subject);

	gnutls_typed_vdata_st purpose = {
		.type = GNUTLS_DT_KEY_PURPOSE_OID,
		.data = (void *)GNUTLS_KP_TLS_WWW_CLIENT,
	};
	int rc = gnutls_certificate_verify_peers(session, &purpose, 1, &status);
	if (rc < 0) {
		char reason[256];
		snprintf(reason, sizeof reason, "cannot verify: %s",
			 gnutls_strerror(rc));
		clientcert_refuse(v, EX_PROTOCOL, GNUTLS_A_BAD_CERTIFICATE, reason);
	} else if (crl_stale_since != 0 ||
		   (status & (GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
			      GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE))) {
		char reason[512];
		snprintf(reason, sizeof reason,
			 "cannot check revocation: crl %s is out of date",
			 o->crl);
		clientcert_refuse(v, EX_CONFIG, GNUTLS_A_CERTIFICATE_UNKNOWN,
				  reason);
	} else if (status != 0) {
		const char *reason = "not trusted";
		int alert = GNUTLS_A_BAD_CERTIFICATE;
		for (size_t i = 0;
		     i < sizeof clientcert_reasons / sizeof clientcert_reasons[0];
		     i++)
			if (status & clientcert_reasons[i].status) {
				reason = clientcert_reasons[i].reason;
				alert = clientcert_reasons[i].alert;
				break;
			}
		clientcert_refuse(v, EX_PROTOCOL, alert, reason);
	} else if (!clientcert_allowed(crt, o)) {
		clientcert_refuse(v, EX_PROTOCOL, GNUTLS_A_ACCESS_DENIED,
				  "not allowed by --allow-cn or --allow-san");
	} else {
		/* For the backend: PROXY v2's CN TLV, the program's environment. */
		size_t size = sizeof v->cn;
		if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME,
						  0, 0, v->cn, &size) < 0)
			v->cn[0] = '\0';
		clientcert_printable(v->cn);
	}
	gnutls_x509_crt_deinit(crt);
}
