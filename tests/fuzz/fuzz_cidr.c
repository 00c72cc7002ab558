/*
 * fuzz_cidr: cidr_parse on the input as one --proxy-from item, then
 * cidr_match against peers derived from the parsed range.  Aborts when a
 * failure gives no reason, a range has a prefix its family cannot hold,
 * bits beyond the prefix are set, or a range does not contain its own
 * first address (or contains an address that differs in a prefix bit).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "cidr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct proxyproto_endpoint peer_of(const struct cidr *c)
{
	struct proxyproto_endpoint e;

	memset(&e, 0, sizeof e);
	e.family = c->family;
	memcpy(e.ip, c->ip, c->family == AF_INET ? 4 : 16);
	return e;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct cidr c;
	const char *why = NULL;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	if (cidr_parse(text, &c, &why) < 0) {
		if (why == NULL || why[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	if (c.family == AF_UNIX) {
		struct proxyproto_endpoint unix_peer = {.family = AF_UNIX};
		if (!cidr_match(&c, &unix_peer))
			abort();
		free(text);
		return 0;
	}
	if (c.family != AF_INET && c.family != AF_INET6)
		abort();
	unsigned bits = c.family == AF_INET ? 32 : 128;
	if (c.prefix > bits)
		abort();
	struct proxyproto_endpoint e = peer_of(&c);
	if (!cidr_match(&c, &e))
		abort();
	/* Flipping a bit inside the prefix leaves the range; outside stays. */
	for (unsigned bit = 0; bit < bits; bit++) {
		struct proxyproto_endpoint f = e;
		f.ip[bit / 8] ^= (unsigned char)(0x80 >> (bit % 8));
		if (cidr_match(&c, &f) != (bit >= c.prefix))
			abort();
	}
	/* An IPv4 range matches the same peer seen as IPv4-mapped IPv6. */
	if (c.family == AF_INET) {
		struct proxyproto_endpoint m;
		memset(&m, 0, sizeof m);
		m.family = AF_INET6;
		m.ip[10] = m.ip[11] = 0xff;
		memcpy(m.ip + 12, c.ip, 4);
		if (!cidr_match(&c, &m))
			abort();
	}
	free(text);
	return 0;
}
