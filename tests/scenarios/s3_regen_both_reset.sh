# Scenario 3: CallManager and then TVS regenerated (SPEC.md "Certificate
# regeneration", "ITL recovery (bulk reset)"; seed 001).  Within five
# minutes of the first, the second is refused with CUCM's message.  Past
# the hold (test clock), both change before the phones come back: their
# ITL holds neither the new signer nor the new TVS certificate, so they
# end in "Trust List Update Failed", as plan cert regen predicted.  `utils
# itl reset localkey` serves the ITL re-signed by ITLRecovery, whose
# record every phone holds; reset, they install it and accept their
# configuration.  The next TFTP restart brings the CallManager signer
# back, which the reset ITL holds as TFTP: a reboot keeps every phone
# trusting.  Sourced by run.sh.

D=$T/c
PH=$T/phones
P=00C301		# 8 phones of pub, group (pub)
N=8

export SBD_TEST_CLOCK="$T/clock"
set_clock 0
make_cluster "$D" s3 pub || return
add_phones "$D" $P $N auth pub
start_node "$D" pub
boot_fleet "$D" "$PH" pub $P $N
expect_fleet_ok "s3: $N phones boot against pub"
ITL0=$T/itl0
cp "$(node_itl "$D" pub)" "$ITL0"
expect_phones "s3: ... the store has each one's reported ITL" \
    wait_until 3 devices_have "$D" $P $N reported_itl_sha1 \
    "$(file_sha1 "$ITL0")"
hook_to "$D" "$T/reset"
CM0=$(active_cert "$D" pub CallManager)
TVS0=$(active_cert "$D" pub TVS)

set_clock 301
run "$SBDCTL" plan cert regen CallManager,TVS -d "$D" --json
expect_rc "s3: plan cert regen CallManager,TVS" 0
expect_true "s3: ... every phone would lose trust" \
    grep -Eq "\"lose\": $N," "$T/out"
PLAN_LOSE=$(sed -n 's/^ *"lose": \([0-9]*\),$/\1/p' "$T/out")
expect_true "s3: ... Trust List Update Failed, each" test "$(grep -c \
    '"why": "Trust List Update Failed"' "$T/out")" = $N
run "$SBDCTL" plan cert regen CallManager,TVS -d "$D"
expect_out "s3: ... which the text form says too" \
    "$N devices: 0 keep trust, $N would lose it, 0 unknown"
run "$SBDCTL" plan cert regen CallManager -d "$D"
expect_out "s3: ... while CallManager alone would keep them all" \
    "$N devices: $N keep trust, 0 would lose it, 0 unknown"

run "$SBDCTL" set cert regen CallManager -d "$D" --yes </dev/null
expect_rc "s3: set cert regen CallManager" 0
expect_out "s3: ... the phones are reset" "Reset sent to $N devices."
run "$SBDCTL" set cert regen TVS -d "$D" --yes </dev/null
expect_rc "s3: TVS right after: refused" 1
printf '%s\n%s\n' "CallManager certificate was modified in the last 5 \
minutes. Please re-try" "regenerating TVS certificate at a later time" \
    >"$T/held"
expect_same "s3: ... with CUCM's message, word for word" "$T/held" "$T/out"
expect_same "s3: ... TVS unchanged" "$TVS0" "$(active_cert "$D" pub TVS)"

# The phones were reset but did not come back before the second regen.
set_clock 602
run "$SBDCTL" set cert regen TVS -d "$D" --yes </dev/null
expect_rc "s3: TVS past the hold (test clock)" 0
expect_out "s3: ... pub serves it" "Node pub serves the new TVS certificate."
CM1=$(active_cert "$D" pub CallManager)
TVS1=$(active_cert "$D" pub TVS)
{ phone_names $P $N; phone_names $P $N; } >"$T/want"
expect_same "s3: the hook got every device, once per regen" "$T/want" \
    "$T/reset"
ITL1=$T/itl1
cp "$(node_itl "$D" pub)" "$ITL1"
expect_true "s3: pub's ITL: the new CallManager as TFTP" \
    itl_has "$ITL1" TFTP "$CM1"
