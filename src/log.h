/* log: error lines and the one summary line per connection; never to the client. */
#ifndef TLSMUX_LOG_H
#define TLSMUX_LOG_H

#include <stdint.h>

/* Where lines go; auto: the journal, syslog or stderr, as the launcher suggests. */
enum log_target { LOG_TO_AUTO, LOG_TO_STDERR, LOG_TO_SYSLOG, LOG_TO_JOURNAL };

void log_init(enum log_target target);
/* For commands run by a person or a script (--check): plain stderr. */
void log_init_command(void);
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct log_summary {
	const char *client;
	const char *path;	/* tls, plain, sslv2, none */
	const char *backend;
	const char *version;
	const char *cipher;
	const char *sni;
	const char *closed;	/* client, backend, tlsmux */
	const char *client_eof;	/* close_notify, fin (TLS only) */
	const char *phase;	/* detect, handshake, connect, pump, done */
	uint64_t bytes_in;	/* client -> backend */
	uint64_t bytes_out;	/* backend -> client */
	long duration_ms;
	int exit_code;
	int bytes_unknown;	/* in/out not seen (a program on the client's fds) */
	/*
	 * Fields that exist only when an option asks for them, logged after
	 * exit so that the lines of configurations without those options
	 * stay as they were: LOG_FIELD_* bits, from options_log_fields().
	 */
	unsigned extra;
	const char *cert;	/* --cert-dir entry served */
	const char *alpn;	/* --alpn or --route alpn=: protocol negotiated */
	const char *resumed;	/* --ticket-key: yes, no */
	const char *client_cert; /* --client-ca: verified subject DN */
	/* Written only when set, after all the fields above: */
	const char *via;	/* the balancer that sent a PROXY header */
	const char *unique_id;	/* the UNIQUE_ID sent to the backend */
	const char *program;	/* exit:N or signal:N of an --exec program */
};

#define LOG_FIELD_CERT 1u
#define LOG_FIELD_ALPN 2u
#define LOG_FIELD_RESUMED 4u
#define LOG_FIELD_CLIENT_CERT 8u

void log_summary(const struct log_summary *s);

struct pump_result;

/*
 * Log why a relay ended (an error line when it was not a clean end), fill
 * the summary's closed/phase/byte fields, and return the exit code.
 */
int log_pump_result(const struct pump_result *r, long idle_ms,
		    struct log_summary *s);

/* Whether fd 2 may be handed to a program: not the client, not closed. */
int log_stderr_is_safe(void);

/*
 * Open what logging needs before a sandbox forbids it: the journal's
 * socket, the time zone syslog() stamps its lines with.
 */
void log_before_sandbox(void);

/* For a signal handler: one error line, no stdio, no locks, no malloc. */
void log_error_signal_safe(const char *message);

/* strerror() in lower case, as our messages are written. */
const char *log_strerror(int err);

#endif
