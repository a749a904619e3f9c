#!/bin/sh
# CLI suite: sources every tests/cli/t_*.sh with $SBDCTL, $DATA and a fresh
# temporary directory $T, then prints "N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SBDCTL:?SBDCTL must name the sbdctl binary}"
DATA=$(cd "$here/../data" && pwd)
export TZ=UTC LC_ALL=C
. "$here/lib.sh"

for t in "$here"/t_*.sh; do
	T=$(mktemp -d)
	echo "# $(basename "$t")"
	. "$t"
	rm -rf "$T"
done

echo "cli: $pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >>"$RESULTS"
[ "$fail" -eq 0 ]
