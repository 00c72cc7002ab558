/*
 * policy: named presets so that a configuration says what it wants
 * ("compatible") instead of carrying a GnuTLS priority string whose
 * meaning changes between library versions, and one version floor
 * applied after whatever the string says.
 */
#include "policy.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	const char *priority;
} policy_presets[] = {
	/*
	 * TLS 1.2 and 1.3, AEAD ciphers, ECDHE: no CBC, no RSA key exchange.
	 * X25519 first: it is the key share OpenSSL clients (curl, s_client)
	 * send, and preferring another group costs them a HelloRetryRequest,
	 * a round trip and a second key exchange.
	 * %PARTIAL_RENEGOTIATION, not %SAFE_RENEGOTIATION: the latter also
	 * refuses TLS 1.3 clients that (rightly) omit the RFC 5746 extension,
	 * and gains nothing here: every renegotiation is refused anyway.
	 */
	{"secure", "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
		   "-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
		   "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
		   "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-X448:"
		   "+GROUP-SECP384R1:+GROUP-SECP521R1:"
		   "%PARTIAL_RENEGOTIATION:%SERVER_PRECEDENCE"},
	/* As secure, 256-bit ciphers only. */
	{"strict", "SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
		   "-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:"
		   "-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
		   "-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-X448:"
		   "+GROUP-SECP384R1:+GROUP-SECP521R1:"
		   "%PARTIAL_RENEGOTIATION:%SERVER_PRECEDENCE"},
	/* GnuTLS's NORMAL: adds CBC ciphers, SHA-1 MACs, RSA and DHE key exchange. */
	{"compatible", "NORMAL:%SAFE_RENEGOTIATION:%SERVER_PRECEDENCE"},
};

static const char *const policy_floors[] = {
	[POLICY_TLS10 - POLICY_TLS10] = "",
	[POLICY_TLS11 - POLICY_TLS10] = ":-VERS-TLS1.0",
	[POLICY_TLS12 - POLICY_TLS10] = ":-VERS-TLS1.1:-VERS-TLS1.0",
	[POLICY_TLS13 - POLICY_TLS10] = ":-VERS-TLS1.2:-VERS-TLS1.1:-VERS-TLS1.0",
};

int policy_priority(const char *priority, int min_version, char *out,
		    size_t size)
{
	const char *base = priority != NULL ? priority : "secure";

	for (size_t i = 0; i < sizeof policy_presets / sizeof policy_presets[0];
	     i++)
		if (strcmp(base, policy_presets[i].name) == 0)
			base = policy_presets[i].priority;
	if (min_version < POLICY_TLS10 || min_version > POLICY_TLS13)
		min_version = POLICY_MIN_DEFAULT;

	int n = snprintf(out, size, "%s%s", base,
			 policy_floors[min_version - POLICY_TLS10]);
	if (n < 0 || (size_t)n >= size)
		return -1;
	return (int)strlen(base);
}
