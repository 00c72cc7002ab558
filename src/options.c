/*
 * options: one table of long options, shared by the command line and the
 * config file (-f FILE, read where it appears, so later options override).
 */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"

#define CONFIG_MAX_SIZE (1 << 20)
#define CONFIG_MAX_DEPTH 4

void options_defaults(struct options *o)
{
	size_t tables = offsetof(struct options, tls_backends);
	size_t tables_end = offsetof(struct options, allow_san) +
			    sizeof o->allow_san;

	memset(o, 0, tables);
	memset((char *)o + tables_end, 0, sizeof *o - tables_end);
	o->detect_timeout_ms = 2000;
	o->handshake_timeout_ms = 10000;
	o->connect_timeout_ms = 5000;
	o->idle_timeout_ms = 3600 * 1000;
	o->on_silence = SILENCE_PLAIN;
	o->log = LOG_TO_AUTO;
}

unsigned options_log_fields(const struct options *o)
{
	return (o->cert_dir ? LOG_FIELD_CERT : 0) |
	       (o->alpn || o->alpn_routes ? LOG_FIELD_ALPN : 0) |
	       (o->ticket_key ? LOG_FIELD_RESUMED : 0) |
	       (o->client_ca ? LOG_FIELD_CLIENT_CERT : 0);
}

void options_route_table(const struct options *o, struct route_table *r)
{
	*r = (struct route_table){
		.routes = o->routes, .route_count = o->route_count,
		.tls_backends = o->tls_backends,
		.tls_backend_count = o->tls_backend_count,
		.plain_backends = o->plain_backends,
		.plain_backend_count = o->plain_backend_count,
		.backends = o->backends, .backend_count = o->backend_count,
		.exec = o->exec,
	};
}

