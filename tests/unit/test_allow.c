/* test_allow: --allow-cn and --allow-san patterns against certificate names. */
#include "allow.h"
#include "unit.h"

static void test_cn(void)
{
	CHECK(allow_cn_match("alice", "alice"));
	CHECK(!allow_cn_match("alice", "Alice"));	/* CNs compare exactly */
	CHECK(!allow_cn_match("alice", "alice2"));
	CHECK(!allow_cn_match("alice", "malice"));
	CHECK(allow_cn_match("gw-*", "gw-01"));
	CHECK(allow_cn_match("gw-??", "gw-01"));
	CHECK(!allow_cn_match("gw-??", "gw-001"));
	CHECK(allow_cn_match("*", "anything at all"));
	CHECK(allow_cn_match("gw-[0-9]", "gw-7"));
	CHECK(!allow_cn_match("gw-[0-9]", "gw-x"));
	CHECK(!allow_cn_match("", "alice"));
}

static void test_san_dns(void)
{
	CHECK(allow_san_match("dns:*.example.com", ALLOW_SAN_DNS, "a.example.com"));
	/* '*' spans dots: a glob, not a certificate wildcard. */
	CHECK(allow_san_match("dns:*.example.com", ALLOW_SAN_DNS, "a.b.example.com"));
	CHECK(!allow_san_match("dns:*.example.com", ALLOW_SAN_DNS, "example.com"));
	CHECK(!allow_san_match("dns:*.example.com", ALLOW_SAN_DNS, "evil-example.com"));
	CHECK(allow_san_match("DNS:*.Example.COM", ALLOW_SAN_DNS, "a.example.com"));
	CHECK(allow_san_match("dns:gw.example.com", ALLOW_SAN_DNS, "GW.EXAMPLE.COM"));
	/* A typed pattern matches only its own type. */
	CHECK(!allow_san_match("dns:*", ALLOW_SAN_URI, "spiffe://example.com/a"));
	CHECK(!allow_san_match("dns:*", ALLOW_SAN_EMAIL, "a@example.com"));
}

static void test_san_uri(void)
{
	CHECK(allow_san_match("uri:spiffe://example.org/ns/prod/*",
			      ALLOW_SAN_URI, "spiffe://example.org/ns/prod/sa/gw"));
	CHECK(!allow_san_match("uri:spiffe://example.org/ns/prod/*",
			       ALLOW_SAN_URI, "spiffe://example.org/ns/dev/sa/gw"));
	/* URIs compare exactly: paths are case-sensitive. */
	CHECK(!allow_san_match("uri:spiffe://example.org/A", ALLOW_SAN_URI,
			       "spiffe://example.org/a"));
	CHECK(!allow_san_match("uri:*", ALLOW_SAN_DNS, "example.org"));
}

static void test_san_email(void)
{
	CHECK(allow_san_match("email:*@example.com", ALLOW_SAN_EMAIL, "Ops@Example.com"));
	CHECK(!allow_san_match("email:*@example.com", ALLOW_SAN_EMAIL, "ops@example.com.evil"));
	CHECK(!allow_san_match("email:*@example.com", ALLOW_SAN_DNS, "x@example.com"));
}

/* Without a known prefix the pattern is a glob over every type. */
static void test_san_untyped(void)
{
	CHECK(allow_san_match("*.example.com", ALLOW_SAN_DNS, "a.example.com"));
	CHECK(allow_san_match("*@example.com", ALLOW_SAN_EMAIL, "a@EXAMPLE.com"));
	/* "spiffe:" is not a prefix we know: the whole text is the glob. */
	CHECK(allow_san_match("spiffe://example.org/*", ALLOW_SAN_URI,
			      "spiffe://example.org/gw"));
	CHECK(!allow_san_match("spiffe://example.org/*", ALLOW_SAN_DNS,
			       "example.org"));
	CHECK(!allow_san_match("ip:10.0.0.1", ALLOW_SAN_DNS, "10.0.0.1"));
}

int main(void)
{
	UNIT_RUN(test_cn);
	UNIT_RUN(test_san_dns);
	UNIT_RUN(test_san_uri);
	UNIT_RUN(test_san_email);
	UNIT_RUN(test_san_untyped);
	return unit_summary();
}
