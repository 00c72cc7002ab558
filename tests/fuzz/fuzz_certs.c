/*
 * fuzz_certs: certs_files_load, the --check path that reads a
 * certificate chain and its key, on files holding the input: split at
 * the first line "%%" into a cert file and a key file, otherwise one file
 * holding both (as cert.pem with its key appended).  The files are
 * memfds named through /proc/self/fd.  Aborts when a refusal gives no
 * one-line reason, or when a success has no certificate or no key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include "certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int file_of(const uint8_t *data, size_t size, char *path,
		   size_t path_size)
{
	int fd = memfd_create("fuzz-certs", MFD_CLOEXEC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char cert_path[64], key_path[64], err[1024] = "";
	struct certs_files f;
	const uint8_t *split = memmem(data, size, "\n%%\n", 4);
	int cert_fd, key_fd = -1;

	if (split != NULL) {
		size_t cert_len = (size_t)(split - data) + 1;
		cert_fd = file_of(data, cert_len, cert_path, sizeof cert_path);
		key_fd = file_of(split + 4, size - cert_len - 3, key_path,
				 sizeof key_path);
	} else {
		cert_fd = file_of(data, size, cert_path, sizeof cert_path);
		strcpy(key_path, cert_path);
	}
	int rc = certs_files_load(cert_path, key_path, &f, err, sizeof err);
	if (rc == 0) {
		if (f.cert_count == 0 || f.certs == NULL || f.key == NULL)
			abort();
		certs_files_free(&f);
	} else if (rc != EX_CONFIG || err[0] == '\0' ||
		   strchr(err, '\n') != NULL) {
		abort();
	}
	close(cert_fd);
	if (key_fd >= 0)
		close(key_fd);
	return 0;
}
