/*
 * fuzz_ticket: ticket_key_read on a file holding the input (a memfd
 * named through /proc/self/fd).  Aborts when a file of another size than
 * a key is taken, when a key is taken without being exactly the file,
 * or when a refusal gives no reason.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sysexits.h>
#include <unistd.h>

#include "ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[TICKET_KEY_SIZE];
	char path[64], err[512] = "";
	int fd = memfd_create("fuzz-ticket", MFD_CLOEXEC);

	if (fd < 0 || (size > 0 && write(fd, data, size) != (ssize_t)size))
		abort();
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	memset(key, 0xa5, sizeof key);
	int rc = ticket_key_read(path, key, err, sizeof err);
	close(fd);
	if (rc == 0) {
		if (size != TICKET_KEY_SIZE || memcmp(key, data, size) != 0)
			abort();
	} else if (rc != EX_CONFIG || err[0] == '\0' || size == TICKET_KEY_SIZE) {
		abort();
	}
	return 0;
}
