/*
 * fuzz_sniff: sniff_classify on every prefix of the input.  Aborts when
 * a decision changes as bytes arrive, when SNIFF_MAX bytes do not decide,
 * or when a result is not one of the four.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sniff.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* On its own heap block of exactly len bytes, so a read past len trips ASan. */
static enum sniff_result classify_exact(const uint8_t *data, size_t len)
{
	unsigned char *copy = malloc(len > 0 ? len : 1);

	if (copy == NULL)
		abort();
	memcpy(copy, data, len);
	enum sniff_result r = sniff_classify(copy, len);
	free(copy);
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum sniff_result decided = SNIFF_NEED_MORE;

	for (size_t k = 0; k <= size; k++) {
		enum sniff_result r = k <= SNIFF_MAX + 1 ?
			classify_exact(data, k) : sniff_classify(data, k);

		if (r != SNIFF_NEED_MORE && r != SNIFF_TLS &&
		    r != SNIFF_SSLV2 && r != SNIFF_PLAIN)
			abort();
		if (k >= SNIFF_MAX && r == SNIFF_NEED_MORE)
			abort();
		if (decided != SNIFF_NEED_MORE && r != decided)
			abort();
		if (k == 0 && r != SNIFF_NEED_MORE)
			abort();
		if (strcmp(sniff_name(r), "?") == 0)
			abort();
		decided = r;
	}
	return 0;
}
