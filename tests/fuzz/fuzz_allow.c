/*
 * fuzz_allow: allow_cn_match and allow_san_match, the input split at its
 * first NUL into a pattern and a name (no NUL: the input is both).
 * Aborts when a prefixed pattern admits a name of another type, when
 * "dns:" or "email:" does not ignore case (or "uri:" does), or when a
 * pattern without special characters fails to match itself.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "allow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const prefixes[] = {"dns:", "uri:", "email:"};
static const enum allow_san_type types[] = {ALLOW_SAN_DNS, ALLOW_SAN_URI,
					    ALLOW_SAN_EMAIL};

static int literal(const char *s)
{
	return strpbrk(s, "*?[\\") == NULL;
}

static void check(const char *pattern, const char *name)
{
	allow_cn_match(pattern, name);
	for (int t = 0; t < 3; t++) {
		int m = allow_san_match(pattern, types[t], name);
		for (int p = 0; p < 3; p++)
			if (p != t && m &&
			    strncasecmp(pattern, prefixes[p], strlen(prefixes[p])) == 0)
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Patterns come from the command line: keep fnmatch's work bounded. */
	if (size > 512)
		return 0;
	char *text = malloc(size + 1);
	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	const char *pattern = text;
	const char *name = strlen(text) < size ? text + strlen(text) + 1 : text;
	check(pattern, name);

	/* A literal matches itself; DNS and email ignore case, URIs do not. */
	if (literal(text)) {
		if (!allow_cn_match(text, text))
			abort();
		char *upper = strdup(text);
		char *prefixed = malloc(strlen(text) + 7);
		if (upper == NULL || prefixed == NULL)
			abort();
		for (char *p = upper; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		for (int t = 0; t < 3; t++) {
			strcpy(prefixed, prefixes[t]);
			strcat(prefixed, text);
			if (!allow_san_match(prefixed, types[t], text))
				abort();
			int folded = allow_san_match(prefixed, types[t], upper);
			if (types[t] != ALLOW_SAN_URI && !folded)
				abort();
			if (types[t] == ALLOW_SAN_URI && strcmp(upper, text) != 0 &&
			    folded)
				abort();
		}
		free(prefixed);
		free(upper);
	}
	free(text);
	return 0;
}
