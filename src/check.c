/*
 * check: validate everything a connection would need, without a
 * connection: backends given, priority string, certificate chain and
 * key readable, parseable and matching, and the leaf's validity dates;
 * then every file the TLS options name: each --cert-dir entry, the
 * client CA and CRL, the ticket key, the OCSP responses.  Unlike a
 * connection, --check may list the directory: it runs once, not per
 * connection.  It reports every problem it finds, not just the first.
 * Where connections go comes first and the settings not at their
 * default last, both from the option table (its check column).
 */
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "certs.h"
#include "clientcert.h"
#include "linked.h"
#include "log.h"
#include "policy.h"
#include "sni.h"
#include "ticket.h"
#include "tls.h"

#define EXPIRY_WARNING_DAYS 14
#define CHECK_MAX_ENTRIES 100000
#define DPKG_STATUS "/var/lib/dpkg/status"
#define DPKG_STATUS_MAX (64 << 20)

/* What make recorded of the Debian packages linked in (GNUTLS_STATIC). */
#ifndef TLSMUX_LINKED_PACKAGES
#define TLSMUX_LINKED_PACKAGES ""
#endif

static void check_print_time(const char *label, time_t t)
{
	char text[64];

	certs_format_time(t, text, sizeof text);
	printf("%s: %s\n", label, text);
}

/* Dates of one certificate: 0, or EX_CONFIG when it is not valid now. */
static int check_dates(const char *what, const char *path,
		       gnutls_x509_crt_t crt, time_t now, long *days_left)
{
	time_t not_before = gnutls_x509_crt_get_activation_time(crt);
	time_t not_after = gnutls_x509_crt_get_expiration_time(crt);

	if (now < not_before) {
		log_error("check: %s %s is not valid yet", what, path);
		return EX_CONFIG;
	}
	if (now >= not_after) {
		log_error("check: %s %s expired %ld days ago", what, path,
			  (long)((now - not_after) / 86400));
		return EX_CONFIG;
	}
	*days_left = (long)((not_after - now) / 86400);
	if (*days_left < EXPIRY_WARNING_DAYS)
		log_error("check: warning: %s %s expires in %ld days", what,
			  path, *days_left);
	return 0;
}

static void check_report_linked(void *ctx, const char *package,
				const char *built, const char *installed)
{
	log_error("check: warning: %s %s is linked into tlsmux, the system has %s: rebuild and reinstall tlsmux to take its fixes",
		  package, built, installed);
}

/*
 * Libraries linked in statically do not take the fixes of a system
 * update: say so when dpkg has installed other versions since the
 * build.  A warning, not a failure: a deploy hook must still renew.
 */
