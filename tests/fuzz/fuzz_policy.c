/*
 * fuzz_policy: the input as --priority (its first byte picks
 * --min-version), through policy_priority and then GnuTLS's own parser,
 * as a session would take it.  Aborts when the text is not the user's
 * followed by our suffix, or when a string GnuTLS accepts still enables
 * a TLS version below --min-version.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int version_rank(unsigned v)
{
	switch (v) {
	case GNUTLS_SSL3: return 9;
	case GNUTLS_TLS1_0: return POLICY_TLS10;
	case GNUTLS_TLS1_1: return POLICY_TLS11;
	case GNUTLS_TLS1_2: return POLICY_TLS12;
	case GNUTLS_TLS1_3: return POLICY_TLS13;
	default: return 100;	/* DTLS: not ours to judge */
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[1024];

	if (size == 0)
		return 0;
	int min_version = 9 + data[0] % 6;	/* 9 and 14: out of range */
	char *text = malloc(size);
	if (text == NULL)
		abort();
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	int user_len = policy_priority(text, min_version, out, sizeof out);
	if (user_len < -1 || user_len >= (int)sizeof out)
		abort();
	if (user_len < 0) {
		free(text);
		return 0;
	}
	if (strstr(out, "-VERS-TLS1.0") == NULL && min_version > POLICY_TLS10 &&
	    min_version <= POLICY_TLS13)
		abort();
	int effective = min_version < POLICY_TLS10 || min_version > POLICY_TLS13
		? POLICY_MIN_DEFAULT : min_version;

	gnutls_priority_t p;
	const char *bad = NULL;
	if (gnutls_priority_init(&p, out, &bad) == 0) {
		const unsigned *list;
		int n = gnutls_priority_protocol_list(p, &list);
		for (int i = 0; i < n; i++)
			if (version_rank(list[i]) < effective)
				abort();
		gnutls_priority_deinit(p);
	} else if (bad != NULL && (bad < out || bad > out + strlen(out))) {
		abort();
	}
	free(text);
	return 0;
}
