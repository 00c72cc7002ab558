/* test_pem: the private key block of PEM text, decoded. */
#include <string.h>

#include "pem.h"
#include "unit.h"

struct pem_case {
	const char *what;
	const char *text;
	long want;		/* length, 0 none, -1 malformed */
	const char *der;	/* the bytes, when want > 0 */
};

static const struct pem_case cases[] = {
	{"PKCS#8", "-----BEGIN PRIVATE KEY-----\nAAEC\n-----END PRIVATE KEY-----\n",
	 3, "\x00\x01\x02"},
	{"EC, CRLF, after parameters and a certificate",
	 "-----BEGIN CERTIFICATE-----\r\nAAAA\r\n-----END CERTIFICATE-----\r\n"
	 "-----BEGIN EC PARAMETERS-----\r\nBggqhkjOPQMBBw==\r\n-----END EC PARAMETERS-----\r\n"
	 "-----BEGIN EC PRIVATE KEY-----\r\nqrvM\r\n3e7/\r\n-----END EC PRIVATE KEY-----\r\n",
	 6, "\xaa\xbb\xcc\xdd\xee\xff"},
	{"RSA, one padding", "-----BEGIN RSA PRIVATE KEY-----\nAAE=\n-----END RSA PRIVATE KEY-----",
	 2, "\x00\x01"},
	{"two paddings", "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----", 1, "\x00"},
	{"text around", "junk\n-----BEGIN PRIVATE KEY-----\n  AAEC \t\n-----END PRIVATE KEY-----\nmore",
	 3, "\x00\x01\x02"},
	{"no block", "nothing here", 0, NULL},
	{"certificate only", "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n", 0, NULL},
	{"empty", "", 0, NULL},
	{"label on another line", "-----BEGIN X\nPRIVATE KEY-----\nAAEC\n-----END X-----", 0, NULL},
	{"no END (half-written)", "-----BEGIN PRIVATE KEY-----\nAAECAwQF", -1, NULL},
	{"bad character", "-----BEGIN PRIVATE KEY-----\nAA*C\n-----END PRIVATE KEY-----", -1, NULL},
	{"encrypted, header lines",
	 "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAEC\n-----END RSA PRIVATE KEY-----",
	 -1, NULL},
	{"data after padding", "-----BEGIN PRIVATE KEY-----\nAA==AAEC\n-----END PRIVATE KEY-----", -1, NULL},
	{"three paddings", "-----BEGIN PRIVATE KEY-----\nA===\n-----END PRIVATE KEY-----", -1, NULL},
	{"empty block", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----", -1, NULL},
};

static void table(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct pem_case *c = &cases[i];
		unsigned char out[64];

		unit_begin("pem: %s", c->what);
		memset(out, 0xee, sizeof out);
		long n = pem_decode_private_key((const unsigned char *)c->text,
						strlen(c->text), out, sizeof out);
		CHECK_INT(n, c->want);
		if (c->want > 0)
			CHECK(memcmp(out, c->der, (size_t)c->want) == 0);
		unit_end();
	}
}

static void out_too_small(void)
{
	const char *text = "-----BEGIN PRIVATE KEY-----\nAAECAwQF\n-----END PRIVATE KEY-----";
	unsigned char out[8];

	CHECK_INT(pem_decode_private_key((const unsigned char *)text, strlen(text),
					 out, 6), 6);
	CHECK_INT(pem_decode_private_key((const unsigned char *)text, strlen(text),
					 out, 5), -1);
}

int main(void)
{
	table();
	UNIT_RUN(out_too_small);
	return unit_summary();
}
