/*
 * landlock: the file system narrowed, in-process, to what one connection's
 * processes read, with the kernel's Landlock LSM (Linux 5.13 and later).
 *
 * Raw system calls, no library: a ruleset, one rule per path, then
 * landlock_restrict_self.  Some 65-110 us of CPU per process here (about
 * 15 rules), against some 16 ms for the mount namespace that
 * ProtectSystem=, ProtectHome=, PrivateTmp= and PrivateDevices= cost
 * systemd per connection (bench/systemd-cost.sh).  The domain is
 * inherited across execve: tlsmux-tls runs under the one tlsmux made,
 * and makes its own from the same list only where tlsmux made none
 * (--exec, --cert-dir, or a launcher that starts it directly).
 */
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

/* From <linux/landlock.h>, which older kernel headers lack or lack parts of. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule 445
#define SYS_landlock_restrict_self 446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1
#define LL_EXECUTE (1ULL << 0)
#define LL_WRITE_FILE (1ULL << 1)
#define LL_READ_FILE (1ULL << 2)
#define LL_READ_DIR (1ULL << 3)
#define LL_ABI1_ALL ((1ULL << 13) - 1)	/* execute ... make_sym */
#define LL_REFER (1ULL << 13)		/* ABI 2 */
#define LL_TRUNCATE (1ULL << 14)	/* ABI 3 */
#define LL_IOCTL_DEV (1ULL << 15)	/* ABI 5 */
#define LL_MAKE_REG (1ULL << 8)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
};

struct ll_path_beneath_attr {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* Valgrind reads its own files from inside the process: no domain then. */
#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define LANDLOCK_UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef LANDLOCK_UNDER_VALGRIND
#define LANDLOCK_UNDER_VALGRIND() 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define LANDLOCK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LANDLOCK_SANITIZER 1
#endif
#endif

int landlock_abi(void)
{
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0,
			 LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
}

/* The files the resolver (getaddrinfo, files and dns) may read. */
static const char *const resolver_files[] = {
	"/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf",
	"/etc/host.conf", "/etc/gai.conf", "/etc/services",
};

static size_t add(struct landlock_path *out, size_t n, size_t max,
		  const char *path, enum landlock_use use)
{
	if (path == NULL || path[0] == '\0' || n >= max)
		return n;
	out[n].path = path;
	out[n].use = use;
	return n + 1;
}

size_t landlock_paths(const struct options *o, const char *helper,
		      struct landlock_path *out, size_t max)
{
	size_t n = 0;
	const char *const files[] = {o->cert, o->key, o->client_ca, o->crl,
				     o->ocsp, o->ticket_key};

	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		n = add(out, n, max, files[i], LANDLOCK_USE_RENEWED);
	/* The TLS helper reads the config files again (an editor may have
	 * renamed a new one into place in between). */
	for (size_t i = 0; i < o->config_file_count; i++)
		n = add(out, n, max, o->config_files[i], LANDLOCK_USE_RENEWED);
	n = add(out, n, max, o->cert_dir, LANDLOCK_USE_TREE);
	n = add(out, n, max, helper, LANDLOCK_USE_RUN);
	for (size_t i = 0; i < sizeof resolver_files / sizeof *resolver_files; i++)
		n = add(out, n, max, resolver_files[i], LANDLOCK_USE_READ);
	if (o->user != NULL) {
		n = add(out, n, max, "/etc/passwd", LANDLOCK_USE_READ);
		n = add(out, n, max, "/etc/group", LANDLOCK_USE_READ);
	}
	n = add(out, n, max, "/etc/gnutls", LANDLOCK_USE_TREE);
	n = add(out, n, max, "/usr", LANDLOCK_USE_RUN);
	n = add(out, n, max, "/dev/null", LANDLOCK_USE_NULL);
#ifdef LANDLOCK_SANITIZER
	/* The leak check reads /proc/self/maps and the like. */
	n = add(out, n, max, "/proc", LANDLOCK_USE_TREE);
#endif
	return n;
}

static uint64_t handled_access(int abi)
{
	uint64_t a = LL_ABI1_ALL;

	if (abi >= 2)
		a |= LL_REFER;
	if (abi >= 3)
		a |= LL_TRUNCATE;
	if (abi >= 5)
		a |= LL_IOCTL_DEV;
#ifdef LANDLOCK_SANITIZER
	/* Reports go to the file ASAN_OPTIONS=log_path names. */
	a &= ~(LL_WRITE_FILE | LL_MAKE_REG | LL_TRUNCATE);
#endif
	return a;
}

static uint64_t allowed_access(enum landlock_use use, int is_dir,
			       uint64_t handled)
{
	uint64_t a = LL_READ_FILE;

	switch (use) {
	case LANDLOCK_USE_READ:
	case LANDLOCK_USE_RENEWED:
		break;
	case LANDLOCK_USE_TREE:
		a |= LL_READ_DIR;
		break;
	case LANDLOCK_USE_RUN:
		a |= LL_READ_DIR | LL_EXECUTE;
		break;
	case LANDLOCK_USE_NULL:
		a |= LL_WRITE_FILE | LL_TRUNCATE;
		break;
	}
	if (!is_dir)	/* a file's rule may hold file rights only */
		a &= ~LL_READ_DIR;
	return a & handled;
}

/*
 * One rule; a path that is not there (no ticket key yet) is skipped.
 * openat itself: musl's open() adds an fcntl for O_CLOEXEC.  Only a rule
 * that may list a directory asks what the path is.
 */
static int add_rule(int ruleset, const char *path, enum landlock_use use,
		    uint64_t handled)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_PATH | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == EACCES ? 0 : -1;
	struct stat st;
	int is_dir = (use == LANDLOCK_USE_TREE || use == LANDLOCK_USE_RUN) &&
		     fstat(fd, &st) == 0 && S_ISDIR(st.st_mode);
	struct ll_path_beneath_attr rule = {
		.allowed_access = allowed_access(use, is_dir, handled),
		.parent_fd = fd,
	};
	long rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH,
			  &rule, 0);
	int saved = errno;
	close(fd);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

