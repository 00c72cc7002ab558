/*
 * check: validate everything a connection would need, without a
 * connection: backends given, priority string, certificate chain and
 * key readable, parseable and matching, and the leaf's validity dates.
 */
#include "check.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <sysexits.h>
#include <time.h>

#include "log.h"
#include "tls.h"

#define EXPIRY_WARNING_DAYS 14

static void check_print_time(const char *label, time_t t)
{
	char text[64];
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("%s: %s\n", label, text);
}

int check_run(const struct options *o)
{
	char err[1024];
	const char *bad;
	gnutls_priority_t priority;
	struct tls_files f;
	int rc;

	if (options_validate(o, err, sizeof err) != 0) {
		log_error("check: %s", err);
		return EX_CONFIG;
	}
	for (size_t i = 0; i < o->backend_count; i++)
		printf("backend: %s\n", o->backends[i].text);
	for (size_t i = 0; i < o->tls_backend_count; i++)
		printf("tls backend: %s\n", o->tls_backends[i].text);
	for (size_t i = 0; i < o->plain_backend_count; i++)
		printf("plain backend: %s\n", o->plain_backends[i].text);
	for (size_t i = 0; i < o->route_count; i++)
		printf("route: %s=%s -> %s\n",
		       o->routes[i].kind == ROUTE_SNI ? "sni" : "alpn",
		       o->routes[i].pattern, o->routes[i].backend.text);
	if (o->exec != NULL)
		printf("exec: %s\n", o->exec);

	rc = gnutls_priority_init(&priority,
				  o->priority ? o->priority : tls_default_priority,
				  &bad);
	if (rc < 0) {
		log_error("check: --priority: %s at '%.40s'", gnutls_strerror(rc),
			  bad ? bad : "");
		return EX_CONFIG;
	}
	gnutls_priority_deinit(priority);

	if ((rc = tls_files_load(o, &f, err, sizeof err)) != 0) {
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

	time_t now = time(NULL);
	time_t not_before = gnutls_x509_crt_get_activation_time(f.certs[0]);
	time_t not_after = gnutls_x509_crt_get_expiration_time(f.certs[0]);
	check_print_time("not before", not_before);
	check_print_time("not after", not_after);
	tls_files_free(&f);

	if (now < not_before) {
		log_error("check: cert %s is not valid yet", o->cert);
		return EX_CONFIG;
	}
	long days = (long)((not_after - now) / 86400);
	if (now >= not_after) {
		log_error("check: cert %s expired %ld days ago", o->cert,
			  (long)((now - not_after) / 86400));
		return EX_CONFIG;
	}
	printf("days left: %ld\n", days);
	if (days < EXPIRY_WARNING_DAYS)
		log_error("check: warning: cert %s expires in %ld days", o->cert,
			  days);
	printf("ok\n");
	return 0;
}
