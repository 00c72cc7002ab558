/*
 * proxyproto: the PROXY protocol (haproxy's doc/proxy-protocol.txt).
 * A header tells the next hop who the client is; v2 adds TLVs for the
 * TLS facts.  Encoding and parsing are pure: buffers in, values out, no
 * system calls, so both are unit-tested and fuzzed.
 */
#include "proxyproto.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const unsigned char v2_signature[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

enum {
	V2_CMD_LOCAL = 0x0,
	V2_CMD_PROXY = 0x1,
	V2_AF_UNSPEC = 0x0,
	V2_AF_INET = 0x1,
	V2_AF_INET6 = 0x2,
	V2_AF_UNIX = 0x3,
	V2_TRANSPORT_STREAM = 0x1,
	V2_TRANSPORT_DGRAM = 0x2,
	V2_INET_LEN = 12,
	V2_INET6_LEN = 36,
	V2_UNIX_LEN = 216,
	TLV_ALPN = 0x01,
	TLV_AUTHORITY = 0x02,
	TLV_CRC32C = 0x03,
	TLV_NOOP = 0x04,
	TLV_UNIQUE_ID = 0x05,
	TLV_SSL = 0x20,
	TLV_SSL_VERSION = 0x21,
	TLV_SSL_CN = 0x22,
	TLV_SSL_CIPHER = 0x23,
	TLV_SSL_SIG_ALG = 0x24,
	TLV_SSL_KEY_ALG = 0x25,
	TLV_HEADER_LEN = 3,
	SSL_FIXED_LEN = 5,	/* client (1) and verify (4) */
};

static const unsigned char v4_mapped_prefix[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff,
};

/* Four bits at a time: a 16-entry table, small and fast enough for headers. */
uint32_t proxyproto_crc32c(uint32_t crc, const void *buf, size_t len)
{
	static const uint32_t table[16] = {
		0x00000000, 0x105ec76f, 0x20bd8ede, 0x30e349b1,
		0x417b1dbc, 0x5125dad3, 0x61c69362, 0x7198540d,
		0x82f63b78, 0x92a8fc17, 0xa24bb5a6, 0xb21572c9,
		0xc38d26c4, 0xd3d3e1ab, 0xe330a81a, 0xf36e6f75,
	};
	const unsigned char *p = buf;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		crc = (crc >> 4) ^ table[crc & 0x0f];
		crc = (crc >> 4) ^ table[crc & 0x0f];
	}
	return ~crc;
}

