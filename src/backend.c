/*
 * backend: failover connect.  Numeric addresses skip the resolver (and
 * the NSS modules it loads); names go through getaddrinfo(), in a static
 * build through /etc/hosts and DNS only.
 */
#include "backend.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <nss.h>	/* a static glibc: NSS sources */
#endif

#include "clock.h"
#include "conn.h"
#include "log.h"

/* One attempt; returns the socket or -1 with errno. */
static int backend_try(const struct sockaddr *sa, socklen_t len, long deadline)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, len) < 0 && errno != EINPROGRESS) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		int rc = poll(&p, 1, clock_remaining_ms(deadline));
		if (rc < 0 && errno == EINTR)
			continue;
		int err = 0;
		socklen_t err_len = sizeof err;
		if (rc < 0)
			err = errno;
		else if (rc == 0)
			err = ETIMEDOUT;
		else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
			err = errno;
		if (err != 0) {
			close(fd);
			errno = err;
			return -1;
		}
		break;
	}
	if (sa->sa_family != AF_UNIX) {
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	}
	return fd;
}

static int backend_try_inet(const struct addr *a, long deadline,
			    const char **why)
{
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
	unsigned port = (unsigned)strtoul(a->port, NULL, 10);

	memset(&sa, 0, sizeof sa);
	if (inet_pton(AF_INET, a->host, &sa.v4.sin_addr) == 1) {
		sa.v4.sin_family = AF_INET;
		sa.v4.sin_port = htons((uint16_t)port);
		int fd = backend_try((struct sockaddr *)&sa.v4, sizeof sa.v4,
				     deadline);
		*why = fd < 0 ? log_strerror(errno) : NULL;
		return fd;
	}
	if (inet_pton(AF_INET6, a->host, &sa.v6.sin6_addr) == 1) {
		sa.v6.sin6_family = AF_INET6;
		sa.v6.sin6_port = htons((uint16_t)port);
		int fd = backend_try((struct sockaddr *)&sa.v6, sizeof sa.v6,
				     deadline);
		*why = fd < 0 ? log_strerror(errno) : NULL;
		return fd;
	}

	/*
	 * A static build has no dynamic loader to bring in the system's NSS
	 * modules safely (they need the very glibc it was linked with):
	 * names come from /etc/hosts and DNS only, both built into glibc
	 * (musl has no other sources).
	 */
#ifdef __GLIBC__
	if (getauxval(AT_BASE) == 0)
		__nss_configure_lookup("hosts", "files dns");
#endif
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV}, *list;
	int rc = getaddrinfo(a->host, a->port, &hints, &list);
	if (rc != 0) {
		*why = rc == EAI_SYSTEM ? log_strerror(errno) : gai_strerror(rc);
		return -1;
	}
	int fd = -1, err = EHOSTUNREACH;
	for (struct addrinfo *ai = list; ai != NULL && fd < 0; ai = ai->ai_next) {
		if (clock_remaining_ms(deadline) == 0) {
			err = ETIMEDOUT;
			break;
		}
		fd = backend_try(ai->ai_addr, ai->ai_addrlen, deadline);
		if (fd < 0)
			err = errno;
	}
	freeaddrinfo(list);
	*why = fd < 0 ? log_strerror(err) : NULL;
	return fd;
}

static int backend_try_unix(const struct addr *a, long deadline,
			    const char **why)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	socklen_t len;
	size_t path_len = strlen(a->path);

	if (a->kind == ADDR_ABSTRACT) {
		memcpy(sun.sun_path + 1, a->path, path_len);
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				  path_len);
	} else {
		memcpy(sun.sun_path, a->path, path_len);
		len = (socklen_t)sizeof sun;
	}
	int fd = backend_try((struct sockaddr *)&sun, len, deadline);
	*why = fd < 0 ? log_strerror(errno) : NULL;
	return fd;
}

int backend_connect(const struct options *o, const struct addr **used,
		    char *err, size_t err_size)
{
	const struct addr *list[OPTIONS_MAX_BACKENDS];

	for (size_t i = 0; i < o->backend_count; i++)
		list[i] = &o->backends[i];
	return backend_connect_list(list, o->backend_count,
				    o->connect_timeout_ms, used, err, err_size);
}

int backend_connect_list(const struct addr *const *list, size_t count,
			 long connect_timeout_ms, const struct addr **used,
			 char *err, size_t err_size)
{
	size_t off = 0;

	err[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const struct addr *a = list[i];
		long deadline = clock_now_ms() + connect_timeout_ms;
		const char *why;
		int fd = a->kind == ADDR_INET ? backend_try_inet(a, deadline, &why)
					      : backend_try_unix(a, deadline, &why);
		if (fd >= 0) {
			*used = a;
			if (off > 0)
				log_error("backend failover: %s; using %s", err,
					  a->text);
			return fd;
		}
		int n = snprintf(err + off, err_size - off, "%s%s: %s",
				 off > 0 ? "; " : "", a->text, why);
		if (n > 0 && (size_t)n < err_size - off)
			off += (size_t)n;
	}
	if (count == 0)
		snprintf(err, err_size, "no --backend given");
	*used = NULL;
	return -1;
}

int backend_send_all(int fd, const void *buf, size_t len, long timeout_ms)
{
	long deadline = clock_now_ms() + timeout_ms;
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return -1;
		struct pollfd pf = {.fd = fd, .events = POLLOUT};
		int rc = poll(&pf, 1, clock_remaining_ms(deadline));
		if (rc == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc < 0 && errno != EINTR)
			return -1;
	}
	return 0;
}

int backend_send_proxy(int fd, const struct options *o,
		       struct proxyproto_header *h, char unique_id[33],
		       const struct addr *backend, char *err, size_t err_size)
{
	unsigned char header[PROXYPROTO_ENCODE_MAX];
	size_t len;

	unique_id[0] = '\0';
	if (o->send_proxy == SEND_PROXY_V1) {
		len = proxyproto_encode_v1(h, (char *)header, sizeof header);
	} else {
		if (o->proxy_tlvs & PROXY_TLV_UNIQUE_ID) {
			conn_unique_id(unique_id);
			h->unique_id.data = (const unsigned char *)unique_id;
			h->unique_id.len = strlen(unique_id);
		}
		h->crc32c = (o->proxy_tlvs & PROXY_TLV_CRC32C) != 0;
		len = proxyproto_encode_v2(h, header, sizeof header);
	}
	if (len == 0) {
		snprintf(err, err_size, "backend %s: PROXY header does not fit",
			 backend->text);
		return EX_SOFTWARE;
	}
	/* One write, before any payload: a receiver may read it in one go. */
	if (backend_send_all(fd, header, len, o->connect_timeout_ms) < 0) {
		snprintf(err, err_size, "backend %s: sending the PROXY header: %s",
			 backend->text, log_strerror(errno));
		return EX_IOERR;
	}
	return 0;
}
