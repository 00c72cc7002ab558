/*
 * route: the routing table.  --route rules are tried in the order given;
 * the first match wins, so a specific name can come before a wildcard.
 * Everything here works on values, never on sockets.
 */
#include "route.h"

#include <string.h>

static unsigned char fold(unsigned char c, int fold_case)
{
	return fold_case && c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a')
						 : c;
}

int route_glob_match(const char *pattern, const unsigned char *text,
		     size_t len, int fold_case)
{
	const unsigned char *p = (const unsigned char *)pattern;
	const unsigned char *star = NULL;
	size_t t = 0, star_t = 0;

	/* Iterative, with one backtrack point: linear in practice, no recursion. */
	while (t < len) {
		if (*p == '*') {
			star = ++p;
			star_t = t;
		} else if (*p != '\0' &&
			   (*p == '?' || fold(*p, fold_case) == fold(text[t], fold_case))) {
			p++;
			t++;
		} else if (star != NULL) {
			p = star;
			t = ++star_t;
		} else {
			return 0;
		}
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int route_parse(const char *text, struct route *out, const char **why)
{
	const char *pattern, *eq;
	size_t pattern_len;

	memset(out, 0, sizeof *out);
	if (strncmp(text, "sni=", 4) == 0) {
		out->kind = ROUTE_SNI;
		pattern = text + 4;
	} else if (strncmp(text, "alpn=", 5) == 0) {
		out->kind = ROUTE_ALPN;
		pattern = text + 5;
	} else {
		*why = "expected sni=NAME=ADDR or alpn=PROTOCOL=ADDR";
		return -1;
	}
	eq = strchr(pattern, '=');
	if (eq == NULL) {
		*why = "expected sni=NAME=ADDR or alpn=PROTOCOL=ADDR";
		return -1;
	}
	pattern_len = (size_t)(eq - pattern);
	if (pattern_len == 0) {
		*why = "empty pattern";
		return -1;
	}
	if (pattern_len >= sizeof out->pattern) {
		*why = "pattern longer than 255 bytes";
		return -1;
	}
	memcpy(out->pattern, pattern, pattern_len);
	out->pattern[pattern_len] = '\0';
	return addr_parse(eq + 1, &out->backend, why);
}

static int route_matches(const struct route *r, const char *sni,
			 const unsigned char *alpn, size_t alpn_len)
{
	if (r->kind == ROUTE_SNI)
		return sni != NULL && *sni != '\0' &&
		       route_glob_match(r->pattern, (const unsigned char *)sni,
					strlen(sni), 1);
	return alpn != NULL && alpn_len > 0 &&
	       route_glob_match(r->pattern, alpn, alpn_len, 0);
}

size_t route_select(const struct route *routes, size_t count, const char *sni,
		    const unsigned char *alpn, size_t alpn_len,
		    const struct addr **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < count; i++) {
		if (!route_matches(&routes[i], sni, alpn, alpn_len))
			continue;
		for (size_t j = i; j < count && n < max; j++)
			if (routes[j].kind == routes[i].kind &&
			    strcmp(routes[j].pattern, routes[i].pattern) == 0)
				out[n++] = &routes[j].backend;
		break;
	}
	return n;
}

int route_choose_alpn(const struct route *routes, size_t count,
		      const unsigned char *ext, size_t ext_len,
		      const unsigned char **proto, size_t *proto_len)
{
	if (ext_len < 2 || (size_t)(ext[0] << 8 | ext[1]) != ext_len - 2)
		return -1;
	/* Validate the whole list first: a bad entry anywhere is an error. */
	for (size_t off = 2; off < ext_len; off += 1 + ext[off])
		if (ext[off] == 0 || ext[off] > ext_len - off - 1)
			return -1;
	for (size_t i = 0; i < count; i++) {
		if (routes[i].kind != ROUTE_ALPN)
			continue;
		for (size_t off = 2; off < ext_len; off += 1 + ext[off]) {
			if (route_glob_match(routes[i].pattern, ext + off + 1,
					     ext[off], 0)) {
				*proto = ext + off + 1;
				*proto_len = ext[off];
				return 1;
			}
		}
	}
	return 0;
}

static void route_take_list(const struct addr *list, size_t count,
			    struct route_target *t)
{
	for (size_t i = 0; i < count && i < ROUTE_MAX_BACKENDS; i++)
		t->backends[t->count++] = &list[i];
}

void route_decide(const struct route_table *table, int tls, const char *sni,
		  const unsigned char *alpn, size_t alpn_len,
		  struct route_target *t)
{
	memset(t, 0, sizeof *t);
	if (tls) {
		t->count = route_select(table->routes, table->route_count, sni,
					alpn, alpn_len, t->backends,
					ROUTE_MAX_BACKENDS);
		if (t->count > 0)
			return;
		if (table->tls_backend_count > 0) {
			route_take_list(table->tls_backends,
					table->tls_backend_count, t);
			return;
		}
	} else if (table->plain_backend_count > 0) {
		route_take_list(table->plain_backends,
				table->plain_backend_count, t);
		return;
	}
	if (table->exec != NULL) {
		t->exec = table->exec;
		return;
	}
	route_take_list(table->backends, table->backend_count, t);
}
