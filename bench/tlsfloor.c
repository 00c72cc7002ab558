/*
 * tlsfloor: the floor of the per-connection model on the TLS path, for
 * the benchmark, as bench/pump.c is on the plain one.  The launcher hands
 * it the client on fd 0; it reads the certificate and key (per
 * connection, as tlsmux does), runs the GnuTLS handshake with tlsmux's
 * default priority string, connects to an IPv4 backend and relays both
 * ways, each EOF becoming a close_notify or a shutdown(SHUT_WR) toward the
 * other side.  It skips GnuTLS's test that the key fits the certificate
 * (a signature made and verified: 2.8 M instructions, 40% of the
 * connection), as tlsmux does by comparing the public key instead.  No
 * detection, no second exec, no sandbox, no Landlock, no logging, no
 * options: the least a one-process-per-connection terminator built on
 * GnuTLS must do.  Linked as tlsmux-tls is (GnuTLS and glibc
 * static, -static-pie).
 *   tlsfloor CERT KEY 127.0.0.1 PORT
 */
#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "policy.h"

static int backend(const char *host, const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons((unsigned short)atoi(port))};
	int one = 1;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || inet_pton(AF_INET, host, &sa.sin_addr) != 1 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

int main(int argc, char **argv)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	char buf[16384], priority[2048];
	int up_eof = 0, down_eof = 0, fd, rc;

	if (argc != 5)
		return 64;
	/* tlsmux's default: the "secure" preset, TLS 1.2 and later. */
	if (policy_priority(NULL, POLICY_MIN_DEFAULT, priority, sizeof priority) < 0)
		return 70;
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return 70;
	gnutls_certificate_set_flags(cred, GNUTLS_CERTIFICATE_SKIP_KEY_CERT_MATCH);
	if (gnutls_certificate_set_x509_key_file(cred, argv[1], argv[2],
						 GNUTLS_X509_FMT_PEM) < 0 ||
	    gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL) < 0 ||
	    gnutls_priority_set_direct(s, priority, NULL) < 0 ||
	    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred) < 0)
		return 70;
	gnutls_transport_set_int2(s, 0, 1);
	gnutls_handshake_set_timeout(s, 10000);
	do
		rc = gnutls_handshake(s);
	while (rc < 0 && !gnutls_error_is_fatal(rc));
	if (rc < 0 || (fd = backend(argv[3], argv[4])) < 0)
		return 1;

	while (!up_eof || !down_eof) {
		struct pollfd p[2] = {{.fd = up_eof ? -1 : 0, .events = POLLIN},
				      {.fd = down_eof ? -1 : fd,
				       .events = POLLIN}};

		if (!up_eof && gnutls_record_check_pending(s) > 0)
			p[0].revents = POLLIN;
		else if (poll(p, 2, 60000) <= 0)
			return 1;
		if (p[0].revents) {
			ssize_t n = gnutls_record_recv(s, buf, sizeof buf);

			if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
				continue;
			if (n <= 0) {
				up_eof = 1;
				shutdown(fd, SHUT_WR);
			} else if (write(fd, buf, (size_t)n) != n) {
				return 1;
			}
		}
		if (p[1].revents) {
			ssize_t n = read(fd, buf, sizeof buf);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				down_eof = 1;
				gnutls_bye(s, GNUTLS_SHUT_WR);
			} else {
				for (ssize_t off = 0; off < n;) {
					ssize_t w = gnutls_record_send(
						s, buf + off, (size_t)(n - off));

					if (w == GNUTLS_E_AGAIN ||
					    w == GNUTLS_E_INTERRUPTED)
						continue;
					if (w < 0)
						return 1;
					off += w;
				}
			}
		}
	}
	return 0;
}
