/*
 * fuzz_conn: the peeker's first two stages on a real connection, in
 * process: the input is written to a socketpair (or, when its first byte
 * is odd, a pipe) and the writing end closed; conn_accept_proxy takes
 * the PROXY header from a trusted peer, then conn_detect classifies
 * what follows.  The exec into tlsmux-tls and the pump are left out:
 * they need a second process.  Aborts when the header taken is not
 * exactly the one proxyproto_parse finds at the front, when a refusal
 * gives no one-line reason, or when detection decides otherwise than
 * sniff_classify on the bytes after the header.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sysexits.h>
#include <unistd.h>

#include "conn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Within one socket buffer, so writing never waits for a reader. */
#define MAX_INPUT 8192

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds[2];
	struct client c;
	struct cidr trusted;
	const char *why;
	char err[512];

	if (size < 1 || size > MAX_INPUT)
		return 0;
	int use_pipe = data[0] & 1;
	data++;
	size--;
	if (use_pipe ? pipe(fds) < 0
		     : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
		abort();
	int reader = fds[0], writer = fds[1];
	if (size > 0 && write(writer, data, size) != (ssize_t)size)
		abort();
	close(writer);

	memset(&c, 0, sizeof c);
	c.in_fd = c.out_fd = reader;
	c.is_socket = !use_pipe;
	snprintf(c.addr, sizeof c.addr, "unix");
	c.source.family = AF_UNIX;
	c.destination.family = AF_UNSPEC;
	if (cidr_parse("unix", &trusted, &why) != 0)
		abort();

	/* What the header should be: the parser on the bytes as they are. */
	struct proxyproto_header h;
	size_t used = 0;
	enum proxyproto_parse_result expect =
		proxyproto_parse(data, size, &h, &used, &why);

	int rc = conn_accept_proxy(&c, &trusted, 1, 1000, err, sizeof err);
	if (rc != 0) {
		if (expect == PROXYPROTO_OK)
			abort();
		if (rc == EX_NOINPUT ? size != 0 || err[0] != '\0'
				     : err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		close(reader);
		return 0;
	}
	if (expect != PROXYPROTO_OK || used > size)
		abort();

	const uint8_t *rest = data + used;
	size_t rest_len = size - used;
	enum sniff_result result = SNIFF_NEED_MORE;
	size_t seen = 0;
	enum detect_outcome o = conn_detect(&c, 1000, &result, &seen);
	if (rest_len == 0) {
		if (o != DETECT_CLOSED)
			abort();
	} else {
		size_t n = rest_len < SNIFF_MAX ? rest_len : SNIFF_MAX;
		enum sniff_result want = sniff_classify(rest, n);
		if (want == SNIFF_NEED_MORE)
			want = SNIFF_PLAIN;
		if (o != DETECT_DONE || result != want || seen == 0 ||
		    seen > n)
			abort();
	}
	/* Nothing after the header was lost: prefix, then the stream. */
	unsigned char buf[MAX_INPUT];
	size_t got = c.prefix_len;
	if (got > rest_len || memcmp(c.prefix, rest, got) != 0)
		abort();
	for (;;) {
		ssize_t r = read(reader, buf + got, sizeof buf - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != rest_len || memcmp(buf + c.prefix_len, rest + c.prefix_len,
				      rest_len - c.prefix_len) != 0)
		abort();
	close(reader);
	return 0;
}