int duration_parse(const char *text, long *ms)
{
	const char *p = text;
	long whole = 0, frac = 0, frac_scale = 1;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		if (whole > 100000000)
			return -1;
		whole = whole * 10 + (*p++ - '0');
		digits++;
	}
	if (*p == '.') {
		p++;
		while (*p >= '0' && *p <= '9') {
			if (frac_scale < 1000000) {
				frac = frac * 10 + (*p - '0');
				frac_scale *= 10;
			}
			p++;
			digits++;
		}
	}
	if (digits == 0)
		return -1;

	long unit;
	if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (*p == '\0' || strcmp(p, "s") == 0)
		unit = 1000;
	else if (strcmp(p, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		unit = 3600 * 1000;
	else
		return -1;
	*ms = whole * unit + frac * unit / frac_scale;
	return 0;
}

static int options_set_duration(long *out, const char *name,
				const char *value, char *err, size_t err_size)
{
	if (duration_parse(value, out) < 0) {
		snprintf(err, err_size,
			 "--%s %s: expected a duration such as 2s or 250ms",
			 name, value);
		return EX_USAGE;
	}
	return 0;
}

static int options_read_file(struct options *o, const char *path, int depth,
			     char *err, size_t err_size);

static int options_add_backend(struct addr *list, size_t *count, int limit,
			       const char *name, const char *value, char *err,
			       size_t err_size)
{
	const char *why;

	if (*count == (size_t)limit) {
		snprintf(err, err_size, "--%s %s: at most %d backends", name,
			 value, limit);
		return EX_USAGE;
	}
	if (addr_parse(value, &list[*count], &why) < 0) {
		snprintf(err, err_size, "--%s %s: %s", name, value, why);
		return EX_USAGE;
	}
	(*count)++;
	return 0;
}

/* Calls fn on each comma-separated item of value (at most 255 bytes each). */
static int options_each_item(const char *name, const char *value,
			     int (*fn)(void *ctx, const char *item,
				       const char **why),
			     void *ctx, char *err, size_t err_size)
{
	const char *p = value;

	for (;;) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		char item[256];
		const char *why = NULL;
		if (len == 0)
			why = "empty item";
		else if (len >= sizeof item)
			why = "item too long";
		else {
			memcpy(item, p, len);
			item[len] = '\0';
			if (fn(ctx, item, &why) == 0)
				why = NULL;
		}
		if (why != NULL && len == 0) {
			snprintf(err, err_size, "--%s %s: %s", name, value, why);
			return EX_USAGE;
		}
		if (why != NULL) {
			snprintf(err, err_size, "--%s %s: %.*s: %s", name, value,
				 (int)(len < 80 ? len : 80), p, why);
			return EX_USAGE;
		}
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

static int options_proxy_tlv_item(void *ctx, const char *item, const char **why)
{
	unsigned *tlvs = ctx;

	if (strcmp(item, "unique-id") == 0)
		*tlvs |= PROXY_TLV_UNIQUE_ID;
	else if (strcmp(item, "crc32c") == 0)
		*tlvs |= PROXY_TLV_CRC32C;
	else if (strcmp(item, "none") != 0) {
		*why = "expected unique-id, crc32c or none";
		return -1;
	}
	return 0;
}

static int options_set_proxy_tlvs(struct options *o, const char *value,
				  char *err, size_t err_size)
{
	unsigned tlvs = 0;
	int rc = options_each_item("proxy-tlv", value, options_proxy_tlv_item,
				   &tlvs, err, err_size);

	if (rc == 0)
		o->proxy_tlvs = tlvs;
	return rc;
}

static int options_proxy_from_item(void *ctx, const char *item, const char **why)
{
	struct options *o = ctx;

	if (o->proxy_from_count == OPTIONS_MAX_PROXY_FROM) {
		*why = "at most 32 sources";
		return -1;
	}
	if (cidr_parse(item, &o->proxy_from[o->proxy_from_count], why) < 0)
		return -1;
	o->proxy_from_count++;
	return 0;
}

static int options_add_proxy_from(struct options *o, const char *value,
				  char *err, size_t err_size)
{
	return options_each_item("proxy-from", value, options_proxy_from_item, o,
				 err, err_size);
}

/*
 * With --alpn, only its protocols are ever negotiated: an ALPN route
 * whose pattern matches none of them could never apply.
 */
static int options_alpn_offered(const char *list, const char *pattern)
{
	for (const char *p = list; *p != '\0';) {
		size_t len = strcspn(p, ",");
		if (route_glob_match(pattern, (const unsigned char *)p, len, 0))
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

int options_validate(const struct options *o, char *err, size_t err_size)
{
	if (o->accept_proxy && o->proxy_from_count == 0) {
		snprintf(err, err_size,
			 "--accept-proxy needs --proxy-from: the sources trusted to send the header");
		return EX_USAGE;
	}
	if (o->proxy_from_count > 0 && !o->accept_proxy) {
		snprintf(err, err_size, "--proxy-from without --accept-proxy");
		return EX_USAGE;
	}
	if (o->proxy_tlvs != 0 && o->send_proxy != SEND_PROXY_V2) {
		snprintf(err, err_size, "--proxy-tlv needs --send-proxy v2");
		return EX_USAGE;
	}
	if (o->exec != NULL) {
		size_t words = 0;
		for (const char *p = o->exec; *p != '\0';) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '\0')
				words++;
			while (*p != '\0' && *p != ' ' && *p != '\t')
				p++;
		}
		if (words == 0) {
			snprintf(err, err_size, "--exec: no program given");
			return EX_USAGE;
		}
		if (words >= OPTIONS_MAX_EXEC_ARGS || strlen(o->exec) >= 4096) {
			snprintf(err, err_size,
				 "--exec: at most %d words and 4095 bytes",
				 OPTIONS_MAX_EXEC_ARGS - 1);
			return EX_USAGE;
		}
	}
	if (o->exec != NULL && o->backend_count > 0) {
		snprintf(err, err_size,
			 "--exec and --backend: give one (--tls-backend and --plain-backend may go with --exec)");
		return EX_USAGE;
	}
	int fallback = o->backend_count > 0 || o->exec != NULL;
	if (!fallback && o->tls_backend_count == 0 &&
	    o->plain_backend_count == 0) {
		snprintf(err, err_size, "no --backend given");
		return EX_USAGE;
	}
	if (!fallback && o->tls_backend_count == 0) {
		snprintf(err, err_size,
			 "no backend for TLS connections: give --backend, --tls-backend or --exec");
		return EX_USAGE;
	}
	if (!fallback && o->plain_backend_count == 0) {
		snprintf(err, err_size,
			 "no backend for plain connections: give --backend, --plain-backend or --exec");
		return EX_USAGE;
	}
	for (size_t i = 0; i < o->route_count && o->alpn != NULL; i++) {
		if (o->routes[i].kind != ROUTE_ALPN ||
		    options_alpn_offered(o->alpn, o->routes[i].pattern))
			continue;
		snprintf(err, err_size,
			 "--route alpn=%s=%s: matches none of --alpn %s",
			 o->routes[i].pattern, o->routes[i].backend.text,
			 o->alpn);
		return EX_USAGE;
	}
	return 0;
}

/* Protocol names GnuTLS accepts: up to 8, printable, 1 to 31 bytes each. */
static int options_check_alpn(const char *list, char *err, size_t err_size)
{
	size_t count = 0, len = 0;

	for (const char *p = list;; p++) {
		if (*p == ',' || *p == '\0') {
			if (len == 0 || len > OPTIONS_ALPN_NAME_MAX ||
			    ++count > OPTIONS_MAX_ALPN) {
				snprintf(err, err_size,
					 "--alpn %s: expected up to %d names of 1 to %d bytes, separated by commas",
					 list, OPTIONS_MAX_ALPN,
					 OPTIONS_ALPN_NAME_MAX);
				return EX_USAGE;
			}
			if (*p == '\0')
				return 0;
			len = 0;
		} else if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f) {
			snprintf(err, err_size,
				 "--alpn %s: protocol names are printable ASCII",
				 list);
			return EX_USAGE;
		} else {
			len++;
		}
	}
}

static int options_add_pattern(const char **list, size_t *count, int limit,
			       const char *name, const char *value,
			       char *err, size_t err_size)
{
	if (*count == (size_t)limit) {
		snprintf(err, err_size, "--%s %s: at most %d patterns", name,
			 value, limit);
		return EX_USAGE;
	}
	list[(*count)++] = value;
	return 0;
}

/*
 * The handlers, one per kind of argument.  Each gets its table entry,
 * whose field (and count, for lists) says where the value goes.
 */
#define FIELD(o, spec, type) ((type *)((char *)(o) + (spec)->field))
#define COUNT(o, spec) ((size_t *)((char *)(o) + (spec)->count))

static int option_flag(struct options *o, const struct option_spec *spec,
		       const char *value, char *err, size_t err_size)
{
	*FIELD(o, spec, int) = 1;
	return 0;
}

static int option_text(struct options *o, const struct option_spec *spec,
		       const char *value, char *err, size_t err_size)
{
	*FIELD(o, spec, const char *) = value;
	return 0;
}

static int option_duration(struct options *o, const struct option_spec *spec,
			   const char *value, char *err, size_t err_size)
{
	return options_set_duration(FIELD(o, spec, long), spec->name, value,
				    err, err_size);
}

/* The enums these fill are int-sized: the table's choices give their values. */
static int option_choice(struct options *o, const struct option_spec *spec,
			 const char *value, char *err, size_t err_size)
{
	const struct option_choices *c = spec->choices;

	for (size_t i = 0; i < OPTION_MAX_CHOICES && c->words[i].word[0]; i++) {
		if (strcmp(value, c->words[i].word) == 0) {
			*FIELD(o, spec, int) = c->words[i].value;
			return 0;
		}
	}
	snprintf(err, err_size, "--%s %s: expected %s", spec->name, value,
		 c->expected);
	return EX_USAGE;
}

static int option_backend(struct options *o, const struct option_spec *spec,
			  const char *value, char *err, size_t err_size)
{
	return options_add_backend(FIELD(o, spec, struct addr), COUNT(o, spec),
				   spec->limit, spec->name, value, err,
				   err_size);
}

static int option_pattern(struct options *o, const struct option_spec *spec,
			  const char *value, char *err, size_t err_size)
{
	return options_add_pattern(FIELD(o, spec, const char *),
				   COUNT(o, spec), spec->limit, spec->name,
				   value, err, err_size);
}

static int option_route(struct options *o, const struct option_spec *spec,
			const char *value, char *err, size_t err_size)
{
	const char *why;

	if (o->route_count == (size_t)spec->limit) {
		snprintf(err, err_size, "--route %s: at most %d routes", value,
			 spec->limit);
		return EX_USAGE;
	}
	if (route_parse(value, &o->routes[o->route_count], &why) < 0) {
		snprintf(err, err_size, "--route %s: %s", value, why);
		return EX_USAGE;
	}
	if (o->routes[o->route_count].kind == ROUTE_ALPN)
		o->alpn_routes = 1;
	o->route_count++;
	return 0;
}

static int option_alpn(struct options *o, const struct option_spec *spec,
		       const char *value, char *err, size_t err_size)
{
	o->alpn = value;
	return options_check_alpn(value, err, err_size);
}

static int option_proxy_tlv(struct options *o, const struct option_spec *spec,
			    const char *value, char *err, size_t err_size)
{
	return options_set_proxy_tlvs(o, value, err, err_size);
}

static int option_proxy_from(struct options *o, const struct option_spec *spec,
			     const char *value, char *err, size_t err_size)
{
	return options_add_proxy_from(o, value, err, err_size);
}

#define AT(member) offsetof(struct options, member)

static const struct option_choices min_versions = {
	"tls1.2 or tls1.3 (tls1.0, tls1.1 for legacy clients)",
	{{"tls1.0", POLICY_TLS10}, {"tls1.1", POLICY_TLS10 + 1},
	 {"tls1.2", POLICY_TLS10 + 2}, {"tls1.3", POLICY_TLS10 + 3}},
};
static const struct option_choices verify_modes = {
	"none, optional or required",
	{{"none", VERIFY_NONE}, {"optional", VERIFY_OPTIONAL},
	 {"required", VERIFY_REQUIRED}},
};
static const struct option_choices silences = {
	"plain or close", {{"plain", SILENCE_PLAIN}, {"close", SILENCE_CLOSE}},
};
static const struct option_choices log_targets = {
	"auto, stderr, syslog or journal",
	{{"auto", LOG_TO_AUTO}, {"stderr", LOG_TO_STDERR},
	 {"syslog", LOG_TO_SYSLOG}, {"journal", LOG_TO_JOURNAL}},
};
static const struct option_choices proxy_versions = {
	"v1, v2 or none",
	{{"v1", SEND_PROXY_V1}, {"v2", SEND_PROXY_V2},
	 {"none", SEND_PROXY_NONE}},
};

/*
 * The end of an entry: the argument as --help shows it ("" for a flag),
 * the default, the help; then how --check shows the option, a setting
 * unless the entry says otherwise (the _AS forms).
 */
#define DOC_AS(check, argument, default_text, help) \
	argument "\0" default_text "\0" help, check
#define FLAG_AS(check, help) DOC_AS(check, "", "", help)
#define DOC(argument, default_text, help) \
	DOC_AS(CHECK_SETTING, argument, default_text, help)
#define FLAG(help) DOC("", "", help)

/*
 * Every option, in the order of --help and the man page (a test holds
 * the three together).  The defaults are shown text: options_defaults
 * sets the same values without parsing them at every connection, and a
 * unit test checks that the two agree.  The third column says whether a
 * config file may give the option: actions may not (every connection
 * reading the file would do them and exit).  DOC and FLAG end an entry
 * as a setting for --check; DOC_AS and FLAG_AS say when it is shown
 * otherwise, with a comment when the reason is not plain.
 */
const struct option_spec options_table[] = {
	{"backend", 0, 1, OPTION_BACKEND, AT(backends), AT(backend_count),
	 OPTIONS_MAX_BACKENDS, NULL,
	 DOC_AS(CHECK_DESTINATION, "ADDRESS", "", "host:port, [v6]:port, unix:/path or @abstract; repeat for failover")},
	/* --check reads the chain: its subject, issuer and dates say more than its path. */
	{"cert", 0, 1, OPTION_TEXT, AT(cert), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "FILE", "", "certificate chain (PEM), read for each TLS connection")},
	/* A secret: --check says that it matches the certificate, never what it holds. */
	{"key", 0, 1, OPTION_TEXT, AT(key), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "FILE", "", "private key (PEM); optional if --cert holds it")},
	{"priority", 0, 1, OPTION_TEXT, AT(priority), 0, 0, NULL,
	 DOC("STRING", "secure", "secure (AEAD, ECDHE), strict, compatible, or a GnuTLS string")},
	{"min-version", 0, 1, OPTION_CHOICE, AT(min_version), 0, 0, &min_versions,
	 DOC("tls1.2|tls1.3|tls1.1|tls1.0", "tls1.2",
	     "oldest protocol version (tls1.0, tls1.1 for legacy clients)")},
	/* --check reads every entry: a line each, then how many. */
	{"cert-dir", 0, 1, OPTION_TEXT, AT(cert_dir), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "DIR", "", "certificates chosen by the client's server name (SNI)")},
	{"strict-sni", 0, 1, OPTION_FLAG, AT(strict_sni), 0, 0, NULL,
	 FLAG("refuse clients whose server name has no certificate")},
	{"alpn", 0, 1, OPTION_ALPN, AT(alpn), 0, 0, NULL,
	 DOC("LIST", "", "protocols to offer, comma-separated (h2,http/1.1)")},
	{"client-ca", 0, 1, OPTION_TEXT, AT(client_ca), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "FILE", "", "CA certificates (PEM) that client certificates must chain to")},
	/* Its default depends on --client-ca: --check shows the mode in force with the CA. */
	{"verify", 0, 1, OPTION_CHOICE, AT(verify), 0, 0, &verify_modes,
	 DOC_AS(CHECK_FACTS, "none|optional|required", "required with --client-ca, none without it",
	     "whether to ask for client certificates")},
	{"crl", 0, 1, OPTION_TEXT, AT(crl), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "FILE", "", "revoked client certificates (PEM CRLs)")},
	/* Lists (allow-cn, allow-san, proxy-from): a --check line per entry. */
	{"allow-cn", 0, 1, OPTION_PATTERN, AT(allow_cn), AT(allow_cn_count),
	 OPTIONS_MAX_ALLOW, NULL,
	 DOC("GLOB", "", "admit client certificates whose CN matches; repeatable")},
	{"allow-san", 0, 1, OPTION_PATTERN, AT(allow_san), AT(allow_san_count),
	 OPTIONS_MAX_ALLOW, NULL,
	 DOC("[dns:|uri:|email:]GLOB", "", "admit by subject alternative name; repeatable")},
	/* A secret: --check shows its size and whether others may read it, never the key. */
	{"ticket-key", 0, 1, OPTION_TEXT, AT(ticket_key), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "FILE", "", "session ticket key shared by every process (resumption)")},
	/* Actions: in a config file, every connection would do them and exit. */
	{"new-ticket-key", 0, 0, OPTION_TEXT, AT(new_ticket_key), 0, 0, NULL,
	 DOC_AS(CHECK_ACTION, "FILE", "", "write a fresh ticket key to FILE (mode 0600), then exit")},
	{"ocsp", 0, 1, OPTION_TEXT, AT(ocsp), 0, 0, NULL,
	 DOC_AS(CHECK_FACTS, "FILE", "", "OCSP response (DER) to staple with --cert")},
	{"detect-timeout", 0, 1, OPTION_DURATION, AT(detect_timeout_ms), 0, 0, NULL,
	 DOC("DURATION", "2s", "wait for the client's first bytes")},
	{"on-silence", 0, 1, OPTION_CHOICE, AT(on_silence), 0, 0, &silences,
	 DOC("plain|close", "plain", "what a silent client gets")},
	{"handshake-timeout", 0, 1, OPTION_DURATION, AT(handshake_timeout_ms), 0, 0,
	 NULL, DOC("DURATION", "10s", "TLS handshake deadline")},
	{"connect-timeout", 0, 1, OPTION_DURATION, AT(connect_timeout_ms), 0, 0,
	 NULL, DOC("DURATION", "5s", "deadline per backend connect")},
	{"idle-timeout", 0, 1, OPTION_DURATION, AT(idle_timeout_ms), 0, 0, NULL,
	 DOC("DURATION", "1h", "close after DURATION without traffic; 0: never")},
	{"user", 0, 1, OPTION_TEXT, AT(user), 0, 0, NULL,
	 DOC("NAME", "", "run as NAME once the key is read (when started as root)")},
	{"log", 0, 1, OPTION_CHOICE, AT(log), 0, 0, &log_targets,
	 DOC("auto|stderr|syslog|journal", "auto", "where lines go")},
	{"tls-backend", 0, 1, OPTION_BACKEND, AT(tls_backends),
	 AT(tls_backend_count), OPTIONS_MAX_BACKENDS, NULL,
	 DOC_AS(CHECK_DESTINATION, "ADDRESS", "", "backend for TLS connections (repeat for failover)")},
	{"plain-backend", 0, 1, OPTION_BACKEND, AT(plain_backends),
	 AT(plain_backend_count), OPTIONS_MAX_BACKENDS, NULL,
	 DOC_AS(CHECK_DESTINATION, "ADDRESS", "", "backend for plain connections (repeat for failover)")},
	{"route", 0, 1, OPTION_ROUTE, AT(routes), AT(route_count),
	 OPTIONS_MAX_ROUTES, NULL,
	 DOC_AS(CHECK_DESTINATION, "sni=PATTERN=ADDRESS|alpn=PATTERN=ADDRESS", "",
	     "TLS connections for server name (sni) or negotiated protocol\n"
	     "(alpn) PATTERN (a glob) go to ADDRESS; the first match wins")},
	{"exec", 0, 1, OPTION_TEXT, AT(exec), 0, 0, NULL,
	 DOC_AS(CHECK_DESTINATION, "'PROGRAM [ARGUMENT ...]'", "",
	     "run PROGRAM per connection on the stream (split on blanks)")},
	{"send-proxy", 0, 1, OPTION_CHOICE, AT(send_proxy), 0, 0, &proxy_versions,
	 DOC("v1|v2|none", "none", "send a PROXY protocol header to the backend")},
	{"proxy-tlv", 0, 1, OPTION_PROXY_TLV, AT(proxy_tlvs), 0, 0, NULL,
	 DOC("LIST", "", "extra v2 TLVs: unique-id,crc32c")},
	{"accept-proxy", 0, 1, OPTION_FLAG, AT(accept_proxy), 0, 0, NULL,
	 FLAG("expect a PROXY header (v1 or v2) from the balancer")},
	{"proxy-from", 0, 1, OPTION_PROXY_FROM, AT(proxy_from),
	 AT(proxy_from_count), OPTIONS_MAX_PROXY_FROM, NULL,
	 DOC("LIST", "", "CIDRs (or unix) trusted to send it; required with --accept-proxy")},
	{"check", 0, 0, OPTION_FLAG, AT(check), 0, 0, NULL,
	 FLAG_AS(CHECK_ACTION, "validate the options and every file they name, then exit")},
	{"help", 'h', 0, OPTION_FLAG, AT(help), 0, 0, NULL,
	 FLAG_AS(CHECK_ACTION, "this text, then exit")},
	{"version", 'V', 0, OPTION_FLAG, AT(version), 0, 0, NULL,
	 FLAG_AS(CHECK_ACTION, "the version, then exit")},
};
const size_t options_table_size = sizeof options_table / sizeof options_table[0];

