/*
 * test_landlock: the path list built from the options, and, where the
 * kernel has Landlock, a forked child restricted to it: a file it was
 * told about opens, and one beside it (where renewal puts the next);
 * one elsewhere does not, nor does any write.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "landlock.h"
#include "options.h"
#include "unit.h"

static int has(const struct landlock_path *p, size_t n, const char *path,
	       enum landlock_use use)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(p[i].path, path) == 0 && p[i].use == use)
			return 1;
	return 0;
}

static void test_paths(void)
{
	struct options o;
	struct landlock_path p[LANDLOCK_MAX_PATHS];

	options_defaults(&o);
	o.cert = "/etc/tlsmux/cert.pem";
	o.key = "/run/credentials/x/key.pem";
	o.ticket_key = "/etc/tlsmux/ticket.key";
	o.cert_dir = "/etc/tlsmux/certs";
	o.config_files[0] = "/etc/tlsmux/tlsmux.conf";
	o.config_file_count = 1;
	size_t n = landlock_paths(&o, "/usr/libexec/tlsmux/tlsmux-tls", p,
				  LANDLOCK_MAX_PATHS);
	CHECK(has(p, n, "/etc/tlsmux/cert.pem", LANDLOCK_USE_RENEWED));
	CHECK(has(p, n, "/etc/tlsmux/tlsmux.conf", LANDLOCK_USE_RENEWED));
	CHECK(has(p, n, "/run/credentials/x/key.pem", LANDLOCK_USE_RENEWED));
	CHECK(has(p, n, "/etc/tlsmux/ticket.key", LANDLOCK_USE_RENEWED));
	CHECK(has(p, n, "/etc/tlsmux/certs", LANDLOCK_USE_TREE));
	CHECK(has(p, n, "/usr/libexec/tlsmux/tlsmux-tls", LANDLOCK_USE_RUN));
	CHECK(has(p, n, "/etc/hosts", LANDLOCK_USE_READ));
	CHECK(has(p, n, "/dev/null", LANDLOCK_USE_NULL));
	/* No user database without --user; nothing else of /etc. */
	CHECK(!has(p, n, "/etc/passwd", LANDLOCK_USE_READ));
	for (size_t i = 0; i < n; i++)
		CHECK(strcmp(p[i].path, "/etc") != 0 && strcmp(p[i].path, "/") != 0);
	o.user = "nobody";
	n = landlock_paths(&o, NULL, p, LANDLOCK_MAX_PATHS);
	CHECK(has(p, n, "/etc/passwd", LANDLOCK_USE_READ));
	/* Unset options and a small table: no empty entry, no overflow. */
	options_defaults(&o);
	n = landlock_paths(&o, NULL, p, 3);
	CHECK_INT((int)n, 3);
	for (size_t i = 0; i < n; i++)
		CHECK(p[i].path != NULL && p[i].path[0] != '\0');
}

/*
 * In a child: 0 when every check held, else the number of the one that
 * failed.  told is the certificate; beside is in its directory, where a
 * renewal would put the next one; other is in another directory.
 */
static int restricted_child(const char *told, const char *beside,
			    const char *other, const char *dir)
{
	struct options o;
	char created[4200];

	options_defaults(&o);
	o.cert = told;
	if (landlock_enter(&o, NULL) != 1)
		return 1;
	int fd = open(told, O_RDONLY);
	if (fd < 0)
		return 2;
	close(fd);
	if (open(other, O_RDONLY) >= 0 || errno != EACCES)
		return 3;
#ifndef __SANITIZE_ADDRESS__	/* writes stay open for ASan's reports */
	if (open(told, O_WRONLY) >= 0 || errno != EACCES)
		return 4;
	snprintf(created, sizeof created, "%s/new", dir);
	if (open(created, O_WRONLY | O_CREAT, 0600) >= 0 || errno != EACCES)
		return 5;
#endif
	if (open("/etc/shadow", O_RDONLY) >= 0)
		return 6;
	fd = open(beside, O_RDONLY);
	if (fd < 0)
		return 7;
	close(fd);
	return 0;
}

