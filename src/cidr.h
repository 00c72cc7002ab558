/* cidr: the sources trusted to send a PROXY header (--proxy-from). Pure. */
#ifndef TLSMUX_CIDR_H
#define TLSMUX_CIDR_H

#include "proxyproto.h"

/* family AF_UNIX matches any unix-socket peer ("unix" in the list). */
struct cidr {
	int family;
	unsigned char ip[16];
	unsigned prefix;	/* bits that must match */
};

/*
 * "192.0.2.0/24", "192.0.2.7" (/32), "2001:db8::/32", "::1" (/128) or
 * "unix".  Returns 0, or -1 with *why set to a static message.
 */
int cidr_parse(const char *text, struct cidr *out, const char **why);

/*
 * Whether the peer is inside c.  An IPv4 peer seen as IPv4-mapped IPv6
 * matches IPv4 ranges.  family AF_UNIX stands for a unix-socket peer.
 */
int cidr_match(const struct cidr *c, const struct proxyproto_endpoint *peer);

#endif
