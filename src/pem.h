/* pem: the private key block of a PEM file, decoded without help. Pure. */
#ifndef TLSMUX_PEM_H
#define TLSMUX_PEM_H

#include <stddef.h>

/*
 * Decode the first "-----BEGIN ...PRIVATE KEY-----" block of text into
 * out (DER).  Returns its length; 0 when text holds no such block; -1
 * when the block is malformed (no END line, not base64) or larger than
 * out_size.  Done here rather than by GnuTLS, whose decoder leaves a
 * copy of the base64 text in freed memory: every byte written here is
 * in out, which the caller wipes.
 */
long pem_decode_private_key(const unsigned char *text, size_t len,
			    unsigned char *out, size_t out_size);

#endif
