/* backend: connect to the first reachable backend, in order, each with a deadline. */
#ifndef TLSMUX_BACKEND_H
#define TLSMUX_BACKEND_H

#include <stddef.h>

#include "options.h"
#include "proxyproto.h"

/*
 * Returns a connected non-blocking socket, *used naming its backend; or
 * -1 with err listing every backend tried and why it failed.
 */
int backend_connect(const struct options *o, const struct addr **used,
		    char *err, size_t err_size);

/* The same over any list of backends (a route's, --tls-backend's ...). */
int backend_connect_list(const struct addr *const *list, size_t count,
			 long connect_timeout_ms, const struct addr **used,
			 char *err, size_t err_size);

/*
 * Send all of buf on the non-blocking socket fd within timeout_ms: a
 * PROXY header, which goes out before any payload.  0, or -1 with errno.
 */
int backend_send_all(int fd, const void *buf, size_t len, long timeout_ms);

/*
 * --send-proxy: encode h as v1 or v2 (with --proxy-tlv's TLVs; a
 * UNIQUE_ID is made into unique_id) and send it on fd.  0, or an exit
 * code with err naming the backend.
 */
int backend_send_proxy(int fd, const struct options *o,
		       struct proxyproto_header *h, char unique_id[33],
		       const struct addr *backend, char *err, size_t err_size);

#endif
