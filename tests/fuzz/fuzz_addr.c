/*
 * fuzz_addr: addr_parse on the input as a C string.  Aborts when a
 * failure gives no reason, or a success fills the address with
 * something connect() could not use.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int port_ok(const char *port)
{
	size_t len = strlen(port);
	long value = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (port[i] < '0' || port[i] > '9')
			return 0;
		value = value * 10 + (port[i] - '0');
	}
	return value >= 1 && value <= 65535;
}

static int host_ok(const char *host)
{
	if (host[0] == '\0')
		return 0;
	for (const unsigned char *p = (const unsigned char *)host; *p; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '/' || *p == '[' ||
		    *p == ']')
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	struct addr a;
	const char *why = NULL;

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';

	if (addr_parse(text, &a, &why) < 0) {
		if (why == NULL || why[0] == '\0')
			abort();
		free(text);
		return 0;
	}
	if (a.text != text)
		abort();
	switch (a.kind) {
	case ADDR_INET:
		if (!host_ok(a.host) || !port_ok(a.port) || a.path[0] != '\0')
			abort();
		/* Brackets exactly when the host is an IPv6 literal. */
		if ((text[0] == '[') != (strchr(a.host, ':') != NULL))
			abort();
		break;
	case ADDR_UNIX:
		if (strncmp(text, "unix:", 5) != 0 || a.path[0] == '\0' ||
		    strcmp(a.path, text + 5) != 0)
			abort();
		break;
	case ADDR_ABSTRACT:
		/* The name and its leading NUL must fit in sun_path. */
		if (text[0] != '@' || a.path[0] == '\0' ||
		    strcmp(a.path, text + 1) != 0 ||
		    strlen(a.path) + 1 > sizeof a.path)
			abort();
		break;
	default:
		abort();
	}
	free(text);
	return 0;
}
