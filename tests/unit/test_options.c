/* test_options: durations, config lines, argv and -f files, errors word for word. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "options.h"
#include "policy.h"
#include "unit.h"

#define ERR_SIZE 1024

/*
 * options_read_file keeps each file's text for the life of the process
 * (options point into it), so a LeakSanitizer build must not count it.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);

const char *__lsan_default_suppressions(void)
{
	return "leak:options_read_file\n";
}

const char *__lsan_default_options(void)
{
	return "print_suppressions=0";
}

/* ---- duration_parse ---------------------------------------------- */

static const struct {
	const char *text;
	long ms;
} durations[] = {
	{"2", 2000},		{"2s", 2000},		{"250ms", 250},
	{"1.5s", 1500},		{"0.25s", 250},		{"0.5", 500},
	{"1m", 60000},		{"1.5m", 90000},	{"1h", 3600000},
	{"1.5h", 5400000},	{"8h", 28800000},	{"0", 0},
	{"0s", 0},		{"0ms", 0},		{"10ms", 10},
	{"0.001s", 1},		{"007s", 7000},		{"86400", 86400000},
};

static const char *const bad_durations[] = {
	"", "s", "ms", "h", ".", "2x", "-1", "+1", "1.2.3", " 2s", "2s ",
	"2 s", "2S", "2sec", "2hh", "2ms5", "1e3", "0x10", "2m30s",
	"99999999999",
};

static void test_duration(size_t i)
{
	long ms = -12345;

	unit_begin("duration_parse(\"%s\") = %ld ms", durations[i].text,
		   durations[i].ms);
	CHECK_INT(duration_parse(durations[i].text, &ms), 0);
	CHECK_INT(ms, durations[i].ms);
	unit_end();
}

static void test_bad_duration(const char *text)
{
	long ms = -12345;

	unit_begin("duration_parse(\"%s\") fails", text);
	CHECK_INT(duration_parse(text, &ms), -1);
	unit_end();
}

/* ---- options_split_line ------------------------------------------ */

static const struct {
	const char *line;
	int kind;
	const char *name;
	const char *value;
} lines[] = {
	{"", 0, NULL, NULL},
	{"\n", 0, NULL, NULL},
	{"   \t  \r\n", 0, NULL, NULL},
	{"# a comment", 0, NULL, NULL},
	{"   # an indented comment\n", 0, NULL, NULL},
	{"#backend 1.2.3.4:5", 0, NULL, NULL},
	{"backend 1.2.3.4:5", 1, "backend", "1.2.3.4:5"},
	{"--backend=1.2.3.4:5", 1, "backend", "1.2.3.4:5"},
	{"  cert   /x.pem  \r\n", 1, "cert", "/x.pem"},
	{"check", 1, "check", NULL},
	{"check\r\n", 1, "check", NULL},
	{"--check   \t", 1, "check", NULL},
	{"detect-timeout=500ms", 1, "detect-timeout", "500ms"},
	{"idle-timeout = 8h\n", 1, "idle-timeout", "8h"},
	{"\tlog\tsyslog", 1, "log", "syslog"},
	{"priority NORMAL:-VERS-ALL:+VERS-TLS1.3", 1, "priority",
	 "NORMAL:-VERS-ALL:+VERS-TLS1.3"},
	{"priority  a b  c \n", 1, "priority", "a b  c"},
	{"key=/a=b.pem", 1, "key", "/a=b.pem"},
	{"key==x", 1, "key", "=x"},
	{"cert=", 1, "cert", NULL},
	{"=value", -1, NULL, NULL},
	{"  = value", -1, NULL, NULL},
	{"--", -1, NULL, NULL},
	{"--=x", -1, NULL, NULL},
	{"-- backend 1.2.3.4:5", -1, NULL, NULL},
};

static void test_split_line(size_t i)
{
	char buf[256];
	char *name = NULL, *value = NULL;

	unit_begin("options_split_line(\"%s\") = %d", lines[i].line,
		   lines[i].kind);
	snprintf(buf, sizeof buf, "%s", lines[i].line);
	int kind = options_split_line(buf, &name, &value);
	CHECK_INT(kind, lines[i].kind);
	if (kind == 1 && lines[i].kind == 1) {
		CHECK_STR(name, lines[i].name);
		CHECK_STR(value, lines[i].value);
		/* Both point into the line, which was split in place. */
		CHECK(name >= buf && name < buf + sizeof buf);
		CHECK(value == NULL || (value >= buf && value < buf + sizeof buf));
	}
	unit_end();
}

/* ---- options_parse ----------------------------------------------- */

/* options_parse over "tlsmux" and the arguments up to NULL. */
static __attribute__((sentinel)) int parse(struct options *o, char *err, ...)
{
	char *argv[64];
	int argc = 0;
	va_list ap;

	argv[argc++] = (char *)"tlsmux";
	va_start(ap, err);
	for (char *arg; (arg = va_arg(ap, char *)) != NULL;)
		argv[argc++] = arg;
	va_end(ap);
	argv[argc] = NULL;
	options_defaults(o);
	err[0] = '\0';
	return options_parse(o, argc, argv, err, ERR_SIZE);
}

static void test_defaults(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, NULL), 0);
	CHECK_INT(o.backend_count, 0);
	CHECK(o.cert == NULL && o.key == NULL && o.priority == NULL);
	CHECK_INT(o.detect_timeout_ms, 2000);
	CHECK_INT(o.handshake_timeout_ms, 10000);
	CHECK_INT(o.connect_timeout_ms, 5000);
	CHECK_INT(o.idle_timeout_ms, 3600000);
	CHECK_INT(o.on_silence, SILENCE_PLAIN);
	CHECK_INT(o.log, LOG_TO_AUTO);
	CHECK(!o.check && !o.help && !o.version);
}

