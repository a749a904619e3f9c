#!/bin/sh
# Run each cmocka unit-test binary; count its tests from cmocka's summary.
set -u
pass=0
fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	st=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	pass=$((pass + ${p:-0}))
	f=${f:-0}
	[ "$st" -ne 0 ] && [ "$f" -eq 0 ] && f=1	# crashed
	fail=$((fail + f))
done
echo "unit: $pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >>"$RESULTS"
[ "$fail" -eq 0 ]
