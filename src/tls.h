/* tls: the GnuTLS server session of one connection, and its pump ops. */
#ifndef TLSMUX_TLS_H
#define TLSMUX_TLS_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "conn.h"
#include "options.h"
#include "pump.h"

struct tls_conn {
	gnutls_session_t session;
	gnutls_certificate_credentials_t credentials;
	int in_fd;
	int out_fd;
	int out_is_socket;
	const unsigned char *prefix;	/* replayed before in_fd is read */
	size_t prefix_len;
	size_t prefix_off;
	int transport_eof;	/* the pull function saw a bare FIN */
	int transport_errno;
	int send_again;		/* the last record_send said EAGAIN */
	int renegotiations;
	const char *client_eof;	/* close_notify or fin */
	const char *error;	/* GnuTLS's text for the last fatal error */
	char sni[256];
	unsigned char alpn[256];	/* the negotiated protocol, if any */
	size_t alpn_len;
	const struct options *options;	/* for the ALPN routes */
};

/*
 * What a backend may learn about the TLS session (PROXY v2 TLVs, --exec
 * environment).  Spelled as OpenSSL and HAProxy spell them, since that
 * is what backends compare against.
 */
struct tls_facts {
	const char *version;	/* "TLSv1.3" */
	const char *cipher;	/* IANA name: "TLS_AES_256_GCM_SHA384" */
	char sig_alg[48];	/* our certificate's signature: "ECDSA-SHA256" */
	char key_alg[48];	/* our certificate's key: "EC256", "RSA2048" */
	int peer_cert;		/* the client presented a certificate */
	int peer_verified;	/* ... and it verified */
	char peer_cn[256];	/* CN of a verified client certificate */
	char peer_subject[512];	/* its subject DN */
};

/* The certificate chain and key, parsed; for --check. */
struct tls_files {
	gnutls_x509_crt_t *certs;
	unsigned cert_count;
	gnutls_x509_privkey_t key;
};

extern const char tls_default_priority[];
extern const struct pump_ops tls_pump_ops;

/* Read cert and key (per connection) and set up the session.  0 or an exit code. */
int tls_start(struct tls_conn *t, const struct options *o,
	      const struct client *c, char *err, size_t err_size);
/* 0, or an exit code (EX_TEMPFAIL, EX_PROTOCOL) with the reason in err. */
int tls_handshake(struct tls_conn *t, long timeout_ms, char *err,
		  size_t err_size);
void tls_describe(struct tls_conn *t, const char **version,
		  const char **cipher);
void tls_free(struct tls_conn *t);
/* After the handshake: the facts above. */
void tls_get_facts(struct tls_conn *t, struct tls_facts *f);

/* Parse the files with a reason for each failure; for --check.  0 or EX_CONFIG. */
int tls_files_load(const struct options *o, struct tls_files *f, char *err,
		   size_t err_size);
void tls_files_free(struct tls_files *f);

#endif
