#!/usr/bin/env bats
# The option table (tests/unit/test_options --table), --help and the man
# page agree: every option in all three, with the same argument and the
# same default, and no option documented that the table lacks.  The
# table's config column holds too: the man page marks the options a
# config file may not give, and tlsmux refuses them there.  --check
# shows the options as the table's check column says.

bats_require_minimum_version 1.5.0

load lib/common

setup() {
	common_setup
	TABLE_BIN="$(dirname "$TLSMUX")/tests/unit/test_options"
	[ -x "$TABLE_BIN" ] || TABLE_BIN="$TLSMUX_ROOT/tests/unit/test_options"
}
teardown() { common_teardown; }

# Arguments compare without case, blanks and quotes: --help writes FILE
# and 'PROGRAM [ARGUMENT ...]' where the man page writes file and
# program [argument ...].
normalize() { tr -d " '\"" <<<"$1" | tr '[:upper:]' '[:lower:]'; }

# The OPTIONS section as rendered, one item per line: "HEADER<TAB>TEXT".
man_items() {
	MANWIDTH=1000 man -l "$TLSMUX_ROOT/man/tlsmux.8" 2>/dev/null |
		sed -n '/^OPTIONS$/,/^[A-Z]/p' |
		awk '/^     -/ { if (h != "") print h "\t" t; h = substr($0, 6); t = ""; next }
		     /^       / && h != "" { t = t " " $0 }
		     END { if (h != "") print h "\t" t }'
}

# --help, one entry per line: "HEAD<TAB>TEXT" (continuations joined).
help_items() {
	"$TLSMUX" --help | awk '
		/^  -/ { if (h != "") print h "\t" t; line = substr($0, 3)
		         if (match(line, /  +/)) { h = substr(line, 1, RSTART - 1)
		                                   t = substr(line, RSTART + RLENGTH) }
		         else { h = line; t = "" }
		         next }
		/^      / { if (t == "") { t = $0 } else { t = t " " $0 }; next }
		END { if (h != "") print h "\t" t }'
}

@test "every option in the table is in --help and the man page, with its argument and default" {
	local table man help name argument default config short head margs hargs entry text
	table=$("$TABLE_BIN" --table)
	[ -n "$table" ]
	man=$(man_items)
	help=$(help_items)
	while IFS=$'\t' read -r name argument default config short; do
		# The man page: one item per form (--route has two), arguments joined by |.
		margs=$(awk -F'\t' -v n="$name" '{ split($1, w, " ")
			if (w[1] == "--" n || w[2] == "--" n) { a = $1; sub(/^(-[a-zA-Z], )?--[a-z-]+ ?/, "", a)
				out = out (out == "" ? "" : "|") a } } END { print out }' <<<"$man")
		entry=$(awk -F'\t' -v n="$name" '{ split($1, w, " ")
			if (w[1] == "--" n || w[2] == "--" n) print $2 }' <<<"$man")
		[ -n "$entry" ] || { echo "man page lacks --$name"; return 1; }
		if [ "$config" = config ]; then
			! grep -qF "(command line only)" <<<"$entry" ||
				{ echo "--$name: the man page says command line only, the table allows a config file"; return 1; }
		else
			grep -qF "(command line only)" <<<"$entry" ||
				{ echo "--$name: the table says command line only, the man page does not"; return 1; }
		fi
		[ "$argument" = - ] && argument=
		[ "$(normalize "$margs")" = "$(normalize "$argument")" ] ||
			{ echo "--$name: man page says '$margs', the table '$argument'"; return 1; }
		if [ "$default" = - ]; then
			! grep -q "Default:" <<<"$entry" ||
				{ echo "--$name: man page gives a default, the table none"; return 1; }
		else
			grep -qF "Default: $default." <<<"$(tr -s ' ' <<<"$entry")" ||
				{ echo "--$name: man page lacks 'Default: $default.'"; return 1; }
		fi
		# --help: "--name ARGUMENT" (or "-h, --help"), and "(default X)".
		head="--$name${argument:+ $argument}"
		[ "$short" = - ] || head="-$short, --$name"
		text=$(awk -F'\t' -v h="$head" '$1 == h { print $2 }' <<<"$help")
		[ -n "$text" ] || { echo "--help lacks '$head'"; return 1; }
		if [ "$default" = - ]; then
			! grep -q "(default " <<<"$text" ||
				{ echo "--$name: --help gives a default, the table none"; return 1; }
		else
			grep -qF "(default $default)" <<<"$(tr -s ' ' <<<"$text")" ||
				{ echo "--$name: --help lacks '(default $default)'"; return 1; }
		fi
	done <<<"$table"
}

