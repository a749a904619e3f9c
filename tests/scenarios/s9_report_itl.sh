# Scenario 9: `report itl` finds exactly the phones a bulk reset would not
# save (SPEC.md "Verification", "ITL recovery (bulk reset)").  Phones of
# group A boot after ITLRecovery was regenerated and hold its new record;
# those of group B booted before and hold an ITL with only the old one;
# those of group C never booted.  Then CallManager and TVS are both
# regenerated (test clock past each hold), so that TVS can vouch for no
# new signer: only the ITLRecovery record saves a phone.  The report
# lists B as not saved, and `utils itl reset` followed by a reset of
# every device proves it: B ends in "Trust List Update Failed", A and C
# recover.  Sourced by run.sh.

D=$T/c
PH=$T/phones
A=00C901		# 4 phones booted on the current ITL
B=00C902		# 3 phones booted before the regeneration
C=00C903		# 2 phones never booted

export SBD_TEST_CLOCK="$T/clock"
set_clock 0
make_cluster "$D" s9 pub || return
add_phones "$D" $A 4 auth pub
add_phones "$D" $B 3 auth pub
add_phones "$D" $C 2 auth pub
start_node "$D" pub
hook_to "$D" "$T/reset"
boot_fleet "$D" "$PH" pub $B 3
expect_fleet_ok "s9: B's 3 phones boot"
OLD=$T/old
cp "$(node_itl "$D" pub)" "$OLD"
REC0=$(active_cert "$D" pub ITLRecovery)

set_clock 301
S9_PW=$(cat "$D.pw")
export S9_PW
run "$SBDCTL" set cert regen ITLRecovery -d "$D" --yes --password-env S9_PW \
    </dev/null
expect_rc "s9: set cert regen ITLRecovery" 0
expect_true "s9: ... no phone reset" test ! -s "$T/reset"
REC1=$(active_cert "$D" pub ITLRecovery)
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$D" --wait 10
expect_rc "s9: utils service restart Cisco Tftp" 0
CUR=$T/cur
cp "$(node_itl "$D" pub)" "$CUR"
expect_true "s9: the served ITL holds the new ITLRecovery" \
    itl_has "$CUR" SAST "$REC1"
expect_true "s9: ... B's holds only the old one" not itl_has "$OLD" any "$REC1"
expect_true "s9: ... and the new one not the old" not itl_has "$CUR" any "$REC0"
boot_fleet "$D" "$PH" pub $A 4
expect_fleet_ok "s9: A's 4 phones boot"
expect_phones "s9: ... holding the current ITL" phones_itl_is "$PH" $A 4 "$CUR"
expect_phones "s9: the store has A's reports" wait_until 3 \
    devices_have "$D" $A 4 reported_itl_sha1 "$(file_sha1 "$CUR")"
expect_phones "s9: ... and B's" wait_until 3 \
    devices_have "$D" $B 3 reported_itl_sha1 "$(file_sha1 "$OLD")"

# The phones do not come back between these two.
set_clock 602
run "$SBDCTL" set cert regen CallManager -d "$D" --yes </dev/null
expect_rc "s9: set cert regen CallManager" 0
set_clock 903
run "$SBDCTL" set cert regen TVS -d "$D" --yes </dev/null
expect_rc "s9: set cert regen TVS" 0
hook_to "$D" "$T/reset2"

# ---- the report
run "$SBDCTL" report itl -d "$D" --json
expect_rc "s9: report itl --json" 0
tr -d ' \n' <"$T/out" | tr '}' '\n' >"$T/rows"
sed -n 's/.*"device":"\(SEP[0-9A-F]*\)".*"saved":"no".*/\1/p' "$T/rows" |
    sort >"$T/notsaved"
phone_names $B 3 >"$T/wantb"
expect_same "s9: not saved: exactly B's phones" "$T/wantb" "$T/notsaved"
expect_true "s9: ... 3 not saved, 6 saved, 0 unknown" grep -Eq \
    '"saved": 6,' "$T/out"
expect_true "s9: ... counted 3 not saved" grep -Eq '"not_saved": 3,' "$T/out"
expect_true "s9: ... C's phones saved, holding nothing" test "$(grep -c \
    "\"device\":\"SEP$C.*\"source\":\"none\".*\"saved\":\"yes\"" "$T/rows")" = 2
run "$SBDCTL" report itl -d "$D"
expect_out "s9: the text form agrees" \
    "9 devices: 6 saved by utils itl reset, 3 not saved, 0 unknown"

# ---- the proof: a bulk reset
run "$SBDCTL" utils itl reset localkey -d "$D" --password-env S9_PW --wait 10
expect_rc "s9: utils itl reset localkey" 0
run "$SBDCTL" device reset -d "$D" --all
expect_rc "s9: device reset --all" 0
{ phone_names $A 4; phone_names $B 3; phone_names $C 2; } >"$T/want"
expect_same "s9: the hook got every device" "$T/want" "$T/reset2"
boot_listed "$D" "$PH" pub "$T/reset2"
grep -v ' ok$' "$T/booted" | cut -d' ' -f1 | sort >"$T/failed"
expect_same "s9: exactly B's phones fail" "$T/wantb" "$T/failed"
expect_true "s9: ... in Trust List Update Failed" \
    test "$(booted_count trust-list-update-failed)" = 3
expect_phones "s9: ... which their status shows" \
    phones_status_have "$PH" $B 3 "^  [0-9:]{8} Trust List Update Failed$"
expect_phones "s9: ... keeping their old ITL" phones_itl_is "$PH" $B 3 "$OLD"
RITL=$T/ritl
cp "$(node_itl "$D" pub)" "$RITL"
expect_phones "s9: A's phones hold the reset ITL" \
    phones_itl_is "$PH" $A 4 "$RITL"
expect_phones "s9: ... so do C's" phones_itl_is "$PH" $C 2 "$RITL"
expect_true "s9: 6 phones boot ok" test "$(booted_count ok)" = 6
run "$SBDCTL" verify itl --cert "$REC1" "$RITL"
expect_rc "s9: ... the reset ITL, signed by the new ITLRecovery" 0
stop_node "$D" pub
unset SBD_TEST_CLOCK S9_PW
