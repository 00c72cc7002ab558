/* test_sniff: sniff_classify on real hellos, near misses and random bytes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sniff.h"
#include "unit.h"

/* A string literal and its length, embedded NULs included. */
#define BYTES(s) (const unsigned char *)(s), sizeof(s) - 1

struct sniff_case {
	const char *what;
	const unsigned char *bytes;
	size_t len;
	size_t decided_at;	/* the shortest prefix that gets a decision */
	enum sniff_result want;
};

/* The first 32 bytes of a TLS 1.3 ClientHello from OpenSSL 3. */
static const unsigned char hello_tls13[] = {
	0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03, 0xf1,
	0x16, 0x07, 0x8c, 0x05, 0xae, 0xd6, 0x85, 0x55, 0xb8, 0x1b, 0x0a, 0xfb,
	0x5e, 0xba, 0x9a, 0x08, 0xcd, 0xe9, 0xf9, 0xb4,
};

/* The first 32 bytes of a TLS 1.2-only ClientHello from OpenSSL 3. */
static const unsigned char hello_tls12[] = {
	0x16, 0x03, 0x01, 0x00, 0xb1, 0x01, 0x00, 0x00, 0xad, 0x03, 0x03, 0x9e,
	0x08, 0x1e, 0x4a, 0x21, 0xcb, 0x8a, 0x82, 0x6d, 0x7e, 0x7f, 0x97, 0x33,
	0x13, 0x80, 0x16, 0x59, 0x9e, 0x78, 0x15, 0xff,
};

