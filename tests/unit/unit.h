/*
 * unit: a small test framework that speaks TAP.
 *
 * A test case runs between unit_begin() and unit_end() (or is a function
 * run with UNIT_RUN); every CHECK that fails inside it prints a "#" line
 * with file:line and the expression, and unit_end() prints "ok N - name"
 * or "not ok N - name".  unit_summary() prints the plan "1..N" and
 * returns the exit status for main: 0 when every case passed, 1 if not.
 */
#ifndef TLSMUX_UNIT_H
#define TLSMUX_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define UNIT_UNUSED __attribute__((unused))
#define UNIT_PRINTF(f, a) __attribute__((format(printf, f, a)))

static struct {
	int cases;		/* cases finished */
	int failed_cases;
	int checks_failed;	/* in the case that is running */
	char name[256];
} unit;

/* Case names go on a TAP line: no control bytes, and '#' escaped. */
static UNIT_UNUSED void unit_set_name(const char *raw)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)raw;
	     *p != '\0' && o + 5 < sizeof unit.name; p++) {
		if (*p < ' ' || *p == 0x7f)
			o += (size_t)snprintf(unit.name + o, sizeof unit.name - o,
					      "\\x%02x", *p);
		else if (*p == '#')
			o += (size_t)snprintf(unit.name + o, sizeof unit.name - o,
					      "\\#");
		else
			unit.name[o++] = (char)*p;
	}
	unit.name[o] = '\0';
}

static UNIT_UNUSED UNIT_PRINTF(1, 2) void unit_begin(const char *fmt, ...)
{
	char raw[sizeof unit.name];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	unit_set_name(raw);
	unit.checks_failed = 0;
}

static UNIT_UNUSED void unit_end(void)
{
	unit.cases++;
	if (unit.checks_failed > 0)
		unit.failed_cases++;
	printf("%sok %d - %s\n", unit.checks_failed > 0 ? "not " : "",
	       unit.cases, unit.name);
	fflush(stdout);
}

static UNIT_UNUSED UNIT_PRINTF(3, 4) void
unit_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	unit.checks_failed++;
}

#define CHECK(expr)							\
	do {								\
		if (!(expr))						\
			unit_fail(__FILE__, __LINE__, "CHECK(%s)", #expr); \
	} while (0)

/* Like CHECK, and shows both numbers. */
#define CHECK_INT(got, want)						\
	do {								\
		long long unit_got_ = (got), unit_want_ = (want);	\
		if (unit_got_ != unit_want_)				\
			unit_fail(__FILE__, __LINE__,			\
				  "CHECK_INT(%s, %s): got %lld, want %lld", \
				  #got, #want, unit_got_, unit_want_);	\
	} while (0)

/* Like CHECK, and shows both strings; NULL equals only NULL. */
#define CHECK_STR(got, want)						\
	do {								\
		const char *unit_got_ = (got), *unit_want_ = (want);	\
		if (unit_got_ == NULL || unit_want_ == NULL ?		\
		    unit_got_ != unit_want_ :				\
		    strcmp(unit_got_, unit_want_) != 0)			\
			unit_fail(__FILE__, __LINE__,			\
				  "CHECK_STR(%s, %s): got \"%s\", want \"%s\"", \
				  #got, #want,				\
				  unit_got_ ? unit_got_ : "(null)",	\
				  unit_want_ ? unit_want_ : "(null)");	\
	} while (0)

/* Runs a void function as one case named after it. */
#define UNIT_RUN(fn)							\
	do {								\
		unit_begin("%s", #fn);					\
		fn();							\
		unit_end();						\
	} while (0)

static UNIT_UNUSED int unit_summary(void)
{
	printf("1..%d\n", unit.cases);
	if (unit.failed_cases > 0)
		printf("# %d of %d cases failed\n", unit.failed_cases,
		       unit.cases);
	fflush(stdout);
	return unit.failed_cases > 0 ? 1 : 0;
}

#endif
