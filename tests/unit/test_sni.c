/* test_sni: server names to --cert-dir entry names: exact, wildcard, case, and every way out of the directory refused. */
#include <stdio.h>
#include <string.h>

#include "sni.h"
#include "unit.h"

struct good {
	const char *sni;
	const char *exact;
	const char *wildcard;	/* NULL: none */
};

static const struct good goods[] = {
	{"www.example.com", "www.example.com", "*.example.com"},
	{"WWW.Example.COM", "www.example.com", "*.example.com"},
	{"a.b.example.com", "a.b.example.com", "*.b.example.com"},
	{"example.com", "example.com", NULL},	/* "*.com" is never tried */
	{"localhost", "localhost", NULL},
	{"www.example.com.", "www.example.com", "*.example.com"},
	{"xn--bcher-kva.example", "xn--bcher-kva.example", NULL},
	{"a-b.c-d.e", "a-b.c-d.e", "*.c-d.e"},
	{"0.1.2", "0.1.2", "*.1.2"},
	{"x", "x", NULL},
};

struct bad {
	const char *what;
	const char *sni;
};

static const struct bad bads[] = {
	{"empty", ""},
	{"a dot", "."},
	{"two dots", ".."},
	{"parent directory", "../etc"},
	{"dot dot inside", "a..b.example.com"},
	{"leading dot", ".example.com"},
	{"two trailing dots", "example.com.."},
	{"slash", "a/b"},
	{"absolute path", "/etc/passwd"},
	{"backslash", "a\\b.example.com"},
	{"wildcard", "*.example.com"},
	{"default entry", "_default"},
	{"underscore", "a_b.example.com"},
	{"blank", "a b.example.com"},
	{"newline", "a.example.com\nx"},
	{"percent", "a%2f.example.com"},
	{"colon and port", "example.com:443"},
	{"leading hyphen", "-a.example.com"},
	{"trailing hyphen", "a-.example.com"},
	{"high byte", "\xc3\xa9.example.com"},
	{"tilde", "~root"},
};

static void test_good(const struct good *g)
{
	char names[2][SNI_ENTRY_MAX];

	unit_begin("good: %s", g->sni);
	int n = sni_entry_names(g->sni, strlen(g->sni), names);
	CHECK_INT(n, g->wildcard ? 2 : 1);
	if (n >= 1)
		CHECK_STR(names[0], g->exact);
	if (n == 2)
		CHECK_STR(names[1], g->wildcard);
	CHECK(n >= 1 && sni_entry_valid(names[0]));
	CHECK(n < 2 || sni_entry_valid(names[1]));
	unit_end();
}

static void test_bad(const struct bad *b)
{
	char names[2][SNI_ENTRY_MAX];

	unit_begin("bad: %s", b->what);
	CHECK_INT(sni_entry_names(b->sni, strlen(b->sni), names), 0);
	unit_end();
}

/* The length travels with the name: a NUL inside must not end it early. */
static void test_embedded_nul(void)
{
	char names[2][SNI_ENTRY_MAX];

	CHECK_INT(sni_entry_names("good.example\0/../x", 18, names), 0);
	CHECK_INT(sni_entry_names("good.example", 12, names), 1);
	CHECK_STR(names[0], "good.example");
}

/* Labels up to 63 bytes, names up to 253 (254 with the trailing dot). */
static void test_lengths(void)
{
	char sni[400], names[2][SNI_ENTRY_MAX];

	memset(sni, 'a', 63);
	strcpy(sni + 63, ".example");
	CHECK_INT(sni_entry_names(sni, strlen(sni), names), 1);
	memset(sni, 'a', 64);
	strcpy(sni + 64, ".example");
	CHECK_INT(sni_entry_names(sni, strlen(sni), names), 0);

	/* 4 labels of 63 and one of 1: 4 * 64 + 1 = 257 bytes, too long. */
	size_t len = 0;
	for (int i = 0; i < 4; i++) {
		memset(sni + len, 'b', 63);
		len += 63;
		sni[len++] = '.';
	}
	sni[len++] = 'c';
	CHECK_INT(sni_entry_names(sni, len, names), 0);
	/* 3 labels of 63 and one of 61: 253 bytes, fine, and its wildcard. */
	len = 3 * 64 + 61;
	sni[3 * 64 + 61] = '\0';
	memset(sni + 3 * 64, 'd', 61);
	CHECK_INT(sni_entry_names(sni, len, names), 2);
	CHECK_INT(strlen(names[0]), 253);
	CHECK_INT(strlen(names[1]), 2 + 253 - 64);
	sni[len] = '.';
	CHECK_INT(sni_entry_names(sni, len + 1, names), 2);
	CHECK_INT(sni_entry_names(sni, len + 2, names), 0);
}

static void test_entry_valid(void)
{
	CHECK(sni_entry_valid("_default"));
	CHECK(sni_entry_valid("www.example.com"));
	CHECK(sni_entry_valid("*.example.com"));
	CHECK(sni_entry_valid("localhost"));
	CHECK(!sni_entry_valid("*.com"));	/* never asked for */
	CHECK(!sni_entry_valid("*"));
	CHECK(!sni_entry_valid("*.*.example.com"));
	CHECK(!sni_entry_valid("a.*.example.com"));
	CHECK(!sni_entry_valid("WWW.example.com"));	/* names are lowered */
	CHECK(!sni_entry_valid("example.com."));
	CHECK(sni_entry_valid("default"));	/* a host may be called that */
	CHECK(!sni_entry_valid(""));
	CHECK(!sni_entry_valid(".."));
	CHECK(!sni_entry_valid("README"));
	CHECK(!sni_entry_valid("x_y"));
}

int main(void)
{
	for (size_t i = 0; i < sizeof goods / sizeof goods[0]; i++)
		test_good(&goods[i]);
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++)
		test_bad(&bads[i]);
	UNIT_RUN(test_embedded_nul);
	UNIT_RUN(test_lengths);
	UNIT_RUN(test_entry_valid);
	return unit_summary();
}
