/*
 * fuzz_pem: pem_decode_private_key on the input as a key file's text,
 * into an output of the input's size and into a small one.  Aborts when
 * a result claims more bytes than the output holds, when a block decodes
 * to nothing, or when the small output changes a decision the large one
 * made otherwise than by refusing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SMALL_OUT 48

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Exact-size copies, so ASan sees any read past the text. */
	unsigned char *text = malloc(size > 0 ? size : 1);
	unsigned char *out = malloc(size + 1);
	unsigned char small[SMALL_OUT];

	if (text == NULL || out == NULL)
		abort();
	memcpy(text, data, size);
	long n = pem_decode_private_key(text, size, out, size + 1);
	if (n < -1 || n > (long)size)
		abort();
	long m = pem_decode_private_key(text, size, small, sizeof small);
	if (m < -1 || m > (long)sizeof small)
		abort();
	/* The same block either way, unless it does not fit. */
	if (n <= (long)sizeof small && m != n)
		abort();
	if (n > (long)sizeof small && m != -1)
		abort();
	if (m > 0 && memcmp(out, small, (size_t)m) != 0)
		abort();
	free(out);
	free(text);
	return 0;
}
