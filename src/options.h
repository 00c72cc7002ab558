/* options: the command line and the config file, parsed into one struct. */
#ifndef TLSMUX_OPTIONS_H
#define TLSMUX_OPTIONS_H

#include <stddef.h>
#include <stdio.h>

#include "addr.h"
#include "cidr.h"
#include "log.h"
#include "route.h"

#define OPTIONS_MAX_BACKENDS ROUTE_MAX_BACKENDS
#define OPTIONS_MAX_ROUTES 32
#define OPTIONS_MAX_PROXY_FROM 32
/* --exec: the program and its arguments, NULL included (PROGRAM_MAX_ARGS). */
#define OPTIONS_MAX_EXEC_ARGS 32
#define OPTIONS_MAX_ALLOW 32
#define OPTIONS_MAX_ALPN 8
#define OPTIONS_ALPN_NAME_MAX 31
/* The -f files read, for the TLS helper, which reads them again (landlock.h). */
#define OPTIONS_MAX_CONFIG_FILES 16

enum on_silence { SILENCE_PLAIN, SILENCE_CLOSE };
enum send_proxy { SEND_PROXY_NONE, SEND_PROXY_V1, SEND_PROXY_V2 };
/* VERIFY_DEFAULT: required when --client-ca is given, none otherwise. */
enum verify_mode { VERIFY_DEFAULT, VERIFY_NONE, VERIFY_OPTIONAL, VERIFY_REQUIRED };

/* --proxy-tlv: optional v2 TLVs. */
#define PROXY_TLV_UNIQUE_ID 0x1
#define PROXY_TLV_CRC32C 0x2

struct options {
	struct addr backends[OPTIONS_MAX_BACKENDS];
	size_t backend_count;
	const char *cert;
	const char *key;
	const char *priority;		/* NULL: the built-in default */
	const char *user;		/* NULL: keep the launcher's user */
	long detect_timeout_ms;
	long handshake_timeout_ms;
	long connect_timeout_ms;
	long idle_timeout_ms;		/* 0: never */
	enum on_silence on_silence;
	enum log_target log;
	/* Production TLS: certificates by SNI, ALPN, client certificates,
	 * session tickets, OCSP stapling, version floor. */
	const char *cert_dir;
	int strict_sni;
	const char *alpn;		/* comma-separated */
	const char *client_ca;
	const char *crl;
	enum verify_mode verify;
	size_t allow_cn_count;
	size_t allow_san_count;
	const char *ticket_key;
	const char *new_ticket_key;
	const char *ocsp;
	int min_version;		/* 10 + minor: 12 is TLS 1.2; 0 unset */
	int check;
	int help;
	int version;
	/* Routing: the first that applies wins (see route_decide). */
	size_t tls_backend_count;
	size_t plain_backend_count;
	size_t route_count;
	int alpn_routes;		/* some --route alpn= is given */
	const char *exec;		/* a program per connection, or NULL */
	const char *config_files[OPTIONS_MAX_CONFIG_FILES];	/* -f, nested */
	size_t config_file_count;
	/* PROXY protocol */
	enum send_proxy send_proxy;
	unsigned proxy_tlvs;		/* PROXY_TLV_* */
	int accept_proxy;
	size_t proxy_from_count;
	/*
	 * Tables that their counts above say how much of is valid, left
	 * uncleared by options_defaults: some 30 KiB that every connection
	 * would otherwise zero for nothing.
	 */
	struct {
		struct addr tls_backends[OPTIONS_MAX_BACKENDS];
		struct addr plain_backends[OPTIONS_MAX_BACKENDS];
		struct route routes[OPTIONS_MAX_ROUTES];
		struct cidr proxy_from[OPTIONS_MAX_PROXY_FROM];
		const char *allow_cn[OPTIONS_MAX_ALLOW];
		const char *allow_san[OPTIONS_MAX_ALLOW];
	};
};

void options_defaults(struct options *o);

/* Which extra fields a configuration logs (LOG_FIELD_*), on every path alike. */
unsigned options_log_fields(const struct options *o);

/* The routing part of the options, for route_decide. */
void options_route_table(const struct options *o, struct route_table *r);

/*
 * Parse argv (argv[0] skipped).  Returns 0, or an exit code (EX_USAGE,
 * EX_NOINPUT) with a one-line reason in err.
 */
