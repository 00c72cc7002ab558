/* test_proxyproto: PROXY v1/v2 encoding and parsing, byte for byte. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "proxyproto.h"
#include "unit.h"

static struct proxyproto_endpoint v4(const char *ip, uint16_t port)
{
	struct proxyproto_endpoint e = {.family = AF_INET, .port = port};
	inet_pton(AF_INET, ip, e.ip);
	return e;
}

static struct proxyproto_endpoint v6(const char *ip, uint16_t port)
{
	struct proxyproto_endpoint e = {.family = AF_INET6, .port = port};
	inet_pton(AF_INET6, ip, e.ip);
	return e;
}

static struct proxyproto_bytes text(const char *s)
{
	return (struct proxyproto_bytes){(const unsigned char *)s, strlen(s)};
}

static int bytes_eq(struct proxyproto_bytes b, const char *s)
{
	return b.data != NULL && b.len == strlen(s) && memcmp(b.data, s, b.len) == 0;
}

static void crc32c_known_values(void)
{
	/* The check value of CRC-32C, and RFC 3720's 32 zero bytes. */
	static const unsigned char zeros[32];
	CHECK_INT(proxyproto_crc32c(0, "123456789", 9), 0xe3069283);
	CHECK_INT(proxyproto_crc32c(0, zeros, 32), 0x8a9136aa);
	CHECK_INT(proxyproto_crc32c(0, "", 0), 0);
	/* Chained in pieces, the same as at once. */
	CHECK_INT(proxyproto_crc32c(proxyproto_crc32c(0, "1234", 4), "56789", 5),
		  0xe3069283);
}

static void v1_encode_forms(void)
{
	struct proxyproto_header h = {.command = PROXYPROTO_PROXY};
	char out[PROXYPROTO_V1_MAX + 1];
	size_t n;

	h.source = v4("192.0.2.1", 56324);
	h.destination = v4("198.51.100.7", 443);
	n = proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_STR(out, "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n");
	CHECK_INT(n, strlen(out));

	h.source = v6("2001:db8::1", 1);
	h.destination = v6("2001:db8::2", 65535);
	proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_STR(out, "PROXY TCP6 2001:db8::1 2001:db8::2 1 65535\r\n");

	/* IPv4-mapped on both ends: TCP4. */
	h.source = v6("::ffff:192.0.2.1", 5);
	h.destination = v6("::ffff:127.0.0.1", 6);
	proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_STR(out, "PROXY TCP4 192.0.2.1 127.0.0.1 5 6\r\n");

	/* One IPv4, one IPv6: both as IPv6. */
	h.source = v4("192.0.2.1", 5);
	h.destination = v6("2001:db8::2", 6);
	proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_STR(out, "PROXY TCP6 ::ffff:192.0.2.1 2001:db8::2 5 6\r\n");

	h.source.family = AF_UNIX;
	proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_STR(out, "PROXY UNKNOWN\r\n");

	h.source = v4("192.0.2.1", 5);
	h.destination.family = AF_UNSPEC;
	proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_STR(out, "PROXY UNKNOWN\r\n");

	/* The longest line fits in 107 bytes; a short buffer gives 0. */
	h.source = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe", 65535);
	h.destination = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	n = proxyproto_encode_v1(&h, out, sizeof out);
	CHECK_INT(n, 104);
	CHECK_INT(proxyproto_encode_v1(&h, out, 50), 0);
}

static const unsigned char signature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d,
					    0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

