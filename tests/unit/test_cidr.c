/* test_cidr: --proxy-from ranges, parsed and matched. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "unit.h"

static struct proxyproto_endpoint peer(const char *ip)
{
	struct proxyproto_endpoint e = {.port = 1};

	if (strcmp(ip, "unix") == 0)
		e.family = AF_UNIX;
	else if (inet_pton(AF_INET, ip, e.ip) == 1)
		e.family = AF_INET;
	else if (inet_pton(AF_INET6, ip, e.ip) == 1)
		e.family = AF_INET6;
	return e;
}

struct match_case {
	const char *range;
	const char *peer;
	int match;
};

static const struct match_case matches[] = {
	{"10.200.0.2", "10.200.0.2", 1},
	{"10.200.0.2", "10.200.0.3", 0},
	{"10.200.0.2/32", "10.200.0.2", 1},
	{"10.0.0.0/8", "10.255.1.2", 1},
	{"10.0.0.0/8", "11.0.0.1", 0},
	{"192.168.4.0/22", "192.168.7.255", 1},
	{"192.168.4.0/22", "192.168.8.0", 0},
	{"192.168.4.0/23", "192.168.5.1", 1},
	{"192.168.4.0/23", "192.168.6.1", 0},
	{"0.0.0.0/0", "203.0.113.9", 1},
	{"0.0.0.0/0", "2001:db8::1", 0},
	{"127.0.0.1", "::ffff:127.0.0.1", 1},	/* a v4 peer on a v6 socket */
	{"127.0.0.0/8", "::ffff:127.9.9.9", 1},
	{"::1", "::1", 1},
	{"::1", "127.0.0.1", 0},
	{"2001:db8::/32", "2001:db8:ffff::1", 1},
	{"2001:db8::/32", "2001:db9::1", 0},
	{"2001:db8::/33", "2001:db8:7fff::1", 1},
	{"2001:db8::/33", "2001:db8:8000::1", 0},
	{"::/0", "fe80::1", 1},
	{"unix", "unix", 1},
	{"unix", "127.0.0.1", 0},
	{"127.0.0.1", "unix", 0},
};

static void match_table(void)
{
	for (size_t i = 0; i < sizeof matches / sizeof matches[0]; i++) {
		struct cidr c;
		const char *why = NULL;
		struct proxyproto_endpoint p = peer(matches[i].peer);

		unit_begin("%s %s %s", matches[i].range,
			   matches[i].match ? "holds" : "does not hold",
			   matches[i].peer);
		CHECK_INT(cidr_parse(matches[i].range, &c, &why), 0);
		CHECK_INT(cidr_match(&c, &p), matches[i].match);
		unit_end();
	}
}

struct bad_case {
	const char *text;
	const char *why;
};

static const struct bad_case bads[] = {
	{"", "expected an address or address/prefix"},
	{"/8", "expected an address or address/prefix"},
	{"10.0.0", "expected an address or address/prefix"},
	{"localhost", "expected an address or address/prefix"},
	{"10.0.0.0/", "prefix must be 0-32"},
	{"10.0.0.0/33", "prefix must be 0-32"},
	{"10.0.0.0/8x", "prefix must be 0-32"},
	{"10.0.0.0/-1", "prefix must be 0-32"},
	{"::/129", "prefix must be 0-128"},
	{"10.0.0.1/8", "address has bits set beyond the prefix"},
	{"2001:db8::1/32", "address has bits set beyond the prefix"},
	{"[::1]", "expected an address or address/prefix"},
	{"UNIX", "expected an address or address/prefix"},
	/* Peers are unmapped before matching: such a range would match nothing. */
	{"::ffff:192.0.2.1", "IPv4-mapped address: write the IPv4 range"},
	{"::ffff:192.0.2.0/120", "IPv4-mapped address: write the IPv4 range"},
	{"::ffff:0:0/96", "IPv4-mapped address: write the IPv4 range"},
};

static void bad_table(void)
{
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		struct cidr c;
		const char *why = NULL;

		unit_begin("refused: \"%s\"", bads[i].text);
		CHECK_INT(cidr_parse(bads[i].text, &c, &why), -1);
		CHECK_STR(why, bads[i].why);
		unit_end();
	}
}

int main(void)
{
	match_table();
	bad_table();
	return unit_summary();
}