const struct option_spec *options_find(const char *name)
{
	for (size_t i = 0; i < options_table_size; i++)
		if (strcmp(options_table[i].name, name) == 0)
			return &options_table[i];
	return NULL;
}

int options_takes_value(const char *name)
{
	const struct option_spec *spec = options_find(name);

	return spec == NULL ? -1 : spec->kind != OPTION_FLAG;
}

/* Apply an option already looked up: spec is NULL for an unknown name. */
static int options_apply_spec(struct options *o, const struct option_spec *spec,
			      const char *name, const char *value, char *err,
			      size_t err_size)
{
	if (spec == NULL) {
		snprintf(err, err_size, "unknown option --%s", name);
		return EX_USAGE;
	}
	int takes_value = spec->kind != OPTION_FLAG;

	if (takes_value && (value == NULL || *value == '\0')) {
		snprintf(err, err_size, "--%s needs a value", name);
		return EX_USAGE;
	}
	if (!takes_value && value != NULL) {
		snprintf(err, err_size, "--%s takes no value", name);
		return EX_USAGE;
	}
	switch ((enum option_kind)spec->kind) {
	case OPTION_FLAG:
		return option_flag(o, spec, value, err, err_size);
	case OPTION_TEXT:
		return option_text(o, spec, value, err, err_size);
	case OPTION_DURATION:
		return option_duration(o, spec, value, err, err_size);
	case OPTION_CHOICE:
		return option_choice(o, spec, value, err, err_size);
	case OPTION_BACKEND:
		return option_backend(o, spec, value, err, err_size);
	case OPTION_PATTERN:
		return option_pattern(o, spec, value, err, err_size);
	case OPTION_ROUTE:
		return option_route(o, spec, value, err, err_size);
	case OPTION_ALPN:
		return option_alpn(o, spec, value, err, err_size);
	case OPTION_PROXY_TLV:
		return option_proxy_tlv(o, spec, value, err, err_size);
	case OPTION_PROXY_FROM:
		return option_proxy_from(o, spec, value, err, err_size);
	}
	return 0;
}