static void test_backends_in_order(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, "--backend", "10.0.0.1:1",
			"--backend=[::1]:2", "--backend", "unix:/run/x.sock",
			"--backend=@abstract", NULL), 0);
	CHECK_STR(err, "");
	CHECK_INT(o.backend_count, 4);
	CHECK_STR(o.backends[0].text, "10.0.0.1:1");
	CHECK_STR(o.backends[0].host, "10.0.0.1");
	CHECK_STR(o.backends[0].port, "1");
	CHECK_STR(o.backends[1].host, "::1");
	CHECK_STR(o.backends[1].port, "2");
	CHECK_INT(o.backends[2].kind, ADDR_UNIX);
	CHECK_STR(o.backends[2].path, "/run/x.sock");
	CHECK_INT(o.backends[3].kind, ADDR_ABSTRACT);
	CHECK_STR(o.backends[3].path, "abstract");
}

static void test_every_option_both_forms(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, "--cert=/c.pem", "--key", "/k.pem",
			"--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3",
			"--detect-timeout", "500ms", "--on-silence=close",
			"--handshake-timeout=3s", "--connect-timeout", "1.5s",
			"--idle-timeout=0", "--log", "journal", "--check", NULL),
		  0);
	CHECK_STR(o.cert, "/c.pem");
	CHECK_STR(o.key, "/k.pem");
	CHECK_STR(o.priority, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	CHECK_INT(o.detect_timeout_ms, 500);
	CHECK_INT(o.on_silence, SILENCE_CLOSE);
	CHECK_INT(o.handshake_timeout_ms, 3000);
	CHECK_INT(o.connect_timeout_ms, 1500);
	CHECK_INT(o.idle_timeout_ms, 0);
	CHECK_INT(o.log, LOG_TO_JOURNAL);
	CHECK_INT(o.check, 1);

	CHECK_INT(parse(&o, err, "--on-silence", "plain", "--log=stderr", NULL),
		  0);
	CHECK_INT(o.on_silence, SILENCE_PLAIN);
	CHECK_INT(o.log, LOG_TO_STDERR);
	CHECK_INT(parse(&o, err, "--log", "syslog", NULL), 0);
	CHECK_INT(o.log, LOG_TO_SYSLOG);
	CHECK_INT(parse(&o, err, "--log=journal", "--log=auto", NULL), 0);
	CHECK_INT(o.log, LOG_TO_AUTO);
}

static void test_tls_options(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, NULL), 0);
	CHECK_INT(o.verify, VERIFY_DEFAULT);
	CHECK_INT(o.min_version, 0);
	CHECK(o.cert_dir == NULL && o.alpn == NULL && !o.strict_sni);
	CHECK_INT(parse(&o, err, "--cert-dir", "/etc/tlsmux/certs", "--strict-sni",
			"--alpn=h2,http/1.1", "--client-ca", "/ca.pem",
			"--verify=optional", "--crl", "/crl.pem",
			"--allow-cn", "gw-*", "--allow-cn=ops",
			"--allow-san", "uri:spiffe://example.org/*",
			"--ticket-key", "/tk", "--new-ticket-key=/new",
			"--ocsp", "/ocsp.der", "--min-version", "tls1.3", NULL),
		  0);
	CHECK_STR(o.cert_dir, "/etc/tlsmux/certs");
	CHECK_INT(o.strict_sni, 1);
	CHECK_STR(o.alpn, "h2,http/1.1");
	CHECK_STR(o.client_ca, "/ca.pem");
	CHECK_INT(o.verify, VERIFY_OPTIONAL);
	CHECK_STR(o.crl, "/crl.pem");
	CHECK_INT(o.allow_cn_count, 2);
	CHECK_STR(o.allow_cn[0], "gw-*");
	CHECK_STR(o.allow_cn[1], "ops");
	CHECK_INT(o.allow_san_count, 1);
	CHECK_STR(o.allow_san[0], "uri:spiffe://example.org/*");
	CHECK_STR(o.ticket_key, "/tk");
	CHECK_STR(o.new_ticket_key, "/new");
	CHECK_STR(o.ocsp, "/ocsp.der");
	CHECK_INT(o.min_version, 13);
	CHECK_INT(parse(&o, err, "--verify", "none", "--min-version=tls1.0",
			"--alpn", "a,b,c,d,e,f,g,abcdefghijklmnopqrstuvwxyz01234", NULL), 0);
	CHECK_INT(o.verify, VERIFY_NONE);
	CHECK_INT(o.min_version, 10);
	CHECK_INT(parse(&o, err, "--verify=required", "--min-version", "tls1.1", NULL), 0);
	CHECK_INT(o.verify, VERIFY_REQUIRED);
	CHECK_INT(o.min_version, 11);
	CHECK_INT(parse(&o, err, "--min-version", "tls1.2", NULL), 0);
	CHECK_INT(o.min_version, 12);
}

static void test_too_many_patterns(void)
{
	struct options o;
	char err[ERR_SIZE];
	char *argv[2 * (OPTIONS_MAX_ALLOW + 1) + 1];
	int argc = 0;

	argv[argc++] = (char *)"tlsmux";
	for (int i = 0; i <= OPTIONS_MAX_ALLOW; i++) {
		argv[argc++] = (char *)"--allow-san";
		argv[argc++] = (char *)"dns:*.example.com";
	}
	options_defaults(&o);
	CHECK_INT(options_parse(&o, argc - 2, argv, err, sizeof err), 0);
	CHECK_INT(o.allow_san_count, OPTIONS_MAX_ALLOW);
	options_defaults(&o);
	CHECK_INT(options_parse(&o, argc, argv, err, sizeof err), EX_USAGE);
	CHECK_STR(err, "--allow-san dns:*.example.com: at most 32 patterns");
}

