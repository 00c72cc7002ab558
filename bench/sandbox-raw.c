/*
 * src/sandbox.c's two stages and nothing else (bench/sandboxcost.sh).
 * With an argument it stops after log_init(), the baseline for the filter.
 */
#include "log.h"
#include "sandbox.h"

int main(int argc, char **argv)
{
	log_init(LOG_TO_STDERR);
	if (argc > 1)
		return 0;
	if (sandbox_enter(SANDBOX_CONNECT) < 0 || sandbox_enter(SANDBOX_PUMP) < 0)
		return 71;
	return 0;
}
