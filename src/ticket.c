/*
 * ticket: every connection is a new process, so an in-memory session
 * cache never hits; a ticket sealed with a key all processes share can be
 * opened by any of them.  GnuTLS derives the key that seals tickets from
 * this one and the time, so processes agree without talking.  The key is
 * a secret: it is read with one read(), wiped after use, and written with
 * mode 0600 under a temporary name, then renamed into place, so that a
 * connection never sees half a key.
 */
#include "ticket.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"

int ticket_key_read(const char *path, unsigned char key[TICKET_KEY_SIZE],
		    char *err, size_t err_size)
{
	unsigned char buf[TICKET_KEY_SIZE + 1];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		snprintf(err, err_size, "ticket-key %s: cannot read: %s", path,
			 log_strerror(errno));
		return EX_CONFIG;
	}
	do
		n = read(fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	int saved = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, err_size, "ticket-key %s: cannot read: %s", path,
			 log_strerror(saved));
		return EX_CONFIG;
	}
	if (n != TICKET_KEY_SIZE) {
		snprintf(err, err_size,
			 "ticket-key %s: not a key: expected %d bytes as written by tlsmux --new-ticket-key",
			 path, TICKET_KEY_SIZE);
		gnutls_memset(buf, 0, sizeof buf);
		return EX_CONFIG;
	}
	memcpy(key, buf, TICKET_KEY_SIZE);
	gnutls_memset(buf, 0, sizeof buf);
	return 0;
}

static int ticket_write_all(int fd, const unsigned char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int ticket_key_write_new(const char *path, char *err, size_t err_size)
{
	gnutls_datum_t key = {NULL, 0};
	char temp[4096];
	int rc = gnutls_session_ticket_key_generate(&key);

	if (rc < 0 || key.size != TICKET_KEY_SIZE) {
		snprintf(err, err_size, "new-ticket-key %s: cannot make a key: %s",
			 path, rc < 0 ? gnutls_strerror(rc) : "unexpected size");
		if (key.data != NULL) {
			gnutls_memset(key.data, 0, key.size);
			gnutls_free(key.data);
		}
		return EX_CANTCREAT;
	}
	/* Same directory, so that rename() replaces the key in one step. */
	int n = snprintf(temp, sizeof temp, "%s.XXXXXX", path);
	int fd = n > 0 && (size_t)n < sizeof temp ? mkstemp(temp) : -1;
	int created = fd >= 0;
	const char *step = "cannot create a file next to it";
	if (fd >= 0) {
		step = "cannot write";
		if (fchmod(fd, 0600) == 0 &&
		    ticket_write_all(fd, key.data, key.size) == 0 &&
		    fsync(fd) == 0) {
			step = "cannot rename into place";
			if (close(fd) == 0 && rename(temp, path) == 0)
				step = NULL;
			fd = -1;
		}
	}
	int saved = errno;
	gnutls_memset(key.data, 0, key.size);
	gnutls_free(key.data);
	if (step == NULL)
		return 0;
	if (fd >= 0)
		close(fd);
	if (created)
		unlink(temp);
	snprintf(err, err_size, "new-ticket-key %s: %s: %s", path, step,
		 log_strerror(saved));
	return EX_CANTCREAT;
}
