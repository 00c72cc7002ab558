/*
 * fuzz_route: the parts of routing that read what a client sent.  The
 * input is a ClientHello's ALPN extension for route_choose_alpn (an
 * exact-size copy, so a read past it trips ASan), and, split at its
 * first NUL, a glob and a name for route_glob_match.  Aborts when a
 * chosen protocol lies outside the extension, is not in its list, or
 * does not match any ALPN route.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct route routes[4];
static size_t route_count;

static void add_route(enum route_kind kind, const char *pattern)
{
	routes[route_count].kind = kind;
	strcpy(routes[route_count].pattern, pattern);
	route_count++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (route_count == 0) {
		add_route(ROUTE_SNI, "h2");
		add_route(ROUTE_ALPN, "acme-tls/1");
		add_route(ROUTE_ALPN, "http/*");
		add_route(ROUTE_ALPN, "h?");
	}
	unsigned char *ext = malloc(size > 0 ? size : 1);
	if (ext == NULL)
		abort();
	memcpy(ext, data, size);
	const unsigned char *proto = NULL;
	size_t len = 0;
	int r = route_choose_alpn(routes, route_count, ext, size, &proto, &len);
	if (r < -1 || r > 1)
		abort();
	if (r == 1) {
		if (proto < ext + 3 || proto + len > ext + size || len == 0 ||
		    proto[-1] != len)
			abort();
		int matched = 0;
		for (size_t i = 0; i < route_count; i++)
			if (routes[i].kind == ROUTE_ALPN &&
			    route_glob_match(routes[i].pattern, proto, len, 0))
				matched = 1;
		if (!matched)
			abort();
	}
	free(ext);

	/* A glob against a name: must end, and "*" must match anything. */
	const uint8_t *nul = memchr(data, 0, size);
	if (nul != NULL && (size_t)(nul - data) < 256) {
		char pattern[256];
		memcpy(pattern, data, (size_t)(nul - data));
		pattern[nul - data] = '\0';
		size_t text_len = size - (size_t)(nul - data) - 1;
		unsigned char *text = malloc(text_len > 0 ? text_len : 1);
		if (text == NULL)
			abort();
		memcpy(text, nul + 1, text_len);
		route_glob_match(pattern, text, text_len, 1);
		if (!route_glob_match("*", text, text_len, 0))
			abort();
		free(text);
	}
	return 0;
}
