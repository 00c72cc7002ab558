/*
 * fuzz_options: the input as a config file body, taken line by line as
 * options_read_file takes it (options_split_line, then options_apply),
 * with nothing read from disk: "f" lines are skipped.  The same lines go
 * through duration_parse, and through options_parse as argv entries
 * (with "-f" left out).  Aborts when a result breaks the contract.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 64

static void check_duration(const char *text)
{
	long ms = -1;

	if (duration_parse(text, &ms) == 0 && ms < 0)
		abort();
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * name and value lie inside the line; name holds no blank or '=', the
 * value no leading space or tab and no trailing blank or line end.
 */
static void check_split(const char *line, const char *end, int kind,
			const char *name, const char *value)
{
	if (kind < -1 || kind > 1)
		abort();
	if (kind != 1)
		return;
	if (name < line || name >= end || name[0] == '\0')
		abort();
	for (const char *p = name; *p != '\0'; p++)
		if (is_blank(*p) || *p == '=')
			abort();
	if (value == NULL)
		return;
	size_t len = strlen(value);
	if (value <= name || value + len > end || len == 0 ||
	    value[0] == ' ' || value[0] == '\t' || is_blank(value[len - 1]))
		abort();
}

static void check_options(const struct options *o)
{
	if (o->backend_count > OPTIONS_MAX_BACKENDS ||
	    o->detect_timeout_ms < 0 || o->handshake_timeout_ms < 0 ||
	    o->connect_timeout_ms < 0 || o->idle_timeout_ms < 0)
		abort();
	if (o->on_silence != SILENCE_PLAIN && o->on_silence != SILENCE_CLOSE)
		abort();
	if (o->log != LOG_TO_AUTO && o->log != LOG_TO_STDERR &&
	    o->log != LOG_TO_SYSLOG && o->log != LOG_TO_JOURNAL)
		abort();
	if (o->tls_backend_count > OPTIONS_MAX_BACKENDS ||
	    o->plain_backend_count > OPTIONS_MAX_BACKENDS ||
	    o->route_count > OPTIONS_MAX_ROUTES ||
	    o->proxy_from_count > OPTIONS_MAX_PROXY_FROM ||
	    o->send_proxy > SEND_PROXY_V2 ||
	    (o->proxy_tlvs & ~(unsigned)(PROXY_TLV_UNIQUE_ID | PROXY_TLV_CRC32C)))
		abort();
	int alpn_routes = 0;
	for (size_t i = 0; i < o->route_count; i++) {
		if (o->routes[i].pattern[0] == '\0' ||
		    (o->routes[i].kind != ROUTE_SNI && o->routes[i].kind != ROUTE_ALPN))
			abort();
		alpn_routes |= o->routes[i].kind == ROUTE_ALPN;
	}
	if (alpn_routes != o->alpn_routes)
		abort();
	if (o->allow_cn_count > OPTIONS_MAX_ALLOW ||
	    o->allow_san_count > OPTIONS_MAX_ALLOW ||
	    o->verify > VERIFY_REQUIRED ||
	    (o->min_version != 0 && (o->min_version < 10 || o->min_version > 13)))
		abort();
	char err[512] = "";
	int rc = options_validate(o, err, sizeof err);
	if (rc != 0 && (rc != EX_USAGE || err[0] == '\0'))
		abort();
}

static void check_rc(int rc, const char *err)
{
	if (rc == 0)
		return;
	if (rc != EX_USAGE || err[0] == '\0' || strchr(err, '\n') != NULL)
		abort();
}

/* As options_read_file does it, but past errors too, for coverage. */
static void fuzz_config(char *text)
{
	struct options o;
	char err[512];

	options_defaults(&o);
	for (char *line = text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		char *end = line + strlen(line);
		char *name = NULL, *value = NULL;

		check_duration(line);
		int kind = options_split_line(line, &name, &value);
		check_split(line, end, kind, name, value);
		if (kind == 1 && strcmp(name, "f") != 0) {
			if (value != NULL)
				check_duration(value);
			err[0] = '\0';
			check_rc(options_apply(&o, name, value, err, sizeof err),
				 err);
			check_options(&o);
		}
		line = next;
	}
}

static void fuzz_argv(char *text)
{
	char *argv[MAX_ARGS + 1];
	int argc = 0;
	struct options o;
	char err[512];

	argv[argc++] = (char *)"tlsmux";
	for (char *arg = text; arg != NULL && argc < MAX_ARGS;) {
		char *next = strchr(arg, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (strcmp(arg, "-f") != 0)	/* would read a file */
			argv[argc++] = arg;
		arg = next;
	}
	argv[argc] = NULL;
	options_defaults(&o);
	err[0] = '\0';
	check_rc(options_parse(&o, argc, argv, err, sizeof err), err);
	check_options(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_config(text);

	memcpy(text, data, size);
	text[size] = '\0';
	fuzz_argv(text);
	free(text);
	return 0;
}