/* Each of files[0..n) made, one byte in it. */
static void write_files(const char *const *files, int n)
{
	for (int i = 0; i < n; i++) {
		int fd = open(files[i], O_WRONLY | O_CREAT, 0644);
		CHECK(fd >= 0 && write(fd, "x", 1) == 1);
		close(fd);
	}
}

/* The forked child pid ended with exit status 0: all its checks held. */
static void check_child_passed(pid_t pid)
{
	int status = 0;
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
}

static void test_enforced(void)
{
	if (landlock_abi() <= 0) {
		printf("# the kernel has no Landlock: enforcement not tested\n");
		return;
	}
	char dir[] = "/tmp/test_landlock.XXXXXX", odir[] = "/tmp/test_landlock.XXXXXX";
	char told[4200], beside[4200], other[4200];
	CHECK(mkdtemp(dir) != NULL);
	CHECK(mkdtemp(odir) != NULL);
	snprintf(told, sizeof told, "%s/told", dir);
	snprintf(beside, sizeof beside, "%s/renewed", dir);
	snprintf(other, sizeof other, "%s/other", odir);
	const char *files[] = {told, beside, other};
	write_files(files, 3);
	pid_t pid = fork();
	if (pid == 0)
		_exit(restricted_child(told, beside, other, dir));
	check_child_passed(pid);
	/* This process is not restricted. */
	int fd = open(other, O_RDONLY);
	CHECK(fd >= 0);
	close(fd);
	for (int i = 0; i < 3; i++)
		unlink(files[i]);
	rmdir(dir);
	rmdir(odir);
}

/*
 * A certificate named by a relative path, and one named through a link
 * in a third directory: the directory of the file it resolves to is
 * readable (a renewal puts the next one there), another one is not.
 */
static int resolved_child(const char *given, const char *beside,
			  const char *other)
{
	struct options o;

	options_defaults(&o);
	o.cert = given;
	if (landlock_enter(&o, NULL) != 1)
		return 1;
	int fd = open(beside, O_RDONLY);
	if (fd < 0)
		return 2;
	close(fd);
	if (open(other, O_RDONLY) >= 0 || errno != EACCES)
		return 3;
	return 0;
}

static void test_resolved(void)
{
	if (landlock_abi() <= 0) {
		printf("# the kernel has no Landlock: enforcement not tested\n");
		return;
	}
	char dir[] = "/tmp/test_landlock.XXXXXX", odir[] = "/tmp/test_landlock.XXXXXX";
	char ldir[] = "/tmp/test_landlock.XXXXXX";
	char told[4200], beside[4200], other[4200], link[4200];
	CHECK(mkdtemp(dir) != NULL && mkdtemp(odir) != NULL && mkdtemp(ldir) != NULL);
	snprintf(told, sizeof told, "%s/told", dir);
	snprintf(beside, sizeof beside, "%s/renewed", dir);
	snprintf(other, sizeof other, "%s/other", odir);
	snprintf(link, sizeof link, "%s/cert.pem", ldir);
	const char *files[] = {told, beside, other};
	write_files(files, 3);
	CHECK(symlink(told, link) == 0);
	const char *given[] = {"told", link};
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(chdir(dir) == 0 ? resolved_child(given[i], beside, other) : 9);
		check_child_passed(pid);
	}
	unlink(link);
	for (int i = 0; i < 3; i++)
		unlink(files[i]);
	rmdir(dir);
	rmdir(odir);
	rmdir(ldir);
}

int main(void)
{
	log_init(LOG_TO_AUTO);
	UNIT_RUN(test_paths);
	UNIT_RUN(test_enforced);
	UNIT_RUN(test_resolved);
	return unit_summary();
}
