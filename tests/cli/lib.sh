# Helpers for the CLI suite; sourced by tests/cli/run.sh.
#
#   run CMD...             run CMD, stdout in $T/out, stderr in $T/err, exit
#                          status in $rc
#   expect_rc NAME N       the last run exited N
#   expect_err NAME TEXT   the last run's stderr contains TEXT (fixed string)
#   expect_out NAME TEXT   the last run's stdout contains TEXT
#   expect_same NAME A B   files A and B are byte-identical
#   expect_true NAME CMD.. CMD succeeds
#   flip_byte FILE OFF     invert every bit of the byte at OFF in place
#                          (always a change, whatever the byte was)
# Every expectation counts one test.

pass=0
fail=0

ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}

nok() {
	fail=$((fail + 1))
	echo "FAIL - $1"
}

run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
}

show_last() {
	sed -n '1,15s/^/  | /p' "$T/err"
}

expect_rc() {
	if [ "$rc" = "$2" ]; then
		ok "$1"
	else
		nok "$1 (exit $rc, want $2)"
		show_last
	fi
}

expect_err() {
	if grep -qF -- "$2" "$T/err"; then
		ok "$1"
	else
		nok "$1 (stderr lacks: $2)"
		show_last
	fi
}

expect_out() {
	if grep -qF -- "$2" "$T/out"; then
		ok "$1"
	else
		nok "$1 (stdout lacks: $2)"
		sed -n '1,15s/^/  | /p' "$T/out"
	fi
}

expect_same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		nok "$1 ($2 and $3 differ)"
		diff "$2" "$3" | sed -n '1,20s/^/  | /p'
	fi
}

expect_true() {
	_name=$1
	shift
	if "$@" >/dev/null 2>&1; then
		ok "$_name"
	else
		nok "$_name"
	fi
}

flip_byte() {
	_b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "\\$(printf '%o' $((_b ^ 255)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
