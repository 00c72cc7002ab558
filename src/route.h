/* route: which backend a connection goes to, by path, SNI and ALPN. Pure. */
#ifndef TLSMUX_ROUTE_H
#define TLSMUX_ROUTE_H

#include <stddef.h>

#include "addr.h"

#define ROUTE_MAX_BACKENDS 16

enum route_kind { ROUTE_SNI, ROUTE_ALPN };

/* One --route: sni=PATTERN=ADDR or alpn=PATTERN=ADDR. */
struct route {
	enum route_kind kind;
	char pattern[256];
	struct addr backend;
};

/* Returns 0, or -1 with *why set to a static message. */
int route_parse(const char *text, struct route *out, const char **why);

/*
 * Glob match: '*' any run of bytes (dots too), '?' one byte, anything
 * else itself; fold_case for DNS names.
 */
int route_glob_match(const char *pattern, const unsigned char *text,
		     size_t len, int fold_case);

/*
 * The first route, in the order given, that matches the server name or
 * the negotiated protocol (NULL: none) decides; every route with the
 * same kind and pattern is one of its backends, in order (failover).
 * Returns how many were put in out (at most max), 0 when none matched.
 */
size_t route_select(const struct route *routes, size_t count, const char *sni,
		    const unsigned char *alpn, size_t alpn_len,
		    const struct addr **out, size_t max);

/*
 * Choose the protocol to negotiate from a ClientHello's ALPN extension
 * (the bytes after its type and length): the first ALPN route, in the
 * order given, that any offered protocol matches, with the first such
 * protocol in the client's order.  Returns 1 with *proto set (pointing
 * into ext), 0 when no route matches, -1 when the list is malformed.
 */
int route_choose_alpn(const struct route *routes, size_t count,
		      const unsigned char *ext, size_t ext_len,
		      const unsigned char **proto, size_t *proto_len);

/* What route_decide chooses from: the routing options, by reference. */
struct route_table {
	const struct route *routes;
	size_t route_count;
	const struct addr *tls_backends;	/* --tls-backend */
	size_t tls_backend_count;
	const struct addr *plain_backends;	/* --plain-backend */
	size_t plain_backend_count;
	const struct addr *backends;		/* --backend */
	size_t backend_count;
	const char *exec;			/* --exec, or NULL */
};

/* Where one connection goes: a list of backends to try, or a program. */
struct route_target {
	const struct addr *backends[ROUTE_MAX_BACKENDS];
	size_t count;
	const char *exec;	/* non-NULL: run this instead */
};

/*
 * TLS: the first matching --route, else --tls-backend, else --exec,
 * else --backend.  Plain: --plain-backend, else --exec, else --backend.
 * sni and alpn may be NULL.
 */
void route_decide(const struct route_table *table, int tls, const char *sni,
		  const unsigned char *alpn, size_t alpn_len,
		  struct route_target *t);

#endif
