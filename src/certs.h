/* certs: the server certificate of one connection, chosen by server name, loaded only when needed. */
#ifndef TLSMUX_CERTS_H
#define TLSMUX_CERTS_H

#include <limits.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "options.h"
#include "sni.h"

/* Which files serve a connection: known after the ClientHello. */
struct certs_choice {
	char entry[SNI_ENTRY_MAX];	/* --cert-dir entry; SNI_DEFAULT_ENTRY for the default */
	int cert_fd;			/* open on cert_path, or -1 */
	char cert_path[PATH_MAX];
	char key_path[PATH_MAX];	/* == cert_path when one file holds both */
	char ocsp_path[PATH_MAX];	/* "" when there is none to look for */
	int ocsp_optional;		/* a missing file is normal (--cert-dir) */
	int is_default;
};

/* The chain and key as GnuTLS serves them, with the OCSP response if any. */
struct certs_loaded {
	gnutls_pcert_st *pcerts;
	unsigned count;
	gnutls_privkey_t key;
	gnutls_ocsp_data_st ocsp;	/* response.size 0: nothing to staple */
};

/* The chain and key, parsed; for --check. */
struct certs_files {
	gnutls_x509_crt_t *certs;
	unsigned cert_count;
	gnutls_x509_privkey_t key;
};

/*
 * Choose the files for the server name the client sent (sni_len 0: none)
 * with a few open() calls, never listing the directory.  Returns 0;
 * EX_PROTOCOL when the connection must be refused (no such name with
 * --strict-sni, or no default), *alert then says which alert; or
 * EX_CONFIG when a file that exists cannot be opened.
 */
int certs_choose(const struct options *o, const char *sni, size_t sni_len,
		 struct certs_choice *c, int *alert, char *err,
		 size_t err_size);

/*
 * Read, parse and match the chosen files, and the OCSP response when it
 * is good to staple (when it is not, one line is logged and the handshake
 * goes on without it).  0 or EX_CONFIG.
 */
int certs_load(struct certs_choice *c, struct certs_loaded *l, char *err,
	       size_t err_size);
void certs_choice_close(struct certs_choice *c);
void certs_loaded_free(struct certs_loaded *l);

/* For --check: parse and match one pair.  0 or EX_CONFIG. */
int certs_files_load(const char *cert_path, const char *key_path,
		     struct certs_files *f, char *err, size_t err_size);
void certs_files_free(struct certs_files *f);

/*
 * Whether the DER OCSP response in data may be stapled for leaf (issued
 * by issuer, or NULL when the chain does not hold it) at time now: 0 with
 * its expiry in *expires, or -1 with the reason in why.
 */
int certs_ocsp_check(const gnutls_datum_t *data, gnutls_x509_crt_t leaf,
		     gnutls_x509_crt_t issuer, time_t now, time_t *expires,
		     char *why, size_t why_size);

/* A whole file, at most 1 MiB, NUL-terminated; fd -1 opens path.  0 or EX_CONFIG. */
int certs_read_file(const char *what, const char *path, int fd,
		    gnutls_datum_t *out, char *err, size_t err_size);

/* "2026-11-27 13:00:00 UTC" */
void certs_format_time(time_t t, char *out, size_t size);

#endif
