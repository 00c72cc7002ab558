/* Unit tests for linked.c: built-in package versions against dpkg's status file. */
#include "../../src/linked.h"

#include "unit.h"

static char seen[1024];

static void collect(void *ctx, const char *package, const char *built,
		    const char *installed)
{
	size_t used = strlen(seen);
	(void)ctx;
	snprintf(seen + used, sizeof seen - used, "%s %s>%s;", package, built,
		 installed);
}

static int stale(const char *recorded, const char *status)
{
	seen[0] = '\0';
	return linked_stale(recorded, status, strlen(status), collect, NULL);
}

static const char status[] =
	"Package: libgnutls30\n"
	"Status: install ok installed\n"
	"Priority: optional\n"
	"Architecture: amd64\n"
	"Version: 3.7.9-2+deb12u4\n"
	"Description: GNU TLS library - main runtime library\n"
	" Version: 1.0 in a continuation line is not a field\n"
	"\n"
	"Package: libgnutls30\n"
	"Status: install ok installed\n"
	"Architecture: i386\n"
	"Version: 3.7.9-2+deb12u3\n"
	"\n"
	"Package: libnettle8\n"
	"Status: deinstall ok config-files\n"
	"Architecture: amd64\n"
	"Version: 3.8.1-2\n"
	"\n"
	"Package: libtasn1-6\n"
	"Architecture: amd64\n"
	"Version: 4.19.0-2\n"
	"Status: install ok installed";	/* no final newline */

int main(void)
{
	unit_begin("same versions: nothing to say");
	CHECK(stale("libgnutls30:amd64=3.7.9-2+deb12u4 libtasn1-6:amd64=4.19.0-2",
		    status) == 0);
	CHECK(strcmp(seen, "") == 0);
	unit_end();

	unit_begin("a newer version installed is reported, with both versions");
	CHECK(stale("libgnutls30:amd64=3.7.9-2+deb12u3", status) == 1);
	CHECK(strcmp(seen, "libgnutls30 3.7.9-2+deb12u3>3.7.9-2+deb12u4;") == 0);
	unit_end();

	unit_begin("the architecture must match too");
	CHECK(stale("libgnutls30:i386=3.7.9-2+deb12u4", status) == 1);
	CHECK(strcmp(seen, "libgnutls30 3.7.9-2+deb12u4>3.7.9-2+deb12u3;") == 0);
	CHECK(stale("libgnutls30:arm64=1", status) == 0);
	unit_end();

	unit_begin("a package removed, or kept as config files only, is passed over");
	CHECK(stale("libnettle8:amd64=3.8.1-1 libgmp10:amd64=2:6.2.1", status) == 0);
	unit_end();

	unit_begin("the last stanza counts without a final newline; field order is free");
	CHECK(stale("libtasn1-6:amd64=4.19.0-1", status) == 1);
	CHECK(strcmp(seen, "libtasn1-6 4.19.0-1>4.19.0-2;") == 0);
	unit_end();

	unit_begin("several words, extra blanks, all reported in order");
	CHECK(stale("  libtasn1-6:amd64=4.19.0-1\tlibgnutls30:amd64=3.7.9-2 ", status) == 2);
	CHECK(strcmp(seen, "libtasn1-6 4.19.0-1>4.19.0-2;"
			   "libgnutls30 3.7.9-2>3.7.9-2+deb12u4;") == 0);
	unit_end();

	unit_begin("malformed words are passed over");
	CHECK(stale("libgnutls30 :amd64=1 libgnutls30:=1 libgnutls30:amd64= "
		    "libgnutls30=1 =", status) == 0);
	CHECK(stale("", status) == 0);
	unit_end();

	unit_begin("CRLF lines and an empty status file");
	CHECK(stale("p:all=1", "Package: p\r\nArchitecture: all\r\n"
			       "Version: 2\r\nStatus: install ok installed\r\n\r\n") == 1);
	CHECK(strcmp(seen, "p 1>2;") == 0);
	CHECK(stale("p:all=1", "") == 0);
	unit_end();

	return unit_summary();
}
