/* test_policy: presets and the version floor in the GnuTLS priority string. */
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "unit.h"

static const char secure[] =
	"SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
	"-CIPHER-ALL:+AES-256-GCM:+CHACHA20-POLY1305:+AES-128-GCM:"
	"-MAC-ALL:+AEAD:-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:"
	"-GROUP-ALL:+GROUP-X25519:+GROUP-SECP256R1:+GROUP-X448:"
	"+GROUP-SECP384R1:+GROUP-SECP521R1:"
	"%PARTIAL_RENEGOTIATION:%SERVER_PRECEDENCE";

static void test_default(void)
{
	char out[1024], want[1024];

	snprintf(want, sizeof want, "%s:-VERS-TLS1.1:-VERS-TLS1.0", secure);
	CHECK_INT(policy_priority(NULL, 0, out, sizeof out), (int)strlen(secure));
	CHECK_STR(out, want);
	CHECK_INT(policy_priority("secure", POLICY_TLS12, out, sizeof out),
		  (int)strlen(secure));
	CHECK_STR(out, want);
}

static void test_presets(void)
{
	char out[1024];

	CHECK(policy_priority("strict", 0, out, sizeof out) > 0);
	CHECK(strstr(out, "+AES-128-GCM") == NULL);
	CHECK(strstr(out, "+AES-256-GCM") != NULL);
	CHECK(policy_priority("compatible", 0, out, sizeof out) > 0);
	CHECK_STR(out, "NORMAL:%SAFE_RENEGOTIATION:%SERVER_PRECEDENCE:-VERS-TLS1.1:-VERS-TLS1.0");
	CHECK(policy_priority("compatible", POLICY_TLS10, out, sizeof out) > 0);
	CHECK_STR(out, "NORMAL:%SAFE_RENEGOTIATION:%SERVER_PRECEDENCE");
}

/* Any other text is the user's GnuTLS string; the floor comes after it. */
static void test_raw_string(void)
{
	char out[1024];

	CHECK_INT(policy_priority("NORMAL:+VERS-TLS1.0", POLICY_TLS12, out, sizeof out), 19);
	CHECK_STR(out, "NORMAL:+VERS-TLS1.0:-VERS-TLS1.1:-VERS-TLS1.0");
	CHECK_INT(policy_priority("NORMAL", POLICY_TLS13, out, sizeof out), 6);
	CHECK_STR(out, "NORMAL:-VERS-TLS1.2:-VERS-TLS1.1:-VERS-TLS1.0");
	CHECK_INT(policy_priority("NORMAL", POLICY_TLS11, out, sizeof out), 6);
	CHECK_STR(out, "NORMAL:-VERS-TLS1.0");
	/* Presets are names, not prefixes. */
	CHECK_INT(policy_priority("secure128", POLICY_TLS10, out, sizeof out), 9);
	CHECK_STR(out, "secure128");
}

static void test_too_long(void)
{
	char out[16];

	CHECK_INT(policy_priority("NORMAL", POLICY_TLS12, out, sizeof out), -1);
	CHECK_INT(policy_priority("NORMAL", POLICY_TLS10, out, 7), 6);
	CHECK_INT(policy_priority("NORMAL", POLICY_TLS10, out, 6), -1);
}

int main(void)
{
	UNIT_RUN(test_default);
	UNIT_RUN(test_presets);
	UNIT_RUN(test_raw_string);
	UNIT_RUN(test_too_long);
	return unit_summary();
}