int options_apply(struct options *o, const char *name, const char *value,
		  char *err, size_t err_size)
{
	return options_apply_spec(o, options_find(name), name, value, err,
				  err_size);
}

/* A config-file line: as on the command line, if the table lets it. */
static int options_apply_config(struct options *o, const char *name,
				const char *value, char *err, size_t err_size)
{
	const struct option_spec *spec = options_find(name);

	if (spec != NULL && !spec->in_config) {
		snprintf(err, err_size,
			 "--%s is for the command line only, not a config file",
			 name);
		return EX_USAGE;
	}
	return options_apply_spec(o, spec, name, value, err, err_size);
}

/* A scalar option's size in struct options, by kind; 0 for the lists. */
static size_t options_scalar_size(enum option_kind kind)
{
	switch (kind) {
	case OPTION_FLAG:
	case OPTION_CHOICE:
		return sizeof(int);
	case OPTION_TEXT:
	case OPTION_ALPN:
		return sizeof(const char *);
	case OPTION_DURATION:
		return sizeof(long);
	case OPTION_PROXY_TLV:
		return sizeof(unsigned);
	case OPTION_BACKEND:
	case OPTION_PATTERN:
	case OPTION_ROUTE:
	case OPTION_PROXY_FROM:
		break;
	}
	return 0;
}

