/* test_route: globs, --route parsing, and where each connection goes. */
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "options.h"
#include "route.h"
#include "unit.h"

struct glob_case {
	const char *pattern;
	const char *text;
	int fold;
	int match;
};

static const struct glob_case globs[] = {
	{"fix.example.com", "fix.example.com", 1, 1},
	{"fix.example.com", "FIX.Example.COM", 1, 1},
	{"fix.example.com", "FIX.Example.COM", 0, 0},
	{"*.example.com", "a.example.com", 1, 1},
	{"*.example.com", "a.b.example.com", 1, 1},	/* '*' crosses dots */
	{"*.example.com", "example.com", 1, 0},
	{"*.example.com", "a.example.com.evil", 1, 0},
	{"fix?.example.com", "fix1.example.com", 1, 1},
	{"fix?.example.com", "fix.example.com", 1, 0},
	{"*", "", 1, 1},
	{"*", "anything", 1, 1},
	{"", "", 1, 1},
	{"", "a", 1, 0},
	{"a*b*c", "aXXbYYc", 1, 1},
	{"a*b*c", "aXXbYY", 1, 0},
	{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 1, 0},
	{"h2", "h2", 0, 1},
	{"h2", "h2c", 0, 0},
	{"http/*", "http/1.1", 0, 1},
	{"http/*", "h2", 0, 0},
};

static void glob_table(void)
{
	for (size_t i = 0; i < sizeof globs / sizeof globs[0]; i++) {
		const struct glob_case *g = &globs[i];
		unit_begin("glob \"%s\" %s \"%s\"%s", g->pattern,
			   g->match ? "matches" : "does not match", g->text,
			   g->fold ? " (any case)" : "");
		CHECK_INT(route_glob_match(g->pattern, (const unsigned char *)g->text,
					   strlen(g->text), g->fold), g->match);
		unit_end();
	}
}

static void route_parse_forms(void)
{
	struct route r;
	const char *why = NULL;

	CHECK_INT(route_parse("sni=*.example.com=127.0.0.1:9000", &r, &why), 0);
	CHECK_INT(r.kind, ROUTE_SNI);
	CHECK_STR(r.pattern, "*.example.com");
	CHECK_STR(r.backend.host, "127.0.0.1");
	CHECK_STR(r.backend.port, "9000");
	CHECK_INT(route_parse("alpn=http/1.1=unix:/run/a=b.sock", &r, &why), 0);
	CHECK_INT(r.kind, ROUTE_ALPN);
	CHECK_STR(r.pattern, "http/1.1");
	CHECK_STR(r.backend.path, "/run/a=b.sock");
	CHECK_INT(route_parse("alpn=h2=[::1]:8443", &r, &why), 0);
	CHECK_STR(r.backend.host, "::1");

	CHECK_INT(route_parse("host=a=127.0.0.1:1", &r, &why), -1);
	CHECK_STR(why, "expected sni=NAME=ADDR or alpn=PROTOCOL=ADDR");
	CHECK_INT(route_parse("sni=a", &r, &why), -1);
	CHECK_STR(why, "expected sni=NAME=ADDR or alpn=PROTOCOL=ADDR");
	CHECK_INT(route_parse("sni==127.0.0.1:1", &r, &why), -1);
	CHECK_STR(why, "empty pattern");
	CHECK_INT(route_parse("sni=a=127.0.0.1", &r, &why), -1);
	CHECK_STR(why, "expected host:port");
	char longer[400];
	memset(longer, 'a', sizeof longer);
	memcpy(longer, "sni=", 4);
	memcpy(longer + 260, "=127.0.0.1:1", 13);
	CHECK_INT(route_parse(longer, &r, &why), -1);
	CHECK_STR(why, "pattern longer than 255 bytes");
}

static struct options o;

static void parse_options(const char *const *args)
{
	char *argv[40], err[512];
	int argc = 0;

	argv[argc++] = "tlsmux";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)*args;
	options_defaults(&o);
	if (options_parse(&o, argc, argv, err, sizeof err) != 0)
		printf("# options: %s\n", err);
}

/* Where a connection goes, as text: "a,b" for backends, "exec:..." for a program. */
static const char *decide(int tls, const char *sni, const char *alpn)
{
	static char out[512];
	struct route_table table;
	struct route_target t;
	size_t off = 0;

	options_route_table(&o, &table);
	route_decide(&table, tls, sni, (const unsigned char *)alpn,
		     alpn ? strlen(alpn) : 0, &t);
	out[0] = '\0';
	if (t.exec != NULL)
		snprintf(out, sizeof out, "exec:%s", t.exec);
	for (size_t i = 0; i < t.count; i++)
		off += (size_t)snprintf(out + off, sizeof out - off, "%s%s",
					i ? "," : "", t.backends[i]->text);
	return out;
}

