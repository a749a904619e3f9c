# Scenario 4: the recovery of scenario 3 with `utils itl reset remotekey`
# (SPEC.md "ITL recovery (bulk reset)"; seed 001).  The ITLRecovery key is
# first backed up with `file get tftp ITLRecovery.p12` to a real OpenSSH
# SFTP server (tests/integration/sshd.sh); CallManager and TVS are
# regenerated past the hold, the phones are locked out; remotekey fetches
# the key back from the server, the reset ITL it signs is served, and the
# phones, reset, trust again; the fetched key replaces the local one.
# Sourced by run.sh.

. "$here/../integration/sshd.sh"

D=$T/c
PH=$T/phones
P=00C401		# 6 phones of pub, group (pub)
N=6
BK=$T/backup

export SBD_TEST_CLOCK="$T/clock"
set_clock 0
make_cluster "$D" s4 pub || return
add_phones "$D" $P $N auth pub
start_node "$D" pub
boot_fleet "$D" "$PH" pub $P $N
expect_fleet_ok "s4: $N phones boot against pub"
ITL0=$T/itl0
cp "$(node_itl "$D" pub)" "$ITL0"
hook_to "$D" "$T/reset"

# ---- the key to the SFTP server
start_sshd
mkdir -p "$BK"
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --yes --host 127.0.0.1 \
    --port "$SSHD_PORT" --user "$SSHD_USER" --dir "$BK" \
    --identity "$SSHD_KEY" --accept-host-key </dev/null
expect_rc "s4: file get tftp ITLRecovery.p12 to the SFTP server" 0
expect_out "s4: ... Transfer completed." "Transfer completed."
expect_same "s4: ... the server holds the publisher's key" \
    "$D/nodes/pub/pki/ITLRecovery.p12" "$BK/ITLRecovery.p12"

# ---- CallManager, then TVS past the hold: the phones are locked out
set_clock 301
run "$SBDCTL" set cert regen CallManager -d "$D" --yes </dev/null
expect_rc "s4: set cert regen CallManager" 0
set_clock 602
run "$SBDCTL" set cert regen TVS -d "$D" --yes </dev/null
expect_rc "s4: set cert regen TVS, five minutes later" 0
CM1=$(active_cert "$D" pub CallManager)
phone_names $P $N >"$T/names"
boot_listed "$D" "$PH" pub "$T/names"
expect_true "s4: every phone reboots into trust-list-update-failed" \
    test "$(booted_count trust-list-update-failed)" = $N
expect_phones "s4: ... keeping its old ITL" phones_itl_is "$PH" $P $N "$ITL0"

# ---- remotekey from the SFTP server
# The publisher's own copy is lost: localkey cannot help.
cp "$BK/ITLRecovery.p12" "$T/fetched.p12"
echo lost >"$D/nodes/pub/pki/ITLRecovery.p12"
S4_PW=$(cat "$D.pw")
export S4_PW
run "$SBDCTL" utils itl reset localkey -d "$D" --password-env S4_PW \
    --wait 10 </dev/null
expect_rc "s4: localkey with the local key lost: fails" 1
run "$SBDCTL" verify itl --cert "$CM1" "$(node_itl "$D" pub)"
expect_rc "s4: ... pub still serves the CallManager-signed ITL" 0
run "$SBDCTL" utils itl reset remotekey 127.0.0.1 "$SSHD_USER" \
    "$BK/ITLRecovery.p12" -d "$D" --port "$SSHD_PORT" \
    --identity "$SSHD_KEY" --password-env S4_PW --wait 10 </dev/null
expect_rc "s4: utils itl reset remotekey 127.0.0.1 USER PATH" 0
expect_out "s4: ... seed 001's transcript" \
    "The reset ITL file was generated successfully"
expect_out "s4: ... pub restarted" "Cisco Tftp service restarted on host pub"
expect_same "s4: the fetched key is the local one now" "$T/fetched.p12" \
    "$D/nodes/pub/pki/ITLRecovery.p12"
run sqlite3 "$D/store.db" "SELECT detail FROM audit
    WHERE action = 'utils itl reset' ORDER BY id DESC LIMIT 1"
expect_out "s4: audited with the key's source" \
    "remotekey $SSHD_USER@127.0.0.1:$BK/ITLRecovery.p12: reset ITL"
stop_sshd
RITL=$T/ritl
cp "$(node_itl "$D" pub)" "$RITL"
run "$SBDCTL" verify itl --cert "$D/nodes/pub/pki/ITLRecovery.pem" "$RITL"
expect_rc "s4: the served ITL is signed by ITLRecovery" 0

: >"$T/reset"
run "$SBDCTL" device reset -d "$D" --all
expect_rc "s4: device reset --all" 0
expect_same "s4: the hook got every device" "$T/names" "$T/reset"
q0=$(node_counter "$D" pub tvs_query)
boot_listed "$D" "$PH" pub "$T/reset"
expect_true "s4: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s4: ... installing the reset ITL" \
    booted_say "installed (trusted by ITL)"
expect_phones "s4: ... and accepting its configuration" \
    booted_say "accepted (trusted by ITL)"
expect_phones "s4: ... each holds the reset ITL" \
    phones_itl_is "$PH" $P $N "$RITL"

# ---- the next TFTP restart: CallManager signs again, phones keep trust
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$D" --wait 10
expect_rc "s4: utils service restart Cisco Tftp" 0
ITL2=$T/itl2
cm_signs() {
	cp "$(node_itl "$D" pub)" "$ITL2" &&
	    "$SBDCTL" verify itl -q --cert "$CM1" "$ITL2" >/dev/null 2>&1
}
expect_true "s4: the new CallManager signs the served ITL again" \
    wait_until 5 cm_signs
boot_listed "$D" "$PH" pub "$T/names"
expect_true "s4: every phone reboots ok" test "$(booted_count ok)" = $N
expect_phones "s4: ... each holds the CallManager-signed ITL" \
    phones_itl_is "$PH" $P $N "$ITL2"
expect_node_counter "s4: ... no TVS needed" "$D" pub tvs_query -eq "$q0"
stop_node "$D" pub
unset SBD_TEST_CLOCK S4_PW