size_t options_value_count(const struct options *o,
			   const struct option_spec *spec)
{
	static struct options defaults;
	static int have_defaults;
	size_t size = options_scalar_size((enum option_kind)spec->kind);

	if (size == 0)
		return *COUNT(o, spec);
	if (!have_defaults) {
		options_defaults(&defaults);
		have_defaults = 1;
	}
	return memcmp((const char *)o + spec->field,
		      (const char *)&defaults + spec->field, size) != 0;
}

/* The largest unit that gives the duration exactly: duration_parse reads it back. */
static void options_format_duration(long ms, char *out, size_t size)
{
	if (ms != 0 && ms % (3600 * 1000) == 0)
		snprintf(out, size, "%ldh", ms / (3600 * 1000));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(out, size, "%ldm", ms / (60 * 1000));
	else if (ms % 1000 == 0)
		snprintf(out, size, "%lds", ms / 1000);
	else
		snprintf(out, size, "%ldms", ms);
}

static void options_format_choice(const struct option_spec *spec, int value,
				  char *out, size_t size)
{
	const struct option_choices *c = spec->choices;

	snprintf(out, size, "%d", value);
	for (size_t i = 0; i < OPTION_MAX_CHOICES && c->words[i].word[0]; i++)
		if (c->words[i].value == value)
			snprintf(out, size, "%s", c->words[i].word);
}

