/*
 * log: where lines go, decided once.  Under xinetd fd 2 can be the
 * client's own socket, so a socket on fd 2 is never written to unless it
 * is the journal's stream (JOURNAL_STREAM names it); syslog takes over.
 */
#include "log.h"

#include <errno.h>
#include <sysexits.h>

#include "pump.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

enum sink { SINK_STDERR, SINK_SYSLOG, SINK_JOURNAL };

static enum sink log_sink = SINK_STDERR;
/* fd 2 may carry our lines: not the client, not closed. */
static int stderr_safe;

static int stderr_is_journal(const struct stat *st)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;

	if (stream == NULL || sscanf(stream, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	return st->st_dev == dev && st->st_ino == ino;
}

/* fd 2 shares its open file with the connection on fd 0 or fd 1. */
static int stderr_is_client(const struct stat *err)
{
	struct stat st;

	for (int fd = 0; fd <= 1; fd++)
		if (fstat(fd, &st) == 0 && st.st_dev == err->st_dev &&
		    st.st_ino == err->st_ino)
			return 1;
	return 0;
}

void log_init(enum log_target target)
{
	struct stat st;
	int have_stderr = fstat(2, &st) == 0;
	int journal = have_stderr && S_ISSOCK(st.st_mode) &&
		      stderr_is_journal(&st);

	stderr_safe = have_stderr && (journal || (!S_ISSOCK(st.st_mode) &&
						   !stderr_is_client(&st)));
	switch (target) {
	case LOG_TO_SYSLOG:
		log_sink = SINK_SYSLOG;
		break;
	case LOG_TO_JOURNAL:
		log_sink = SINK_JOURNAL;
		break;
	case LOG_TO_STDERR:
		/* Asked for, but never onto the client's own socket. */
		log_sink = have_stderr && !stderr_is_client(&st) ? SINK_STDERR
								  : SINK_SYSLOG;
		break;
	case LOG_TO_AUTO:
		log_sink = journal ? SINK_JOURNAL
			   : stderr_safe ? SINK_STDERR : SINK_SYSLOG;
		break;
	}
	openlog("tlsmux", LOG_PID, LOG_DAEMON);
}

void log_init_command(void)
{
	log_sink = SINK_STDERR;
}

/* Peer-controlled text (SNI) must not forge lines or fields. */
static void log_sanitize(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			*s = '?';
}

static int journal_send(int priority, const char *message,
			const char *const *fields, size_t field_count)
{
	static int fd = -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX,
				 .sun_path = JOURNAL_SOCKET};
	char head[64];
	struct iovec iov[64];
	size_t n = 0;

	if (fd < 0)
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	snprintf(head, sizeof head, "PRIORITY=%d\nSYSLOG_IDENTIFIER=tlsmux\n",
		 priority);
	iov[n++] = (struct iovec){head, strlen(head)};
	iov[n++] = (struct iovec){"MESSAGE=", 8};
	iov[n++] = (struct iovec){(void *)message, strlen(message)};
	iov[n++] = (struct iovec){"\n", 1};
	for (size_t i = 0; i < field_count && n + 2 <= 64; i++) {
		iov[n++] = (struct iovec){(void *)fields[i], strlen(fields[i])};
		iov[n++] = (struct iovec){"\n", 1};
	}
	struct msghdr mh = {.msg_name = &sa, .msg_namelen = sizeof sa,
			    .msg_iov = iov, .msg_iovlen = n};
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

static void log_emit(int priority, const char *message,
		     const char *const *fields, size_t field_count)
{
	switch (log_sink) {
	case SINK_JOURNAL:
		if (journal_send(priority, message, fields, field_count) == 0)
			return;
		/* journald away: stderr if it is the journal's stream, else syslog. */
		if (!stderr_safe) {
			syslog(priority, "%s", message);
			return;
		}
		break;
	case SINK_SYSLOG:
		syslog(priority, "%s", message);
		return;
	case SINK_STDERR:
		break;
	}
	dprintf(2, "tlsmux[%ld]: %s\n", (long)getpid(), message);
}

static void log_vemit(int priority, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void log_vemit(int priority, const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof line, fmt, ap);
	for (char *p = line; *p != '\0'; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	log_emit(priority, line, NULL, 0);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_ERR, fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vemit(LOG_INFO, fmt, ap);
	va_end(ap);
}

static const char *or_dash(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

unsigned log_extra_fields(const struct options *o)
{
	return (o->cert_dir ? LOG_FIELD_CERT : 0) |
	       (o->alpn ? LOG_FIELD_ALPN : 0) |
	       (o->ticket_key ? LOG_FIELD_RESUMED : 0) |
	       (o->client_ca ? LOG_FIELD_CLIENT_CERT : 0);
}

/*
 * Peer-controlled text that may hold blanks (a certificate's subject):
 * every byte outside '!'..'~', and the backslash itself, as \xHH.
 */
static void log_escape(const char *in, char *out, size_t size)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)in;
	     *p != '\0' && o + 5 < size; p++) {
		if (*p < 0x21 || *p > 0x7e || *p == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
		else
			out[o++] = (char)*p;
	}
	out[o] = '\0';
}

int log_stderr_is_safe(void)
{
	return stderr_safe;
}

void log_summary(const struct log_summary *s)
{
	char sni[256], line[1400], bytes_in[24] = "-", bytes_out[24] = "-";
	char backend[256], cert[300], alpn[64], subject[300];

	snprintf(sni, sizeof sni, "%s", or_dash(s->sni));
	log_sanitize(sni);
	/* A program's path and arguments come from the configuration: one field still. */
	snprintf(backend, sizeof backend, "%s", or_dash(s->backend));
	log_sanitize(backend);
	snprintf(cert, sizeof cert, "%s", or_dash(s->cert));
	log_sanitize(cert);
	snprintf(alpn, sizeof alpn, "%s", or_dash(s->alpn));
	log_sanitize(alpn);
	log_escape(or_dash(s->client_cert), subject, sizeof subject);
	if (!s->bytes_unknown) {
		snprintf(bytes_in, sizeof bytes_in, "%llu",
			 (unsigned long long)s->bytes_in);
		snprintf(bytes_out, sizeof bytes_out, "%llu",
			 (unsigned long long)s->bytes_out);
	}
	int n = snprintf(line, sizeof line,
		 "conn client=%s path=%s backend=%s version=%s cipher=%s sni=%s"
		 " in=%s out=%s duration=%ld.%03lds closed=%s client_eof=%s"
		 " phase=%s exit=%d",
		 or_dash(s->client), or_dash(s->path), backend,
		 or_dash(s->version), or_dash(s->cipher), sni, bytes_in,
		 bytes_out, s->duration_ms / 1000,
		 s->duration_ms % 1000, or_dash(s->closed),
		 or_dash(s->client_eof), or_dash(s->phase), s->exit_code);
	/*
	 * After exit: the fields of the options this configuration sets
	 * (on every line alike), then those a connection may or may not have.
	 */
	const char *option_name[4] = {"cert", "alpn", "resumed", "client_cert"};
	const char *option_value[4] = {cert, alpn, or_dash(s->resumed), subject};
	const unsigned option_bit[4] = {LOG_FIELD_CERT, LOG_FIELD_ALPN,
					LOG_FIELD_RESUMED, LOG_FIELD_CLIENT_CERT};
	for (int i = 0; i < 4; i++)
		if ((s->extra & option_bit[i]) && n > 0 && (size_t)n < sizeof line)
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%s",
				      option_name[i], option_value[i]);
	const char *extra_name[3] = {"via", "unique_id", "program"};
	const char *extra_value[3] = {s->via, s->unique_id, s->program};
	for (int i = 0; i < 3; i++)
		if (extra_value[i] != NULL && *extra_value[i] != '\0' && n > 0 &&
		    (size_t)n < sizeof line)
			n += snprintf(line + n, sizeof line - (size_t)n, " %s=%s",
				      extra_name[i], extra_value[i]);

	if (log_sink != SINK_JOURNAL) {
		log_emit(LOG_INFO, line, NULL, 0);
		return;
	}
	char f[19][320];
	snprintf(f[0], sizeof f[0], "TLSMUX_CLIENT=%s", or_dash(s->client));
	snprintf(f[1], sizeof f[1], "TLSMUX_PATH=%s", or_dash(s->path));
	snprintf(f[2], sizeof f[2], "TLSMUX_BACKEND=%s", backend);
	snprintf(f[3], sizeof f[3], "TLSMUX_TLS_VERSION=%s", or_dash(s->version));
	snprintf(f[4], sizeof f[4], "TLSMUX_CIPHER=%s", or_dash(s->cipher));
	snprintf(f[5], sizeof f[5], "TLSMUX_SNI=%s", sni);
	snprintf(f[6], sizeof f[6], "TLSMUX_BYTES_IN=%s", bytes_in);
	snprintf(f[7], sizeof f[7], "TLSMUX_BYTES_OUT=%s", bytes_out);
	snprintf(f[8], sizeof f[8], "TLSMUX_DURATION=%ld.%03ld",
		 s->duration_ms / 1000, s->duration_ms % 1000);
	snprintf(f[9], sizeof f[9], "TLSMUX_CLOSED=%s", or_dash(s->closed));
	snprintf(f[10], sizeof f[10], "TLSMUX_PHASE=%s", or_dash(s->phase));
	snprintf(f[11], sizeof f[11], "TLSMUX_EXIT=%d", s->exit_code);
	size_t count = 12;
	const char *option_field[4] = {"TLSMUX_CERT", "TLSMUX_ALPN",
				       "TLSMUX_RESUMED", "TLSMUX_CLIENT_CERT"};
	for (int i = 0; i < 4; i++)
		if (s->extra & option_bit[i])
			snprintf(f[count++], sizeof f[0], "%s=%s", option_field[i],
				 option_value[i]);
	const char *extra_field[3] = {"TLSMUX_VIA", "TLSMUX_UNIQUE_ID",
				      "TLSMUX_PROGRAM"};
	for (int i = 0; i < 3; i++)
		if (extra_value[i] != NULL && *extra_value[i] != '\0')
			snprintf(f[count++], sizeof f[0], "%s=%s", extra_field[i],
				 extra_value[i]);
	const char *fields[19];
	for (size_t i = 0; i < count; i++)
		fields[i] = f[i];
	log_emit(LOG_INFO, line, fields, count);
}

const char *log_strerror(int err)
{
	static char text[128];

	snprintf(text, sizeof text, "%s", strerror(err));
	if (text[0] >= 'A' && text[0] <= 'Z' && !(text[1] >= 'A' && text[1] <= 'Z'))
		text[0] = (char)(text[0] - 'A' + 'a');
	return text;
}

int log_pump_result(const struct pump_result *r, long idle_ms,
		    struct log_summary *s)
{
	s->bytes_in = r->bytes_in;
	s->bytes_out = r->bytes_out;
	switch (r->reason) {
	case PUMP_DONE:
		s->closed = r->first_eof;
		s->phase = "done";
		return 0;
	case PUMP_IDLE_TIMEOUT:
		log_error("idle for %ld.%03lds: closing", idle_ms / 1000,
			  idle_ms % 1000);
		s->closed = "tlsmux";
		s->phase = "pump";
		return EX_TEMPFAIL;
	case PUMP_ERROR:
		break;
	}
	log_error("%s: %s", r->error_side,
		  r->error_text ? r->error_text : log_strerror(r->error_errno));
	s->closed = r->error_side;
	s->phase = "pump";
	return r->error_errno == EPROTO ? EX_PROTOCOL : EX_IOERR;
}