static void test_help_and_version(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, "-h", NULL), 0);
	CHECK(o.help && !o.version);
	CHECK_INT(parse(&o, err, "--help", NULL), 0);
	CHECK(o.help && !o.version);
	CHECK_INT(parse(&o, err, "-V", NULL), 0);
	CHECK(o.version && !o.help);
	CHECK_INT(parse(&o, err, "--version", NULL), 0);
	CHECK(o.version && !o.help);
}

static void test_later_wins(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, "--cert", "/a.pem", "--cert=/b.pem",
			"--detect-timeout", "1s", "--detect-timeout", "3s",
			NULL), 0);
	CHECK_STR(o.cert, "/b.pem");
	CHECK_INT(o.detect_timeout_ms, 3000);
}

/* A value is taken from the next argument even if it looks like an option. */
static void test_value_from_next_argument(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, "--cert", "--key", NULL), 0);
	CHECK_STR(o.cert, "--key");
	CHECK(o.key == NULL);
}

struct argv_error {
	const char *what;
	const char *args[4];
	int rc;
	const char *err;
};

static const struct argv_error argv_errors[] = {
	{"unknown option", {"--nope"}, EX_USAGE, "unknown option --nope"},
	{"unknown option with =value", {"--nope=1"}, EX_USAGE,
	 "unknown option --nope"},
	{"unknown option before a word", {"--nope", "x"}, EX_USAGE,
	 "unknown option --nope"},
	{"option named with one dash", {"-backend", "x:1"}, EX_USAGE,
	 "unexpected argument -backend"},
	{"unknown short option", {"-x"}, EX_USAGE, "unexpected argument -x"},
	{"lone dash", {"-"}, EX_USAGE, "unexpected argument -"},
	{"lone double dash", {"--"}, EX_USAGE, "unexpected argument --"},
	{"bare word", {"backend"}, EX_USAGE, "unexpected argument backend"},
	{"--backend last", {"--backend"}, EX_USAGE, "--backend needs a value"},
	{"--cert last", {"--cert"}, EX_USAGE, "--cert needs a value"},
	{"--log last", {"--check", "--log"}, EX_USAGE, "--log needs a value"},
	{"--backend=", {"--backend="}, EX_USAGE, "--backend needs a value"},
	{"--backend with an empty value", {"--backend", ""}, EX_USAGE,
	 "--backend needs a value"},
	{"flag given a value", {"--check=yes"}, EX_USAGE,
	 "--check takes no value"},
	{"flag given an empty value", {"--help="}, EX_USAGE,
	 "--help takes no value"},
	{"flag and a stray word", {"--check", "yes"}, EX_USAGE,
	 "unexpected argument yes"},
	{"bad --on-silence", {"--on-silence=maybe"}, EX_USAGE,
	 "--on-silence maybe: expected plain or close"},
	{"bad --log", {"--log", "file"}, EX_USAGE,
	 "--log file: expected auto, stderr, syslog or journal"},
	{"--log is case-sensitive", {"--log=Syslog"}, EX_USAGE,
	 "--log Syslog: expected auto, stderr, syslog or journal"},
	{"bad --detect-timeout", {"--detect-timeout", "2x"}, EX_USAGE,
	 "--detect-timeout 2x: expected a duration such as 2s or 250ms"},
	{"negative --idle-timeout", {"--idle-timeout=-1"}, EX_USAGE,
	 "--idle-timeout -1: expected a duration such as 2s or 250ms"},
	{"bad --connect-timeout", {"--connect-timeout", "1.2.3"}, EX_USAGE,
	 "--connect-timeout 1.2.3: expected a duration such as 2s or 250ms"},
	{"bad --handshake-timeout", {"--handshake-timeout", "s"}, EX_USAGE,
	 "--handshake-timeout s: expected a duration such as 2s or 250ms"},
	{"backend without port", {"--backend", "127.0.0.1"}, EX_USAGE,
	 "--backend 127.0.0.1: expected host:port"},
	{"backend with port 0", {"--backend=[::1]:0"}, EX_USAGE,
	 "--backend [::1]:0: port must be 1-65535"},
	{"backend IPv6 without brackets", {"--backend", "::1:80"}, EX_USAGE,
	 "--backend ::1:80: IPv6 addresses need brackets: [addr]:port"},
	{"-f last", {"-f"}, EX_USAGE, "-f needs a file"},
	{"--f is not -f", {"--f", "x"}, EX_USAGE, "unknown option --f"},
	{"long unknown option",
	 {"--aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1"},
	 EX_USAGE,
	 "unknown option --aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1"},
	{"bad --verify", {"--verify", "yes"}, EX_USAGE,
	 "--verify yes: expected none, optional or required"},
	{"bad --min-version", {"--min-version=1.2"}, EX_USAGE,
	 "--min-version 1.2: expected tls1.2 or tls1.3 (tls1.0, tls1.1 for legacy clients)"},
	{"--min-version ssl3", {"--min-version", "ssl3.0"}, EX_USAGE,
	 "--min-version ssl3.0: expected tls1.2 or tls1.3 (tls1.0, tls1.1 for legacy clients)"},
	{"--alpn with an empty name", {"--alpn", "h2,,http/1.1"}, EX_USAGE,
	 "--alpn h2,,http/1.1: expected up to 8 names of 1 to 31 bytes, separated by commas"},
	{"--alpn ending in a comma", {"--alpn=h2,"}, EX_USAGE,
	 "--alpn h2,: expected up to 8 names of 1 to 31 bytes, separated by commas"},
	{"--alpn with a blank", {"--alpn", "h2, http/1.1"}, EX_USAGE,
	 "--alpn h2, http/1.1: protocol names are printable ASCII"},
	{"--alpn name too long", {"--alpn", "h2,abcdefghijklmnopqrstuvwxyz012345"},
	 EX_USAGE,
	 "--alpn h2,abcdefghijklmnopqrstuvwxyz012345: expected up to 8 names of 1 to 31 bytes, separated by commas"},
	{"--alpn with 9 names", {"--alpn", "a,b,c,d,e,f,g,h,i"}, EX_USAGE,
	 "--alpn a,b,c,d,e,f,g,h,i: expected up to 8 names of 1 to 31 bytes, separated by commas"},
	{"--strict-sni given a value", {"--strict-sni=yes"}, EX_USAGE,
	 "--strict-sni takes no value"},
	{"--cert-dir last", {"--cert-dir"}, EX_USAGE, "--cert-dir needs a value"},
};

