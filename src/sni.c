/*
 * sni: the client's server name is untrusted input that becomes a file
 * name, so it is checked byte by byte against the host name grammar
 * before anything else sees it.  Only then is it lowered and turned into
 * the (at most two) entry names a connection looks up, each with one
 * open(), whatever the size of the directory.
 */
#include "sni.h"

#include <string.h>

#define SNI_NAME_MAX 253
#define SNI_LABEL_MAX 63

static int sni_is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/*
 * Lower-cased copy of a valid host name into out (SNI_ENTRY_MAX bytes);
 * returns its number of labels, or 0 when it is not a host name.
 */
static int sni_normalize(const char *name, size_t len, char *out)
{
	int labels = 0;
	size_t label_len = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > SNI_NAME_MAX)
		return 0;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)name[i] : '.';
		if (c == '.') {
			if (label_len == 0 || name[i - 1] == '-')
				return 0;
			labels++;
			label_len = 0;
			if (i < len)
				out[i] = '.';
			continue;
		}
		if (!sni_is_ldh(c) || (label_len == 0 && c == '-') ||
		    ++label_len > SNI_LABEL_MAX)
			return 0;
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	out[len] = '\0';
	return labels;
}

int sni_entry_names(const char *sni, size_t len, char names[2][SNI_ENTRY_MAX])
{
	int labels = sni_normalize(sni, len, names[0]);

	if (labels == 0)
		return 0;
	if (labels < 3)
		return 1;
	const char *parent = strchr(names[0], '.');
	names[1][0] = '*';
	memcpy(names[1] + 1, parent, strlen(parent) + 1);
	return 2;
}

int sni_entry_valid(const char *entry)
{
	char lowered[SNI_ENTRY_MAX];
	size_t len = strlen(entry);
	int labels;

	if (strcmp(entry, SNI_DEFAULT_ENTRY) == 0)
		return 1;
	if (len >= 2 && entry[0] == '*' && entry[1] == '.') {
		labels = sni_normalize(entry + 2, len - 2, lowered);
		return labels >= 2 && strcmp(lowered, entry + 2) == 0;
	}
	labels = sni_normalize(entry, len, lowered);
	return labels >= 1 && strcmp(lowered, entry) == 0;
}
