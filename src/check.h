/* check: tlsmux --check, for deploy hooks: are the options and files good? */
#ifndef TLSMUX_CHECK_H
#define TLSMUX_CHECK_H

#include "options.h"

/* Prints one line per fact to stdout, the problem to the log; returns the exit code. */
int check_run(const struct options *o);

#endif
