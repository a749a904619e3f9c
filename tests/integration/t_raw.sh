# Integration: raw TFTP packets ($ITESTS/tftp_raw) against sbdd, then the
# daemon's counters against what tftp_raw saw.  tftp_raw's checks are
# added to the totals.  Sourced by run.sh.

D=$T/raw
TD=$D/nodes/pub/tftp

# raw_run GROUP...: run tftp_raw against the running sbdd; add its counts
# and keep its "# served N refused N missed N" line in $T/raw.sum.
raw_run() {
	timeout 300 "$ITESTS/tftp_raw" 127.0.0.1 "$TFTP_PORT" "$TD" "$@" \
	    >"$T/raw.out" 2>&1
	_rrc=$?
	grep -v '^[0-9]* passed, [0-9]* failed$' "$T/raw.out"
	_rp=$(sed -n 's/^\([0-9]*\) passed, [0-9]* failed$/\1/p' "$T/raw.out")
	_rf=$(sed -n 's/^[0-9]* passed, \([0-9]*\) failed$/\1/p' "$T/raw.out")
	sed -n 's/^# served \([0-9]*\) refused \([0-9]*\) missed /\1 \2 /p' \
	    "$T/raw.out" >"$T/raw.sum"
	pass=$((pass + ${_rp:-0}))
	fail=$((fail + ${_rf:-0}))
	if [ -z "$_rf" ] || { [ "$_rrc" -ne 0 ] && [ "$_rf" -eq 0 ]; }; then
		nok "tftp_raw $* ended (exit $_rrc) without its summary"
	fi
}

make_node "$D"
start_sbdd "$D" -o rexmit_ms=200 -o max_retries=3 -o max_per_client=2 \
    -o blksize_cap=1468 -o window_cap=8
raw_run
raw_served="" raw_refused="" raw_missed=""
read -r raw_served raw_refused raw_missed <"$T/raw.sum"
expect_true "tftp_raw reported its transfers" test -n "$raw_served"
expect_counter "tftp_served: the $raw_served transfers tftp_raw completed" \
    "$D" tftp_served -eq "${raw_served:-0}"
expect_counter "tftp_misses: the $raw_missed misses" "$D" tftp_misses \
    -eq "${raw_missed:-0}"
expect_counter "tftp_rejected: at least the $raw_refused refusals" "$D" \
    tftp_rejected -ge "${raw_refused:-1}"
expect_counter "tftp_retransmits: the silent client's 3 at least" "$D" \
    tftp_retransmits -ge 3
expect_counter "tftp_strange_tid: the one strange ACK" "$D" \
    tftp_strange_tid -eq 1
expect_counter "tftp_errors: the silent client's transfer was dropped" \
    "$D" tftp_errors -ge 1
expect_true "sbdd survived the raw packets" alive "$SBDD_PID"
stop_sbdd

# The global cap, on a daemon of its own.
start_sbdd "$D" -o max_transfers=1
raw_run busy
stop_sbdd "sbdd (max_transfers=1) exits 0 on SIGTERM"