static void options_format_cidr(const struct cidr *c, char *out, size_t size)
{
	char ip[INET6_ADDRSTRLEN] = "";

	if (c->family == AF_UNIX) {
		snprintf(out, size, "unix");
		return;
	}
	inet_ntop(c->family, c->ip, ip, sizeof ip);
	snprintf(out, size, "%s/%u", ip, c->prefix);
}

void options_format_value(const struct options *o,
			  const struct option_spec *spec, size_t index,
			  char *out, size_t size)
{
	const struct route *r;
	unsigned tlvs;

	switch ((enum option_kind)spec->kind) {
	case OPTION_FLAG:
		snprintf(out, size, "yes");
		return;
	case OPTION_TEXT:
	case OPTION_ALPN:
		snprintf(out, size, "%s", *FIELD(o, spec, const char *));
		return;
	case OPTION_DURATION:
		options_format_duration(*FIELD(o, spec, long), out, size);
		return;
	case OPTION_CHOICE:
		options_format_choice(spec, *FIELD(o, spec, int), out, size);
		return;
	case OPTION_BACKEND:
		snprintf(out, size, "%s", FIELD(o, spec, struct addr)[index].text);
		return;
	case OPTION_PATTERN:
		snprintf(out, size, "%s", FIELD(o, spec, const char *)[index]);
		return;
	case OPTION_ROUTE:
		r = &FIELD(o, spec, struct route)[index];
		snprintf(out, size, "%s=%s -> %s",
			 r->kind == ROUTE_SNI ? "sni" : "alpn", r->pattern,
			 r->backend.text);
		return;
	case OPTION_PROXY_TLV:
		tlvs = *FIELD(o, spec, unsigned);
		snprintf(out, size, "%s%s%s",
			 tlvs & PROXY_TLV_UNIQUE_ID ? "unique-id" : "",
			 tlvs == (PROXY_TLV_UNIQUE_ID | PROXY_TLV_CRC32C) ? "," : "",
			 tlvs & PROXY_TLV_CRC32C ? "crc32c" : "");
		return;
	case OPTION_PROXY_FROM:
		options_format_cidr(&FIELD(o, spec, struct cidr)[index], out, size);
		return;
	}
}

