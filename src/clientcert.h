/* clientcert: who the client is: its certificate against --client-ca, --crl and the allow-lists. */
#ifndef TLSMUX_CLIENTCERT_H
#define TLSMUX_CLIENTCERT_H

#include <gnutls/gnutls.h>
#include <time.h>

#include "options.h"

struct clientcert_verdict {
	int exit_code;		/* 0: accepted */
	int alert;		/* the fatal alert that tells the client why */
	char subject[256];	/* the certificate's subject; "" without one */
	char cn[256];		/* its first CN, once admitted; "" without one */
	char why[1024];		/* the error line, when refused */
};

/* --verify as it applies: VERIFY_DEFAULT resolved. */
enum verify_mode clientcert_mode(const struct options *o);

/*
 * Options that need --client-ca without it, or the reverse: 0, or
 * EX_USAGE with the reason in err.
 */
int clientcert_check_options(const struct options *o, char *err,
			     size_t err_size);

/*
 * Load --client-ca and --crl into the credentials.  *crl_stale_since is
 * the next update of a CRL that is out of date, 0 when all are current.
 * 0 or EX_CONFIG.
 */
int clientcert_setup(gnutls_certificate_credentials_t credentials,
		     const struct options *o, time_t *crl_stale_since,
		     char *err, size_t err_size);

/*
 * Judge the certificate the client sent in this session (or its absence);
 * crl_stale_since as clientcert_setup gave it.
 */
void clientcert_verify(gnutls_session_t session, const struct options *o,
		       time_t crl_stale_since, struct clientcert_verdict *v);

#endif