static const struct sniff_case cases[] = {
	/* TLS ClientHello records, every record version 0x0300..0x0304. */
	{"TLS 1.3 ClientHello", hello_tls13, sizeof hello_tls13, 6, SNIFF_TLS},
	{"TLS 1.2 ClientHello", hello_tls12, sizeof hello_tls12, 6, SNIFF_TLS},
	{"record version 0x0300",
	 BYTES("\x16\x03\x00\x00\xb1\x01\x00\x00\xad\x03\x00"), 6, SNIFF_TLS},
	{"record version 0x0301",
	 BYTES("\x16\x03\x01\x00\xb1\x01\x00\x00\xad\x03\x03"), 6, SNIFF_TLS},
	{"record version 0x0302",
	 BYTES("\x16\x03\x02\x00\xb1\x01\x00\x00\xad\x03\x02"), 6, SNIFF_TLS},
	{"record version 0x0303",
	 BYTES("\x16\x03\x03\x00\xb1\x01\x00\x00\xad\x03\x03"), 6, SNIFF_TLS},
	{"record version 0x0304",
	 BYTES("\x16\x03\x04\x00\xb1\x01\x00\x00\xad\x03\x03"), 6, SNIFF_TLS},
	{"record length 1", BYTES("\x16\x03\x01\x00\x01\x01"), 6, SNIFF_TLS},
	{"record length 16384", BYTES("\x16\x03\x01\x40\x00\x01"), 6,
	 SNIFF_TLS},

	/* Text and binary protocols: plain from the first byte. */
	{"FIX", BYTES("8=FIX.4.4\x01" "9=65\x01"), 1, SNIFF_PLAIN},
	{"HTTP GET", BYTES("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 1,
	 SNIFF_PLAIN},
	{"CRLF", BYTES("\r\n"), 1, SNIFF_PLAIN},
	{"NUL byte", BYTES("\0"), 1, SNIFF_PLAIN},
	{"six NUL bytes", BYTES("\0\0\0\0\0\0"), 1, SNIFF_PLAIN},
	{"SSH banner", BYTES("SSH-2.0-OpenSSH_9.2\r\n"), 1, SNIFF_PLAIN},
	{"SMTP EHLO", BYTES("EHLO mail.example\r\n"), 1, SNIFF_PLAIN},
	{"PROXY v1", BYTES("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), 1,
	 SNIFF_PLAIN},
	{"PROXY v2 signature", BYTES("\r\n\r\n\0\r\nQUIT\n"), 1, SNIFF_PLAIN},
	{"gzip magic", BYTES("\x1f\x8b\x08\x00"), 1, SNIFF_PLAIN},
	{"DEL", BYTES("\x7f\x03\x01"), 1, SNIFF_PLAIN},
	{"TLS alert record", BYTES("\x15\x03\x03\x00\x02\x02\x28"), 1,
	 SNIFF_PLAIN},
	{"TLS ChangeCipherSpec record", BYTES("\x14\x03\x03\x00\x01\x01"), 1,
	 SNIFF_PLAIN},
	{"TLS application data record", BYTES("\x17\x03\x03\x00\x20\x01"), 1,
	 SNIFF_PLAIN},

	/* 0x16 that is not followed by a TLS record version. */
	{"0x16 0x00", BYTES("\x16\x00\x01\x00\x10\x01"), 2, SNIFF_PLAIN},
	{"0x16 0x02", BYTES("\x16\x02\x00\x00\x10\x01"), 2, SNIFF_PLAIN},
	{"0x16 0x04", BYTES("\x16\x04\x01\x00\x10\x01"), 2, SNIFF_PLAIN},
	{"DTLS 1.2 handshake record", BYTES("\x16\xfe\xfd\x00\x00\x00"), 2,
	 SNIFF_PLAIN},
	{"0x16 text", BYTES("\x16GET / HTTP/1.1"), 2, SNIFF_PLAIN},

	/* Record versions past 0x0304. */
	{"record version 0x0305", BYTES("\x16\x03\x05\x00\xb1\x01"), 3,
	 SNIFF_PLAIN},
	{"record version 0x0306", BYTES("\x16\x03\x06\x00\xb1\x01"), 3,
	 SNIFF_PLAIN},
	{"record version 0x03ff", BYTES("\x16\x03\xff\x00\xb1\x01"), 3,
	 SNIFF_PLAIN},

	/* Record lengths outside 1..16384. */
	{"record length 0", BYTES("\x16\x03\x01\x00\x00\x01"), 5, SNIFF_PLAIN},
	{"record length 16385", BYTES("\x16\x03\x01\x40\x01\x01"), 5,
	 SNIFF_PLAIN},
	{"record length 65535", BYTES("\x16\x03\x03\xff\xff\x01"), 5,
	 SNIFF_PLAIN},

	/* Handshake messages other than ClientHello. */
	{"HelloRequest", BYTES("\x16\x03\x01\x00\x04\x00\x00\x00\x00"), 6,
	 SNIFF_PLAIN},
	{"ServerHello", BYTES("\x16\x03\x03\x00\x7a\x02\x00\x00\x76"), 6,
	 SNIFF_PLAIN},
	{"Certificate", BYTES("\x16\x03\x03\x04\x00\x0b"), 6, SNIFF_PLAIN},
	{"ClientKeyExchange", BYTES("\x16\x03\x03\x00\x46\x10"), 6,
	 SNIFF_PLAIN},
	{"handshake type 0xff", BYTES("\x16\x03\x03\x00\x46\xff"), 6,
	 SNIFF_PLAIN},

	/* SSLv2-format ClientHellos. */
	{"SSLv2 hello, version 0x0002",
	 BYTES("\x80\x2e\x01\x00\x02\x00\x15\x00\x00\x00\x10"), 5, SNIFF_SSLV2},
	{"SSLv2-compatible hello, version 0x0301",
	 BYTES("\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10"), 5, SNIFF_SSLV2},
	{"SSLv2-compatible hello, version 0x0300", BYTES("\x80\x2e\x01\x03\x00"),
	 5, SNIFF_SSLV2},
	{"SSLv2-compatible hello, version 0x0303", BYTES("\x80\x2e\x01\x03\x03"),
	 5, SNIFF_SSLV2},
	{"SSLv2-compatible hello, version 0x0304", BYTES("\x80\x2e\x01\x03\x04"),
	 5, SNIFF_SSLV2},
	{"SSLv2 hello, long record", BYTES("\x81\x00\x01\x03\x01"), 5,
	 SNIFF_SSLV2},

	/* High-bit bytes that are not an SSLv2 hello. */
	{"SSLv2 record shorter than a CLIENT-HELLO", BYTES("\x80\x08\x01\x03\x01"),
	 3, SNIFF_PLAIN},
	{"SSLv2 message type 0x00", BYTES("\x80\x2e\x00\x03\x01"), 3,
	 SNIFF_PLAIN},
	{"SSLv2 message type 0x02", BYTES("\x80\x2e\x02\x03\x01"), 3,
	 SNIFF_PLAIN},
	{"SSLv2 version 0x01xx", BYTES("\x80\x2e\x01\x01\x00"), 4, SNIFF_PLAIN},
	{"SSLv2 version 0x02xx", BYTES("\x80\x2e\x01\x02\x00"), 4, SNIFF_PLAIN},
	{"SSLv2 version 0x0000", BYTES("\x80\x2e\x01\x00\x00"), 5, SNIFF_PLAIN},
	{"SSLv2 version 0x0003", BYTES("\x80\x2e\x01\x00\x03"), 5, SNIFF_PLAIN},
	{"SSLv2 version 0x0305", BYTES("\x80\x2e\x01\x03\x05"), 5, SNIFF_PLAIN},
	{"JPEG", BYTES("\xff\xd8\xff\xe0\x00\x10JFIF"), 3, SNIFF_PLAIN},
	{"PNG", BYTES("\x89PNG\r\n\x1a\n"), 3, SNIFF_PLAIN},
	{"UTF-8 BOM", BYTES("\xef\xbb\xbf" "8=FIX"), 3, SNIFF_PLAIN},
	{"UTF-8 text", BYTES("\xc3\xa9t\xc3\xa9"), 3, SNIFF_PLAIN},
	{"all ones", BYTES("\xff\xff\xff\xff\xff\xff"), 3, SNIFF_PLAIN},
};

static void hex(char *out, size_t size, const unsigned char *b, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%s%02x", i ? " " : "",
				      b[i]);
}

/* Every prefix: need-more until decided_at, then the same answer. */
static void test_case(const struct sniff_case *c)
{
	char h[64];

	hex(h, sizeof h, c->bytes, c->len < 8 ? c->len : 8);
	unit_begin("%s (%s%s): %s from byte %zu on, need-more before",
		   c->what, h, c->len > 8 ? " ..." : "", sniff_name(c->want),
		   c->decided_at);
	CHECK(c->decided_at >= 1 && c->decided_at <= SNIFF_MAX);
	CHECK(c->len >= c->decided_at);
	for (size_t k = 0; k <= c->len; k++) {
		enum sniff_result want = k < c->decided_at ? SNIFF_NEED_MORE :
							     c->want;
		enum sniff_result got = sniff_classify(c->bytes, k);
		if (got != want)
			unit_fail(__FILE__, __LINE__,
				  "prefix of %zu bytes: got %s, want %s", k,
				  sniff_name(got), sniff_name(want));
	}
	unit_end();
}

static void test_names(void)
{
	CHECK_STR(sniff_name(SNIFF_NEED_MORE), "need-more");
	CHECK_STR(sniff_name(SNIFF_TLS), "tls");
	CHECK_STR(sniff_name(SNIFF_SSLV2), "sslv2");
	CHECK_STR(sniff_name(SNIFF_PLAIN), "plain");
	CHECK_STR(sniff_name((enum sniff_result)42), "?");
}

static void test_empty(void)
{
	unsigned char none[1] = {0x16};

	CHECK_INT(sniff_classify(none, 0), SNIFF_NEED_MORE);
}

/*
 * A reference written from the formats, not from sniff.c: can the first k
 * bytes of b still begin a TLS ClientHello record, or an SSLv2 hello?
 */
static int could_be_tls(const unsigned char *b, size_t k)
{
	if (k > 0 && b[0] != 0x16)
		return 0;
	if (k > 1 && b[1] != 0x03)
		return 0;
	if (k > 2 && b[2] > 0x04)
		return 0;
	if (k > 3 && b[3] > 0x40)	/* length 0x4100 and up */
		return 0;
	if (k > 4) {
		unsigned length = (unsigned)b[3] << 8 | b[4];
		if (length == 0 || length > 16384)
			return 0;
	}
	if (k > 5 && b[5] != 0x01)
		return 0;
	return 1;
}

static int could_be_sslv2(const unsigned char *b, size_t k)
{
	if (k > 0 && !(b[0] & 0x80))
		return 0;
	if (k > 2 && b[2] != 0x01)
		return 0;
	if (k > 2 && ((b[0] & 0x7f) << 8 | b[1]) < 9)
		return 0;	/* shorter than any CLIENT-HELLO */
	if (k > 3 && b[3] != 0x00 && b[3] != 0x03)
		return 0;
	if (k > 4 && (b[3] == 0x00 ? b[4] != 0x02 : b[4] > 0x04))
		return 0;
	return 1;
}

/*
 * The properties of one 6-byte buffer; returns NULL or what broke.
 *  - length 6 always decides, and decides as the reference does;
 *  - once a prefix is decided, every longer prefix gives the same answer;
 *  - a decision before 6 bytes holds for every way the buffer could go on;
 *  - need-more only while a hello is still possible (the record length
 *    is judged once both of its bytes are in).
 */
static const char *sniff_properties(const unsigned char *b)
{
	enum sniff_result r[SNIFF_MAX + 1];

	for (size_t k = 0; k <= SNIFF_MAX; k++)
		r[k] = sniff_classify(b, k);

	enum sniff_result full = could_be_tls(b, 6) ? SNIFF_TLS :
				 could_be_sslv2(b, 6) ? SNIFF_SSLV2 :
							SNIFF_PLAIN;
	if (r[SNIFF_MAX] == SNIFF_NEED_MORE)
		return "6 bytes gave need-more";
	if (r[SNIFF_MAX] != full)
		return "6 bytes decided unlike the reference";
	for (size_t k = 0; k < SNIFF_MAX; k++) {
		if (r[k] != SNIFF_NEED_MORE && r[k + 1] != r[k])
			return "a longer prefix changed the decision";
		int tls = could_be_tls(b, k), sslv2 = could_be_sslv2(b, k);
		if (r[k] == SNIFF_TLS && (!tls || sslv2))
			return "early tls while other completions exist";
		if (r[k] == SNIFF_SSLV2 && (!sslv2 || tls || k < 5))
			return "early sslv2 while other completions exist";
		if (r[k] == SNIFF_PLAIN && (tls || sslv2))
			return "plain while a hello is still possible";
		/* The reference without the one-byte length shortcut. */
		int tls_lenient = could_be_tls(b, k) ||
				  (k == 4 && b[0] == 0x16 && b[1] == 0x03 &&
				   b[2] <= 0x04);
		if (r[k] == SNIFF_NEED_MORE && !tls_lenient && !sslv2)
			return "need-more though no hello can follow";
	}
	return NULL;
}

struct property_run {
	unsigned long samples;
	unsigned long failures;
	unsigned long seen[4];		/* by final decision */
	unsigned char first_bad[SNIFF_MAX];
	const char *first_why;
};

static void property_sample(struct property_run *p, const unsigned char *b)
{
	const char *why = sniff_properties(b);

	p->samples++;
	p->seen[sniff_classify(b, SNIFF_MAX)]++;
	if (why != NULL && p->failures++ == 0) {
		memcpy(p->first_bad, b, SNIFF_MAX);
		p->first_why = why;
	}
}

static void property_report(const struct property_run *p)
{
	if (p->failures > 0) {
		char h[32];
		hex(h, sizeof h, p->first_bad, SNIFF_MAX);
		unit_fail(__FILE__, __LINE__, "%lu of %lu buffers fail; first: %s: %s",
			  p->failures, p->samples, h, p->first_why);
	}
	CHECK_INT(p->failures, 0);
}

/* Hellos that the mutations below start from. */
static const unsigned char templates[][SNIFF_MAX] = {
	{0x16, 0x03, 0x01, 0x02, 0x00, 0x01},
	{0x16, 0x03, 0x03, 0x40, 0x00, 0x01},
	{0x80, 0x2e, 0x01, 0x00, 0x02, 0x00},
	{0x80, 0x2e, 0x01, 0x03, 0x01, 0x00},
};
#define TEMPLATE_COUNT (sizeof templates / sizeof templates[0])

/* Every hello with any two of its six bytes set to every value. */
static void test_property_two_byte_mutations(void)
{
	struct property_run p = {0};
	unsigned char b[SNIFF_MAX];

	for (size_t t = 0; t < TEMPLATE_COUNT; t++)
		for (size_t i = 0; i < SNIFF_MAX; i++)
			for (size_t j = i + 1; j < SNIFF_MAX; j++)
				for (unsigned v = 0; v < 0x10000; v++) {
					memcpy(b, templates[t], SNIFF_MAX);
					b[i] = (unsigned char)(v >> 8);
					b[j] = (unsigned char)v;
					property_sample(&p, b);
				}
	property_report(&p);
	printf("# %lu buffers: %lu tls, %lu sslv2, %lu plain\n", p.samples,
	       p.seen[SNIFF_TLS], p.seen[SNIFF_SSLV2], p.seen[SNIFF_PLAIN]);
	CHECK(p.seen[SNIFF_TLS] > 0);
	CHECK(p.seen[SNIFF_SSLV2] > 0);
}

/* xorshift64*: a fixed seed, so a failure reproduces. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng_next(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

/*
 * Random buffers, biased so that every branch is reached: a hello
 * template with each byte kept, replaced by a value from the edges of
 * the format, or replaced by a random byte.
 */
static void test_property_random(void)
{
	static const unsigned char edges[] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x16, 0x3f,
		0x40, 0x41, 0x7f, 0x80, 0x81, 0xfe, 0xff,
	};
	struct property_run p = {0};
	unsigned char b[SNIFF_MAX];

	for (unsigned long n = 0; n < 2000000; n++) {
		uint64_t r = rng_next();
		memcpy(b, templates[r % TEMPLATE_COUNT], SNIFF_MAX);
		r >>= 8;
		for (size_t i = 0; i < SNIFF_MAX; i++, r >>= 8) {
			unsigned choice = (unsigned)r & 7;
			if (choice == 0)
				b[i] = edges[(r >> 3) % sizeof edges];
			else if (choice == 1)
				b[i] = (unsigned char)rng_next();
		}
		if (n % 16 == 0)	/* and some with no template at all */
			for (size_t i = 0; i < SNIFF_MAX; i++)
				b[i] = (unsigned char)rng_next();
		property_sample(&p, b);
	}
	property_report(&p);
	printf("# %lu buffers: %lu tls, %lu sslv2, %lu plain\n", p.samples,
	       p.seen[SNIFF_TLS], p.seen[SNIFF_SSLV2], p.seen[SNIFF_PLAIN]);
	/* A sample that never reaches a branch proves nothing about it. */
	CHECK(p.seen[SNIFF_TLS] > p.samples / 100);
	CHECK(p.seen[SNIFF_SSLV2] > p.samples / 100);
	CHECK(p.seen[SNIFF_PLAIN] > p.samples / 100);
}

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		test_case(&cases[i]);
	UNIT_RUN(test_names);
	UNIT_RUN(test_empty);
	UNIT_RUN(test_property_two_byte_mutations);
	UNIT_RUN(test_property_random);
	return unit_summary();
}