static void check_linked(void)
{
	const char *recorded = TLSMUX_LINKED_PACKAGES;
	struct stat st;
	char *text;
	int fd;

	if (recorded[0] == '\0' || (fd = open(DPKG_STATUS, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	if (fstat(fd, &st) == 0 && st.st_size > 0 && st.st_size <= DPKG_STATUS_MAX &&
	    (text = malloc((size_t)st.st_size)) != NULL) {
		size_t got = 0;
		ssize_t n;
		while (got < (size_t)st.st_size &&
		       (n = read(fd, text + got, (size_t)st.st_size - got)) > 0)
			got += (size_t)n;
		linked_stale(recorded, text, got, check_report_linked, NULL);
		free(text);
	}
	close(fd);
}

/* --cert: the facts, one per line, as they always were. */
static int check_cert(const struct options *o, time_t now)
{
	struct certs_files f;
	char err[1024];
	int rc;

	if ((rc = certs_files_load(o->cert, o->key ? o->key : o->cert, &f, err,
				   sizeof err)) != 0) {
		log_error("check: %s", err);
		return rc;
	}

	gnutls_datum_t dn;
	if (gnutls_x509_crt_get_dn3(f.certs[0], &dn, 0) == 0) {
		printf("subject: %s\n", dn.data);
		gnutls_free(dn.data);
	}
	if (gnutls_x509_crt_get_issuer_dn3(f.certs[0], &dn, 0) == 0) {
		printf("issuer: %s\n", dn.data);
		gnutls_free(dn.data);
	}
	printf("chain: %u certificate%s\n", f.cert_count,
	       f.cert_count == 1 ? "" : "s");
	printf("key: matches the certificate\n");
	check_print_time("not before",
			 gnutls_x509_crt_get_activation_time(f.certs[0]));
	check_print_time("not after",
			 gnutls_x509_crt_get_expiration_time(f.certs[0]));

	long days;
	rc = check_dates("cert", o->cert, f.certs[0], now, &days);
	if (rc == 0)
		printf("days left: %ld\n", days);

	if (rc == 0 && o->ocsp != NULL) {
		gnutls_datum_t der;
		char why[256];
		time_t expires;
		if (certs_read_file("ocsp", o->ocsp, -1, &der, err, sizeof err) != 0) {
			log_error("check: %s", err);
			rc = EX_CONFIG;
		} else if (certs_ocsp_check(&der, f.certs[0],
					    f.cert_count > 1 ? f.certs[1] : NULL,
					    now, &expires, why, sizeof why) < 0) {
			log_error("check: ocsp %s: %s", o->ocsp, why);
			rc = EX_CONFIG;
		} else {
			check_print_time("ocsp good until", expires);
		}
		gnutls_free(der.data);
	}
	certs_files_free(&f);
	return rc;
}

struct check_entry {
	char name[NAME_MAX + 1];
	int layout;	/* 0: NAME.pem, 1: NAME.crt + NAME.key, 2: NAME/ */
	int unreachable;	/* no server name leads to it */
	char file[NAME_MAX + 1];
};

static int check_entry_compare(const void *a, const void *b)
{
	const struct check_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : x->layout - y->layout;
}

/* One --cert-dir entry, as a connection asking for its name would load it. */
static int check_dir_entry(const char *dir, const struct check_entry *e,
			   time_t now)
{
	static const char *const cert_suffix[] = {".pem", ".crt", "/fullchain.pem"};
	static const char *const key_suffix[] = {".pem", ".key", "/privkey.pem"};
	static const char *const ocsp_suffix[] = {".ocsp", ".ocsp", "/ocsp.der"};
	char cert[PATH_MAX], key[PATH_MAX], ocsp[PATH_MAX], err[1024];
	struct certs_files f;
	long days = 0;
	int rc;

	snprintf(cert, sizeof cert, "%s/%s%s", dir, e->name, cert_suffix[e->layout]);
	snprintf(key, sizeof key, "%s/%s%s", dir, e->name, key_suffix[e->layout]);
	snprintf(ocsp, sizeof ocsp, "%s/%s%s", dir, e->name, ocsp_suffix[e->layout]);
	if ((rc = certs_files_load(cert, key, &f, err, sizeof err)) != 0) {
		log_error("check: %s", err);
		return rc;
	}
	rc = check_dates("cert", cert, f.certs[0], now, &days);

	/* The certificate must answer for the name it is filed under. */
	char host[SNI_ENTRY_MAX + 8];
	if (strcmp(e->name, SNI_DEFAULT_ENTRY) == 0)
		host[0] = '\0';
	else if (e->name[0] == '*')
		snprintf(host, sizeof host, "any%s", e->name + 1);
	else
		snprintf(host, sizeof host, "%s", e->name);
	if (host[0] != '\0' && !gnutls_x509_crt_check_hostname(f.certs[0], host))
		log_error("check: warning: cert %s is not valid for %s", cert,
			  e->name);

	const char *stapled = "";
	gnutls_datum_t der;
	if (access(ocsp, F_OK) == 0) {
		char why[256];
		time_t expires;
		stapled = ", ocsp good";
		if (certs_read_file("ocsp", ocsp, -1, &der, err, sizeof err) != 0) {
			log_error("check: %s", err);
			rc = EX_CONFIG;
		} else if (certs_ocsp_check(&der, f.certs[0],
					    f.cert_count > 1 ? f.certs[1] : NULL,
					    now, &expires, why, sizeof why) < 0) {
			log_error("check: ocsp %s: %s", ocsp, why);
			rc = EX_CONFIG;
		}
		gnutls_free(der.data);
	}

	gnutls_datum_t dn = {NULL, 0};
	gnutls_x509_crt_get_dn3(f.certs[0], &dn, 0);
	if (rc == 0)
		printf("entry %s: %s, %u certificate%s, %ld days left%s\n",
		       e->name, dn.data ? (char *)dn.data : "", f.cert_count,
		       f.cert_count == 1 ? "" : "s", days, stapled);
	gnutls_free(dn.data);
	certs_files_free(&f);
	return rc;
}

/* Every entry of --cert-dir: a connection looks one up, --check reads them all. */
static int check_cert_dir(const struct options *o, time_t now)
{
	DIR *d = opendir(o->cert_dir);
	struct check_entry *entries = NULL;
	size_t count = 0, capacity = 0;
	int rc = 0;

	if (d == NULL) {
		log_error("check: cert-dir %s: cannot read: %s", o->cert_dir,
			  log_strerror(errno));
		return EX_CONFIG;
	}
	for (struct dirent *de; (de = readdir(d)) != NULL;) {
		struct check_entry e = {.layout = -1};
		size_t len = strlen(de->d_name);
		struct stat st;
		char path[PATH_MAX];

		if (de->d_name[0] == '.')	/* ., .., files being written */
			continue;
		if (len > 4 && strcmp(de->d_name + len - 4, ".pem") == 0)
			e.layout = 0;
		else if (len > 4 && strcmp(de->d_name + len - 4, ".crt") == 0)
			e.layout = 1;
		else if (snprintf(path, sizeof path, "%s/%s/fullchain.pem",
				  o->cert_dir, de->d_name) < (int)sizeof path &&
			 stat(path, &st) == 0)
			e.layout = 2;
		if (e.layout < 0)
			continue;
		snprintf(e.name, sizeof e.name, "%.*s",
			 (int)(e.layout == 2 ? len : len - 4), de->d_name);
		snprintf(e.file, sizeof e.file, "%s", de->d_name);
		e.unreachable = !sni_entry_valid(e.name);
		if (count == capacity) {
			capacity = capacity ? capacity * 2 : 64;
			struct check_entry *grown =
				capacity <= CHECK_MAX_ENTRIES
					? realloc(entries, capacity * sizeof *entries)
					: NULL;
			if (grown == NULL) {
				log_error("check: cert-dir %s: too many entries",
					  o->cert_dir);
				rc = EX_CONFIG;
				break;
			}
			entries = grown;
		}
		entries[count++] = e;
	}
	closedir(d);
	if (rc != 0) {
		free(entries);
		return rc;
	}

	qsort(entries, count, sizeof *entries, check_entry_compare);
	size_t distinct = 0;
	int have_default = o->cert != NULL;
	for (size_t i = 0; i < count; i++) {
		if (entries[i].unreachable) {
			log_error("check: warning: cert-dir %s: %s is not named after a host name, *.parent or %s: no connection uses it",
				  o->cert_dir, entries[i].file, SNI_DEFAULT_ENTRY);
			continue;
		}
		/* A name filed twice: connections take the first layout. */
		if (i > 0 && strcmp(entries[i].name, entries[i - 1].name) == 0) {
			log_error("check: warning: cert-dir %s: %s has more than one certificate: the %s one is used",
				  o->cert_dir, entries[i].name,
				  entries[i - 1].layout == 0 ? "NAME.pem"
				  : entries[i - 1].layout == 1 ? "NAME.crt"
							       : "NAME/fullchain.pem");
			continue;
		}
		distinct++;
		if (strcmp(entries[i].name, SNI_DEFAULT_ENTRY) == 0)
			have_default = 1;
		if (check_dir_entry(o->cert_dir, &entries[i], now) != 0)
			rc = EX_CONFIG;
	}
	free(entries);
	printf("cert-dir: %s: %zu entr%s\n", o->cert_dir, distinct,
	       distinct == 1 ? "y" : "ies");
	if (!have_default && !o->strict_sni)
		log_error("check: warning: cert-dir %s: no %s entry and no --cert: clients without a known server name are refused",
			  o->cert_dir, SNI_DEFAULT_ENTRY);
	return rc;
}

static int check_client_ca(const struct options *o, time_t now)
{
	gnutls_datum_t data;
	gnutls_x509_crt_t *cas = NULL;
	unsigned ca_count = 0;
	char err[1024];
	int rc;

	printf("verify: %s\n", clientcert_mode(o) == VERIFY_REQUIRED ? "required"
			       : clientcert_mode(o) == VERIFY_OPTIONAL ? "optional"
									: "none");
	if (o->client_ca == NULL)
		return 0;
	if (certs_read_file("client-ca", o->client_ca, -1, &data, err, sizeof err) != 0) {
		log_error("check: %s", err);
		return EX_CONFIG;
	}
	rc = gnutls_x509_crt_list_import2(&cas, &ca_count, &data,
					  GNUTLS_X509_FMT_PEM, 0);
	gnutls_free(data.data);
	if (rc < 0 || ca_count == 0) {
		log_error("check: client-ca %s: cannot parse: %s", o->client_ca,
			  rc < 0 ? gnutls_strerror(rc) : "no certificate found");
		return EX_CONFIG;
	}
	printf("client-ca: %u certificate%s\n", ca_count, ca_count == 1 ? "" : "s");
	rc = 0;
	for (unsigned i = 0; i < ca_count; i++) {
		long days;
		if (check_dates("client-ca", o->client_ca, cas[i], now, &days) != 0)
			rc = EX_CONFIG;
	}

	if (o->crl != NULL) {
		gnutls_x509_crl_t *crls = NULL;
		unsigned crl_count = 0;
		if (certs_read_file("crl", o->crl, -1, &data, err, sizeof err) != 0) {
			log_error("check: %s", err);
			rc = EX_CONFIG;
		} else {
			int r = gnutls_x509_crl_list_import2(&crls, &crl_count, &data,
							     GNUTLS_X509_FMT_PEM, 0);
			gnutls_free(data.data);
			if (r < 0 || crl_count == 0) {
				log_error("check: crl %s: cannot parse: %s", o->crl,
					  r < 0 ? gnutls_strerror(r) : "no CRL found");
				rc = EX_CONFIG;
				crl_count = 0;
			}
		}
		for (unsigned i = 0; i < crl_count; i++) {
			unsigned verify = 0;
			time_t next = gnutls_x509_crl_get_next_update(crls[i]);
			int count = gnutls_x509_crl_get_crt_count(crls[i]);
			/* Signed by a CA of ours: dates are judged below. */
			unsigned dates = GNUTLS_CERT_INVALID |
					 GNUTLS_CERT_REVOCATION_DATA_SUPERSEDED |
					 GNUTLS_CERT_REVOCATION_DATA_ISSUED_IN_FUTURE;
			if (gnutls_x509_crl_verify(crls[i], cas, ca_count, 0, &verify) < 0 ||
			    (verify & ~dates) != 0 || (verify != 0 && !(verify & ~GNUTLS_CERT_INVALID))) {
				log_error("check: crl %s: not signed by a CA in --client-ca %s",
					  o->crl, o->client_ca);
				rc = EX_CONFIG;
			} else if (next != (time_t)-1 && now >= next) {
				char when[64];
				certs_format_time(next, when, sizeof when);
				log_error("check: crl %s: out of date since %s: every client certificate is refused",
					  o->crl, when);
				rc = EX_CONFIG;
			} else {
				printf("crl: %d revoked\n", count < 0 ? 0 : count);
				if (next != (time_t)-1)
					check_print_time("crl next update", next);
			}
			gnutls_x509_crl_deinit(crls[i]);
		}
		gnutls_free(crls);
	}
	for (unsigned i = 0; i < ca_count; i++)
		gnutls_x509_crt_deinit(cas[i]);
	gnutls_free(cas);
	return rc;
}

static int check_ticket_key(const struct options *o)
{
	unsigned char key[TICKET_KEY_SIZE];
	char err[1024];
	struct stat st;

	if (ticket_key_read(o->ticket_key, key, err, sizeof err) != 0) {
		log_error("check: %s", err);
		return EX_CONFIG;
	}
	gnutls_memset(key, 0, sizeof key);
	printf("ticket-key: %d bytes\n", TICKET_KEY_SIZE);
	if (stat(o->ticket_key, &st) == 0 && (st.st_mode & 077) != 0)
		log_error("check: warning: ticket-key %s is readable by others (mode %04o): anyone who reads it can decrypt resumed sessions",
			  o->ticket_key, (unsigned)(st.st_mode & 07777));
	return 0;
}

/*
 * The options of one check column, from the table, in its order: a line
 * "name: value" per value, the name's dashes as blanks ("tls backend").
 */
static void check_print_options(const struct options *o,
				enum option_check which)
{
	for (size_t i = 0; i < options_table_size; i++) {
		const struct option_spec *spec = &options_table[i];
		char label[sizeof spec->name], value[1024];
		size_t count = spec->check == which ? options_value_count(o, spec) : 0;

		for (size_t c = 0; c < sizeof label; c++)
			label[c] = spec->name[c] == '-' ? ' ' : spec->name[c];
		for (size_t n = 0; n < count; n++) {
			options_format_value(o, spec, n, value, sizeof value);
			printf("%s: %s\n", label, value);
		}
	}
}

int check_run(const struct options *o)
{
	char err[1024], priority[2048];
	const char *bad = NULL;
	gnutls_priority_t cache;
	time_t now = time(NULL);
	int rc;

	if (options_validate(o, err, sizeof err) != 0) {
		log_error("check: %s", err);
		return EX_CONFIG;
	}
	check_print_options(o, CHECK_DESTINATION);

	int user_len = policy_priority(o->priority, o->min_version, priority,
				       sizeof priority);
	rc = user_len < 0 ? GNUTLS_E_INVALID_REQUEST
			  : gnutls_priority_init(&cache, priority, &bad);
	if (rc < 0) {
		int shown = 40;
		if (bad != NULL && user_len > 0 && bad >= priority &&
		    bad - priority < user_len && user_len - (bad - priority) < shown)
			shown = (int)(user_len - (bad - priority));
		log_error("check: --priority: %s at '%.*s'", gnutls_strerror(rc),
			  shown, user_len < 0 ? "" : bad ? bad : "");
		return EX_CONFIG;
	}
	gnutls_priority_deinit(cache);

	if ((rc = tls_check_options(o, err, sizeof err)) != 0) {
		log_error("check: %s", err);
		return rc == EX_USAGE ? EX_CONFIG : rc;
	}

	check_linked();
	rc = 0;
	if (o->cert != NULL && check_cert(o, now) != 0)
		rc = EX_CONFIG;
	if (o->cert_dir != NULL && check_cert_dir(o, now) != 0)
		rc = EX_CONFIG;
	if ((o->client_ca != NULL || o->verify != VERIFY_DEFAULT) &&
	    check_client_ca(o, now) != 0)
		rc = EX_CONFIG;
	if (o->ticket_key != NULL && check_ticket_key(o) != 0)
		rc = EX_CONFIG;
	check_print_options(o, CHECK_SETTING);
	if (rc == 0)
		printf("ok\n");
	return rc;
}
