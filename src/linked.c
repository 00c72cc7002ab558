/*
 * linked: compare the package versions recorded at build time with
 * dpkg's status file.  A stanza is a run of "Field: value" lines ended
 * by a blank line; continuation lines (starting with a space) belong to
 * the field before and are never matched.
 */
#include "linked.h"

#include <string.h>

#define LINKED_FIELD_MAX 256

struct linked_stanza {
	char package[LINKED_FIELD_MAX];
	char arch[LINKED_FIELD_MAX];
	char version[LINKED_FIELD_MAX];
	int installed;
};

/* Copy the value of "Name: value" at line (len bytes) into out when the field is name. */
static int linked_field(const char *line, size_t len, const char *name,
			char out[LINKED_FIELD_MAX])
{
	size_t n = strlen(name);

	if (len < n + 1 || memcmp(line, name, n) != 0 || line[n] != ':')
		return 0;
	line += n + 1;
	len -= n + 1;
	while (len > 0 && (*line == ' ' || *line == '\t'))
		line++, len--;
	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t' ||
			   line[len - 1] == '\r'))
		len--;
	if (len >= LINKED_FIELD_MAX)
		len = LINKED_FIELD_MAX - 1;
	memcpy(out, line, len);
	out[len] = '\0';
	return 1;
}

/* The stanza is package:arch, installed: its version goes into version. */
static int linked_match(const struct linked_stanza *s, const char *package,
			const char *arch, char version[LINKED_FIELD_MAX])
{
	if (!s->installed || s->version[0] == '\0' ||
	    strcmp(s->package, package) != 0 || strcmp(s->arch, arch) != 0)
		return 0;
	memcpy(version, s->version, LINKED_FIELD_MAX);
	return 1;
}

/* Find the installed stanza of package:arch; its version goes into version. */
static int linked_installed(const char *status, size_t len, const char *package,
			    const char *arch, char version[LINKED_FIELD_MAX])
{
	struct linked_stanza s = {0};
	char value[LINKED_FIELD_MAX];
	size_t at = 0;

	while (at <= len) {
		const char *line = status + at;
		const char *nl = at < len ? memchr(line, '\n', len - at) : NULL;
		size_t line_len = nl ? (size_t)(nl - line) : len - at;

		if (line_len == 0 || (line_len == 1 && line[0] == '\r')) {
			if (linked_match(&s, package, arch, version))
				return 1;
			memset(&s, 0, sizeof s);
		} else if (line[0] != ' ' && line[0] != '\t') {
			if (!linked_field(line, line_len, "Package", s.package) &&
			    !linked_field(line, line_len, "Architecture", s.arch) &&
			    !linked_field(line, line_len, "Version", s.version) &&
			    linked_field(line, line_len, "Status", value))
				s.installed = strcmp(value, "install ok installed") == 0;
		}
		if (nl == NULL)
			break;
		at += line_len + 1;
	}
	return linked_match(&s, package, arch, version);
}

int linked_stale(const char *recorded, const char *status, size_t len,
		 linked_report_fn *report, void *ctx)
{
	int reported = 0;

	while (*recorded != '\0') {
		size_t n = strcspn(recorded, " \t\n");
		char word[3 * LINKED_FIELD_MAX], installed[LINKED_FIELD_MAX];

		if (n > 0 && n < sizeof word) {
			memcpy(word, recorded, n);
			word[n] = '\0';
			char *colon = strchr(word, ':');
			char *eq = colon ? strchr(colon + 1, '=') : NULL;
			if (colon != NULL && eq != NULL && colon > word &&
			    eq > colon + 1 && eq[1] != '\0') {
				*colon = '\0';
				*eq = '\0';
				if (linked_installed(status, len, word, colon + 1,
						     installed) &&
				    strcmp(installed, eq + 1) != 0) {
					report(ctx, word, eq + 1, installed);
					reported++;
				}
			}
		}
		recorded += n;
		recorded += strspn(recorded, " \t\n");
	}
	return reported;
}