/* The doc's parts, "" as NULL. */
static const char *options_doc_part(const struct option_spec *spec, int part)
{
	const char *p = spec->doc;

	while (part-- > 0)
		p += strlen(p) + 1;
	return p;
}

const char *options_spec_argument(const struct option_spec *spec)
{
	const char *p = options_doc_part(spec, 0);

	return *p != '\0' ? p : NULL;
}

const char *options_spec_default(const struct option_spec *spec)
{
	const char *p = options_doc_part(spec, 1);

	return *p != '\0' ? p : NULL;
}

const char *options_spec_help(const struct option_spec *spec)
{
	return options_doc_part(spec, 2);
}

#define USAGE_COLUMN 30

void options_usage(FILE *out)
{
	fputs("usage: tlsmux [options]   (started per connection by systemd, "
	      "inetd, xinetd or tcpserver)\n", out);
	/* Not in the table: it reads more options, it is not one. */
	fprintf(out, "  %-*s%s\n", USAGE_COLUMN - 2, "-f FILE",
		"read options from FILE, one per line");
	for (size_t i = 0; i < options_table_size; i++) {
		const struct option_spec *spec = &options_table[i];
		const char *argument = options_spec_argument(spec);
		const char *default_text = options_spec_default(spec);
		char head[80];
		int len;
		if (spec->short_name)
			len = snprintf(head, sizeof head, "-%c, --%s",
				       spec->short_name, spec->name);
		else
			len = snprintf(head, sizeof head, "--%s%s%s", spec->name,
				       argument ? " " : "",
				       argument ? argument : "");
		fprintf(out, "  %s", head);
		if (len > USAGE_COLUMN - 3)
			fprintf(out, "\n%*s", USAGE_COLUMN, "");
		else
			fprintf(out, "%*s", USAGE_COLUMN - 2 - len, "");
		for (const char *p = options_spec_help(spec); *p != '\0'; p++) {
			fputc(*p, out);
			if (*p == '\n')
				fprintf(out, "%*s", USAGE_COLUMN, "");
		}
		if (default_text)
			fprintf(out, " (default %s)", default_text);
		fputc('\n', out);
	}
}

