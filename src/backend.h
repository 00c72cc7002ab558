/* backend: connect to the first reachable backend, in order, each with a deadline. */
#ifndef TLSMUX_BACKEND_H
#define TLSMUX_BACKEND_H

#include <stddef.h>

#include "options.h"

/*
 * Returns a connected non-blocking socket, *used naming its backend; or
 * -1 with err listing every backend tried and why it failed.
 */
int backend_connect(const struct options *o, const struct addr **used,
		    char *err, size_t err_size);

#endif
