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
#include <time.h>
#include <unistd.h>

#define JOURNAL_SOCKET "/run/systemd/journal/socket"
/* The longest line: the summary, with every optional field. */
#define LOG_LINE_MAX 2048

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

	int client = have_stderr && !journal && stderr_is_client(&st);

	stderr_safe = have_stderr && (journal || (!S_ISSOCK(st.st_mode) && !client));
	switch (target) {
	case LOG_TO_SYSLOG:
		log_sink = SINK_SYSLOG;
		break;
	case LOG_TO_JOURNAL:
		log_sink = SINK_JOURNAL;
		break;
	case LOG_TO_STDERR:
		/* Asked for, but never onto the client's own socket. */
		log_sink = have_stderr && !client ? SINK_STDERR : SINK_SYSLOG;
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

static int journal_fd = -1;

static int journal_open(void)
{
	if (journal_fd < 0)
		journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return journal_fd;
}

static int journal_send(int priority, const char *message,
			const char *const *fields, size_t field_count)
{
	int fd = journal_open();
	struct sockaddr_un sa = {.sun_family = AF_UNIX,
				 .sun_path = JOURNAL_SOCKET};
	char head[64];
	struct iovec iov[64];
	size_t n = 0;

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
	/*
	 * One write(2), no stdio: dprintf would ask a character device
	 * whether it is a terminal (TCGETS), which the relay's seccomp
	 * filter refuses.
	 */
	char line[LOG_LINE_MAX + 64];
	int len = snprintf(line, sizeof line, "tlsmux[%ld]: %s\n", (long)getpid(),
			   message);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof line) {
		len = (int)sizeof line - 1;
		line[len - 1] = '\n';
	}
	if (write(2, line, (size_t)len) < 0)
		return;
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

/* Debug lines go to the journal or syslog, which filter by priority, never to stderr. */
void log_debug(const char *fmt, ...)
{
	va_list ap;

	if (log_sink == SINK_STDERR)
		return;
	va_start(ap, fmt);
	log_vemit(LOG_DEBUG, fmt, ap);
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

int log_stderr_is_safe(void)
{
	return stderr_safe;
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

void log_summary(const struct log_summary *s)
{
	char sni[256], line[LOG_LINE_MAX], bytes_in[24] = "-", bytes_out[24] = "-";
	char backend[256], cert[300], alpn[256], subject[300];

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
	snprintf(line, sizeof line,
		 "conn client=%s path=%s backend=%s version=%s cipher=%s sni=%s"
		 " in=%s out=%s duration=%ld.%03lds closed=%s client_eof=%s"
		 " phase=%s exit=%d",
		 or_dash(s->client), or_dash(s->path), backend,
		 or_dash(s->version), or_dash(s->cipher), sni, bytes_in,
		 bytes_out, s->duration_ms / 1000,
		 s->duration_ms % 1000, or_dash(s->closed),
		 or_dash(s->client_eof), or_dash(s->phase), s->exit_code);
	/*
	 * After exit=, in this order: the fields the configuration asks for
	 * (present on every line, "-" when empty), then those a connection
	 * may add (present only when set).
	 */
	const struct {
		const char *name, *journal, *value;
		int shown;
	} tail[] = {
		{"cert", "TLSMUX_CERT", cert, s->extra & LOG_FIELD_CERT},
		{"alpn", "TLSMUX_ALPN", alpn, s->extra & LOG_FIELD_ALPN},
		{"resumed", "TLSMUX_RESUMED", or_dash(s->resumed),
		 s->extra & LOG_FIELD_RESUMED},
		{"client_cert", "TLSMUX_CLIENT_CERT", subject,
		 s->extra & LOG_FIELD_CLIENT_CERT},
		{"via", "TLSMUX_VIA", s->via, s->via != NULL && *s->via != '\0'},
		{"unique_id", "TLSMUX_UNIQUE_ID", s->unique_id,
		 s->unique_id != NULL && *s->unique_id != '\0'},
		{"program", "TLSMUX_PROGRAM", s->program,
		 s->program != NULL && *s->program != '\0'},
	};
	enum { TAIL_COUNT = sizeof tail / sizeof tail[0] };
	for (size_t i = 0; i < TAIL_COUNT; i++) {
		size_t len = strlen(line);
		if (tail[i].shown)
			snprintf(line + len, sizeof line - len, " %s=%s",
				 tail[i].name, tail[i].value);
	}

	if (log_sink != SINK_JOURNAL) {
		log_emit(LOG_INFO, line, NULL, 0);
		return;
	}
	char f[12 + TAIL_COUNT][320];
	size_t n = 0;
	snprintf(f[n++], sizeof f[0], "TLSMUX_CLIENT=%s", or_dash(s->client));
	snprintf(f[n++], sizeof f[0], "TLSMUX_PATH=%s", or_dash(s->path));
	snprintf(f[n++], sizeof f[0], "TLSMUX_BACKEND=%s", backend);
	snprintf(f[n++], sizeof f[0], "TLSMUX_TLS_VERSION=%s", or_dash(s->version));
	snprintf(f[n++], sizeof f[0], "TLSMUX_CIPHER=%s", or_dash(s->cipher));
	snprintf(f[n++], sizeof f[0], "TLSMUX_SNI=%s", sni);
	snprintf(f[n++], sizeof f[0], "TLSMUX_BYTES_IN=%s", bytes_in);
	snprintf(f[n++], sizeof f[0], "TLSMUX_BYTES_OUT=%s", bytes_out);
	snprintf(f[n++], sizeof f[0], "TLSMUX_DURATION=%ld.%03ld",
		 s->duration_ms / 1000, s->duration_ms % 1000);
	snprintf(f[n++], sizeof f[0], "TLSMUX_CLOSED=%s", or_dash(s->closed));
	snprintf(f[n++], sizeof f[0], "TLSMUX_PHASE=%s", or_dash(s->phase));
	snprintf(f[n++], sizeof f[0], "TLSMUX_EXIT=%d", s->exit_code);
	for (size_t i = 0; i < TAIL_COUNT; i++)
		if (tail[i].shown)
			snprintf(f[n++], sizeof f[0], "%s=%s", tail[i].journal,
				 tail[i].value);
	const char *fields[12 + TAIL_COUNT];
	for (size_t i = 0; i < n; i++)
		fields[i] = f[i];
	log_emit(LOG_INFO, line, fields, n);
}

void log_before_sandbox(void)
{
	if (log_sink == SINK_JOURNAL)
		journal_open();
	else if (log_sink == SINK_SYSLOG)
		tzset();
}

static size_t append(char *buf, size_t len, size_t size, const char *s)
{
	while (*s != '\0' && len < size)
		buf[len++] = *s++;
	return len;
}

static size_t append_number(char *buf, size_t len, size_t size, long n)
{
	char digits[24];
	int i = 0;

	do
		digits[i++] = (char)('0' + n % 10);
	while ((n /= 10) > 0 && i < (int)sizeof digits);
	while (i > 0 && len < size)
		buf[len++] = digits[--i];
	return len;
}

void log_error_signal_safe(const char *message)
{
	char line[512];
	size_t len = 0, size = sizeof line - 1;

	if (log_sink == SINK_JOURNAL && journal_fd >= 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX,
					 .sun_path = JOURNAL_SOCKET};
		len = append(line, len, size,
			     "PRIORITY=3\nSYSLOG_IDENTIFIER=tlsmux\nMESSAGE=");
		len = append(line, len, size, message);
		line[len++] = '\n';
		if (sendto(journal_fd, line, len, MSG_NOSIGNAL,
			   (struct sockaddr *)&sa, sizeof sa) >= 0 || !stderr_safe)
			return;
		len = 0;
	} else if (log_sink == SINK_SYSLOG) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX,
					 .sun_path = "/dev/log"};
		int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		len = append(line, len, size, "<27>tlsmux[");	/* daemon.err */
		len = append_number(line, len, size, (long)getpid());
		len = append(line, len, size, "]: ");
		len = append(line, len, size, message);
		if (fd >= 0)
			sendto(fd, line, len, MSG_NOSIGNAL, (struct sockaddr *)&sa,
			       sizeof sa);
		return;
	}
	len = append(line, len, size, "tlsmux[");
	len = append_number(line, len, size, (long)getpid());
	len = append(line, len, size, "]: ");
	len = append(line, len, size, message);
	line[len++] = '\n';
	if (write(2, line, len) < 0)
		return;
}

