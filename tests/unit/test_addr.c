/* test_addr: addr_parse on every backend address form, good and bad. */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "unit.h"

struct good {
	const char *text;
	enum addr_kind kind;
	const char *host;	/* ADDR_INET */
	const char *port;
	const char *path;	/* ADDR_UNIX, ADDR_ABSTRACT */
};

static const struct good goods[] = {
	{"127.0.0.1:9000", ADDR_INET, "127.0.0.1", "9000", ""},
	{"localhost:1", ADDR_INET, "localhost", "1", ""},
	{"fix-gw.example.com:65535", ADDR_INET, "fix-gw.example.com", "65535",
	 ""},
	{"[::1]:443", ADDR_INET, "::1", "443", ""},
	{"[2001:db8::1]:65535", ADDR_INET, "2001:db8::1", "65535", ""},
	{"[::ffff:192.0.2.1]:80", ADDR_INET, "::ffff:192.0.2.1", "80", ""},
	{"[fe80::1%eth0]:22", ADDR_INET, "fe80::1%eth0", "22", ""},
	{"unix:/run/x.sock", ADDR_UNIX, "", "", "/run/x.sock"},
	{"unix:relative.sock", ADDR_UNIX, "", "", "relative.sock"},
	{"unix:/path:with:colons", ADDR_UNIX, "", "", "/path:with:colons"},
	{"@name", ADDR_ABSTRACT, "", "", "name"},
	{"@fixgw/socket:1", ADDR_ABSTRACT, "", "", "fixgw/socket:1"},
};

struct bad {
	const char *what;
	const char *text;
	const char *why;
};

static const struct bad bads[] = {
	{"empty", "", "expected host:port"},
	{"no port", "127.0.0.1", "expected host:port"},
	{"name without port", "localhost", "expected host:port"},
	{"empty port", "127.0.0.1:", "port must be 1-65535"},
	{"port 0", "127.0.0.1:0", "port must be 1-65535"},
	{"port 00000", "127.0.0.1:00000", "port must be 1-65535"},
	{"port 65536", "127.0.0.1:65536", "port must be 1-65535"},
	{"port 99999", "127.0.0.1:99999", "port must be 1-65535"},
	{"port of six digits", "127.0.0.1:123456", "port must be 1-65535"},
	{"service name", "127.0.0.1:http", "port must be 1-65535"},
	{"negative port", "127.0.0.1:-1", "port must be 1-65535"},
	{"port with sign", "127.0.0.1:+80", "port must be 1-65535"},
	{"port with blank before", "127.0.0.1: 80", "port must be 1-65535"},
	{"port with blank after", "127.0.0.1:80 ", "port must be 1-65535"},
	{"port with hex", "127.0.0.1:0x50", "port must be 1-65535"},
	{"empty host", ":80", "empty host"},
	{"IPv6 without brackets", "::1:443", "IPv6 addresses need brackets: [addr]:port"},
	{"long IPv6 without brackets", "2001:db8::1:443",
	 "IPv6 addresses need brackets: [addr]:port"},
	{"host:port:port", "a:1:2", "IPv6 addresses need brackets: [addr]:port"},
	{"missing ']'", "[::1:443", "missing ']' after IPv6 address"},
	{"'[' alone", "[", "missing ']' after IPv6 address"},
	{"brackets without port", "[::1]", "expected [IPv6]:port"},
	{"brackets, port without colon", "[::1]443", "expected [IPv6]:port"},
	{"brackets without colon inside", "[1.2.3.4]:5",
	 "brackets hold an IPv6 address"},
	{"brackets around a name", "[localhost]:5",
	 "brackets hold an IPv6 address"},
	{"empty brackets", "[]:80", "empty host"},
	{"brackets, empty port", "[::1]:", "port must be 1-65535"},
	{"brackets, port 0", "[::1]:0", "port must be 1-65535"},
	{"brackets, port 65536", "[::1]:65536", "port must be 1-65535"},
	{"unix: with empty path", "unix:", "empty socket path"},
	{"@ with empty name", "@", "empty socket path"},
	{"space in host", "local host:80", "bad character in host"},
	{"tab in host", "local\thost:80", "bad character in host"},
	{"newline in host", "localhost\n:80", "bad character in host"},
	{"CR in host", "\rlocalhost:80", "bad character in host"},
	{"control byte in host", "\x01:80", "bad character in host"},
	{"DEL in host", "a\x7f:80", "bad character in host"},
	{"non-ASCII host", "\xc3\xa9t\xc3\xa9.example:80",
	 "bad character in host"},
	{"slash in host", "host/x:80", "bad character in host"},
	{"']' in host", "a]b:80", "bad character in host"},
	{"'[' in host", "a[b:80", "bad character in host"},
	{"control byte in brackets", "[::1\x01]:80", "bad character in host"},
	{"'[' in brackets", "[::[1]:80", "bad character in host"},
};