static void v2_encode_tcp4_bytes(void)
{
	struct proxyproto_header h = {.command = PROXYPROTO_PROXY};
	unsigned char out[PROXYPROTO_ENCODE_MAX];
	static const unsigned char want_rest[] = {
		0x21, 0x11, 0x00, 0x0c,			/* PROXY, TCP4, 12 bytes */
		192, 0, 2, 1, 198, 51, 100, 7,		/* addresses */
		0xdc, 0x04, 0x01, 0xbb,			/* 56324, 443 */
	};

	h.source = v4("192.0.2.1", 56324);
	h.destination = v6("::ffff:198.51.100.7", 443);
	size_t n = proxyproto_encode_v2(&h, out, sizeof out);
	CHECK_INT(n, 28);
	CHECK(memcmp(out, signature, 12) == 0);
	CHECK(memcmp(out + 12, want_rest, sizeof want_rest) == 0);
	/* Too small a buffer: nothing, not a cut header. */
	CHECK_INT(proxyproto_encode_v2(&h, out, 27), 0);
}

static void v2_encode_tlvs_bytes(void)
{
	struct proxyproto_header h = {.command = PROXYPROTO_PROXY};
	unsigned char out[PROXYPROTO_ENCODE_MAX];
	static const unsigned char want[] = {
		0x21, 0x11, 0x00, 0x2d,
		127, 0, 0, 1, 127, 0, 0, 2, 0x00, 0x01, 0x00, 0x02,
		0x01, 0x00, 0x02, 'h', '2',			/* ALPN */
		0x02, 0x00, 0x03, 'a', '.', 'b',		/* AUTHORITY */
		0x20, 0x00, 0x13, 0x01, 0x00, 0x00, 0x00, 0x01,	/* SSL, client 1, verify 1 */
		0x21, 0x00, 0x07, 'T', 'L', 'S', 'v', '1', '.', '3',
		0x23, 0x00, 0x01, 'X',
	};

	h.source = v4("127.0.0.1", 1);
	h.destination = v4("127.0.0.2", 2);
	h.alpn = text("h2");
	h.authority = text("a.b");
	h.ssl.present = 1;
	h.ssl.client = PROXYPROTO_CLIENT_SSL;
	h.ssl.verify = 1;
	h.ssl.version = text("TLSv1.3");
	h.ssl.cipher = text("X");
	size_t n = proxyproto_encode_v2(&h, out, sizeof out);
	CHECK_INT(n, 12 + sizeof want);
	CHECK(memcmp(out + 12, want, sizeof want) == 0);
}