#ifndef __GLIBC__
/*
 * musl words these otherwise: a peeker built on it (make PEEKER_LIBC=musl)
 * logs them as tlsmux-tls, on glibc, does.
 */
static const struct {
	int err;
	const char *text;
} log_glibc_words[] = {
	{EIO, "Input/output error"},
	{ENOMEM, "Cannot allocate memory"},
	{EMFILE, "Too many open files"},
	{ENAMETOOLONG, "File name too long"},
	{ELOOP, "Too many levels of symbolic links"},
	{ENOTSOCK, "Socket operation on non-socket"},
	{EADDRINUSE, "Address already in use"},
	{EADDRNOTAVAIL, "Cannot assign requested address"},
	{ENETUNREACH, "Network is unreachable"},
	{ECONNABORTED, "Software caused connection abort"},
	{ENOTCONN, "Transport endpoint is not connected"},
	{ETIMEDOUT, "Connection timed out"},
	{EHOSTUNREACH, "No route to host"},
};
#endif

const char *log_strerror(int err)
{
	static char text[128];
	const char *words = strerror(err);

#ifndef __GLIBC__
	for (size_t i = 0; i < sizeof log_glibc_words / sizeof *log_glibc_words; i++)
		if (log_glibc_words[i].err == err)
			words = log_glibc_words[i].text;
#endif
	snprintf(text, sizeof text, "%s", words);
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
