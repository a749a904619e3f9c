# set cert regen and utils service restart against a running sbdd: the new
# CallManager certificate is in the ITL served over TFTP when the command
# says so, the reset hook runs only after that, a TFTP restart reaches the
# daemon, a kill -9 after the commit leaves the store and the served ITL
# in agreement, and without a daemon the restart waits for the next start.
# Sourced by run.sh.  The cluster clock (SBD_TEST_CLOCK, given to each
# command) is 301 s ahead, past the five-minute hold of cluster init, and
# moves 301 s on before each further regeneration: the store stamps the
# new certificates with it.

RD=$T/rg
RDB=$RD/store.db
printf '301\n' >"$T/rg_clock"

rg_ctl() {
	SBD_TEST_CLOCK="$T/rg_clock" "$SBDCTL" "$@"
}

rg_sha() {	# ROLE -> the store's active sha1 of pub's certificate
	sqlite3 -readonly "$RDB" "SELECT sha1 FROM cert WHERE node = 'pub' \
	    AND role = '$1' AND active = 1" 2>/dev/null
}

rg_state() {	# COLUMN -> pub's node state
	sqlite3 -readonly "$RDB" "SELECT $1 FROM node_state \
	    WHERE node = 'pub'" 2>/dev/null
}

rg_get() {	# OUT: fetch ITLFile.tlv over TFTP
	rm -f "$1"
	timeout 10 tftp 127.0.0.1 "$TFTP_PORT" -m binary \
	    -c get ITLFile.tlv "$1" >/dev/null 2>&1
}

rg_record() {	# ITL ROLE-NAME -> the certificate SHA-1 of that record
	"$SBDCTL" show itl --json "$1" 2>/dev/null | python3 -c "import json,sys
print(' '.join(r['certificate_sha1'] for r in json.load(sys.stdin)['records']
    if r.get('role_name') == sys.argv[1]))" "$2"
}

make_node "$RD"
for rg_m in 0011223344A1 0011223344A2; do
	run "$SBDCTL" device add -d "$RD" --mac $rg_m
	expect_rc "regen: device add $rg_m" 0
done
start_sbdd "$RD"
if [ -z "$TFTP_PORT" ]; then
	nok "t_regen: no sbdd to test"
	return
fi

# ---- regen CallManager while sbdd runs --------------------------------------

rg_get "$T/rg_itl0"
expect_true "regen: the served ITL holds the current CallManager" \
    test "$(rg_record "$T/rg_itl0" TFTP)" = "$(rg_sha CallManager)"

# The hook fetches the ITL itself: what it gets shows what was served
# when it ran.
run "$SBDCTL" param set -d "$RD" reset_hook "cat >'$T/rg_names'; \
timeout 5 tftp 127.0.0.1 $TFTP_PORT -m binary -c get ITLFile.tlv \
'$T/rg_hook_itl' >/dev/null 2>&1"
expect_rc "regen: param set reset_hook" 0

rg_cm0=$(rg_sha CallManager)
run rg_ctl set cert regen CallManager -d "$RD" --yes </dev/null
expect_rc "regen CallManager with sbdd running" 0
expect_out "regen: CUCM's success text" \
    "Successfully Regenerated Certificate for CallManager."
expect_out "regen: the node serves it" \
    "Node pub serves the new CallManager certificate."
expect_out "regen: the phones were reset" "Reset sent to 2 devices."
rg_cm1=$(rg_sha CallManager)
expect_true "regen: a new active CallManager" test "$rg_cm1" != "$rg_cm0"
rg_get "$T/rg_itl1"
expect_true "regen: the ITL fetched right after has the new CallManager" \
    test "$(rg_record "$T/rg_itl1" TFTP)" = "$rg_cm1"
run "$SBDCTL" verify itl --cert "$RD/$(sqlite3 -readonly "$RDB" \
    "SELECT cert_path FROM cert WHERE node = 'pub' AND \
    role = 'CallManager' AND active = 1")" "$T/rg_itl1"
