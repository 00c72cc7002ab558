/* ticket: the session ticket key that lets any tlsmux process resume a session another one began. */
#ifndef TLSMUX_TICKET_H
#define TLSMUX_TICKET_H

#include <stddef.h>

/* What gnutls_session_ticket_key_generate() makes and the file holds. */
#define TICKET_KEY_SIZE 64

/* Read the key file into key.  0, or EX_CONFIG with the reason in err. */
int ticket_key_read(const char *path, unsigned char key[TICKET_KEY_SIZE],
		    char *err, size_t err_size);

/*
 * Write a fresh random key to path, atomically (a new file renamed over
 * the old one) and readable by its owner only.  0, or EX_CANTCREAT.
 */
int ticket_key_write_new(const char *path, char *err, size_t err_size);

#endif
