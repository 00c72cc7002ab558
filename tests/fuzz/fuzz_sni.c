/*
 * fuzz_sni: sni_entry_names on raw bytes, as a client may send them.
 * Aborts when an accepted name could leave --cert-dir or reach an entry
 * other than its own: a byte outside [a-z0-9.-] (or '*' anywhere but a
 * leading "*."), an empty label, a '.' at either end, more than 253
 * bytes; when the name is not the input lowered; when the wildcard is
 * not "*" and the name's parent; or when a name with any other byte was
 * accepted at all.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sni.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int host_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.';
}

static void check_host(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.' ||
	    strstr(name, "..") != NULL || strchr(name, '/') != NULL)
		abort();
	for (size_t i = 0; i < len; i++)
		if (!host_byte((unsigned char)name[i]))
			abort();
	if (!sni_entry_valid(name))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char names[2][SNI_ENTRY_MAX], again[2][SNI_ENTRY_MAX];
	int n = sni_entry_names((const char *)data, size, names);

	if (n < 0 || n > 2)
		abort();
	if (n == 0)
		return 0;
	for (size_t i = 0; i < size; i++) {
		unsigned char c = data[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!host_byte(c))
			abort();
	}
	check_host(names[0]);
	/* The input itself, lowered, one trailing dot dropped. */
	size_t len = strlen(names[0]);
	if (len != size && !(len + 1 == size && data[size - 1] == '.'))
		abort();
	for (size_t i = 0; i < len; i++) {
		unsigned char c = data[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if ((unsigned char)names[0][i] != c)
			abort();
	}
	if (n == 2) {
		const char *parent = strchr(names[0], '.');
		if (names[1][0] != '*' || parent == NULL ||
		    strcmp(names[1] + 1, parent) != 0 ||
		    strchr(parent + 1, '.') == NULL)
			abort();
		check_host(names[1] + 2);
		if (!sni_entry_valid(names[1]))
			abort();
	} else if (strchr(names[0], '.') != NULL &&
		   strchr(strchr(names[0], '.') + 1, '.') != NULL) {
		abort();	/* three labels or more always have a wildcard */
	}
	/* A name already lowered maps to itself. */
	if (sni_entry_names(names[0], len, again) != n ||
	    strcmp(again[0], names[0]) != 0 ||
	    (n == 2 && strcmp(again[1], names[1]) != 0))
		abort();
	return 0;
}
