#!/bin/sh
# Replay each fuzz target's corpus (fuzz/corpus/<name>/) through the plain
# driver.  A crash, sanitizer report or non-zero exit fails the target.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
pass=0
fail=0
for bin in "$@"; do
	name=$(basename "$bin")
	dir="$here/fuzz/corpus/$name"
	if [ ! -d "$dir" ] || [ -z "$(ls -A "$dir")" ]; then
		echo "FAIL - $name: empty corpus $dir"
		fail=$((fail + 1))
		continue
	fi
	if out=$("$bin" "$dir" 2>&1); then
		echo "ok - replay $name: $out"
		pass=$((pass + 1))
	else
		printf 'FAIL - replay %s\n%s\n' "$name" "$out"
		fail=$((fail + 1))
	fi
done
echo "replay: $pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >>"$RESULTS"
[ "$fail" -eq 0 ]
