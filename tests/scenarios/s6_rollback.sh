# Scenario 6: the enterprise parameter "Prepare Cluster for Rollback to
# pre 8.0" (SPEC.md "Rollback", "Phone trust rules").  With it set, the
# node serves the empty ITL; phones reset install it (its signer is the
# TFTP record of the ITL they hold) and then trust on first use: after a
# CallManager regeneration they accept the new ITL and the configuration
# signed by the new key without asking TVS.  Set back to false, the
# normal ITL is served and the phones take it on first use.  Sourced by
# run.sh.

D=$T/c
PH=$T/phones
P=00C601		# 5 phones of pub, group (pub)
N=5

export SBD_TEST_CLOCK="$T/clock"
set_clock 0
make_cluster "$D" s6 pub || return
add_phones "$D" $P $N auth pub
start_node "$D" pub
boot_fleet "$D" "$PH" pub $P $N
expect_fleet_ok "s6: $N phones boot against pub"
ITL0=$T/itl0
cp "$(node_itl "$D" pub)" "$ITL0"
expect_phones "s6: ... each holds pub's ITL" phones_itl_is "$PH" $P $N "$ITL0"
hook_to "$D" "$T/reset"
CM0=$(active_cert "$D" pub CallManager)
phone_names $P $N >"$T/names"

# ---- rollback_pre80 true: the empty ITL
run "$SBDCTL" param set -d "$D" rollback_pre80 true
expect_rc "s6: param set rollback_pre80 true" 0
run "$SBDCTL" param show -d "$D" rollback_pre80
expect_out "s6: ... param show says so" "rollback_pre80 = true"
EITL=$T/eitl
empty_served() {
	cp "$(node_itl "$D" pub)" "$EITL" && ! cmp -s "$EITL" "$ITL0" &&
	    ! itl_has "$EITL" TFTP "$CM0"
}
expect_true "s6: pub serves another ITL, no TFTP certificate in it" \
    wait_until 5 empty_served
"$SBDCTL" show itl --json "$EITL" >"$T/eitl.json" 2>&1
expect_true "s6: ... it verifies with pub's CallManager key" \
    "$SBDCTL" verify itl -q --cert "$CM0" "$EITL"
expect_true "s6: ... records of a role each, TFTP and TVS among them" \
    grep -q '"role_name": "TVS"' "$T/eitl.json"
expect_true "s6: ... and not one certificate" \
    not grep -q '"certificate_sha1"' "$T/eitl.json"
run "$SBDCTL" device reset -d "$D" --all
expect_rc "s6: device reset --all" 0
expect_same "s6: the hook got every device" "$T/names" "$T/reset"
q0=$(node_counter "$D" pub tvs_query)
boot_listed "$D" "$PH" pub "$T/reset"
expect_true "s6: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s6: ... installing the empty ITL through its old ITL" \
    booted_say "installed (trusted by ITL)"
expect_phones "s6: ... each holds the empty ITL" \
    phones_itl_is "$PH" $P $N "$EITL"
expect_phones "s6: ... and reported it" wait_until 3 devices_have "$D" $P $N \
    reported_itl_sha1 "$(file_sha1 "$EITL")"

# ---- a new CallManager: accepted without TVS
set_clock 301
: >"$T/reset"
run "$SBDCTL" set cert regen CallManager -d "$D" --yes </dev/null
expect_rc "s6: set cert regen CallManager (clock past the hold)" 0
expect_same "s6: ... the hook got every device" "$T/names" "$T/reset"
CM1=$(active_cert "$D" pub CallManager)
EITL1=$T/eitl1
cp "$(node_itl "$D" pub)" "$EITL1"
expect_true "s6: a new empty ITL, signed by the new CallManager" \
    "$SBDCTL" verify itl -q --cert "$CM1" "$EITL1"
expect_true "s6: ... not by the old one" \
    not "$SBDCTL" verify itl -q --cert "$CM0" "$EITL1"
tftp_get "$D" pub "SEP$(phone_mac $P 0).cnf.xml.sgn" "$T/cnf"
run "$SBDCTL" verify sgn --cert "$CM1" "$T/cnf"
expect_rc "s6: the configuration is signed by the new CallManager" 0
boot_listed "$D" "$PH" pub "$T/reset"
expect_true "s6: every phone reboots ok" test "$(booted_count ok)" = $N
expect_phones "s6: ... installing the new ITL on first use" \
    booted_say "installed (trust on first use)"
expect_phones "s6: ... accepting the configuration of the new signer" \
    booted_say "accepted"
expect_phones "s6: ... each holds the new empty ITL" \
    phones_itl_is "$PH" $P $N "$EITL1"
expect_phones "s6: ... none shows Trust List Update Failed" \
    phones_status_lack "$PH" $P $N "Trust List Update Failed"
expect_node_counter "s6: ... and TVS was not asked" "$D" pub tvs_query \
    -eq "$q0"

# ---- rollback_pre80 false: the normal ITL again, taken on first use
run "$SBDCTL" param set -d "$D" rollback_pre80 false
expect_rc "s6: param set rollback_pre80 false" 0
ITL1=$T/itl1
normal_served() {
	cp "$(node_itl "$D" pub)" "$ITL1" && itl_has "$ITL1" TFTP "$CM1"
}
expect_true "s6: pub serves the normal ITL, the new CallManager as TFTP" \
    wait_until 5 normal_served
: >"$T/reset"
run "$SBDCTL" device reset -d "$D" --all
expect_rc "s6: device reset --all" 0
boot_listed "$D" "$PH" pub "$T/reset"
expect_true "s6: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s6: ... taking the normal ITL on first use" \
    booted_say "installed (trust on first use)"
expect_phones "s6: ... and the configuration through it" \
    booted_say "accepted (trusted by ITL)"
expect_phones "s6: ... each holds it" phones_itl_is "$PH" $P $N "$ITL1"
expect_node_counter "s6: ... still without TVS" "$D" pub tvs_query -eq "$q0"
stop_node "$D" pub
unset SBD_TEST_CLOCK
