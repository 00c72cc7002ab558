/*
 * options: one table of long options, shared by the command line and the
 * config file (-f FILE, read where it appears, so later options override).
 */
#include "options.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "log.h"
#include "policy.h"

#define CONFIG_MAX_SIZE (1 << 20)
#define CONFIG_MAX_DEPTH 4

const char options_usage[] =
	"usage: tlsmux [options]   (started per connection by systemd, inetd, xinetd or tcpserver)\n"
	"  --backend ADDR            host:port, [v6]:port, unix:/path or @abstract; repeat for failover\n"
	"  --cert FILE               certificate chain (PEM), read for each TLS connection\n"
	"  --key FILE                private key (PEM); optional if --cert holds it\n"
	"  --priority STRING         secure (default: AEAD, ECDHE), strict, compatible, or a GnuTLS string\n"
	"  --min-version VERSION     tls1.2 (default) or tls1.3 (tls1.0, tls1.1 for legacy clients)\n"
	"  --cert-dir DIR            certificates chosen by the client's server name (SNI)\n"
	"  --strict-sni              refuse clients whose server name has no certificate\n"
	"  --alpn LIST               protocols to offer, comma-separated (h2,http/1.1)\n"
	"  --client-ca FILE          CA certificates (PEM) that client certificates must chain to\n"
	"  --verify MODE             client certificates: none, optional, required (default: required\n"
	"                            with --client-ca, none without)\n"
	"  --crl FILE                revoked client certificates (PEM CRLs)\n"
	"  --allow-cn GLOB           admit client certificates whose CN matches; repeatable\n"
	"  --allow-san PATTERN       [dns:|uri:|email:]GLOB: admit by subject alternative name; repeatable\n"
	"  --ticket-key FILE         session ticket key shared by every process (resumption)\n"
	"  --new-ticket-key FILE     write a fresh ticket key to FILE (mode 0600), then exit\n"
	"  --ocsp FILE               OCSP response (DER) to staple with --cert\n"
	"  --detect-timeout DUR      wait for the client's first bytes (default 2s)\n"
	"  --on-silence plain|close  what a silent client gets (default plain)\n"
	"  --handshake-timeout DUR   TLS handshake deadline (default 10s)\n"
	"  --connect-timeout DUR     deadline per backend connect (default 5s)\n"
	"  --idle-timeout DUR        close after DUR without traffic (default 1h, 0 = never)\n"
	"  --tls-backend ADDR        backend for TLS connections (repeat for failover)\n"
	"  --plain-backend ADDR      backend for plain connections (repeat for failover)\n"
	"  --route sni=NAME=ADDR     TLS connections for server name NAME (glob) go to ADDR\n"
	"  --route alpn=PROTO=ADDR   TLS connections negotiating PROTO (glob) go to ADDR\n"
	"  --exec 'PROG [ARGS]'      run PROG per connection on the stream (split on blanks)\n"
	"  --send-proxy v1|v2|none   send a PROXY protocol header to the backend\n"
	"  --proxy-tlv LIST          extra v2 TLVs: unique-id,crc32c\n"
	"  --accept-proxy            expect a PROXY header (v1 or v2) from the balancer\n"
	"  --proxy-from LIST         CIDRs (or unix) trusted to send it; required with --accept-proxy\n"
	"  --user NAME               run as NAME once the key is read (when started as root)\n"
	"  --log auto|stderr|syslog|journal\n"
	"  -f FILE                   read options from FILE, one per line\n"
	"  --check                   validate the options and every file they name, then exit\n"
	"  --help, --version\n";

static const struct {
	const char *name;
	int takes_value;
} option_table[] = {
	{"backend", 1},		{"cert", 1},		{"key", 1},
	{"priority", 1},	{"detect-timeout", 1},	{"on-silence", 1},
	{"handshake-timeout", 1}, {"connect-timeout", 1}, {"idle-timeout", 1},
	{"log", 1},		{"check", 0},		{"help", 0},
	{"version", 0},		{"tls-backend", 1},	{"plain-backend", 1},
	{"route", 1},		{"exec", 1},		{"send-proxy", 1},
	{"proxy-tlv", 1},	{"accept-proxy", 0},	{"proxy-from", 1},
	{"cert-dir", 1},	{"strict-sni", 0},	{"alpn", 1},
	{"client-ca", 1},	{"verify", 1},		{"crl", 1},
	{"allow-cn", 1},	{"allow-san", 1},	{"ticket-key", 1},
	{"new-ticket-key", 1},	{"ocsp", 1},		{"min-version", 1},
	{"user", 1},
};

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