/*
 * The directories given a rule so far, NUL-separated: the certificate,
 * key and config file usually share one, which needs one rule.
 */
struct seen_dirs {
	char names[4096];
	size_t used;
};

/* 1 when dir was seen before, else 0 and noted (when it fits). */
static int seen_before(struct seen_dirs *seen, const char *dir)
{
	size_t len = strlen(dir) + 1;

	for (size_t at = 0; at < seen->used; at += strlen(seen->names + at) + 1)
		if (strcmp(seen->names + at, dir) == 0)
			return 1;
	if (len <= sizeof seen->names - seen->used) {
		memcpy(seen->names + seen->used, dir, len);
		seen->used += len;
	}
	return 0;
}

/* The files of an absolute path's directory, for reading; not / or /etc. */
static int add_directory_of(int ruleset, const char *file, uint64_t handled,
			    struct seen_dirs *seen)
{
	char dir[PATH_MAX];

	if (file[0] != '/' || strlen(file) >= sizeof dir)
		return 0;
	strcpy(dir, file);
	*strrchr(dir, '/') = '\0';
	if (dir[0] == '\0' || strcmp(dir, "/etc") == 0 || seen_before(seen, dir))
		return 0;
	return add_rule(ruleset, dir, LANDLOCK_USE_READ, handled);
}

/*
 * Whether realpath may name another directory than the path's own: the
 * rule on that one is on what it resolves to (links to directories
 * followed), so only a relative path, one with . or .. or //, or a file
 * that is itself a link can; one lstat instead of realpath's readlink
 * for each component.
 */
static int may_resolve_elsewhere(const char *path)
{
	struct stat st;

	if (path[0] != '/' || strstr(path, "/.") != NULL ||
	    strstr(path, "//") != NULL)
		return 1;
	return lstat(path, &st) != 0 || S_ISLNK(st.st_mode);
}

/*
 * A renewed file's rule is on its inode: a file renamed over it later,
 * or a link moved to another file, is another inode, refused.  Its
 * directory, and that of the file it resolves to now (certbot's
 * archive/), let the next one be read.
 */
static int add_renewed(int ruleset, const char *path, uint64_t handled,
		       struct seen_dirs *seen)
{
	char real[PATH_MAX];

	if (add_rule(ruleset, path, LANDLOCK_USE_READ, handled) < 0 ||
	    add_directory_of(ruleset, path, handled, seen) < 0)
		return -1;
	if (may_resolve_elsewhere(path) && realpath(path, real) != NULL &&
	    strcmp(real, path) != 0)
		return add_directory_of(ruleset, real, handled, seen);
	return 0;
}

static int fill_ruleset(int ruleset, const struct options *o,
			const char *helper, uint64_t handled)
{
	struct landlock_path paths[LANDLOCK_MAX_PATHS];
	size_t n = landlock_paths(o, helper, paths, LANDLOCK_MAX_PATHS);
	struct seen_dirs seen;

	seen.used = 0;
	for (size_t i = 0; i < n; i++) {
		int rc = paths[i].use == LANDLOCK_USE_RENEWED
			 ? add_renewed(ruleset, paths[i].path, handled, &seen)
			 : add_rule(ruleset, paths[i].path, paths[i].use, handled);
		if (rc < 0)
			return -1;
	}
	return 0;
}

void landlock_probe(void)
{
	const char *list = getenv("TLSMUX_SANDBOX_PROBE");
	char path[4096];

	while (list != NULL && *list != '\0') {
		size_t len = strcspn(list, ":");
		if (len > 0 && len < sizeof path) {
			memcpy(path, list, len);
			path[len] = '\0';
			int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
			if (fd >= 0)
				close(fd);
			log_info("sandbox probe: %s: %s", path,
				 fd >= 0 ? "opened" : log_strerror(errno));
		}
		list += len + (list[len] == ':');
	}
}

int landlock_enter(const struct options *o, const char *helper)
{
	int abi = LANDLOCK_UNDER_VALGRIND() ? 0 : landlock_abi();

	if (abi <= 0) {
		static int said;
		if (!said++)
			log_debug("sandbox: no Landlock (kernel without it, or valgrind): file access not narrowed in-process");
		landlock_probe();
		return 0;
	}
	uint64_t handled = handled_access(abi);
	struct ll_ruleset_attr attr = {.handled_access_fs = handled};
	int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr,
				   sizeof attr, 0);
	if (ruleset < 0)
		return -1;
	int rc = fill_ruleset(ruleset, o, helper, handled);
	if (rc == 0 && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		rc = -1;
	if (rc == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		rc = -1;
	int saved = errno;
	close(ruleset);
	errno = saved;
	if (rc == 0)
		landlock_probe();
	return rc < 0 ? -1 : 1;
}