static void test_argv_error(const struct argv_error *e)
{
	struct options o;
	char err[ERR_SIZE];
	const char *a[4] = {e->args[0], e->args[1], e->args[2], e->args[3]};

	unit_begin("argv, %s: exit %d, \"%s\"", e->what, e->rc, e->err);
	CHECK_INT(parse(&o, err, a[0], a[1], a[2], a[3], NULL), e->rc);
	CHECK_STR(err, e->err);
	unit_end();
}

/* Parsing stops at the first bad argument. */
static void test_stops_at_first_error(void)
{
	struct options o;
	char err[ERR_SIZE];

	CHECK_INT(parse(&o, err, "--nope", "--cert", "/c.pem", NULL), EX_USAGE);
	CHECK(o.cert == NULL);
}

/* The reason is cut to fit err, and always terminated. */
static void test_small_error_buffer(void)
{
	struct options o;
	char err[16];
	char *argv[] = {(char *)"tlsmux", (char *)"--on-silence=maybe", NULL};

	memset(err, 'x', sizeof err);
	options_defaults(&o);
	CHECK_INT(options_parse(&o, 2, argv, err, sizeof err), EX_USAGE);
	CHECK_STR(err, "--on-silence ma");
}

static void test_too_many_backends(void)
{
	struct options o;
	char err[ERR_SIZE], text[OPTIONS_MAX_BACKENDS + 1][32];
	char *argv[2 * (OPTIONS_MAX_BACKENDS + 1) + 1];
	int argc = 0;

	CHECK_INT(OPTIONS_MAX_BACKENDS, 16);
	argv[argc++] = (char *)"tlsmux";
	for (int i = 0; i < OPTIONS_MAX_BACKENDS; i++) {
		snprintf(text[i], sizeof text[i], "10.0.0.%d:%d", i + 1, i + 1);
		argv[argc++] = (char *)"--backend";
		argv[argc++] = text[i];
	}
	options_defaults(&o);
	CHECK_INT(options_parse(&o, argc, argv, err, sizeof err), 0);
	CHECK_INT(o.backend_count, 16);
	CHECK_STR(o.backends[15].text, "10.0.0.16:16");

	snprintf(text[16], sizeof text[16], "10.0.0.17:17");
	argv[argc++] = (char *)"--backend";
	argv[argc++] = text[16];
	options_defaults(&o);
	CHECK_INT(options_parse(&o, argc, argv, err, sizeof err), EX_USAGE);
	CHECK_STR(err, "--backend 10.0.0.17:17: at most 16 backends");
	CHECK_INT(o.backend_count, 16);
}

/* ---- -f FILE ----------------------------------------------------- */

static char tmpdir[64];
static char *tmp_paths[128];
static size_t tmp_count;

