/*
 * fuzz_config: the input as the file of "tlsmux -f FILE": options_parse
 * on argv {"tlsmux", "-f", "/proc/self/fd/N"} with the input in a memfd,
 * then options_validate, as tlsmux starts.  Unlike fuzz_options this
 * takes the file-reading path: the size limit, NUL bytes, line numbers
 * in errors, nested "f" lines.  Inputs naming /dev, /proc or /sys are
 * skipped: reading the machine's own files (a terminal, stdin) proves
 * nothing and may block.
 * Each -f keeps its text for the life of the process (options point
 * into it), so the harness grows by 1 MiB of address space per input:
 * runs are bounded (-runs) and restarted, and the leak check after each
 * input is off (-detect_leaks=0, in config.flags, as ASAN_OPTIONS from
 * tests/run overrides the default below): it would scan every kept
 * buffer, tens of milliseconds an input, to find them all reachable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/*
 * The kept 1 MiB buffers are untouched beyond what was read: do not fill
 * them; and a leak check after each input would scan all of them (and
 * find nothing, they stay reachable): tens of milliseconds an input.
 */
const char *__asan_default_options(void)
{
	return "max_malloc_fill_size=0:detect_leaks=0";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const skip[] = {"/dev", "/proc", "/sys"};
	char path[64], err[512] = "";
	struct options o;

	for (size_t i = 0; i < sizeof skip / sizeof skip[0]; i++)
		if (memmem(data, size, skip[i], strlen(skip[i])) != NULL)
			return 0;
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	char *argv[] = {(char *)"tlsmux", (char *)"-f", path, NULL};

	options_defaults(&o);
	int rc = options_parse(&o, 3, argv, err, sizeof err);
	close(fd);
	if (rc != 0) {
		if ((rc != EX_USAGE && rc != EX_NOINPUT) || err[0] == '\0' ||
		    strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	if (o.backend_count > OPTIONS_MAX_BACKENDS ||
	    o.route_count > OPTIONS_MAX_ROUTES ||
	    o.proxy_from_count > OPTIONS_MAX_PROXY_FROM ||
	    o.allow_cn_count > OPTIONS_MAX_ALLOW ||
	    o.allow_san_count > OPTIONS_MAX_ALLOW)
		abort();
	err[0] = '\0';
	rc = options_validate(&o, err, sizeof err);
	if (rc != 0 && (rc != EX_USAGE || err[0] == '\0' ||
			strchr(err, '\n') != NULL))
		abort();
	return 0;
}
