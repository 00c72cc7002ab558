/*
 * fuzz_proxyproto: proxyproto_parse on the input and on its prefixes.
 * Aborts when a parse reads past its bytes (ASan, exact-size copies),
 * when a decision changes as bytes arrive (a prefix refused that the
 * whole accepts, or accepted with another length), when NEED_MORE asks
 * for no more, when values point outside the header, or when a header
 * re-encoded does not parse back to the same values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "proxyproto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum proxyproto_parse_result parse_exact(const uint8_t *data, size_t len,
						size_t *used)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);
	struct proxyproto_header h;
	const char *why;

	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	enum proxyproto_parse_result r = proxyproto_parse(copy, len, &h, used, &why);
	if (r == PROXYPROTO_INVALID && (why == NULL || why[0] == '\0'))
		abort();
	if (r == PROXYPROTO_NEED_MORE && *used <= len)
		abort();
	if (r == PROXYPROTO_OK && (*used == 0 || *used > len))
		abort();
	free(copy);
	return r;
}

static void check_inside(const struct proxyproto_bytes *b, const uint8_t *buf,
			 size_t used)
{
	if (b->data == NULL)
		return;
	if (b->data < buf || b->data + b->len > buf + used)
		abort();
}

static int same_bytes(const struct proxyproto_bytes *a,
		      const struct proxyproto_bytes *b)
{
	if ((a->data == NULL) != (b->data == NULL))
		return 0;
	return a->data == NULL ||
	       (a->len == b->len && memcmp(a->data, b->data, a->len) == 0);
}

/* A parsed v2 PROXY header, encoded again, parses to the same values. */
static void round_trip(const struct proxyproto_header *h)
{
	unsigned char out[PROXYPROTO_ENCODE_MAX];
	struct proxyproto_header back;
	const char *why;
	size_t used;

	if (h->alpn.len > 255 || h->authority.len > 255 ||
	    h->ssl.version.len > 64 || h->ssl.cn.len > 255 ||
	    h->ssl.cipher.len > 128 || h->ssl.sig_alg.len > 64 ||
	    h->ssl.key_alg.len > 64)
		return;		/* larger than the encoder's buffer holds */
	size_t n = proxyproto_encode_v2(h, out, sizeof out);
	if (n == 0)
		abort();
	if (proxyproto_parse(out, n, &back, &used, &why) != PROXYPROTO_OK ||
	    used != n || back.command != h->command ||
	    back.source.family != h->source.family ||
	    memcmp(back.source.ip, h->source.ip, 16) != 0 ||
	    back.source.port != h->source.port ||
	    memcmp(back.destination.ip, h->destination.ip, 16) != 0 ||
	    !same_bytes(&back.alpn, &h->alpn) ||
	    !same_bytes(&back.authority, &h->authority) ||
	    !same_bytes(&back.unique_id, &h->unique_id) ||
	    back.ssl.present != h->ssl.present ||
	    back.ssl.client != h->ssl.client || back.ssl.verify != h->ssl.verify ||
	    !same_bytes(&back.ssl.version, &h->ssl.version) ||
	    !same_bytes(&back.ssl.cn, &h->ssl.cn) ||
	    !same_bytes(&back.ssl.cipher, &h->ssl.cipher) ||
	    !same_bytes(&back.ssl.sig_alg, &h->ssl.sig_alg) ||
	    !same_bytes(&back.ssl.key_alg, &h->ssl.key_alg))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t used_full, used;
	enum proxyproto_parse_result full = parse_exact(data, size, &used_full);

	/* Prefixes: all of them for short inputs, a spread for long ones. */
	size_t step = size <= 300 ? 1 : size / 64;
	for (size_t k = 0; k < size; k += step) {
		enum proxyproto_parse_result r = parse_exact(data, k, &used);
		if (full != PROXYPROTO_INVALID && r == PROXYPROTO_INVALID)
			abort();
		if (r == PROXYPROTO_OK && (full != PROXYPROTO_OK || used != used_full))
			abort();
		if (r == PROXYPROTO_NEED_MORE && full == PROXYPROTO_OK &&
		    used > used_full)
			abort();
	}

	if (full != PROXYPROTO_OK)
		return 0;
	struct proxyproto_header h;
	const char *why;
	if (proxyproto_parse(data, size, &h, &used, &why) != PROXYPROTO_OK)
		abort();
	const struct proxyproto_bytes *values[] = {
		&h.alpn, &h.authority, &h.unique_id, &h.ssl.version, &h.ssl.cn,
		&h.ssl.cipher, &h.ssl.sig_alg, &h.ssl.key_alg,
	};
	for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
		check_inside(values[i], data, used);
	if (h.version == 2 && h.command == PROXYPROTO_PROXY &&
	    (h.source.family == AF_INET || h.source.family == AF_INET6)) {
		/* The encoder writes IPv4-mapped IPv6 as IPv4: compare like for like. */
		struct proxyproto_endpoint s = h.source, d = h.destination;
		proxyproto_endpoint_unmap(&s);
		proxyproto_endpoint_unmap(&d);
		if (s.family == h.source.family && d.family == h.destination.family) {
			h.crc32c = 0;
			round_trip(&h);
		}
	}
	return 0;
}