static void test_good(const struct good *g)
{
	struct addr a;
	const char *why = NULL;

	unit_begin("valid: %s", g->text);
	CHECK_INT(addr_parse(g->text, &a, &why), 0);
	CHECK_INT(a.kind, g->kind);
	CHECK_STR(a.host, g->host);
	CHECK_STR(a.port, g->port);
	CHECK_STR(a.path, g->path);
	CHECK(a.text == g->text);
	unit_end();
}

static void test_bad(const struct bad *b)
{
	struct addr a;
	const char *why = NULL;

	unit_begin("invalid, %s: \"%s\" -> %s", b->what, b->text, b->why);
	CHECK_INT(addr_parse(b->text, &a, &why), -1);
	CHECK(why != NULL);
	CHECK_STR(why, b->why);
	unit_end();
}

/* prefix, n copies of c, then suffix, written to buf. */
static const char *repeat(char *buf, const char *prefix, char c, size_t n,
			  const char *suffix)
{
	size_t p = strlen(prefix);

	memcpy(buf, prefix, p);
	memset(buf + p, c, n);
	strcpy(buf + p + n, suffix);
	return buf;
}

/* sun_path is 108 bytes: 107 and a NUL for a path. */
static void test_unix_path_length(void)
{
	char text[512];
	struct addr a;
	const char *why = NULL;
	size_t max = sizeof a.path - 1;

	CHECK_INT(sizeof a.path, 108);
	repeat(text, "unix:/", 'p', max - 1, "");
	CHECK_INT(addr_parse(text, &a, &why), 0);
	CHECK_INT(strlen(a.path), max);
	CHECK_INT(a.kind, ADDR_UNIX);

	why = NULL;
	repeat(text, "unix:/", 'p', max, "");
	CHECK_INT(addr_parse(text, &a, &why), -1);
	CHECK_STR(why, "socket path too long");

	why = NULL;
	repeat(text, "unix:/", 'p', 300, "");
	CHECK_INT(addr_parse(text, &a, &why), -1);
	CHECK_STR(why, "socket path too long");
}

/* The leading NUL of an abstract name takes one byte of sun_path. */
static void test_abstract_name_length(void)
{
	char text[512];
	struct addr a;
	const char *why = NULL;

	repeat(text, "@", 'n', 106, "");
	CHECK_INT(addr_parse(text, &a, &why), 0);
	CHECK_INT(strlen(a.path), 106);
	CHECK_INT(a.kind, ADDR_ABSTRACT);

	why = NULL;
	repeat(text, "@", 'n', 200, "");
	CHECK_INT(addr_parse(text, &a, &why), -1);
	CHECK_STR(why, "socket path too long");
}

static void test_host_length(void)
{
	char text[512];
	struct addr a;
	const char *why = NULL;

	repeat(text, "", 'h', 255, ":80");
	CHECK_INT(addr_parse(text, &a, &why), 0);
	CHECK_INT(strlen(a.host), 255);
	CHECK_STR(a.port, "80");

	why = NULL;
	repeat(text, "", 'h', 256, ":80");
	CHECK_INT(addr_parse(text, &a, &why), -1);
	CHECK_STR(why, "host name too long");

	why = NULL;
	repeat(text, "[", ':', 256, "]:80");
	CHECK_INT(addr_parse(text, &a, &why), -1);
	CHECK_STR(why, "host name too long");
}

/* Every port from 0 to 70000: exactly 1..65535 pass, and read back. */
static void test_every_port(void)
{
	char text[32], want[8];
	struct addr a;
	const char *why;
	int wrong = 0;

	for (long port = 0; port <= 70000; port++) {
		snprintf(text, sizeof text, "[::1]:%ld", port);
		snprintf(want, sizeof want, "%ld", port);
		why = NULL;
		int rc = addr_parse(text, &a, &why);
		int ok = port >= 1 && port <= 65535;
		if (ok ? rc != 0 || strcmp(a.port, want) != 0 :
			 rc != -1 || why == NULL) {
			if (wrong++ == 0)
				unit_fail(__FILE__, __LINE__,
					  "%s: rc %d, port \"%s\"", text, rc,
					  rc == 0 ? a.port : "");
		}
	}
	CHECK_INT(wrong, 0);
}

/* A failed parse must not leave a half-filled address that looks valid. */
static void test_failure_clears(void)
{
	struct addr a;
	const char *why = NULL;

	CHECK_INT(addr_parse("unix:/run/x.sock", &a, &why), 0);
	CHECK_INT(addr_parse("[::1]:0", &a, &why), -1);
	CHECK_STR(a.path, "");
	CHECK_STR(a.port, "");
}

int main(void)
{
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++)
		test_good(&goods[i]);
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
		test_bad(&bads[i]);
	UNIT_RUN(test_unix_path_length);
	UNIT_RUN(test_abstract_name_length);
	UNIT_RUN(test_host_length);
	UNIT_RUN(test_every_port);
	UNIT_RUN(test_failure_clears);
	return unit_summary();
}