expect_rc "regen: ... signed by the new CallManager key" 0
expect_true "regen: the node state has the generation" \
    test "$(rg_state gen)" -ge "$(sqlite3 -readonly "$RDB" \
    'SELECT generation FROM meta')"
printf 'SEP0011223344A1\nSEP0011223344A2\n' >"$T/rg_want"
expect_same "regen: the hook got every device" "$T/rg_names" "$T/rg_want"
expect_true "regen: the hook ran after the new ITL was served" \
    test "$(rg_record "$T/rg_hook_itl" TFTP)" = "$rg_cm1"

run "$SBDCTL" show itl -d "$RD"
expect_rc "regen: show itl of the node" 0
expect_out "regen: show itl of the node is the served file" \
    "$(sha1sum "$T/rg_itl1" | cut -c1-40)(SHA1)"

# ---- utils service restart --------------------------------------------------

rg_r0=$(rg_state tftp_restart)
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$RD"
expect_rc "utils service restart with sbdd running" 0
expect_out "utils service restart: STOPPING" "Cisco Tftp[STOPPING]"
expect_out "utils service restart: STARTED" "Cisco Tftp[STARTED]"
expect_true "utils service restart: the node honours a later restart" \
    test "$(rg_state tftp_restart)" -gt "${rg_r0:-0}"

# ---- kill -9 after the commit, while the hook runs ------------------------

run "$SBDCTL" param set -d "$RD" reset_hook \
    "echo \$\$ >'$T/rg_hook_pid'; exec sleep 20"
expect_rc "regen: param set a slow hook" 0
rg_tvs0=$(rg_sha TVS)
rm -f "$T/rg_hook_pid"
printf '602\n' >"$T/rg_clock"
rg_ctl set cert regen TVS -d "$RD" --yes --hook-timeout 30 \
    </dev/null >"$T/rg_kill.out" 2>&1 &
rg_pid=$!
track "$rg_pid"
wait_until 10 test -s "$T/rg_hook_pid"
track "$(cat "$T/rg_hook_pid" 2>/dev/null)"
kill -KILL "$rg_pid" 2>/dev/null
wait "$rg_pid" 2>/dev/null
expect_true "kill -9: the hook was running" test -s "$T/rg_hook_pid"
rg_tvs1=$(rg_sha TVS)
expect_true "kill -9 after the commit: the store has the new TVS" \
    test -n "$rg_tvs1" -a "$rg_tvs1" != "$rg_tvs0"
expect_true "kill -9: its file is there" test -s "$RD/$(sqlite3 -readonly \
    "$RDB" "SELECT cert_path FROM cert WHERE node = 'pub' AND \
    role = 'TVS' AND active = 1")"
rg_tvs_served() {
	rg_get "$T/rg_itl2" && test "$(rg_record "$T/rg_itl2" TVS)" = "$rg_tvs1"
}
expect_true "kill -9: the served ITL agrees with the store" \
    wait_until 5 rg_tvs_served
kill -KILL "$(cat "$T/rg_hook_pid")" 2>/dev/null

# ---- without sbdd -----------------------------------------------------------

stop_sbdd "regen: sbdd stops"
run "$SBDCTL" param set -d "$RD" reset_hook ""
rg_req=$(sqlite3 -readonly "$RDB" \
    "SELECT tftp_restart FROM node WHERE name = 'pub'")
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$RD" --wait 1
expect_rc "utils service restart without sbdd" 0
expect_out "utils service restart without sbdd: NOT RUNNING" \
    "Cisco Tftp[NOT RUNNING]: the restart happens when sbdd starts on pub"
expect_true "utils service restart without sbdd: asked in the store" \
    test "$(sqlite3 -readonly "$RDB" \
    "SELECT tftp_restart FROM node WHERE name = 'pub'")" -eq $((rg_req + 1))
printf '903\n' >"$T/rg_clock"
run rg_ctl set cert regen CAPF -d "$RD" --yes </dev/null
expect_rc "regen CAPF without sbdd" 0
expect_true "regen without sbdd: no node line" \
    sh -c "! grep -q '^Node ' '$T/out'"