void proxyproto_endpoint_unmap(struct proxyproto_endpoint *e)
{
	if (e->family == AF_INET6 &&
	    memcmp(e->ip, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
		memmove(e->ip, e->ip + 12, 4);
		memset(e->ip + 4, 0, 12);
		e->family = AF_INET;
	}
}

static void endpoint_map_v6(struct proxyproto_endpoint *e)
{
	if (e->family != AF_INET)
		return;
	memmove(e->ip + 12, e->ip, 4);
	memcpy(e->ip, v4_mapped_prefix, sizeof v4_mapped_prefix);
	e->family = AF_INET6;
}

void proxyproto_endpoint_format(const struct proxyproto_endpoint *e, char *out,
				size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (e->family == AF_INET &&
	    inet_ntop(AF_INET, e->ip, host, sizeof host) != NULL)
		snprintf(out, size, "%s:%u", host, e->port);
	else if (e->family == AF_INET6 &&
		 inet_ntop(AF_INET6, e->ip, host, sizeof host) != NULL)
		snprintf(out, size, "[%s]:%u", host, e->port);
	else
		snprintf(out, size, "unknown");
}

/*
 * The family both ends go out with: AF_INET, AF_INET6 (an IPv4 end
 * mapped), or AF_UNSPEC when either end has no IP address.
 */
static int header_family(const struct proxyproto_header *h,
			 struct proxyproto_endpoint *src,
			 struct proxyproto_endpoint *dst)
{
	*src = h->source;
	*dst = h->destination;
	proxyproto_endpoint_unmap(src);
	proxyproto_endpoint_unmap(dst);
	if (h->command == PROXYPROTO_LOCAL)
		return AF_UNSPEC;
	if ((src->family != AF_INET && src->family != AF_INET6) ||
	    (dst->family != AF_INET && dst->family != AF_INET6))
		return AF_UNSPEC;
	if (src->family == AF_INET && dst->family == AF_INET)
		return AF_INET;
	endpoint_map_v6(src);
	endpoint_map_v6(dst);
	return AF_INET6;
}

size_t proxyproto_encode_v1(const struct proxyproto_header *h, char *out,
			    size_t size)
{
	struct proxyproto_endpoint src, dst;
	char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
	int family = header_family(h, &src, &dst), n;

	if (family == AF_UNSPEC)
		n = snprintf(out, size, "PROXY UNKNOWN\r\n");
	else if (inet_ntop(family, src.ip, s, sizeof s) == NULL ||
		 inet_ntop(family, dst.ip, d, sizeof d) == NULL)
		return 0;
	else
		n = snprintf(out, size, "PROXY %s %s %s %u %u\r\n",
			     family == AF_INET ? "TCP4" : "TCP6", s, d,
			     src.port, dst.port);
	if (n < 0 || (size_t)n >= size)
		return 0;
	return (size_t)n;
}

struct writer {
	unsigned char *out;
	size_t size;
	size_t len;
	int overflow;
};

static void put(struct writer *w, const void *data, size_t len)
{
	if (w->overflow || len > w->size - w->len) {
		w->overflow = 1;
		return;
	}
	memcpy(w->out + w->len, data, len);
	w->len += len;
}

static void put_u8(struct writer *w, unsigned v)
{
	unsigned char b = (unsigned char)v;

	put(w, &b, 1);
}

static void put_u16(struct writer *w, unsigned v)
{
	unsigned char b[2] = {(unsigned char)(v >> 8), (unsigned char)v};

	put(w, b, 2);
}

static void put_u32(struct writer *w, uint32_t v)
{
	unsigned char b[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	put(w, b, 4);
}

/* A TLV whose value is given; absent values write nothing. */
static void put_tlv(struct writer *w, unsigned type,
		    const struct proxyproto_bytes *value)
{
	if (value->data == NULL)
		return;
	if (value->len > 0xffff) {
		w->overflow = 1;
		return;
	}
	put_u8(w, type);
	put_u16(w, (unsigned)value->len);
	put(w, value->data, value->len);
}

/* Where a length must be written once what it covers is known. */
static void patch_u16(struct writer *w, size_t at, size_t value)
{
	if (w->overflow)
		return;
	if (value > 0xffff) {
		w->overflow = 1;
		return;
	}
	w->out[at] = (unsigned char)(value >> 8);
	w->out[at + 1] = (unsigned char)value;
}

size_t proxyproto_encode_v2(const struct proxyproto_header *h,
			    unsigned char *out, size_t size)
{
	struct writer w = {.out = out, .size = size};
	struct proxyproto_endpoint src, dst;
	int family = header_family(h, &src, &dst);

	if (h->unique_id.data != NULL &&
	    h->unique_id.len > PROXYPROTO_UNIQUE_ID_MAX)
		return 0;

	put(&w, v2_signature, sizeof v2_signature);
	put_u8(&w, 0x20 | (h->command == PROXYPROTO_LOCAL ? V2_CMD_LOCAL
							 : V2_CMD_PROXY));
	if (family == AF_INET) {
		put_u8(&w, V2_AF_INET << 4 | V2_TRANSPORT_STREAM);
		put_u16(&w, 0);
		put(&w, src.ip, 4);
		put(&w, dst.ip, 4);
	} else if (family == AF_INET6) {
		put_u8(&w, V2_AF_INET6 << 4 | V2_TRANSPORT_STREAM);
		put_u16(&w, 0);
		put(&w, src.ip, 16);
		put(&w, dst.ip, 16);
	} else {
		put_u8(&w, V2_AF_UNSPEC << 4);
		put_u16(&w, 0);
	}
	if (family != AF_UNSPEC) {
		put_u16(&w, src.port);
		put_u16(&w, dst.port);
	}

	put_tlv(&w, TLV_ALPN, &h->alpn);
	put_tlv(&w, TLV_AUTHORITY, &h->authority);
	put_tlv(&w, TLV_UNIQUE_ID, &h->unique_id);
	if (h->ssl.present) {
		const struct proxyproto_ssl *ssl = &h->ssl;
		size_t start;
		put_u8(&w, TLV_SSL);
		start = w.len;
		put_u16(&w, 0);
		put_u8(&w, ssl->client);
		put_u32(&w, ssl->verify);
		put_tlv(&w, TLV_SSL_VERSION, &ssl->version);
		put_tlv(&w, TLV_SSL_CN, &ssl->cn);
		put_tlv(&w, TLV_SSL_CIPHER, &ssl->cipher);
		put_tlv(&w, TLV_SSL_SIG_ALG, &ssl->sig_alg);
		put_tlv(&w, TLV_SSL_KEY_ALG, &ssl->key_alg);
		patch_u16(&w, start, w.len - start - 2);
	}
	size_t crc_at = 0;
	if (h->crc32c) {
		put_u8(&w, TLV_CRC32C);
		put_u16(&w, 4);
		crc_at = w.len;
		put_u32(&w, 0);
	}
	patch_u16(&w, 14, w.len - PROXYPROTO_V2_FIXED);
	if (w.overflow)
		return 0;
	if (h->crc32c) {
		uint32_t crc = proxyproto_crc32c(0, out, w.len);
		out[crc_at] = (unsigned char)(crc >> 24);
		out[crc_at + 1] = (unsigned char)(crc >> 16);
		out[crc_at + 2] = (unsigned char)(crc >> 8);
		out[crc_at + 3] = (unsigned char)crc;
	}
	return w.len;
}

/* --- Parsing --- */

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal port, 1 to 5 digits, at most 65535; *p moves past it. */
static int parse_port(const char **p, const char *end, uint16_t *port)
{
	unsigned long value = 0;
	int digits = 0;

	while (*p < end && is_digit((unsigned char)**p) && digits < 6) {
		value = value * 10 + (unsigned long)(**p - '0');
		(*p)++;
		digits++;
	}
	if (digits == 0 || digits > 5 || value > 65535)
		return -1;
	*port = (uint16_t)value;
	return 0;
}

/* An address up to the next space; *p moves past it. */
static int parse_address(const char **p, const char *end, int family,
			 unsigned char *ip)
{
	char text[INET6_ADDRSTRLEN];
	size_t n = 0;

	while (*p + n < end && (*p)[n] != ' ') {
		if (n + 1 >= sizeof text)
			return -1;
		text[n] = (*p)[n];
		n++;
	}
	text[n] = '\0';
	if (n == 0 || inet_pton(family, text, ip) != 1)
		return -1;
	*p += n;
	return 0;
}

static int expect_space(const char **p, const char *end)
{
	if (*p >= end || **p != ' ')
		return -1;
	(*p)++;
	return 0;
}

static enum proxyproto_parse_result
parse_v1(const unsigned char *buf, size_t len, struct proxyproto_header *h,
	 size_t *used, const char **why)
{
	static const char prefix[] = "PROXY ";
	size_t limit = len < PROXYPROTO_V1_MAX ? len : PROXYPROTO_V1_MAX;
	size_t line_len = 0;

	if (memcmp(buf, prefix, len < 6 ? len : 6) != 0) {
		*why = "no PROXY header";
		return PROXYPROTO_INVALID;
	}
	/* Only printable ASCII before CRLF: garbage fails at once. */
	for (size_t i = 0; i < limit; i++) {
		if (buf[i] == '\r') {
			if (i + 1 == len) {
				*used = len + 1;
				return PROXYPROTO_NEED_MORE;
			}
			if (i + 1 >= PROXYPROTO_V1_MAX || buf[i + 1] != '\n') {
				*why = "v1 line without CRLF";
				return PROXYPROTO_INVALID;
			}
			line_len = i + 2;
			break;
		}
		if (buf[i] < 0x20 || buf[i] > 0x7e) {
			*why = "v1 line with a control byte";
			return PROXYPROTO_INVALID;
		}
	}
	if (line_len == 0) {
		if (len >= PROXYPROTO_V1_MAX) {
			*why = "v1 line longer than 107 bytes";
			return PROXYPROTO_INVALID;
		}
		*used = len + 1;
		return PROXYPROTO_NEED_MORE;
	}

	const char *p = (const char *)buf + 6, *end = (const char *)buf + line_len - 2;
	int family;
	h->version = 1;
	h->command = PROXYPROTO_PROXY;
	if ((size_t)(end - p) >= 7 && memcmp(p, "UNKNOWN", 7) == 0 &&
	    (end - p == 7 || p[7] == ' ')) {
		/* The spec: whatever follows UNKNOWN is ignored. */
		*used = line_len;
		return PROXYPROTO_OK;
	}
	if ((size_t)(end - p) >= 4 && memcmp(p, "TCP4", 4) == 0)
		family = AF_INET;
	else if ((size_t)(end - p) >= 4 && memcmp(p, "TCP6", 4) == 0)
		family = AF_INET6;
	else {
		*why = "v1 line with an unknown protocol";
		return PROXYPROTO_INVALID;
	}
	p += 4;
	h->source.family = h->destination.family = family;
	if (expect_space(&p, end) < 0 ||
	    parse_address(&p, end, family, h->source.ip) < 0 ||
	    expect_space(&p, end) < 0 ||
	    parse_address(&p, end, family, h->destination.ip) < 0) {
		*why = "v1 line with a bad address";
		return PROXYPROTO_INVALID;
	}
	if (expect_space(&p, end) < 0 || parse_port(&p, end, &h->source.port) < 0 ||
	    expect_space(&p, end) < 0 ||
	    parse_port(&p, end, &h->destination.port) < 0 || p != end) {
		*why = "v1 line with a bad port";
		return PROXYPROTO_INVALID;
	}
	*used = line_len;
	return PROXYPROTO_OK;
}

static unsigned read_u16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t read_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int parse_ssl(const unsigned char *p, size_t len,
		     struct proxyproto_ssl *ssl)
{
	if (len < SSL_FIXED_LEN)
		return -1;
	ssl->present = 1;
	ssl->client = p[0];
	ssl->verify = read_u32(p + 1);
	for (size_t off = SSL_FIXED_LEN; off < len;) {
		if (len - off < TLV_HEADER_LEN)
			return -1;
		unsigned type = p[off];
		size_t value_len = read_u16(p + off + 1);
		off += TLV_HEADER_LEN;
		if (value_len > len - off)
			return -1;
		struct proxyproto_bytes v = {p + off, value_len}, *slot = NULL;
		switch (type) {
		case TLV_SSL_VERSION: slot = &ssl->version; break;
		case TLV_SSL_CN: slot = &ssl->cn; break;
		case TLV_SSL_CIPHER: slot = &ssl->cipher; break;
		case TLV_SSL_SIG_ALG: slot = &ssl->sig_alg; break;
		case TLV_SSL_KEY_ALG: slot = &ssl->key_alg; break;
		default: break;	/* unknown: skipped, as the spec asks */
		}
		if (slot != NULL && slot->data == NULL)
			*slot = v;
		off += value_len;
	}
	return 0;
}

static enum proxyproto_parse_result
parse_tlvs(const unsigned char *buf, size_t start, size_t total,
	   struct proxyproto_header *h, const char **why)
{
	static const unsigned char zeros[4];

	for (size_t off = start; off < total;) {
		if (total - off < TLV_HEADER_LEN) {
			*why = "v2 TLV cut short";
			return PROXYPROTO_INVALID;
		}
		unsigned type = buf[off];
		size_t value_len = read_u16(buf + off + 1);
		off += TLV_HEADER_LEN;
		if (value_len > total - off) {
			*why = "v2 TLV longer than the header";
			return PROXYPROTO_INVALID;
		}
		const unsigned char *value = buf + off;
		struct proxyproto_bytes v = {value, value_len}, *slot = NULL;
		switch (type) {
		case TLV_ALPN: slot = &h->alpn; break;
		case TLV_AUTHORITY: slot = &h->authority; break;
		case TLV_UNIQUE_ID:
			if (value_len > PROXYPROTO_UNIQUE_ID_MAX) {
				*why = "v2 UNIQUE_ID longer than 128 bytes";
				return PROXYPROTO_INVALID;
			}
			slot = &h->unique_id;
			break;
		case TLV_CRC32C: {
			if (value_len != 4) {
				*why = "v2 CRC32C TLV not 4 bytes";
				return PROXYPROTO_INVALID;
			}
			/* Computed over the whole header with this field zeroed. */
			uint32_t crc = proxyproto_crc32c(0, buf, off);
			crc = proxyproto_crc32c(crc, zeros, 4);
			crc = proxyproto_crc32c(crc, value + 4, total - off - 4);
			if (crc != read_u32(value)) {
				*why = "v2 CRC32C mismatch";
				return PROXYPROTO_INVALID;
			}
			h->crc32c = 1;
			break;
		}
		case TLV_SSL:
			if (!h->ssl.present && parse_ssl(value, value_len, &h->ssl) < 0) {
				*why = "v2 SSL TLV malformed";
				return PROXYPROTO_INVALID;
			}
			break;
		default:	/* NOOP and unknown types: skipped */
			break;
		}
		if (slot != NULL && slot->data == NULL)
			*slot = v;
		off += value_len;
	}
	return PROXYPROTO_OK;
}

static enum proxyproto_parse_result
parse_v2(const unsigned char *buf, size_t len, struct proxyproto_header *h,
	 size_t *used, const char **why)
{
	if (memcmp(buf, v2_signature, len < 12 ? len : 12) != 0) {
		*why = "no PROXY header";
		return PROXYPROTO_INVALID;
	}
	if (len >= 13 && (buf[12] >> 4) != 2) {
		*why = "v2 header of an unknown version";
		return PROXYPROTO_INVALID;
	}
	if (len >= 13 && (buf[12] & 0x0f) > V2_CMD_PROXY) {
		*why = "v2 header with an unknown command";
		return PROXYPROTO_INVALID;
	}
	if (len >= 14 && ((buf[13] >> 4) > V2_AF_UNIX ||
			  (buf[13] & 0x0f) > V2_TRANSPORT_DGRAM)) {
		*why = "v2 header with an unknown family";
		return PROXYPROTO_INVALID;
	}
	if (len >= 14 && (buf[13] & 0x0f) == V2_TRANSPORT_DGRAM &&
	    (buf[12] & 0x0f) == V2_CMD_PROXY) {
		*why = "v2 header for a datagram on a stream";
		return PROXYPROTO_INVALID;
	}
	if (len < PROXYPROTO_V2_FIXED) {
		*used = PROXYPROTO_V2_FIXED;
		return PROXYPROTO_NEED_MORE;
	}
	size_t total = PROXYPROTO_V2_FIXED + read_u16(buf + 14);
	if (len < total) {
		*used = total;
		return PROXYPROTO_NEED_MORE;
	}

	h->version = 2;
	*used = total;
	if ((buf[12] & 0x0f) == V2_CMD_LOCAL) {
		/* The spec: use the real endpoints, discard the rest. */
		h->command = PROXYPROTO_LOCAL;
		return PROXYPROTO_OK;
	}
	h->command = PROXYPROTO_PROXY;

	size_t addr_len = 0;
	const unsigned char *a = buf + PROXYPROTO_V2_FIXED;
	switch (buf[13] >> 4) {
	case V2_AF_INET: addr_len = V2_INET_LEN; break;
	case V2_AF_INET6: addr_len = V2_INET6_LEN; break;
	case V2_AF_UNIX: addr_len = V2_UNIX_LEN; break;
	default: break;
	}
	if (total - PROXYPROTO_V2_FIXED < addr_len) {
		*why = "v2 address block too short";
		return PROXYPROTO_INVALID;
	}
	if (addr_len == V2_INET_LEN || addr_len == V2_INET6_LEN) {
		size_t ip_len = addr_len == V2_INET_LEN ? 4 : 16;
		int family = ip_len == 4 ? AF_INET : AF_INET6;
		h->source.family = h->destination.family = family;
		memcpy(h->source.ip, a, ip_len);
		memcpy(h->destination.ip, a + ip_len, ip_len);
		h->source.port = (uint16_t)read_u16(a + 2 * ip_len);
		h->destination.port = (uint16_t)read_u16(a + 2 * ip_len + 2);
	}
	return parse_tlvs(buf, PROXYPROTO_V2_FIXED + addr_len, total, h, why);
}

enum proxyproto_parse_result proxyproto_parse(const unsigned char *buf,
					      size_t len,
					      struct proxyproto_header *h,
					      size_t *used, const char **why)
{
	memset(h, 0, sizeof *h);
	*used = 0;
	*why = NULL;
	if (len == 0) {
		*used = 1;
		return PROXYPROTO_NEED_MORE;
	}
	if (buf[0] == 'P')
		return parse_v1(buf, len, h, used, why);
	if (buf[0] == v2_signature[0])
		return parse_v2(buf, len, h, used, why);
	*why = "no PROXY header";
	return PROXYPROTO_INVALID;
}
