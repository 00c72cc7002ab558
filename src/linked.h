/*
 * linked: the Debian packages whose code is linked into a binary, and
 * whether the system has moved on since (pure).
 */
#ifndef TLSMUX_LINKED_H
#define TLSMUX_LINKED_H

#include <stddef.h>

/* Called for a package that is installed at another version than the one linked in. */
typedef void linked_report_fn(void *ctx, const char *package, const char *built,
			      const char *installed);

/*
 * recorded lists what was linked in, as "PACKAGE:ARCH=VERSION" words
 * separated by spaces (what dpkg-query printed at build time); status is
 * the text of dpkg's status file, len bytes.  For each recorded package
 * installed now ("Status: install ok installed", same Package and
 * Architecture) at another Version, report is called.  Packages no
 * longer installed, and malformed words, are passed over.  Returns how
 * many packages were reported.
 */
int linked_stale(const char *recorded, const char *status, size_t len,
		 linked_report_fn *report, void *ctx);

#endif
