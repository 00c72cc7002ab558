/*
 * pem: find a private key in PEM text and decode its base64 straight
 * into the caller's buffer, with no copy of the text anywhere else.
 */
#include "pem.h"

#include <string.h>

static const unsigned char *find(const unsigned char *hay, size_t hay_len,
				 const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n <= hay_len && i <= hay_len - n; i++)
		if (memcmp(hay + i, needle, n) == 0)
			return hay + i;
	return NULL;
}

static int base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

long pem_decode_private_key(const unsigned char *text, size_t len,
			    unsigned char *out, size_t out_size)
{
	const unsigned char *p = text, *end = text + len, *begin = NULL;

	/* A BEGIN line whose label ends in "PRIVATE KEY". */
	while (p < end) {
		const unsigned char *b = find(p, (size_t)(end - p), "-----BEGIN ");
		if (b == NULL)
			return 0;
		const unsigned char *line_end = b + 11;
		while (line_end < end && *line_end != '\n')
			line_end++;
		const unsigned char *tail = find(b + 11, (size_t)(line_end - b - 11),
						 "PRIVATE KEY-----");
		if (tail != NULL) {
			begin = tail + 16;
			break;
		}
		p = line_end;
	}
	if (begin == NULL)
		return 0;

	const unsigned char *stop = find(begin, (size_t)(end - begin), "-----END ");
	if (stop == NULL)
		return -1;

	size_t o = 0;
	unsigned accumulator = 0;
	int bits = 0, padding = 0;
	for (const unsigned char *q = begin; q < stop; q++) {
		unsigned char c = *q;
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			padding++;
			continue;
		}
		int v = base64_value(c);
		if (v < 0 || padding > 0)
			return -1;	/* a header line, or data after padding */
		accumulator = (accumulator << 6 | (unsigned)v) & 0xffffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == out_size)
				return -1;
			out[o++] = (unsigned char)(accumulator >> bits);
		}
	}
	accumulator = 0;
	if (padding > 2 || o == 0)
		return -1;
	return (long)o;
}
