/* clock: monotonic milliseconds, for deadlines and durations. */
#ifndef TLSMUX_CLOCK_H
#define TLSMUX_CLOCK_H

#include <time.h>

static inline long clock_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is left of a deadline, for poll(): never negative. */
static inline int clock_remaining_ms(long deadline)
{
	long left = deadline - clock_now_ms();

	return left < 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int)left;
}

#endif
