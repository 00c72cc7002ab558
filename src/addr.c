/* addr: parse the backend address forms that --backend accepts. */
#include "addr.h"

#include <stdlib.h>
#include <string.h>

static int addr_parse_port(const char *s, char *out, const char **why)
{
	size_t len = strlen(s);
	unsigned long port = 0;

	if (len == 0 || len > 5) {
		*why = "port must be 1-65535";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9') {
			*why = "port must be 1-65535";
			return -1;
		}
		port = port * 10 + (unsigned long)(s[i] - '0');
	}
	if (port == 0 || port > 65535) {
		*why = "port must be 1-65535";
		return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

static int addr_parse_path(const char *s, char *out, size_t size,
			   const char **why)
{
	size_t len = strlen(s);

	if (len == 0) {
		*why = "empty socket path";
		return -1;
	}
	if (len >= size) {
		*why = "socket path too long";
		return -1;
	}
	memcpy(out, s, len + 1);
	return 0;
}

int addr_parse(const char *text, struct addr *out, const char **why)
{
	memset(out, 0, sizeof *out);
	out->text = text;

	if (strncmp(text, "unix:", 5) == 0) {
		out->kind = ADDR_UNIX;
		return addr_parse_path(text + 5, out->path, sizeof out->path,
				       why);
	}
	if (text[0] == '@') {
		out->kind = ADDR_ABSTRACT;
		/* sun_path[0] is the NUL that marks an abstract name. */
		return addr_parse_path(text + 1, out->path, sizeof out->path,
				       why);
	}

	out->kind = ADDR_INET;
	const char *host = text, *host_end, *port;
	if (text[0] == '[') {
		host = text + 1;
		host_end = strchr(host, ']');
		if (host_end == NULL) {
			*why = "missing ']' after IPv6 address";
			return -1;
		}
		if (host_end[1] != ':') {
			*why = "expected [IPv6]:port";
			return -1;
		}
		port = host_end + 2;
		if (host_end != host &&
		    memchr(host, ':', (size_t)(host_end - host)) == NULL) {
			*why = "brackets hold an IPv6 address";
			return -1;
		}
	} else {
		host_end = strrchr(text, ':');
		if (host_end == NULL) {
			*why = "expected host:port";
			return -1;
		}
		if (memchr(text, ':', (size_t)(host_end - text)) != NULL) {
			*why = "IPv6 addresses need brackets: [addr]:port";
			return -1;
		}
		port = host_end + 1;
	}
	size_t host_len = (size_t)(host_end - host);
	if (host_len == 0) {
		*why = "empty host";
		return -1;
	}
	if (host_len >= sizeof out->host) {
		*why = "host name too long";
		return -1;
	}
	for (size_t i = 0; i < host_len; i++) {
		unsigned char c = (unsigned char)host[i];
		if (c <= ' ' || c >= 0x7f || c == '/' || c == '[' || c == ']') {
			*why = "bad character in host";
			return -1;
		}
	}
	memcpy(out->host, host, host_len);
	out->host[host_len] = '\0';
	return addr_parse_port(port, out->port, why);
}
