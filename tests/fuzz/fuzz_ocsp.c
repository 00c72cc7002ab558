/*
 * fuzz_ocsp: certs_ocsp_check, the parser that reads an OCSP response
 * (DER) from a --ocsp file or a --cert-dir entry's .ocsp / ocsp.der,
 * which an outside responder wrote.  The input is the response, judged
 * for a fixed leaf and issuer (embedded below, made with openssl for
 * this harness and valid until 2126) at a fixed time, once with the
 * issuer and once without, as for a chain that lacks it.  Aborts when a
 * refusal gives no one-line reason, when an accepted response expires
 * at or before the time it is judged at, when a response is good with
 * its issuer but not without (the issuer only adds a condition), when
 * the two disagree on the expiry, or when a response is good for
 * another certificate of the same issuer too (it names one serial).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A day after the seed responses were made (2026-12-07 10:57:23 UTC). */
#define FUZZ_NOW ((time_t)1796641043 + 86400)

static const char ca_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBfDCCASGgAwIBAgIUT3W+KheUOvu0rWIyzdKyYkP2uKQwCgYIKoZIzj0EAwIw\n"
	"EjEQMA4GA1UEAwwHZnV6ei1jYTAgFw0yNjEyMDcxMDU3MjNaGA8yMTI2MTExMzEw\n"
	"NTcyM1owEjEQMA4GA1UEAwwHZnV6ei1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
	"A0IABOxX9aBH9opI6jt2W/gCL3DDqCpYbcFyBLAtnKrt39davcrxxcoCJryND62M\n"
	"m/bsZH359M1AXVZ/NS4F/AwBv6ajUzBRMB0GA1UdDgQWBBRc99jfDyTGTdjM2akj\n"
	"G8t+LZsw7zAfBgNVHSMEGDAWgBRc99jfDyTGTdjM2akjG8t+LZsw7zAPBgNVHRMB\n"
	"Af8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQD2zxcBUwOe0PBG2RmMCS1QVdYH\n"
	"LgiEQRaIrfutvzhiyAIhAOjqc0kMKVSH9TBpsNvYuF2Io0CF/HVKJG1Hccxks45E\n"
	"-----END CERTIFICATE-----\n";
static const char leaf_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBKzCB0QIUDNBN3kqDFjvzYMoftVcMM5K2E48wCgYIKoZIzj0EAwIwEjEQMA4G\n"
	"A1UEAwwHZnV6ei1jYTAgFw0yNjEyMDcxMDU3MjNaGA8yMTI2MTExMzEwNTcyM1ow\n"
	"HDEaMBgGA1UEAwwRZnV6ei5leGFtcGxlLnRlc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAAQQcWa5Qr372iW6TU/9cX+TX6hXApklAkJ7dV5HuuhAY2pEViX/p65Y\n"
	"nHsfASonXQFezeypdS/rGmnqDjbb8IsPMAoGCCqGSM49BAMCA0kAMEYCIQDBu2d7\n"
	"FisunO1ukSOgp3SfmCDJpCWiaxqP3elLCM/SSQIhAPr3PTzj6l9gyPjU534Vs240\n"
	"evIY0wI0pLQOPu80LRQn\n"
	"-----END CERTIFICATE-----\n";
/* Another certificate from the same CA, with another serial. */
static const char other_pem[] =
	"-----BEGIN CERTIFICATE-----\n"
	"MIIBKjCB0QIUDNBN3kqDFjvzYMoftVcMM5K2E5AwCgYIKoZIzj0EAwIwEjEQMA4G\n"
	"A1UEAwwHZnV6ei1jYTAgFw0yNjEyMDcxMDU3MjNaGA8yMTI2MTExMzEwNTcyM1ow\n"
	"HDEaMBgGA1UEAwwRZnV6ei5leGFtcGxlLnRlc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
	"PQMBBwNCAAQQcWa5Qr372iW6TU/9cX+TX6hXApklAkJ7dV5HuuhAY2pEViX/p65Y\n"
	"nHsfASonXQFezeypdS/rGmnqDjbb8IsPMAoGCCqGSM49BAMCA0gAMEUCIQCKYcmy\n"
	"7EWCls599aNGYhXvrCfokoYIkKdzc05hgl5ayAIgXXioKYMXycRztIRB0IOL8SdF\n"
	"t/4EPPoPjfgAdBbrgWw=\n"
	"-----END CERTIFICATE-----\n";

static gnutls_x509_crt_t import(const char *pem)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};

	if (gnutls_x509_crt_init(&crt) < 0 ||
	    gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) < 0)
		abort();
	return crt;
}

static void check_reason(const char *why)
{
	if (why[0] == '\0' || strchr(why, '\n') != NULL)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static gnutls_x509_crt_t ca, leaf, other;
	gnutls_datum_t der = {(unsigned char *)data, (unsigned)size};
	char why[256] = "", why_alone[256] = "", why_other[256] = "";
	time_t expires = 0, expires_alone = 0, expires_other = 0;

	if (ca == NULL) {
		ca = import(ca_pem);
		leaf = import(leaf_pem);
		other = import(other_pem);
	}
	int rc = certs_ocsp_check(&der, leaf, ca, FUZZ_NOW, &expires, why,
				  sizeof why);
	int alone = certs_ocsp_check(&der, leaf, NULL, FUZZ_NOW,
				     &expires_alone, why_alone,
				     sizeof why_alone);
	int for_other = certs_ocsp_check(&der, other, ca, FUZZ_NOW,
					 &expires_other, why_other,
					 sizeof why_other);

	if (rc == 0 && (expires <= FUZZ_NOW || alone != 0 ||
			expires_alone != expires || for_other == 0))
		abort();
	if (alone == 0 && expires_alone <= FUZZ_NOW)
		abort();
	if (rc != 0)
		check_reason(why);
	if (alone != 0)
		check_reason(why_alone);
	if (for_other != 0)
		check_reason(why_other);
	return 0;
}