expect_true "s3: ... the new TVS as TVS" itl_has "$ITL1" TVS "$TVS1"
expect_true "s3: ... the phones' ITL holds neither" \
    not itl_has "$ITL0" any "$TVS1"

phone_names $P $N >"$T/names"
q0=$(node_counter "$D" pub tvs_query)
boot_listed "$D" "$PH" pub "$T/names"
expect_true "s3: every phone reboots into trust-list-update-failed" \
    test "$(booted_count trust-list-update-failed)" = $N
expect_true "s3: ... as many as the plan said would lose trust" \
    test "$(booted_count trust-list-update-failed)" = "$PLAN_LOSE"
expect_phones "s3: ... pub's TVS certificate is no TVS record of theirs" \
    booted_say "its certificate is not a TVS record of the ITL"
expect_phones "s3: ... each shows Trust List Update Failed" \
    phones_status_have "$PH" $P $N "^  [0-9:]{8} Trust List Update Failed$"
expect_phones "s3: ... and keeps its old ITL" \
    phones_itl_is "$PH" $P $N "$ITL0"
expect_node_counter "s3: ... no QUERY was answered" "$D" pub tvs_query \
    -eq "$q0"

# ---- utils itl reset localkey, then a reset of every device
S3_PW=$(cat "$D.pw")
export S3_PW
run "$SBDCTL" utils itl reset localkey -d "$D" --password-env S3_PW \
    --wait 10
expect_rc "s3: utils itl reset localkey" 0
expect_out "s3: ... seed 001's transcript" \
    "The reset ITL file was generated successfully"
expect_out "s3: ... pub restarted" "Cisco Tftp service restarted on host pub"
RITL=$T/ritl
cp "$(node_itl "$D" pub)" "$RITL"
run "$SBDCTL" verify itl --cert "$D/nodes/pub/pki/ITLRecovery.pem" "$RITL"
expect_rc "s3: the served ITL is signed by ITLRecovery" 0
expect_true "s3: ... holding the new CallManager as TFTP" \
    itl_has "$RITL" TFTP "$CM1"
hook_to "$D" "$T/reset2"
run "$SBDCTL" device reset -d "$D" --all
expect_rc "s3: device reset --all" 0
expect_same "s3: the hook got every device" "$T/names" "$T/reset2"
boot_listed "$D" "$PH" pub "$T/reset2"
expect_true "s3: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s3: ... installing the reset ITL through its SAST record" \
    booted_say "installed (trusted by ITL)"
expect_phones "s3: ... and accepting its configuration" \
    booted_say "accepted (trusted by ITL)"
expect_phones "s3: ... each holds the reset ITL" \
    phones_itl_is "$PH" $P $N "$RITL"
expect_phones "s3: ... and reported it" wait_until 3 devices_have "$D" $P $N \
    reported_itl_sha1 "$(file_sha1 "$RITL")"
expect_node_counter "s3: ... no TVS needed" "$D" pub tvs_query -eq "$q0"

# ---- the next TFTP restart: the CallManager key signs again
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$D" --wait 10
expect_rc "s3: utils service restart Cisco Tftp" 0
expect_out "s3: ... STARTED" "Cisco Tftp[STARTED]"
ITL2=$T/itl2
cm_signs() {
	cp "$(node_itl "$D" pub)" "$ITL2" &&
	    "$SBDCTL" verify itl -q --cert "$CM1" "$ITL2" >/dev/null 2>&1
}
expect_true "s3: the served ITL is signed by the new CallManager again" \
    wait_until 5 cm_signs
tftp_get "$D" pub ITLFile.tlv "$T/itl2.tftp"
expect_same "s3: ... as a TFTP client gets it" "$ITL2" "$T/itl2.tftp"
boot_listed "$D" "$PH" pub "$T/names"
expect_true "s3: every phone reboots ok" test "$(booted_count ok)" = $N
expect_phones "s3: ... trusting the ITL through the reset ITL's TFTP record" \
    booted_say "installed (trusted by ITL)"
expect_phones "s3: ... each holds it" phones_itl_is "$PH" $P $N "$ITL2"
expect_node_counter "s3: ... still without TVS" "$D" pub tvs_query -eq "$q0"
stop_node "$D" pub
unset SBD_TEST_CLOCK S3_PW