/* Writes body to a new file in the scratch directory; returns its path. */
static const char *write_file(const char *name, const char *body, size_t len)
{
	char *path = malloc(strlen(tmpdir) + strlen(name) + 2);

	if (path == NULL || tmp_count == sizeof tmp_paths / sizeof tmp_paths[0]) {
		perror("test_options");
		exit(2);
	}
	sprintf(path, "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "wb");
	if (f == NULL || fwrite(body, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	tmp_paths[tmp_count++] = path;
	return path;
}

static const char *write_text(const char *name, const char *body)
{
	return write_file(name, body, strlen(body));
}

static void tmp_setup(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof tmpdir, "%s/test_options.XXXXXX",
		 base != NULL && *base != '\0' && strlen(base) < 32 ? base :
								      "/tmp");
	if (mkdtemp(tmpdir) == NULL) {
		perror(tmpdir);
		exit(2);
	}
}

static void tmp_cleanup(void)
{
	for (size_t i = 0; i < tmp_count; i++) {
		unlink(tmp_paths[i]);
		free(tmp_paths[i]);
	}
	rmdir(tmpdir);
}

static void test_file_applies_options(void)
{
	struct options o;
	char err[ERR_SIZE];
	const char *conf = write_text("all.conf",
		"# /etc/tlsmux/tlsmux.conf\n"
		"\n"
		"backend 127.0.0.1:9000\n"
		"--backend=[::1]:9000\r\n"
		"   backend   unix:/run/fixgw/socket   \n"
		"cert /etc/tlsmux/cert.pem\n"
		"key=/etc/tlsmux/key.pem\n"
		"\tpriority NORMAL:-VERS-ALL:+VERS-TLS1.3\n"
		"detect-timeout=500ms\n"
		"on-silence close\n"
		"handshake-timeout = 3s\n"
		"connect-timeout 1.5s\n"
		"idle-timeout 8h\n"
		"  # indented comment\n"
		"log syslog\n"
		"strict-sni\n"
		"accept-proxy");	/* no newline at the end */

	CHECK_INT(parse(&o, err, "-f", conf, NULL), 0);
	CHECK_STR(err, "");
	CHECK_INT(o.backend_count, 3);
	CHECK_STR(o.backends[0].text, "127.0.0.1:9000");
	CHECK_STR(o.backends[1].host, "::1");
	CHECK_STR(o.backends[2].path, "/run/fixgw/socket");
	/* The values outlive the parse: they point into the kept text. */
	CHECK_STR(o.cert, "/etc/tlsmux/cert.pem");
	CHECK_STR(o.key, "/etc/tlsmux/key.pem");
	CHECK_STR(o.priority, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
	CHECK_INT(o.detect_timeout_ms, 500);
	CHECK_INT(o.on_silence, SILENCE_CLOSE);
	CHECK_INT(o.handshake_timeout_ms, 3000);
	CHECK_INT(o.connect_timeout_ms, 1500);
	CHECK_INT(o.idle_timeout_ms, 8 * 3600000L);
	CHECK_INT(o.log, LOG_TO_SYSLOG);
	CHECK_INT(o.strict_sni, 1);
	CHECK_INT(o.accept_proxy, 1);
}

/* The file is read where -f stands: later arguments win. */
static void test_file_read_in_place(void)
{
	struct options o;
	char err[ERR_SIZE];
	const char *conf = write_text("place.conf",
		"backend 10.0.0.2:2\n"
		"cert /from-file.pem\n"
		"log syslog\n");

	CHECK_INT(parse(&o, err, "--cert", "/before.pem", "--backend",
			"10.0.0.1:1", "-f", conf, "--backend", "10.0.0.3:3",
			"--log", "stderr", NULL), 0);
	CHECK_STR(o.cert, "/from-file.pem");
	CHECK_INT(o.log, LOG_TO_STDERR);
	CHECK_INT(o.backend_count, 3);
	CHECK_STR(o.backends[0].text, "10.0.0.1:1");
	CHECK_STR(o.backends[1].text, "10.0.0.2:2");
	CHECK_STR(o.backends[2].text, "10.0.0.3:3");

	CHECK_INT(parse(&o, err, "-f", conf, "--cert", "/after.pem", NULL), 0);
	CHECK_STR(o.cert, "/after.pem");
}

static void test_file_empty(void)
{
	struct options o;
	char err[ERR_SIZE];
	const char *conf = write_text("empty.conf", "");
	const char *blank = write_text("blank.conf", "\n\n# only\n\r\n  \n");

	CHECK_INT(parse(&o, err, "-f", conf, "-f", blank, NULL), 0);
	CHECK_INT(o.backend_count, 0);
	CHECK_INT(o.detect_timeout_ms, 2000);
}

struct file_error {
	const char *what;
	const char *body;
	int line;
	int rc;
	const char *reason;
};

static const struct file_error file_errors[] = {
	{"bad duration after comments",
	 "# comment\n\nbackend 127.0.0.1:1\ndetect-timeout 2x\n", 4, EX_USAGE,
	 "--detect-timeout 2x: expected a duration such as 2s or 250ms"},
	{"lines counted across CRLF and blanks",
	 "\r\n# x\r\n\r\nlog stdout\r\n", 4, EX_USAGE,
	 "--log stdout: expected auto, stderr, syslog or journal"},
	{"malformed line", "strict-sni\n=value\n", 2, EX_USAGE, "malformed line"},
	{"unknown option", "strict-sni\nstrict-sni\nstrict-sni\nnope 1\n", 4, EX_USAGE,
	 "unknown option --nope"},
	{"flag given a value", "strict-sni yes\n", 1, EX_USAGE,
	 "--strict-sni takes no value"},
	{"option without value", "backend\n", 1, EX_USAGE,
	 "--backend needs a value"},
	{"option with blank value", "cert   \t\r\n", 1, EX_USAGE,
	 "--cert needs a value"},
	{"bad backend", "backend 127.0.0.1:0\n", 1, EX_USAGE,
	 "--backend 127.0.0.1:0: port must be 1-65535"},
	{"bad on-silence", "on-silence=drop\n", 1, EX_USAGE,
	 "--on-silence drop: expected plain or close"},
	{"f without a file", "f\n", 1, EX_USAGE, "-f needs a file"},
	{"error on the last line without newline", "strict-sni\nlog=x", 2, EX_USAGE,
	 "--log x: expected auto, stderr, syslog or journal"},
};

static void test_file_error(size_t i)
{
	const struct file_error *e = &file_errors[i];
	struct options o;
	char err[ERR_SIZE], name[32], want[ERR_SIZE];

	unit_begin("-f, %s: exit %d, \"config FILE line %d: %s\"", e->what,
		   e->rc, e->line, e->reason);
	snprintf(name, sizeof name, "error%zu.conf", i);
	const char *conf = write_text(name, e->body);
	snprintf(want, sizeof want, "config %s line %d: %s", conf, e->line,
		 e->reason);
	CHECK_INT(parse(&o, err, "-f", conf, NULL), e->rc);
	CHECK_STR(err, want);
	unit_end();
}

static void test_file_missing(void)
{
	struct options o;
	char err[ERR_SIZE], path[128], want[ERR_SIZE];

	snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
	snprintf(want, sizeof want,
		 "config %s: cannot read: no such file or directory", path);
	CHECK_INT(parse(&o, err, "-f", path, NULL), EX_NOINPUT);
	CHECK_STR(err, want);
}

/* A directory opens, and then fails to read. */
static void test_file_is_directory(void)
{
	struct options o;
	char err[ERR_SIZE], want[ERR_SIZE];

	snprintf(want, sizeof want, "config %s: cannot read: is a directory",
		 tmpdir);
	CHECK_INT(parse(&o, err, "-f", tmpdir, NULL), EX_NOINPUT);
	CHECK_STR(err, want);
}

static void test_file_not_text(void)
{
	struct options o;
	char err[ERR_SIZE], want[ERR_SIZE];
	const char *conf = write_file("nul.conf", "strict-sni\n\0\n", 13);

	snprintf(want, sizeof want, "config %s: not a text file", conf);
	CHECK_INT(parse(&o, err, "-f", conf, NULL), EX_USAGE);
	CHECK_STR(err, want);
}

/* Up to 1 MiB is read; one byte more is refused. */
static void test_file_size_limit(void)
{
	struct options o;
	char err[ERR_SIZE], want[ERR_SIZE];
	size_t size = 1 << 20;
	char *body = malloc(size + 1);

	if (body == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(body, ' ', size + 1);
	memcpy(body, "# padding", 9);
	memcpy(body + size - 12, "\nstrict-sni\n", 12);
	const char *conf = write_file("mib.conf", body, size);
	CHECK_INT(parse(&o, err, "-f", conf, NULL), 0);
	CHECK_INT(o.strict_sni, 1);

	memcpy(body + size - 11, "strict-sni\n ", 12);
	conf = write_file("big.conf", body, size + 1);
	snprintf(want, sizeof want, "config %s: larger than 1 MiB", conf);
	CHECK_INT(parse(&o, err, "-f", conf, NULL), EX_USAGE);
	CHECK_STR(err, want);
	free(body);
}

static void test_file_nested(void)
{
	struct options o;
	char err[ERR_SIZE], body[512];
	const char *inner = write_text("inner.conf",
		"backend 10.0.0.2:2\n"
		"cert /inner.pem\n"
		"log syslog\n");

	snprintf(body, sizeof body,
		 "backend 10.0.0.1:1\n"
		 "f %s\n"
		 "--f=%s\n"
		 "log journal\n", inner, inner);
	const char *outer = write_text("outer.conf", body);

	CHECK_INT(parse(&o, err, "-f", outer, NULL), 0);
	CHECK_STR(err, "");
	CHECK_INT(o.backend_count, 3);
	CHECK_STR(o.backends[0].text, "10.0.0.1:1");
	CHECK_STR(o.backends[1].text, "10.0.0.2:2");
	CHECK_STR(o.backends[2].text, "10.0.0.2:2");
	CHECK_STR(o.cert, "/inner.pem");
	CHECK_INT(o.log, LOG_TO_JOURNAL);
}

/* An error inside an included file names both files and both lines. */
static void test_file_nested_errors(void)
{
	struct options o;
	char err[ERR_SIZE], body[512], want[ERR_SIZE], missing[128];
	const char *bad = write_text("bad-inner.conf", "strict-sni\n\nnope\n");

	snprintf(body, sizeof body, "# outer\nf %s\n", bad);
	const char *outer = write_text("bad-outer.conf", body);
	snprintf(want, sizeof want,
		 "config %s line 2: config %s line 3: unknown option --nope",
		 outer, bad);
	CHECK_INT(parse(&o, err, "-f", outer, NULL), EX_USAGE);
	CHECK_STR(err, want);

	snprintf(missing, sizeof missing, "%s/no-such.conf", tmpdir);
	snprintf(body, sizeof body, "f %s\n", missing);
	outer = write_text("missing-outer.conf", body);
	snprintf(want, sizeof want,
		 "config %s line 1: config %s: cannot read: no such file or directory",
		 outer, missing);
	CHECK_INT(parse(&o, err, "-f", outer, NULL), EX_NOINPUT);
	CHECK_STR(err, want);
}

/* Four levels of -f inside -f work; a fifth, or a loop, is refused. */
static void test_file_nesting_depth(void)
{
	struct options o;
	char err[ERR_SIZE], name[32], body[256], want[ERR_SIZE];
	const char *path[7];

	path[6] = write_text("level6.conf", "cert /deepest.pem\n");
	for (int i = 5; i >= 0; i--) {
		snprintf(name, sizeof name, "level%d.conf", i);
		snprintf(body, sizeof body, "f %s\n", path[i + 1]);
		path[i] = write_text(name, body);
	}
	/* level2 -> level6 is four nested files. */
	CHECK_INT(parse(&o, err, "-f", path[2], NULL), 0);
	CHECK_STR(o.cert, "/deepest.pem");

	size_t n = 0;
	for (int i = 1; i <= 5; i++)
		n += (size_t)snprintf(want + n, sizeof want - n,
				      "config %s line 1: ", path[i]);
	snprintf(want + n, sizeof want - n, "%s: -f nested too deeply",
		 path[6]);
	CHECK_INT(parse(&o, err, "-f", path[1], NULL), EX_USAGE);
	CHECK_STR(err, want);

	/* A file that includes itself stops at the same depth. */
	char self[128];
	snprintf(self, sizeof self, "%s/self.conf", tmpdir);
	snprintf(body, sizeof body, "f %s\n", self);
	write_text("self.conf", body);
	n = 0;
	for (int i = 0; i < 5; i++)
		n += (size_t)snprintf(want + n, sizeof want - n,
				      "config %s line 1: ", self);
	snprintf(want + n, sizeof want - n, "%s: -f nested too deeply", self);
	CHECK_INT(parse(&o, err, "-f", self, NULL), EX_USAGE);
	CHECK_STR(err, want);
}

static void test_file_too_many_backends(void)
{
	struct options o;
	char err[ERR_SIZE], body[1024], want[ERR_SIZE];
	size_t n = 0;

	for (int i = 1; i <= 17; i++)
		n += (size_t)snprintf(body + n, sizeof body - n,
				      "backend 10.0.0.%d:%d\n", i, i);
	const char *conf = write_text("seventeen.conf", body);
	snprintf(want, sizeof want,
		 "config %s line 17: --backend 10.0.0.17:17: at most 16 backends",
		 conf);
	CHECK_INT(parse(&o, err, "-f", conf, NULL), EX_USAGE);
	CHECK_STR(err, want);

	/* The limit counts backends from argv and files together. */
	conf = write_text("one.conf", "backend 10.0.0.99:99\n");
	CHECK_INT(parse(&o, err, "--backend", "a:1", "--backend", "a:2",
			"--backend", "a:3", "--backend", "a:4", "--backend",
			"a:5", "--backend", "a:6", "--backend", "a:7",
			"--backend", "a:8", "--backend", "a:9", "--backend",
			"a:10", "--backend", "a:11", "--backend", "a:12",
			"--backend", "a:13", "--backend", "a:14", "--backend",
			"a:15", "--backend", "a:16", "-f", conf, NULL),
		  EX_USAGE);
	snprintf(want, sizeof want,
		 "config %s line 1: --backend 10.0.0.99:99: at most 16 backends",
		 conf);
	CHECK_STR(err, want);
}

/*
 * options_defaults sets what the table's defaults say: applying each
 * shown default of a duration or a choice changes nothing.  Two stay
 * unset and are decided later: --verify (it depends on --client-ca) and
 * --min-version (policy_priority's floor).
 */
static void test_table_defaults(void)
{
	struct options d, o;
	char err[ERR_SIZE];

	options_defaults(&d);
	for (size_t i = 0; i < options_table_size; i++) {
		const struct option_spec *spec = &options_table[i];
		const char *text = options_spec_default(spec);
		if (text == NULL || strcmp(spec->name, "verify") == 0 ||
		    strcmp(spec->name, "min-version") == 0 ||
		    (spec->kind != OPTION_DURATION && spec->kind != OPTION_CHOICE))
			continue;
		options_defaults(&o);
		CHECK_INT(options_apply(&o, spec->name, text, err, sizeof err), 0);
		if (spec->kind == OPTION_DURATION)
			CHECK_INT(*(long *)((char *)&o + spec->field),
				  *(long *)((char *)&d + spec->field));
		else
			CHECK_INT(*(int *)((char *)&o + spec->field),
				  *(int *)((char *)&d + spec->field));
	}
	CHECK_INT(d.verify, VERIFY_DEFAULT);
	CHECK_INT(d.min_version, 0);
	CHECK_INT(options_apply(&o, "min-version", "tls1.2", err, sizeof err), 0);
	CHECK_INT(o.min_version, POLICY_MIN_DEFAULT);
}

/* Each kind agrees with the doc: flags show no argument, the rest one. */
static void test_table_arguments(void)
{
	for (size_t i = 0; i < options_table_size; i++) {
		const struct option_spec *spec = &options_table[i];
		CHECK_INT(spec->kind == OPTION_FLAG,
			  options_spec_argument(spec) == NULL);
		CHECK_INT(options_find(spec->name) == spec, 1);
	}
}

/*
 * The table's config column: the actions (they exit) only on the command
 * line, every other option in a file too.  A file naming an action is
 * refused with its path and line; any other option is never refused so.
 */
static const char *const command_line_only[] = {
	"new-ticket-key", "check", "help", "version",
};

static int is_command_line_only(const char *name)
{
	for (size_t i = 0; i < sizeof command_line_only / sizeof command_line_only[0]; i++)
		if (strcmp(name, command_line_only[i]) == 0)
			return 1;
	return 0;
}

static void test_config_column(size_t i)
{
	const struct option_spec *spec = &options_table[i];
	struct options o;
	char err[ERR_SIZE], name[64], body[128], want[ERR_SIZE];
	int only = is_command_line_only(spec->name);

	unit_begin("-f, --%s: %s", spec->name,
		   only ? "refused, command line only" : "allowed");
	CHECK_INT(spec->in_config, !only);
	snprintf(name, sizeof name, "column-%zu.conf", i);
	snprintf(body, sizeof body, "backend 127.0.0.1:1\n%s%s\n", spec->name,
		 spec->kind == OPTION_FLAG ? "" : " /x");
	const char *conf = write_text(name, body);
	int rc = parse(&o, err, "-f", conf, NULL);
	if (only) {
		snprintf(want, sizeof want,
			 "config %s line 2: --%s is for the command line only, not a config file",
			 conf, spec->name);
		CHECK_INT(rc, EX_USAGE);
		CHECK_STR(err, want);
		/* The same option on the command line is taken. */
		CHECK_INT(parse(&o, err, spec->kind == OPTION_FLAG ? "--help" : "--new-ticket-key=/x",
				NULL), 0);
	} else {
		CHECK(strstr(err, "command line only") == NULL);
	}
	unit_end();
}

/* --check's values: nothing at the defaults, each kind shown as given. */
static void test_check_values(void)
{
	struct options o;
	char err[ERR_SIZE], value[256];
	struct {
		const char *name;
		size_t index;
		const char *shown;
	} want[] = {
		{"backend", 1, "[::1]:2"},
		{"priority", 0, "compatible"},
		{"min-version", 0, "tls1.3"},
		{"strict-sni", 0, "yes"},
		{"alpn", 0, "h2,http/1.1"},
		{"allow-cn", 1, "ops"},
		{"detect-timeout", 0, "500ms"},
		{"handshake-timeout", 0, "1500ms"},
		{"connect-timeout", 0, "90s"},
		{"idle-timeout", 0, "0s"},
		{"on-silence", 0, "close"},
		{"route", 0, "sni=*.example.com -> 127.0.0.1:3"},
		{"route", 1, "alpn=h2 -> unix:/run/h2"},
		{"exec", 0, "/bin/cat -u"},
		{"send-proxy", 0, "v2"},
		{"proxy-tlv", 0, "unique-id,crc32c"},
		{"proxy-from", 0, "10.0.0.0/8"},
		{"proxy-from", 1, "unix"},
		{"proxy-from", 2, "2001:db8::/32"},
	};

	CHECK_INT(parse(&o, err, NULL), 0);
	for (size_t i = 0; i < options_table_size; i++)
		CHECK_INT(options_value_count(&o, &options_table[i]), 0);
	/* The defaults given explicitly are still the defaults. */
	CHECK_INT(parse(&o, err, "--detect-timeout=2s", "--idle-timeout=60m",
			"--on-silence=plain", "--log=auto", "--send-proxy=none",
			"--proxy-tlv=none", NULL), 0);
	for (size_t i = 0; i < options_table_size; i++)
		CHECK_INT(options_value_count(&o, &options_table[i]), 0);

	CHECK_INT(parse(&o, err, "--backend=10.0.0.1:1", "--backend=[::1]:2",
			"--priority=compatible", "--min-version=tls1.3",
			"--strict-sni", "--alpn=h2,http/1.1", "--allow-cn=gw-*",
			"--allow-cn=ops", "--detect-timeout=0.5s",
			"--handshake-timeout=1.5s", "--connect-timeout=1.5m",
			"--idle-timeout=0", "--on-silence=close",
			"--route=sni=*.example.com=127.0.0.1:3",
			"--route=alpn=h2=unix:/run/h2", "--exec=/bin/cat -u",
			"--send-proxy=v2", "--proxy-tlv=crc32c,unique-id",
			"--proxy-from=10.0.0.0/8,unix", "--proxy-from=2001:db8::/32",
			NULL), 0);
	CHECK_STR(err, "");
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct option_spec *spec = options_find(want[i].name);
		CHECK(spec != NULL && options_value_count(&o, spec) > want[i].index);
		if (spec == NULL)
			continue;
		options_format_value(&o, spec, want[i].index, value, sizeof value);
		CHECK_STR(value, want[i].shown);
	}
	CHECK_INT(options_value_count(&o, options_find("backend")), 2);
	CHECK_INT(options_value_count(&o, options_find("proxy-from")), 3);
	CHECK_INT(options_value_count(&o, options_find("log")), 0);
	/* Durations shown read back as themselves. */
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++) {
		const struct option_spec *spec = options_find("idle-timeout");
		long back = -1;
		o.idle_timeout_ms = durations[i].ms;
		options_format_value(&o, spec, 0, value, sizeof value);
		CHECK_INT(duration_parse(value, &back), 0);
		CHECK_INT(back, durations[i].ms);
	}
}

/* The check column: every option has one, and the actions are never shown. */
static void test_check_column(void)
{
	for (size_t i = 0; i < options_table_size; i++) {
		const struct option_spec *spec = &options_table[i];
		CHECK(spec->check <= CHECK_ACTION);
		CHECK_INT(spec->check == CHECK_ACTION, !spec->in_config);
	}
	CHECK_INT(options_find("key")->check, CHECK_FACTS);
	CHECK_INT(options_find("ticket-key")->check, CHECK_FACTS);
	CHECK_INT(options_find("backend")->check, CHECK_DESTINATION);
	CHECK_INT(options_find("idle-timeout")->check, CHECK_SETTING);
}

/* For tests/options-docs.bats: name, argument, default, config, short. */
static void dump_table(void)
{
	for (size_t i = 0; i < options_table_size; i++) {
		const struct option_spec *spec = &options_table[i];
		const char *argument = options_spec_argument(spec);
		const char *default_text = options_spec_default(spec);
		printf("%s\t%s\t%s\t%s\t%c\n", spec->name,
		       argument ? argument : "-",
		       default_text ? default_text : "-",
		       spec->in_config ? "config" : "-",
		       spec->short_name ? spec->short_name : '-');
	}
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--table") == 0) {
		dump_table();
		return 0;
	}
	tmp_setup();
	UNIT_RUN(test_table_defaults);
	UNIT_RUN(test_table_arguments);
	for (size_t i = 0; i < sizeof durations / sizeof durations[0]; i++)
		test_duration(i);
	for (size_t i = 0; i < sizeof bad_durations / sizeof bad_durations[0];
	     i++)
		test_bad_duration(bad_durations[i]);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		test_split_line(i);
	UNIT_RUN(test_defaults);
	UNIT_RUN(test_backends_in_order);
	UNIT_RUN(test_every_option_both_forms);
	UNIT_RUN(test_help_and_version);
	UNIT_RUN(test_tls_options);
	UNIT_RUN(test_too_many_patterns);
	UNIT_RUN(test_later_wins);
	UNIT_RUN(test_value_from_next_argument);
	for (size_t i = 0; i < sizeof argv_errors / sizeof argv_errors[0]; i++)
		test_argv_error(&argv_errors[i]);
	UNIT_RUN(test_stops_at_first_error);
	UNIT_RUN(test_small_error_buffer);
	UNIT_RUN(test_too_many_backends);
	UNIT_RUN(test_file_applies_options);
	UNIT_RUN(test_file_read_in_place);
	UNIT_RUN(test_file_empty);
	for (size_t i = 0; i < sizeof file_errors / sizeof file_errors[0]; i++)
		test_file_error(i);
	UNIT_RUN(test_file_missing);
	UNIT_RUN(test_file_is_directory);
	UNIT_RUN(test_file_not_text);
	UNIT_RUN(test_file_size_limit);
	UNIT_RUN(test_file_nested);
	UNIT_RUN(test_file_nested_errors);
	UNIT_RUN(test_file_nesting_depth);
	UNIT_RUN(test_file_too_many_backends);
	for (size_t i = 0; i < options_table_size; i++)
		test_config_column(i);
	UNIT_RUN(test_check_values);
	UNIT_RUN(test_check_column);
	tmp_cleanup();
	return unit_summary();
}