static void v2_round_trip_every_tlv(void)
{
	struct proxyproto_header h = {.command = PROXYPROTO_PROXY}, p;
	unsigned char out[PROXYPROTO_ENCODE_MAX + 10];
	const char *why;
	size_t used;

	h.source = v6("2001:db8::7", 40000);
	h.destination = v4("192.0.2.9", 443);	/* mixed: goes out as TCP6 */
	h.alpn = text("http/1.1");
	h.authority = text("fix.example.com");
	h.unique_id = text("0123456789abcdef0123456789abcdef");
	h.ssl.present = 1;
	h.ssl.client = PROXYPROTO_CLIENT_SSL | PROXYPROTO_CLIENT_CERT_CONN;
	h.ssl.verify = 0;
	h.ssl.version = text("TLSv1.2");
	h.ssl.cn = text("client one");
	h.ssl.cipher = text("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
	h.ssl.sig_alg = text("ECDSA-SHA256");
	h.ssl.key_alg = text("EC256");
	h.crc32c = 1;
	size_t n = proxyproto_encode_v2(&h, out, sizeof out);
	CHECK(n > 0);
	/* Payload after the header is never part of it. */
	memcpy(out + n, "\x16\x03\x01", 3);

	CHECK_INT(proxyproto_parse(out, n + 3, &p, &used, &why), PROXYPROTO_OK);
	CHECK_INT(used, n);
	CHECK_INT(p.version, 2);
	CHECK_INT(p.command, PROXYPROTO_PROXY);
	CHECK_INT(p.source.family, AF_INET6);
	CHECK(memcmp(p.source.ip, h.source.ip, 16) == 0);
	CHECK_INT(p.source.port, 40000);
	struct proxyproto_endpoint mapped = v6("::ffff:192.0.2.9", 443);
	CHECK(memcmp(p.destination.ip, mapped.ip, 16) == 0);
	CHECK_INT(p.destination.port, 443);
	CHECK(bytes_eq(p.alpn, "http/1.1"));
	CHECK(bytes_eq(p.authority, "fix.example.com"));
	CHECK(bytes_eq(p.unique_id, "0123456789abcdef0123456789abcdef"));
	CHECK(p.ssl.present);
	CHECK_INT(p.ssl.client, 3);
	CHECK_INT(p.ssl.verify, 0);
	CHECK(bytes_eq(p.ssl.version, "TLSv1.2"));
	CHECK(bytes_eq(p.ssl.cn, "client one"));
	CHECK(bytes_eq(p.ssl.cipher, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"));
	CHECK(bytes_eq(p.ssl.sig_alg, "ECDSA-SHA256"));
	CHECK(bytes_eq(p.ssl.key_alg, "EC256"));
	CHECK(p.crc32c);

	/*
	 * Any flipped bit after the fixed part breaks the CRC or the
	 * structure; but the CRC TLV's own type byte (last TLV, n - 7),
	 * flipped, makes it another TLV and the header has no CRC at all.
	 */
	int caught = 0;
	CHECK_INT(out[n - 7], 0x03);
	for (size_t i = 16; i < n; i++) {
		if (i == n - 7) {
			caught++;
			continue;
		}
		out[i] ^= 0x01;
		if (proxyproto_parse(out, n, &p, &used, &why) == PROXYPROTO_INVALID)
			caught++;
		out[i] ^= 0x01;
	}
	CHECK_INT(caught, n - 16);
	out[20] ^= 0x80;
	CHECK_INT(proxyproto_parse(out, n, &p, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 CRC32C mismatch");
}

static void v2_encode_limits(void)
{
	struct proxyproto_header h = {.command = PROXYPROTO_PROXY};
	unsigned char out[PROXYPROTO_ENCODE_MAX];
	char id[130];

	memset(id, 'x', sizeof id - 1);
	id[sizeof id - 1] = '\0';
	h.source = v4("127.0.0.1", 1);
	h.destination = v4("127.0.0.1", 2);
	h.unique_id = (struct proxyproto_bytes){(const unsigned char *)id, 129};
	CHECK_INT(proxyproto_encode_v2(&h, out, sizeof out), 0);
	h.unique_id.len = 128;
	CHECK(proxyproto_encode_v2(&h, out, sizeof out) > 0);

	/* Unknown endpoints: PROXY with family UNSPEC, TLVs still carried. */
	struct proxyproto_header u = {.command = PROXYPROTO_PROXY}, p;
	u.ssl.present = 1;
	size_t n = proxyproto_encode_v2(&u, out, sizeof out), used;
	const char *why;
	CHECK_INT(n, 16 + 3 + 5);
	CHECK_INT(out[12], 0x21);
	CHECK_INT(out[13], 0x00);
	CHECK_INT(proxyproto_parse(out, n, &p, &used, &why), PROXYPROTO_OK);
	CHECK_INT(p.source.family, AF_UNSPEC);
	CHECK(p.ssl.present);
	CHECK_INT(p.ssl.client, 0);

	/* LOCAL: no addresses. */
	u.command = PROXYPROTO_LOCAL;
	u.ssl.present = 0;
	n = proxyproto_encode_v2(&u, out, sizeof out);
	CHECK_INT(n, 16);
	CHECK_INT(out[12], 0x20);
	CHECK_INT(proxyproto_parse(out, n, &p, &used, &why), PROXYPROTO_OK);
	CHECK_INT(p.command, PROXYPROTO_LOCAL);
}

struct v1_case {
	const char *line;
	enum proxyproto_parse_result result;
	const char *why;	/* INVALID */
	int family;		/* OK */
	const char *source;	/* OK, formatted */
	const char *destination;
};

static const struct v1_case v1_cases[] = {
	{"PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n", PROXYPROTO_OK, NULL,
	 AF_INET, "192.0.2.1:56324", "198.51.100.7:443"},
	{"PROXY TCP6 2001:db8::1 ::1 0 65535\r\n", PROXYPROTO_OK, NULL, AF_INET6,
	 "[2001:db8::1]:0", "[::1]:65535"},
	{"PROXY UNKNOWN\r\n", PROXYPROTO_OK, NULL, AF_UNSPEC, "unknown",
	 "unknown"},
	{"PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", PROXYPROTO_OK, NULL, AF_UNSPEC,
	 "unknown", "unknown"},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2", PROXYPROTO_NEED_MORE, NULL, 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r", PROXYPROTO_NEED_MORE, NULL, 0, NULL, NULL},
	{"PRO", PROXYPROTO_NEED_MORE, NULL, 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", PROXYPROTO_INVALID,
	 "v1 line with a control byte", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX", PROXYPROTO_INVALID,
	 "v1 line without CRLF", 0, NULL, NULL},
	{"PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n", PROXYPROTO_INVALID,
	 "no PROXY header", 0, NULL, NULL},
	{"POST / HTTP/1.1\r\n", PROXYPROTO_INVALID, "no PROXY header", 0, NULL, NULL},
	{"GET / HTTP/1.1\r\n", PROXYPROTO_INVALID, "no PROXY header", 0, NULL, NULL},
	{"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with an unknown protocol", 0, NULL, NULL},
	{"PROXY UNKNOWNX\r\n", PROXYPROTO_INVALID,
	 "v1 line with an unknown protocol", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 ::1 1 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad address", 0, NULL, NULL},
	{"PROXY TCP6 1.2.3.4 ::1 1 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad address", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad address", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad address", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad port", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 -2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad port", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad port", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad port", 0, NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 0000001 2\r\n", PROXYPROTO_INVALID,
	 "v1 line with a bad port", 0, NULL, NULL},
	{"PROXY TCP4\r\n", PROXYPROTO_INVALID, "v1 line with a bad address", 0,
	 NULL, NULL},
	{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\x01\r\n", PROXYPROTO_INVALID,
	 "v1 line with a control byte", 0, NULL, NULL},
};

static void v1_parse_table(void)
{
	for (size_t i = 0; i < sizeof v1_cases / sizeof v1_cases[0]; i++) {
		const struct v1_case *c = &v1_cases[i];
		struct proxyproto_header h;
		const char *why;
		size_t used, len = strlen(c->line);
		char s[64], d[64];

		unit_begin("v1 parse: %s", c->line);
		CHECK_INT(proxyproto_parse((const unsigned char *)c->line, len, &h,
					   &used, &why), c->result);
		if (c->result == PROXYPROTO_OK) {
			CHECK_INT(used, len);
			CHECK_INT(h.version, 1);
			CHECK_INT(h.source.family, c->family);
			proxyproto_endpoint_format(&h.source, s, sizeof s);
			proxyproto_endpoint_format(&h.destination, d, sizeof d);
			CHECK_STR(s, c->source);
			CHECK_STR(d, c->destination);
		} else if (c->result == PROXYPROTO_INVALID) {
			CHECK_STR(why, c->why);
		} else {
			CHECK(used > len);
		}
		unit_end();
	}
}

static void v1_length_limit(void)
{
	char line[200];
	struct proxyproto_header h;
	const char *why;
	size_t used;

	/* 107 bytes with CRLF: the longest allowed (UNKNOWN may carry junk). */
	memset(line, 'x', sizeof line);
	memcpy(line, "PROXY UNKNOWN ", 14);
	memcpy(line + 105, "\r\n", 2);
	CHECK_INT(proxyproto_parse((unsigned char *)line, 107, &h, &used, &why),
		  PROXYPROTO_OK);
	CHECK_INT(used, 107);
	/* One more byte before CRLF: refused, and so is a line with no end. */
	memset(line + 105, 'x', 2);
	memcpy(line + 106, "\r\n", 2);
	CHECK_INT(proxyproto_parse((unsigned char *)line, 108, &h, &used, &why),
		  PROXYPROTO_INVALID);
	CHECK_STR(why, "v1 line without CRLF");
	memset(line + 14, 'x', sizeof line - 14);
	CHECK_INT(proxyproto_parse((unsigned char *)line, 107, &h, &used, &why),
		  PROXYPROTO_INVALID);
	CHECK_STR(why, "v1 line longer than 107 bytes");
	CHECK_INT(proxyproto_parse((unsigned char *)line, 106, &h, &used, &why),
		  PROXYPROTO_NEED_MORE);
	CHECK_INT(used, 107);
}

/* Every proper prefix of a header asks for more, and never past its end. */
static void prefixes_need_more(void)
{
	struct proxyproto_header h = {.command = PROXYPROTO_PROXY}, p;
	unsigned char out[PROXYPROTO_ENCODE_MAX];
	char line[PROXYPROTO_V1_MAX + 1];
	const char *why;
	size_t used;

	h.source = v4("10.0.0.1", 1000);
	h.destination = v4("10.0.0.2", 443);
	h.authority = text("example.org");
	h.crc32c = 1;
	size_t n = proxyproto_encode_v2(&h, out, sizeof out);
	for (size_t len = 0; len < n; len++) {
		CHECK_INT(proxyproto_parse(out, len, &p, &used, &why),
			  PROXYPROTO_NEED_MORE);
		CHECK(used > len && used <= n);
		if (len >= 16)
			CHECK_INT(used, n);
	}
	size_t m = proxyproto_encode_v1(&h, line, sizeof line);
	for (size_t len = 0; len < m; len++) {
		CHECK_INT(proxyproto_parse((unsigned char *)line, len, &p, &used,
					   &why), PROXYPROTO_NEED_MORE);
		CHECK(used > len && used <= m);
	}
}

/* A v2 header from parts: family byte, then the bytes after the length. */
static size_t v2_build(unsigned char *out, unsigned char ver_cmd,
		       unsigned char family, const unsigned char *rest,
		       size_t rest_len)
{
	memcpy(out, signature, 12);
	out[12] = ver_cmd;
	out[13] = family;
	out[14] = (unsigned char)(rest_len >> 8);
	out[15] = (unsigned char)rest_len;
	memcpy(out + 16, rest, rest_len);
	return 16 + rest_len;
}

static void v2_parse_bad_and_odd(void)
{
	unsigned char buf[512], rest[300];
	struct proxyproto_header h;
	const char *why;
	size_t used, n;
	static const unsigned char tcp4[12] = {1, 2, 3, 4, 5, 6, 7, 8, 0, 9, 0, 10};

	n = v2_build(buf, 0x11, 0x11, tcp4, 12);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 header of an unknown version");
	/* ... found from byte 13 on, without waiting for the rest. */
	CHECK_INT(proxyproto_parse(buf, 13, &h, &used, &why), PROXYPROTO_INVALID);

	n = v2_build(buf, 0x22, 0x11, tcp4, 12);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 header with an unknown command");

	n = v2_build(buf, 0x21, 0x41, tcp4, 12);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 header with an unknown family");

	n = v2_build(buf, 0x21, 0x12, tcp4, 12);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 header for a datagram on a stream");

	n = v2_build(buf, 0x21, 0x21, tcp4, 12);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 address block too short");

	/* TLVs: cut, too long, unknown and NOOP skipped. */
	memcpy(rest, tcp4, 12);
	memcpy(rest + 12, "\x04\x00\x02zz\xee\x00\x01q\x02\x00\x01h", 13);
	n = v2_build(buf, 0x21, 0x11, rest, 25);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_OK);
	CHECK(bytes_eq(h.authority, "h"));
	char s[64];
	proxyproto_endpoint_format(&h.source, s, sizeof s);
	CHECK_STR(s, "1.2.3.4:9");
	n = v2_build(buf, 0x21, 0x11, rest, 24);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 TLV longer than the header");
	n = v2_build(buf, 0x21, 0x11, rest, 14);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 TLV cut short");

	/* UNIQUE_ID over 128 bytes; CRC32C of the wrong size; a short SSL TLV. */
	memset(rest + 12, 'u', 200);
	memcpy(rest + 12, "\x05\x00\x81", 3);
	n = v2_build(buf, 0x21, 0x11, rest, 12 + 3 + 129);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 UNIQUE_ID longer than 128 bytes");
	memcpy(rest + 12, "\x03\x00\x02" "ab", 5);
	n = v2_build(buf, 0x21, 0x11, rest, 17);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 CRC32C TLV not 4 bytes");
	memcpy(rest + 12, "\x20\x00\x04\x01\x00\x00\x00", 7);
	n = v2_build(buf, 0x21, 0x11, rest, 19);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 SSL TLV malformed");
	memcpy(rest + 12, "\x20\x00\x08\x01\x00\x00\x00\x00\x21\x00\x05", 11);
	n = v2_build(buf, 0x21, 0x11, rest, 23);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "v2 SSL TLV malformed");

	/* UNIX: addresses not used, TLVs after its 216 bytes still read. */
	memset(rest, 0, sizeof rest);
	memcpy(rest + 216, "\x02\x00\x01u", 4);
	n = v2_build(buf, 0x21, 0x31, rest, 220);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_OK);
	CHECK_INT(h.source.family, AF_UNSPEC);
	CHECK(bytes_eq(h.authority, "u"));

	/* LOCAL: whatever follows is skipped, even nonsense. */
	n = v2_build(buf, 0x20, 0x00, (const unsigned char *)"\xff\xff\xff", 3);
	CHECK_INT(proxyproto_parse(buf, n, &h, &used, &why), PROXYPROTO_OK);
	CHECK_INT(h.command, PROXYPROTO_LOCAL);
	CHECK_INT(used, 19);

	/* Not a header: a TLS record, zero bytes, a near-signature. */
	CHECK_INT(proxyproto_parse((const unsigned char *)"\x16\x03\x01", 3, &h,
				   &used, &why), PROXYPROTO_INVALID);
	CHECK_STR(why, "no PROXY header");
	CHECK_INT(proxyproto_parse(buf, 0, &h, &used, &why), PROXYPROTO_NEED_MORE);
	CHECK_INT(used, 1);
	memcpy(buf, signature, 12);
	buf[6] = 'X';
	CHECK_INT(proxyproto_parse(buf, 7, &h, &used, &why), PROXYPROTO_INVALID);
}

static void endpoint_unmap(void)
{
	struct proxyproto_endpoint e = v6("::ffff:10.1.2.3", 7);
	char s[64];

	proxyproto_endpoint_unmap(&e);
	CHECK_INT(e.family, AF_INET);
	proxyproto_endpoint_format(&e, s, sizeof s);
	CHECK_STR(s, "10.1.2.3:7");
	e = v6("::10.1.2.3", 7);	/* IPv4-compatible, not mapped */
	proxyproto_endpoint_unmap(&e);
	CHECK_INT(e.family, AF_INET6);
}

int main(void)
{
	UNIT_RUN(crc32c_known_values);
	UNIT_RUN(v1_encode_forms);
	UNIT_RUN(v2_encode_tcp4_bytes);
	UNIT_RUN(v2_encode_tlvs_bytes);
	UNIT_RUN(v2_round_trip_every_tlv);
	UNIT_RUN(v2_encode_limits);
	v1_parse_table();
	UNIT_RUN(v1_length_limit);
	UNIT_RUN(prefixes_need_more);
	UNIT_RUN(v2_parse_bad_and_odd);
	UNIT_RUN(endpoint_unmap);
	return unit_summary();
}
