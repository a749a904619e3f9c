#!/bin/sh
# Run each libFuzzer target for $1 seconds on a copy of its corpus.
set -u
secs=$1
shift
here=$(cd "$(dirname "$0")/.." && pwd)
st=0
for bin in "$@"; do
	name=$(basename "$bin")
	work=$(mktemp -d)
	cp -r "$here/fuzz/corpus/$name/." "$work/"
	echo "== fuzzing $name for ${secs}s"
	if ! "$bin" -max_total_time="$secs" -max_len=70000 -timeout=10 \
	    -rss_limit_mb=2048 -print_final_stats=1 "$work" \
	    >"$work.log" 2>&1; then
		tail -40 "$work.log"
		echo "FAIL - fuzz $name"
		st=1
	else
		grep -E 'stat::number_of_executed_units|Done' "$work.log" | tail -2
		echo "ok - fuzz $name"
	fi
	rm -rf "$work" "$work.log"
done
exit $st
