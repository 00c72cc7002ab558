#!/bin/sh
# Lists the functions in the given C files longer than MAX lines (100),
# from the line of their opening brace to the closing one, and fails if
# there are any.  Written for this tree's style: a function's braces
# stand alone in column 0.  With -a, lists every function, longest first.
#   tests/function-length.sh [-a] FILE.c...
max=${MAX:-100}
all=0
[ "${1:-}" = -a ] && { all=1; shift; }
awk -v max="$max" -v all="$all" '
	FNR == 1 { name = ""; start = 0 }
	/^[A-Za-z_].*\(/ { sig = $0; sub(/\(.*/, "", sig); n = split(sig, w, /[ *]+/); name = w[n] }
	/^\{/ { start = FNR; fname = name }
	/^\}/ && start {
		len = FNR - start + 1
		if (all || len > max) printf "%d %s:%d %s\n", len, FILENAME, start, fname
		if (len > max) long++
		start = 0
	}
	END { exit long > 0 }
' "$@" >"${TMPDIR:-/tmp}/function-length.$$"
rc=$?
sort -rn "${TMPDIR:-/tmp}/function-length.$$"
rm -f "${TMPDIR:-/tmp}/function-length.$$"
exit $rc
