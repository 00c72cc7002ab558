/*
 * allow: which client certificates, among those the CA vouches for, may
 * pass.  fnmatch(3) without FNM_PATHNAME or FNM_PERIOD, so '*' spans dots
 * and slashes alike: "*.example.com" admits "a.b.example.com" too.
 */
#include "allow.h"

#include <fnmatch.h>
#include <strings.h>

int allow_cn_match(const char *glob, const char *cn)
{
	return fnmatch(glob, cn, 0) == 0;
}

static const struct {
	const char *prefix;
	unsigned len;
	enum allow_san_type type;
	int flags;
} allow_san_types[] = {
	{"dns:", 4, ALLOW_SAN_DNS, FNM_CASEFOLD},
	{"uri:", 4, ALLOW_SAN_URI, 0},
	{"email:", 6, ALLOW_SAN_EMAIL, FNM_CASEFOLD},
};

int allow_san_match(const char *pattern, enum allow_san_type type,
		    const char *value)
{
	int flags = -1;

	for (unsigned i = 0; i < sizeof allow_san_types / sizeof allow_san_types[0];
	     i++) {
		if (strncasecmp(pattern, allow_san_types[i].prefix,
				allow_san_types[i].len) != 0)
			continue;
		if (allow_san_types[i].type != type)
			return 0;
		pattern += allow_san_types[i].len;
		flags = allow_san_types[i].flags;
		break;
	}
	if (flags < 0)
		flags = type == ALLOW_SAN_URI ? 0 : FNM_CASEFOLD;
	return fnmatch(pattern, value, flags) == 0;
}
