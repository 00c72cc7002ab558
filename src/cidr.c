/*
 * cidr: address ranges.  A PROXY header is believed only from listed
 * sources (the spec's section 5: never guessed), so this decides whom
 * tlsmux trusts to name the client.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

int cidr_parse(const char *text, struct cidr *out, const char **why)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t host_len = slash ? (size_t)(slash - text) : strlen(text);

	memset(out, 0, sizeof *out);
	if (strcmp(text, "unix") == 0) {
		out->family = AF_UNIX;
		return 0;
	}
	if (host_len == 0 || host_len >= sizeof host) {
		*why = "expected an address or address/prefix";
		return -1;
	}
	memcpy(host, text, host_len);
	host[host_len] = '\0';
	unsigned max;
	if (inet_pton(AF_INET, host, out->ip) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, out->ip) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		*why = "expected an address or address/prefix";
		return -1;
	}
	out->prefix = max;
	if (slash != NULL) {
		const char *p = slash + 1;
		unsigned value = 0;
		int digits = 0;
		while (*p >= '0' && *p <= '9' && digits < 4) {
			value = value * 10 + (unsigned)(*p++ - '0');
			digits++;
		}
		if (digits == 0 || *p != '\0' || value > max) {
			*why = out->family == AF_INET ? "prefix must be 0-32"
						      : "prefix must be 0-128";
			return -1;
		}
		out->prefix = value;
	}
	/* Host bits set under the mask mean a typo more often than not. */
	for (unsigned bit = out->prefix; bit < max; bit++) {
		if (out->ip[bit / 8] & (0x80 >> (bit % 8))) {
			*why = "address has bits set beyond the prefix";
			return -1;
		}
	}
	/*
	 * Peers are matched unmapped (::ffff:192.0.2.1 is 192.0.2.1), so a
	 * range in IPv4-mapped form could never match anything: refused,
	 * rather than a trusted source that silently is not.
	 */
	static const unsigned char v4_mapped[12] = {[10] = 0xff, [11] = 0xff};
	if (out->family == AF_INET6 && out->prefix >= 96 &&
	    memcmp(out->ip, v4_mapped, sizeof v4_mapped) == 0) {
		*why = "IPv4-mapped address: write the IPv4 range";
		return -1;
	}
	return 0;
}

int cidr_match(const struct cidr *c, const struct proxyproto_endpoint *peer)
{
	struct proxyproto_endpoint p = *peer;

	if (c->family == AF_UNIX || p.family == AF_UNIX)
		return c->family == p.family;
	proxyproto_endpoint_unmap(&p);
	if (c->family != p.family)
		return 0;
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->ip, p.ip, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->ip[full] & mask) == (p.ip[full] & mask);
}