@test "no option in --help or the man page that the table lacks" {
	local table opt
	table=$("$TABLE_BIN" --table | cut -f1)
	# -f FILE reads more options and is not one: the only line outside the table.
	for opt in $(man_items | cut -f1 | grep -oE -- '--[a-z][a-z-]*' | sort -u) \
		$(help_items | cut -f1 | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
		grep -qx -- "${opt#--}" <<<"$table" || { echo "$opt is documented, not in the table"; return 1; }
	done
	[ "$(man_items | cut -f1 | grep -c -- '^-f ')" = 1 ]
	[ "$(help_items | cut -f1 | grep -c -- '^-f ')" = 1 ]
}

# tlsmux --check -f FILE, FILE holding a backend and then LINE.
check_with_line() {
	printf 'backend 127.0.0.1:9\n%s\n' "$1" >"$T/options.conf"
	run --separate-stderr timeout 20 "$TLSMUX" --check -f "$T/options.conf" </dev/null
}

@test "a config file naming a command-line-only option is refused with its path and line; the others are not" {
	local table name argument default config short line only=0
	table=$("$TABLE_BIN" --table)
	while IFS=$'\t' read -r name argument default config short; do
		line=$name
		[ "$argument" = - ] || line="$name /nonexistent"
		check_with_line "$line"
		if [ "$config" = config ]; then
			! grep -q "command line only" <<<"$stderr" ||
				{ echo "--$name refused in a config file: $stderr"; return 1; }
		else
			only=$((only + 1))
			assert_failure 64
			assert_equal "$(strip_pid <<<"$stderr")" \
				"tlsmux: config $T/options.conf line 2: --$name is for the command line only, not a config file"
			refute_output
		fi
	done <<<"$table"
	# The actions: each would make every connection reading the file exit.
	[ "$only" = 4 ]
	# -f in a file is no option of the table: it reads the next file.
	printf 'on-silence close\n' >"$T/inner.conf"
	check_with_line "f $T/inner.conf"
	assert_failure 78
	assert_equal "$(strip_pid <<<"$stderr")" "tlsmux: check: no --cert or --cert-dir given"
}

@test "--check: where connections go first, then the facts of the files, then each setting not at its default" {
	run --separate-stderr "$TLSMUX" --check --cert "$CERT" --key "$KEY" \
		--backend 127.0.0.1:9 --plain-backend "[::1]:8" \
		--detect-timeout 500ms --idle-timeout 1h --send-proxy v2 --on-silence close \
		--proxy-tlv crc32c --log auto
	assert_success
	assert_line --index 0 "backend: 127.0.0.1:9"
	assert_line --index 1 "plain backend: [::1]:8"
	assert_line --index 2 --partial "subject: "
	assert_equal "$(tail -n 6 <<<"$output" | sed 's/^days left: [0-9]*$/days left: N/')" \
		"$(printf '%s\n' "days left: N" "detect timeout: 500ms" "on silence: close" "send proxy: v2" "proxy tlv: crc32c" ok)"
	# The key is a secret: neither its contents nor its path are shown.
	refute_output --partial "PRIVATE"
	refute_output --partial "$KEY"
	assert_equal "$stderr" ""
}
