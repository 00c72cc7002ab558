/* tls: the GnuTLS server session of one connection, and its pump ops. */
#ifndef TLSMUX_TLS_H
#define TLSMUX_TLS_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "conn.h"
#include "options.h"
#include "pump.h"

/* Bytes read from the client at once: several records, or a whole hello. */
#define TLS_READ_AHEAD (64 * 1024)
/* The most plaintext one record carries. */
#define TLS_RECORD_MAX (16 * 1024)

struct tls_conn {
	gnutls_session_t session;
	gnutls_certificate_credentials_t credentials;
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

/* Parse the files with a reason for each failure; for --check.  0 or EX_CONFIG. */
int tls_files_load(const struct options *o, struct tls_files *f, char *err,
		   size_t err_size);
void tls_files_free(struct tls_files *f);

#endif
