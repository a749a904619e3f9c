#!/bin/sh
# Integration suite: the real sbdd against real TFTP and HTTP clients, raw
# packets and a lossy network namespace.  Sources every
# tests/integration/t_*.sh with $SBDCTL, $SBDD, $ITESTS and a fresh
# temporary directory $T, stops whatever each one left running, then
# prints "N passed, N failed" (and appends "N N" to $RESULTS).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SBDCTL:?SBDCTL must name the sbdctl binary}"
: "${SBDD:?SBDD must name the sbdd binary}"
: "${ITESTS:?ITESTS must name the directory of the C test programs}"
export TZ=UTC LC_ALL=C
. "$here/../cli/lib.sh"
. "$here/lib.sh"

T=""
trap 'cleanup; [ -n "$T" ] && rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

for t in "$here"/t_*.sh; do
	T=$(mktemp -d)
	echo "# $(basename "$t")"
	. "$t"
	cleanup
	rm -rf "$T"
	T=""
done

echo "integration: $pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >>"$RESULTS"
[ "$fail" -eq 0 ]