int options_takes_value(const char *name)
{
	for (size_t i = 0; i < sizeof option_table / sizeof option_table[0];
	     i++)
		if (strcmp(option_table[i].name, name) == 0)
			return option_table[i].takes_value;
	return -1;
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

static int options_add_backend(struct addr *list, size_t *count,
			       const char *name, const char *value, char *err,
			       size_t err_size)
{
	const char *why;

	if (*count == OPTIONS_MAX_BACKENDS) {
		snprintf(err, err_size, "--%s %s: at most %d backends", name,
			 value, OPTIONS_MAX_BACKENDS);
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

static int options_add_pattern(const char **list, size_t *count,
			       const char *name, const char *value,
			       char *err, size_t err_size)
{
	if (*count == OPTIONS_MAX_ALLOW) {
		snprintf(err, err_size, "--%s %s: at most %d patterns", name,
			 value, OPTIONS_MAX_ALLOW);
		return EX_USAGE;
	}
	list[(*count)++] = value;
	return 0;
}

int options_apply(struct options *o, const char *name, const char *value,
		  char *err, size_t err_size)
{
	int takes_value = options_takes_value(name);

	if (takes_value < 0) {
		snprintf(err, err_size, "unknown option --%s", name);
		return EX_USAGE;
	}
	if (takes_value && (value == NULL || *value == '\0')) {
		snprintf(err, err_size, "--%s needs a value", name);
		return EX_USAGE;
	}
	if (!takes_value && value != NULL) {
		snprintf(err, err_size, "--%s takes no value", name);
		return EX_USAGE;
	}

	if (strcmp(name, "backend") == 0) {
		return options_add_backend(o->backends, &o->backend_count, name,
					   value, err, err_size);
	} else if (strcmp(name, "tls-backend") == 0) {
		return options_add_backend(o->tls_backends, &o->tls_backend_count,
					   name, value, err, err_size);
	} else if (strcmp(name, "plain-backend") == 0) {
		return options_add_backend(o->plain_backends,
					   &o->plain_backend_count, name, value,
					   err, err_size);
	} else if (strcmp(name, "route") == 0) {
		const char *why;
		if (o->route_count == OPTIONS_MAX_ROUTES) {
			snprintf(err, err_size, "--route %s: at most %d routes",
				 value, OPTIONS_MAX_ROUTES);
			return EX_USAGE;
		}
		if (route_parse(value, &o->routes[o->route_count], &why) < 0) {
			snprintf(err, err_size, "--route %s: %s", value, why);
			return EX_USAGE;
		}
		if (o->routes[o->route_count].kind == ROUTE_ALPN)
			o->alpn_routes = 1;
		o->route_count++;
	} else if (strcmp(name, "exec") == 0) {
		o->exec = value;
	} else if (strcmp(name, "send-proxy") == 0) {
		if (strcmp(value, "v1") == 0)
			o->send_proxy = SEND_PROXY_V1;
		else if (strcmp(value, "v2") == 0)
			o->send_proxy = SEND_PROXY_V2;
		else if (strcmp(value, "none") == 0)
			o->send_proxy = SEND_PROXY_NONE;
		else {
			snprintf(err, err_size,
				 "--send-proxy %s: expected v1, v2 or none", value);
			return EX_USAGE;
		}
	} else if (strcmp(name, "proxy-tlv") == 0) {
		return options_set_proxy_tlvs(o, value, err, err_size);
	} else if (strcmp(name, "accept-proxy") == 0) {
		o->accept_proxy = 1;
	} else if (strcmp(name, "proxy-from") == 0) {
		return options_add_proxy_from(o, value, err, err_size);
	} else if (strcmp(name, "cert") == 0) {
		o->cert = value;
	} else if (strcmp(name, "key") == 0) {
		o->key = value;
	} else if (strcmp(name, "user") == 0) {
		o->user = value;
	} else if (strcmp(name, "priority") == 0) {
		o->priority = value;
	} else if (strcmp(name, "detect-timeout") == 0) {
		return options_set_duration(&o->detect_timeout_ms, name, value,
					    err, err_size);
	} else if (strcmp(name, "handshake-timeout") == 0) {
		return options_set_duration(&o->handshake_timeout_ms, name,
					    value, err, err_size);
	} else if (strcmp(name, "connect-timeout") == 0) {
		return options_set_duration(&o->connect_timeout_ms, name, value,
					    err, err_size);
	} else if (strcmp(name, "idle-timeout") == 0) {
		return options_set_duration(&o->idle_timeout_ms, name, value,
					    err, err_size);
	} else if (strcmp(name, "on-silence") == 0) {
		if (strcmp(value, "plain") == 0)
			o->on_silence = SILENCE_PLAIN;
		else if (strcmp(value, "close") == 0)
			o->on_silence = SILENCE_CLOSE;
		else {
			snprintf(err, err_size,
				 "--on-silence %s: expected plain or close", value);
			return EX_USAGE;
		}
	} else if (strcmp(name, "log") == 0) {
		if (strcmp(value, "auto") == 0)
			o->log = LOG_TO_AUTO;
		else if (strcmp(value, "stderr") == 0)
			o->log = LOG_TO_STDERR;
		else if (strcmp(value, "syslog") == 0)
			o->log = LOG_TO_SYSLOG;
		else if (strcmp(value, "journal") == 0)
			o->log = LOG_TO_JOURNAL;
		else {
			snprintf(err, err_size,
				 "--log %s: expected auto, stderr, syslog or journal",
				 value);
			return EX_USAGE;
		}
	} else if (strcmp(name, "cert-dir") == 0) {
		o->cert_dir = value;
	} else if (strcmp(name, "strict-sni") == 0) {
		o->strict_sni = 1;
	} else if (strcmp(name, "alpn") == 0) {
		o->alpn = value;
		return options_check_alpn(value, err, err_size);
	} else if (strcmp(name, "client-ca") == 0) {
		o->client_ca = value;
	} else if (strcmp(name, "crl") == 0) {
		o->crl = value;
	} else if (strcmp(name, "verify") == 0) {
		if (strcmp(value, "none") == 0)
			o->verify = VERIFY_NONE;
		else if (strcmp(value, "optional") == 0)
			o->verify = VERIFY_OPTIONAL;
		else if (strcmp(value, "required") == 0)
			o->verify = VERIFY_REQUIRED;
		else {
			snprintf(err, err_size,
				 "--verify %s: expected none, optional or required",
				 value);
			return EX_USAGE;
		}
	} else if (strcmp(name, "allow-cn") == 0) {
		return options_add_pattern(o->allow_cn, &o->allow_cn_count,
					   name, value, err, err_size);
	} else if (strcmp(name, "allow-san") == 0) {
		return options_add_pattern(o->allow_san, &o->allow_san_count,
					   name, value, err, err_size);
	} else if (strcmp(name, "ticket-key") == 0) {
		o->ticket_key = value;
	} else if (strcmp(name, "new-ticket-key") == 0) {
		o->new_ticket_key = value;
	} else if (strcmp(name, "ocsp") == 0) {
		o->ocsp = value;
	} else if (strcmp(name, "min-version") == 0) {
		static const char *const versions[] = {"tls1.0", "tls1.1",
						       "tls1.2", "tls1.3"};
		o->min_version = 0;
		for (int i = 0; i < 4; i++)
			if (strcmp(value, versions[i]) == 0)
				o->min_version = POLICY_TLS10 + i;
		if (o->min_version == 0) {
			snprintf(err, err_size,
				 "--min-version %s: expected tls1.2 or tls1.3 (tls1.0, tls1.1 for legacy clients)",
				 value);
			return EX_USAGE;
		}
	} else if (strcmp(name, "check") == 0) {
		o->check = 1;
	} else if (strcmp(name, "help") == 0) {
		o->help = 1;
	} else if (strcmp(name, "version") == 0) {
		o->version = 1;
	}
	return 0;
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
			rc = options_apply(o, name, value, inner, sizeof inner);
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

int options_parse(struct options *o, int argc, char **argv, char *err,
		  size_t err_size)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		int rc;

		if (strcmp(arg, "-f") == 0) {
			if (i + 1 >= argc) {
				snprintf(err, err_size, "-f needs a file");
				return EX_USAGE;
			}
			rc = options_read_file(o, argv[++i], 0, err, err_size);
		} else if (strcmp(arg, "-h") == 0) {
			rc = options_apply(o, "help", NULL, err, err_size);
		} else if (strcmp(arg, "-V") == 0) {
			rc = options_apply(o, "version", NULL, err, err_size);
		} else if (arg[0] == '-' && arg[1] == '-' && arg[2] != '\0') {
			char name[64];
			const char *eq = strchr(arg + 2, '=');
			size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
			if (len >= sizeof name) {
				snprintf(err, err_size, "unknown option %.80s", arg);
				return EX_USAGE;
			}
			memcpy(name, arg + 2, len);
			name[len] = '\0';
			const char *value = eq ? eq + 1 : NULL;
			if (eq == NULL && options_takes_value(name) == 1) {
				if (i + 1 >= argc) {
					snprintf(err, err_size,
						 "--%s needs a value", name);
					return EX_USAGE;
				}
				value = argv[++i];
			}
			rc = options_apply(o, name, value, err, err_size);
		} else {
			snprintf(err, err_size, "unexpected argument %.80s", arg);
			return EX_USAGE;
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}
