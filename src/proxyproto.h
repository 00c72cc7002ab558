/* proxyproto: PROXY protocol v1 and v2 headers, encoded and parsed. Pure. */
#ifndef TLSMUX_PROXYPROTO_H
#define TLSMUX_PROXYPROTO_H

#include <stddef.h>
#include <stdint.h>

/* A v1 line, CRLF included, is at most this long (the spec's limit). */
#define PROXYPROTO_V1_MAX 107
/* The v2 signature, version/command, family/transport and length bytes. */
#define PROXYPROTO_V2_FIXED 16
#define PROXYPROTO_V2_MAX (PROXYPROTO_V2_FIXED + 65535)
/* What the encoders write at most, every TLV at its largest. */
#define PROXYPROTO_ENCODE_MAX 2048
#define PROXYPROTO_UNIQUE_ID_MAX 128

/* The SSL TLV's client bit field. */
#define PROXYPROTO_CLIENT_SSL 0x01
#define PROXYPROTO_CLIENT_CERT_CONN 0x02
#define PROXYPROTO_CLIENT_CERT_SESS 0x04

enum proxyproto_command {
	PROXYPROTO_PROXY,	/* relayed: the addresses are the client's */
	PROXYPROTO_LOCAL,	/* the proxy's own connection (health check) */
};

/*
 * One end of a connection.  AF_UNSPEC: not known or not an IP address
 * (v1 UNKNOWN, v2 UNSPEC or UNIX); AF_INET keeps its address in ip[0..3].
 */
struct proxyproto_endpoint {
	int family;
	unsigned char ip[16];
	uint16_t port;
};

/* A value inside the header; data is NULL when the TLV is absent. */
struct proxyproto_bytes {
	const unsigned char *data;
	size_t len;
};

struct proxyproto_ssl {
	int present;
	unsigned char client;	/* PROXYPROTO_CLIENT_* bits; 0: not TLS */
	uint32_t verify;	/* 0 only for a verified client certificate */
	struct proxyproto_bytes version, cn, cipher, sig_alg, key_alg;
};

struct proxyproto_header {
	int version;		/* 1 or 2 (set by the parser) */
	enum proxyproto_command command;
	struct proxyproto_endpoint source, destination;
	/* v2 TLVs */
	struct proxyproto_bytes alpn, authority, unique_id;
	struct proxyproto_ssl ssl;
	int crc32c;		/* encoder: add a CRC32C TLV; parser: one matched */
};

/*
 * Encode h as a v1 line or a v2 header into out.  Returns the length,
 * or 0 when out is too small or a value cannot be carried (a TLV longer
 * than its field, a UNIQUE_ID over 128 bytes).  IPv4-mapped IPv6
 * addresses go out as IPv4; an IPv4 address paired with an IPv6 one is
 * mapped, so both ends share one family.  Unknown endpoints give v1
 * "PROXY UNKNOWN" and v2 family UNSPEC.  v1 carries no TLVs.
 */
size_t proxyproto_encode_v1(const struct proxyproto_header *h, char *out,
			    size_t size);
size_t proxyproto_encode_v2(const struct proxyproto_header *h,
			    unsigned char *out, size_t size);

enum proxyproto_parse_result {
	PROXYPROTO_NEED_MORE,	/* a header may still be completed */
	PROXYPROTO_OK,
	PROXYPROTO_INVALID,
};

/*
 * Parse a v1 or v2 header at the start of buf; bytes after the header
 * are never looked at.  OK: *used is the header's length and h points
 * into buf.  NEED_MORE: *used is the length the header needs at least
 * (more than len), so a reader can ask for exactly that.  INVALID: *why
 * says what is wrong, in a few lowercase words.  Unknown TLVs are
 * skipped; a CRC32C TLV must match.
 */
enum proxyproto_parse_result proxyproto_parse(const unsigned char *buf,
					      size_t len,
					      struct proxyproto_header *h,
					      size_t *used, const char **why);

/* CRC-32C (Castagnoli), as the CRC32C TLV carries it; chain with crc = 0 first. */
uint32_t proxyproto_crc32c(uint32_t crc, const void *buf, size_t len);

/* "192.0.2.1:5555", "[2001:db8::1]:443", or "unknown" when there is no address. */
void proxyproto_endpoint_format(const struct proxyproto_endpoint *e, char *out,
				size_t size);

/* An IPv4-mapped IPv6 endpoint becomes plain IPv4; others are left alone. */
void proxyproto_endpoint_unmap(struct proxyproto_endpoint *e);

#endif
