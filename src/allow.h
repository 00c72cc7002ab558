/* allow: the --allow-cn and --allow-san patterns against a client certificate's names (pure). */
#ifndef TLSMUX_ALLOW_H
#define TLSMUX_ALLOW_H

enum allow_san_type { ALLOW_SAN_DNS, ALLOW_SAN_URI, ALLOW_SAN_EMAIL };

/* Whether the subject's common name matches GLOB (fnmatch(3), case-sensitive). */
int allow_cn_match(const char *glob, const char *cn);

/*
 * Whether a subject alternative name of the given type matches pattern,
 * "[dns:|uri:|email:]GLOB": with a prefix only names of that type match,
 * without one every type does.  DNS names and email addresses compare
 * without regard to case, URIs exactly.
 */
int allow_san_match(const char *pattern, enum allow_san_type type,
		    const char *value);

#endif
