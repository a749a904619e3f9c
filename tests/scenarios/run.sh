#!/bin/sh
# Scenario suite: the stories of the seed documents (SPEC.md), end to end,
# with real sbdd nodes, sbdctl and sbdphone fleets on 127.0.0.x.  Sources
# every tests/scenarios/s*.sh with $SBDCTL, $SBDD, $SBDPHONE and a fresh
# temporary directory $T, stops whatever each one left running, then
# prints "N passed, N failed" (and appends "N N" to $RESULTS).  Each
# scenario is bounded: every wait in the libraries is.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${SBDCTL:?SBDCTL must name the sbdctl binary}"
: "${SBDD:?SBDD must name the sbdd binary}"
: "${SBDPHONE:?SBDPHONE must name the sbdphone binary}"
export TZ=UTC LC_ALL=C
. "$here/../cli/lib.sh"
. "$here/../integration/lib.sh"
. "$here/lib.sh"

T=""
trap 'cleanup; [ -n "$T" ] && rm -rf "$T"' EXIT
trap 'exit 1' INT TERM HUP

for t in "$here"/s[0-9]*.sh; do
	[ -e "$t" ] || continue
	T=$(mktemp -d)
	echo "# $(basename "$t")"
	. "$t"
	cleanup
	rm -rf "$T"
	T=""
done

echo "scenarios: $pass passed, $fail failed"
[ -n "${RESULTS:-}" ] && echo "$pass $fail" >>"$RESULTS"
[ "$fail" -eq 0 ]