int options_parse(struct options *o, int argc, char **argv,
		  char *err, size_t err_size);

/*
 * What no single option can check: combinations (--accept-proxy needs
 * --proxy-from, ...) and a destination for every path.  0 or EX_USAGE.
 */
int options_validate(const struct options *o, char *err, size_t err_size);

/* Apply one option by its long name (no dashes).  value is NULL for flags. */
int options_apply(struct options *o, const char *name, const char *value,
		  char *err, size_t err_size);

/*
 * Split one config-file line in place into name and value.  Returns 1
 * for an option, 0 for a blank or comment line, -1 for a malformed one.
 */
int options_split_line(char *line, char **name, char **value);

/* "2", "2s", "250ms", "1.5m", "1h" -> milliseconds.  Returns 0 or -1. */
int duration_parse(const char *text, long *ms);

/* Whether the option takes a value; -1 when there is no such option. */
int options_takes_value(const char *name);

/* The kinds of argument; each has its handler in options.c. */
enum option_kind {
	OPTION_FLAG,		/* no argument: sets an int to 1 */
	OPTION_TEXT,		/* kept as given */
	OPTION_DURATION,	/* duration_parse */
	OPTION_CHOICE,		/* one of a few words, to an enum */
	OPTION_BACKEND,		/* an address, appended to a list */
	OPTION_PATTERN,		/* a glob, appended to a list */
	OPTION_ROUTE,		/* sni=... or alpn=..., appended */
	OPTION_ALPN,		/* protocol names, checked */
	OPTION_PROXY_TLV,	/* unique-id,crc32c */
	OPTION_PROXY_FROM,	/* CIDRs, appended */
};

/*
 * How tlsmux --check shows an option (the table's check column).  Most
 * are settings, CHECK_SETTING (0): a line each when not at the default.
 */
enum option_check {
	CHECK_SETTING,		/* "name: value" after the file facts, when changed */
	CHECK_DESTINATION,	/* "name: value" first, one line per value given */
	CHECK_FACTS,		/* the file it names is read: check.c shows what is in it */
	CHECK_ACTION,		/* what tlsmux does, not how: never shown */
};

#define OPTION_MAX_CHOICES 5

/* An OPTION_CHOICE's words and the values they set. */
struct option_choices {
	char expected[64];	/* for the error: "v1, v2 or none" */
	struct {
		char word[12];	/* "" ends the list */
		int value;
	} words[OPTION_MAX_CHOICES];
};

/*
 * One option, as data: the command line, -f FILE, --help and the
 * documentation test all read the table, none of them lists options.
 * No pointers but two: tlsmux is a static PIE, and every pointer in the
 * table would be relocated at each connection's start.
 */
struct option_spec {
	char name[20];			/* long name, without dashes */
	char short_name;		/* -h, -V; 0: none */
	unsigned char in_config;	/* -f FILE may give it */
	unsigned char kind;		/* enum option_kind */
	unsigned field;			/* offsetof the value in struct options */
	unsigned count;			/* lists: offsetof their count */
	int limit;			/* lists: the most entries */
	const struct option_choices *choices;	/* OPTION_CHOICE */
	/* "ARGUMENT\0DEFAULT\0HELP", as --help shows them; "" for none. */
	const char *doc;
	unsigned char check;		/* enum option_check; 0: a setting */
};

extern const struct option_spec options_table[];
extern const size_t options_table_size;

/* The table's entry for a long name, or NULL. */
const struct option_spec *options_find(const char *name);

/* The parts of spec->doc: argument and default NULL when none. */
const char *options_spec_argument(const struct option_spec *spec);
const char *options_spec_default(const struct option_spec *spec);
const char *options_spec_help(const struct option_spec *spec);

/*
 * For --check: how many values of spec to show (a list's entries; 1 for
 * any other option not at its default, 0 at it), and the index-th as
 * given (durations in their largest exact unit, choices as their word).
 */
size_t options_value_count(const struct options *o,
			   const struct option_spec *spec);
void options_format_value(const struct options *o,
			  const struct option_spec *spec, size_t index,
			  char *out, size_t size);

/* --help, from the table. */
void options_usage(FILE *out);

#endif