int options_split_line(char *line, char **name, char **value)
{
	char *p = line;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#' || *p == '\n' || *p == '\r')
		return 0;
	if (p[0] == '-' && p[1] == '-')
		p += 2;
	*name = p;
	while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '=' &&
	       *p != '\n' && *p != '\r')
		p++;
	if (p == *name)
		return -1;

	char *name_end = p;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '=') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	*name_end = '\0';

	/* The value runs to the end of the line, trailing blanks dropped. */
	char *end = p + strlen(p);
	while (end > p && (end[-1] == '\n' || end[-1] == '\r' ||
			   end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	*value = *p != '\0' ? p : NULL;
	return 1;
}

static int options_read_file(struct options *o, const char *path, int depth,
			     char *err, size_t err_size)
{
	if (depth > CONFIG_MAX_DEPTH) {
		snprintf(err, err_size, "%s: -f nested too deeply", path);
		return EX_USAGE;
	}
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, err_size, "config %s: cannot read: %s", path,
			 log_strerror(errno));
		return EX_NOINPUT;
	}
	if (o->config_file_count < OPTIONS_MAX_CONFIG_FILES)
		o->config_files[o->config_file_count++] = path;
	/*
	 * Kept for the life of the process: options point into it.  Chained
	 * from a static list so that it stays reachable (leak checkers).
	 */
	static struct config_text {
		struct config_text *next;
		char text[];
	} *kept;
	struct config_text *node = malloc(sizeof *node + CONFIG_MAX_SIZE + 1);
	char *text = node ? node->text : NULL;
	if (node != NULL) {
		node->next = kept;
		kept = node;
	}
	if (text == NULL) {
		close(fd);
		snprintf(err, err_size, "config %s: out of memory", path);
		return EX_OSERR;
	}
	size_t len = 0;
	for (;;) {
		ssize_t n = read(fd, text + len, CONFIG_MAX_SIZE + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, err_size, "config %s: cannot read: %s",
				 path, log_strerror(errno));
			close(fd);
			return EX_NOINPUT;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > CONFIG_MAX_SIZE) {
			snprintf(err, err_size, "config %s: larger than 1 MiB",
				 path);
			close(fd);
			return EX_USAGE;
		}
	}
	close(fd);
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		snprintf(err, err_size, "config %s: not a text file", path);
		return EX_USAGE;
	}

	int line_number = 0;
	for (char *line = text; line != NULL && *line != '\0';) {
		char *next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		line_number++;

		char *name, *value, inner[512];
		int kind = options_split_line(line, &name, &value);
		int rc = 0;
		if (kind < 0) {
			snprintf(inner, sizeof inner, "malformed line");
			rc = EX_USAGE;
		} else if (kind > 0 && (strcmp(name, "f") == 0 ||
					strcmp(name, "-f") == 0)) {
			rc = value == NULL ? EX_USAGE :
			     options_read_file(o, value, depth + 1, inner,
					       sizeof inner);
			if (value == NULL)
				snprintf(inner, sizeof inner, "-f needs a file");
		} else if (kind > 0) {
			rc = options_apply_config(o, name, value, inner,
						  sizeof inner);
		}
		if (rc != 0) {
			snprintf(err, err_size, "config %s line %d: %s", path,
				 line_number, inner);
			return rc;
		}
		line = next;
	}
	return 0;
}

/*
 * One "--name", "--name=value" or "--name value" argument at argv[*i];
 * *i moves past the value when it is the next argument.
 */
static int options_parse_long(struct options *o, int argc, char **argv,
			      int *i, char *err, size_t err_size)
{
	const char *arg = argv[*i];
	char name[64];
	const char *eq = strchr(arg + 2, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

	if (len >= sizeof name) {
		snprintf(err, err_size, "unknown option %.80s", arg);
		return EX_USAGE;
	}
	memcpy(name, arg + 2, len);
	name[len] = '\0';
	const struct option_spec *spec = options_find(name);
	const char *value = eq ? eq + 1 : NULL;
	if (eq == NULL && spec != NULL && spec->kind != OPTION_FLAG) {
		if (*i + 1 >= argc) {
			snprintf(err, err_size, "--%s needs a value", name);
			return EX_USAGE;
		}
		value = argv[++*i];
	}
	return options_apply_spec(o, spec, name, value, err, err_size);
}

/* -h, -V: the table's short names (flags only). */
static const struct option_spec *options_find_short(const char *arg)
{
	if (arg[0] != '-' || arg[1] == '\0' || arg[2] != '\0')
		return NULL;
	for (size_t i = 0; i < options_table_size; i++)
		if (options_table[i].short_name == arg[1])
			return &options_table[i];
	return NULL;
}

int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t err_size)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct option_spec *spec;
		int rc;

		if (strcmp(arg, "-f") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, err_size, "-f needs a file");
				return EX_USAGE;
			}
			rc = options_read_file(o, argv[++i], 0, err, err_size);
		} else if ((spec = options_find_short(arg)) != NULL) {
			rc = options_apply_spec(o, spec, spec->name, NULL, err,
						err_size);
		} else if (arg[0] == '-' && arg[1] == '-' && arg[2] != '\0') {
			rc = options_parse_long(o, argc, argv, &i, err,
						err_size);
		} else {
			snprintf(err, err_size, "unexpected argument %.80s", arg);
			return EX_USAGE;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}