static void decide_in_order(void)
{
	static const char *const args[] = {
		"--backend", "127.0.0.1:1",
		"--route", "sni=fix.example.com=127.0.0.1:10",
		"--route", "alpn=h2=127.0.0.1:20",
		"--route", "sni=*.example.com=127.0.0.1:30",
		"--route", "sni=fix.example.com=127.0.0.1:11",	/* failover of the first */
		"--route", "alpn=http/*=127.0.0.1:40",
		"--tls-backend", "127.0.0.1:50",
		"--plain-backend", "127.0.0.1:60",
		"--plain-backend", "127.0.0.1:61",
		NULL,
	};
	parse_options(args);
	CHECK_STR(decide(1, "fix.example.com", NULL), "127.0.0.1:10,127.0.0.1:11");
	CHECK_STR(decide(1, "FIX.example.com", "h2"), "127.0.0.1:10,127.0.0.1:11");
	CHECK_STR(decide(1, "other.example.com", "h2"), "127.0.0.1:20");
	CHECK_STR(decide(1, "other.example.com", NULL), "127.0.0.1:30");
	CHECK_STR(decide(1, "example.org", "http/1.1"), "127.0.0.1:40");
	CHECK_STR(decide(1, "example.org", "h2c"), "127.0.0.1:50");
	CHECK_STR(decide(1, NULL, NULL), "127.0.0.1:50");
	CHECK_STR(decide(1, "", ""), "127.0.0.1:50");
	/* Routes are for TLS: a plain connection never matches them. */
	CHECK_STR(decide(0, "fix.example.com", "h2"), "127.0.0.1:60,127.0.0.1:61");
}

static void decide_fallbacks(void)
{
	static const char *const only_backend[] = {"--backend", "127.0.0.1:1",
						   "--backend", "127.0.0.1:2", NULL};
	parse_options(only_backend);
	CHECK_STR(decide(1, "x", "h2"), "127.0.0.1:1,127.0.0.1:2");
	CHECK_STR(decide(0, NULL, NULL), "127.0.0.1:1,127.0.0.1:2");

	static const char *const exec_and_tls[] = {"--exec", "/bin/cat -u",
						   "--tls-backend", "127.0.0.1:5",
						   NULL};
	parse_options(exec_and_tls);
	CHECK_STR(decide(1, "x", NULL), "127.0.0.1:5");
	CHECK_STR(decide(0, NULL, NULL), "exec:/bin/cat -u");

	static const char *const exec_only[] = {"--exec", "/bin/cat",
						"--route", "sni=a=127.0.0.1:7", NULL};
	parse_options(exec_only);
	CHECK_STR(decide(1, "a", NULL), "127.0.0.1:7");
	CHECK_STR(decide(1, "b", NULL), "exec:/bin/cat");
}

static void alpn_choice(void)
{
	static const char *const args[] = {
		"--backend", "127.0.0.1:1",
		"--route", "sni=h2=127.0.0.1:9",	/* an SNI route: not an ALPN one */
		"--route", "alpn=acme-tls/1=127.0.0.1:2",
		"--route", "alpn=http/*=127.0.0.1:3",
		"--route", "alpn=h2=127.0.0.1:4",
		NULL,
	};
	const unsigned char *proto;
	size_t len;
	/* Offered, in the client's order: h2, http/1.1. */
	static const unsigned char offer[] = {0, 12, 2, 'h', '2', 8, 'h', 't',
					      't', 'p', '/', '1', '.', '1'};
	static const unsigned char acme[] = {0, 11, 10, 'a', 'c', 'm', 'e', '-',
					     't', 'l', 's', '/', '1'};
	static const unsigned char none[] = {0, 3, 2, 'x', 'y'};
	static const unsigned char bad_len[] = {0, 4, 2, 'h', '2'};
	static const unsigned char bad_entry[] = {0, 3, 3, 'h', '2'};
	static const unsigned char empty_entry[] = {0, 3, 0, 1, 'a'};

	parse_options(args);
	/* The first ALPN route any offer matches is the http glob: http/1.1. */
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, offer, sizeof offer,
				    &proto, &len), 1);
	CHECK_INT(len, 8);
	CHECK(memcmp(proto, "http/1.1", 8) == 0);
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, acme, sizeof acme,
				    &proto, &len), 1);
	CHECK_INT(len, 10);
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, none, sizeof none,
				    &proto, &len), 0);
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, bad_len,
				    sizeof bad_len, &proto, &len), -1);
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, bad_entry,
				    sizeof bad_entry, &proto, &len), -1);
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, empty_entry,
				    sizeof empty_entry, &proto, &len), -1);
	CHECK_INT(route_choose_alpn(o.routes, o.route_count, offer, 1, &proto,
				    &len), -1);
}

int main(void)
{
	glob_table();
	UNIT_RUN(route_parse_forms);
	UNIT_RUN(decide_in_order);
	UNIT_RUN(decide_fallbacks);
	UNIT_RUN(alpn_choice);
	return unit_summary();
}
