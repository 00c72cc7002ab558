/* tls: the GnuTLS server session of one connection, and its pump ops. */
#ifndef TLSMUX_TLS_H
#define TLSMUX_TLS_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certs.h"
#include "clientcert.h"
#include "conn.h"
#include "log.h"
#include "options.h"
#include "pump.h"

/* Bytes read from the client at once: several records, or a whole hello. */
#define TLS_READ_AHEAD (64 * 1024)
/* The most plaintext one record carries. */
#define TLS_RECORD_MAX (16 * 1024)

struct tls_conn {
	gnutls_session_t session;
	gnutls_certificate_credentials_t credentials;
	const struct options *options;
	int in_fd;
	int out_fd;
	int out_is_socket;
	const unsigned char *prefix;	/* replayed before in_fd is read */
	size_t prefix_len;
	size_t prefix_off;
	unsigned char *ahead;	/* read from in_fd, not yet pulled */
	size_t ahead_len;
	size_t ahead_off;
	int deferred_errno;	/* a read error found after returning bytes */
	int transport_eof;	/* the pull function saw a bare FIN */
	int transport_errno;
	int send_again;		/* the last record_send said EAGAIN */
	int renegotiations;
	const char *client_eof;	/* close_notify or fin */
	const char *error;	/* GnuTLS's text for the last fatal error */
	char sni[256];
	/* The negotiated protocol (--alpn, or chosen for --route alpn=). */
	char alpn[256];
	size_t alpn_len;
	/* Decided by the handshake callbacks. */
	int chosen;			/* choice holds the server certificate's files */
	struct certs_choice choice;
	struct certs_loaded loaded;
	int client_checked;		/* the client's certificate was judged */
	time_t crl_stale_since;		/* --crl is out of date since then */
	struct clientcert_verdict client;
	int refusal_exit;		/* a callback refused: exit code, */
	int refusal_alert;		/* alert (-1: none), */
	char refusal[1024];		/* and the error line */
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
	/*
	 * A client certificate is known only once verified and admitted: a
	 * refused one ends the handshake before any backend hears of it.
	 */
	int peer_cert;		/* the session carries a verified client certificate */
	int peer_cert_conn;	/* ... sent in this handshake (not resumed) */
	const char *peer_cn;	/* its subject's CN, "" without one */
	const char *peer_subject; /* its subject DN */
};

extern const struct pump_ops tls_pump_ops;

/* Check option combinations the TLS side needs.  0 or EX_USAGE. */
int tls_check_options(const struct options *o, char *err, size_t err_size);

/* Set up the session (files are read in the handshake).  0 or an exit code. */
int tls_start(struct tls_conn *t, const struct options *o,
	      const struct client *c, char *err, size_t err_size);
/* 0, or an exit code (EX_TEMPFAIL, EX_PROTOCOL, EX_CONFIG) with the reason in err. */
int tls_handshake(struct tls_conn *t, long timeout_ms, char *err,
		  size_t err_size);
/* Fill the summary's TLS fields: version, cipher, sni, cert, alpn, resumed, client_cert. */
void tls_describe(struct tls_conn *t, struct log_summary *s);
void tls_free(struct tls_conn *t);
/* After the handshake: the facts above. */
void tls_get_facts(struct tls_conn *t, struct tls_facts *f);

#endif
