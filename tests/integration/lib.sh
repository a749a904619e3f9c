# Helpers for the integration suite; sourced by tests/integration/run.sh
# after tests/cli/lib.sh, whose run and expect_* helpers count the tests.
#
#   make_node DIR [OPTS]    a cluster "test" with node pub on 127.0.0.1
#                           (cluster init OPTS), one test per step
#   start_sbdd DIR [OPTS]   start sbdd -f on free ports in the background
#                           ($IN_NS, when set, prefixes the command); waits
#                           for DIR/nodes/pub/run/ports; sets SBDD_PID,
#                           TFTP_PORT, HTTP_PORT, TVS_PORT, CAPF_PORT
#                           (0 when off), SBDD_LOG; counts a test
#   stop_sbdd [NAME]        SIGTERM, then wait_sbdd
#   wait_sbdd NAME          at most 10 s for sbdd to exit; counts a test
#                           that it exited 0
#   counter DIR KEY         print a counter of `sbdctl stats --json`
#   expect_counter NAME DIR KEY OP N
#                           the counter satisfies "-eq N", "-ge N", ...
#                           within 3 s (a transfer is counted when its last
#                           ACK arrives, a moment after the client exits)
#   wait_until SECS CMD...  poll CMD every 0.1 s for at most SECS seconds
#   free_ports N SALT       print P such that TCP ports P..P+N-1 have no
#                           socket in any state, from 20000..30999: below
#                           the kernel's ephemeral range (32768 up), so no
#                           client connection can take the port between
#                           the choice and sbdd's bind
#   alive PID               PID runs (and is not a zombie)
#   track PID               kill PID at cleanup if it still runs
#   track_netns NAME        delete namespace NAME at cleanup
#   cleanup                 kill everything started, delete namespaces
#
# Every wait is bounded: nothing here loops for more than 10 s.

_pids=""
_netns=""
IN_NS=""

track() {
	_pids="$_pids $1"
}

track_netns() {
	_netns="$_netns $1"
}

alive() {
	kill -0 "$1" 2>/dev/null &&
	    ! grep -q '^[0-9]* (.*) Z' "/proc/$1/stat" 2>/dev/null
}

_dead() {
	! alive "$1"
}

wait_until() {
	_w=$(($1 * 10))
	shift
	while [ "$_w" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_w=$((_w - 1))
	done
	"$@"
}

_port_used() {
	[ -n "$(ss -Htan "sport = :$1" 2>/dev/null)" ]
}

free_ports() {
	_fp=$((20000 + ($$ * 7 + $2 * 101) % 11000))
	_tries=0
	while [ $_tries -lt 200 ]; do
		_i=0
		while [ $_i -lt "$1" ] && ! _port_used $((_fp + _i)); do
			_i=$((_i + 1))
		done
		[ $_i -eq "$1" ] && { echo "$_fp"; return 0; }
		_fp=$((20000 + (_fp - 20000 + 13) % 11000))
		_tries=$((_tries + 1))
	done
	return 1
}

_all_dead() {
	for _p in $_pids; do
		alive "$_p" && return 1
	done
	return 0
}

# TERM first (timeout(1) passes it on to the client it runs), KILL what is
# left after 2 s; then whatever still runs in our namespaces, and the
# namespaces.
cleanup() {
	for _p in $_pids; do
		alive "$_p" && kill -TERM "$_p" 2>/dev/null
	done
	if ! wait_until 2 _all_dead; then
		for _p in $_pids; do
			alive "$_p" && kill -KILL "$_p" 2>/dev/null
		done
	fi
	_pids=""
	for _n in $_netns; do
		for _p in $(ip netns pids "$_n" 2>/dev/null); do
			kill -KILL "$_p" 2>/dev/null
		done
		ip netns del "$_n" 2>/dev/null
	done
	_netns=""
}

make_node() {
	_d=$1
	shift
	mkdir -p "$_d"
	printf 'integration-pw\n' >"$_d.pw"
	run "$SBDCTL" cluster init -d "$_d" --name test --node pub \
	    --addr 127.0.0.1 --password-file "$_d.pw" "$@"
	expect_rc "cluster init $(basename "$_d")" 0
}

_ports_ready() {
	grep -q '^tftp [0-9]' "$1" 2>/dev/null &&
	    grep -q '^http [0-9]' "$1" 2>/dev/null
}

start_sbdd() {
	_d=$1
	shift
	SBDD_LOG=$_d.sbdd.log
	rm -f "$_d/nodes/pub/run/ports"
	# IN_NS is a command prefix ("ip netns exec NS"): split on purpose.
	# shellcheck disable=SC2086
	$IN_NS "$SBDD" -d "$_d" -n pub -f -o tftp_port=0 -o http_port=0 \
	    -o tvs_port=0 -o capf_port=0 "$@" 2>>"$SBDD_LOG" &
	SBDD_PID=$!
	track "$SBDD_PID"
	TFTP_PORT=""
	HTTP_PORT=""
	if wait_until 10 _ports_ready "$_d/nodes/pub/run/ports"; then
		TFTP_PORT=$(sed -n 's/^tftp \([0-9]*\)$/\1/p' \
		    "$_d/nodes/pub/run/ports")
		HTTP_PORT=$(sed -n 's/^http \([0-9]*\)$/\1/p' \
		    "$_d/nodes/pub/run/ports")
		TVS_PORT=$(sed -n 's/^tvs \([0-9]*\)$/\1/p' \
		    "$_d/nodes/pub/run/ports")
		CAPF_PORT=$(sed -n 's/^capf \([0-9]*\)$/\1/p' \
		    "$_d/nodes/pub/run/ports")
		ok "sbdd $(basename "$_d") ready (ports $TFTP_PORT $HTTP_PORT)"
	else
		nok "sbdd $(basename "$_d") ready: no run/ports in 10 s"
		sed -n '1,15s/^/  | /p' "$SBDD_LOG"
	fi
}

stop_sbdd() {
	kill -TERM "$SBDD_PID" 2>/dev/null
	wait_sbdd "${1:-sbdd exits 0 on SIGTERM}"
}

wait_sbdd() {
	_name=$1
	if wait_until 10 _dead "$SBDD_PID"; then
		wait "$SBDD_PID"
		sbdd_rc=$?
	else
		kill -KILL "$SBDD_PID" 2>/dev/null
		wait "$SBDD_PID"
		sbdd_rc="still running after 10 s"
	fi
	if [ "$sbdd_rc" = 0 ]; then
		ok "$_name"
	else
		nok "$_name (exit $sbdd_rc)"
		tail -n 15 "$SBDD_LOG" | sed 's/^/  | /'
	fi
}

counter() {
	"$SBDCTL" stats -d "$1" --json 2>/dev/null |
	    sed -n "s/.*\"$2\": *\([0-9][0-9]*\).*/\1/p"
}

_counter_is() {
	_cv=$(counter "$1" "$2")
	[ -n "$_cv" ] && [ "$_cv" "$3" "$4" ]
}

expect_counter() {
	if wait_until 3 _counter_is "$2" "$3" "$4" "$5"; then
		ok "$1"
	else
		nok "$1 ($3 is ${_cv:-missing}, want $4 $5)"
	fi
}
