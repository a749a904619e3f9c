# Scenario 5a: the host name of a single node changes, ITL only (SPEC.md
# "ITL recovery"; seed 002, "Modificare i nomi host o i nomi di dominio",
# "Cluster a nodo singolo con solo ITL").  `set network hostname`
# regenerates CallManager, TVS and CAPF at once; the ITLRecovery
# certificate, and so the ITL's SAST record, stays the same byte for byte.
# The node's sbdd starts again under the new name, the same process on the
# same ports.  The phones, reset, can verify neither the new ITL nor TVS,
# whose certificate their ITL does not hold either: "Trust List Update
# Failed", the old ITL kept.  Prepared first with the rollback parameter,
# the phones hold the empty ITL when the name changes, take the new one on
# first use, and after rollback the real ITL.  Sourced by run.sh.

D=$T/one
E=$T/two
PH=$T/phones
P=00C501		# 3 phones of the unprepared node pub, group (pub)
R=00C502		# 3 phones of the prepared node pub2, group (pub2)
N=3

# ---- unprepared: the phones are locked out
make_cluster "$D" s5a pub || return
add_phones "$D" $P $N auth pub
start_node "$D" pub
boot_fleet "$D" "$PH" pub $P $N
expect_fleet_ok "s5a: $N phones boot against pub"
ITL0=$T/itl0
cp "$(node_itl "$D" pub)" "$ITL0"
expect_phones "s5a: ... each holds pub's ITL" phones_itl_is "$PH" $P $N \
    "$ITL0"
hook_to "$D" "$T/reset"
store_ports() {	# NODE
	for k in tftp http tvs capf; do
		node_port "$D" "$1" $k
	done
}
PORTS0=$(store_ports pub)
for r in CallManager TVS CAPF ITLRecovery; do
	cp "$(active_cert "$D" pub $r)" "$T/$r.0"
done
expect_true "s5a: pub's ITL: ITLRecovery as SAST record" \
    itl_has "$ITL0" SAST "$T/ITLRecovery.0"

run "$SBDCTL" set network hostname cucm5 -d "$D" --yes </dev/null
expect_rc "s5a: set network hostname cucm5" 0
expect_out "s5a: ... the warning" "its ITLRecovery certificate stays."
expect_out "s5a: ... pub is cucm5" "Node pub is now cucm5."
expect_out "s5a: ... which serves its new certificates" \
    "Node cucm5 serves the new certificates."
expect_out "s5a: ... the phones are reset" "Reset sent to $N devices."
renamed_node "$D" pub cucm5
expect_true "s5a: ... on the ports pub had" \
    test "$(store_ports cucm5)" = "$PORTS0"
expect_true "s5a: DATA/nodes/pub is DATA/nodes/cucm5" \
    test ! -e "$D/nodes/pub" -a -d "$D/nodes/cucm5"
run "$SBDCTL" node list -d "$D"
expect_true "s5a: node list: cucm5, the publisher, on 127.0.0.1" \
    grep -Eq '^cucm5 +publisher +127\.0\.0\.1 ' "$T/out"
expect_true "s5a: ... and no node pub" not grep -q '^pub ' "$T/out"
phone_names $P $N >"$T/names"
expect_same "s5a: the hook got every device, once" "$T/names" "$T/reset"
for r in CallManager TVS CAPF; do
	expect_true "s5a: a new $r certificate" not cmp -s \
	    "$(active_cert "$D" cucm5 $r)" "$T/$r.0"
done
CM1=$(active_cert "$D" cucm5 CallManager)
expect_true "s5a: ... CallManager's for host cucm5" \
    test "$(cert_cn "$CM1")" = cucm5
expect_same "s5a: the ITLRecovery certificate did not change" \
    "$T/ITLRecovery.0" "$(active_cert "$D" cucm5 ITLRecovery)"
expect_true "s5a: ... it still names the old publisher" \
    test "$(cert_cn "$T/ITLRecovery.0")" = ITLRECOVERY_pub
ITL1=$T/itl1
cp "$(node_itl "$D" cucm5)" "$ITL1"
tftp_get "$D" cucm5 ITLFile.tlv "$T/itl1.tftp"
expect_same "s5a: cucm5 serves its new ITL over TFTP" "$ITL1" "$T/itl1.tftp"
expect_true "s5a: ... signed by the new CallManager" \
    "$SBDCTL" verify itl -q --cert "$CM1" "$ITL1"
expect_true "s5a: ... its TFTP record the new CallManager" \
    itl_has "$ITL1" TFTP "$CM1"
expect_true "s5a: ... its TVS record the new TVS" \
    itl_has "$ITL1" TVS "$(active_cert "$D" cucm5 TVS)"
expect_true "s5a: ... its SAST record the old ITLRecovery, byte for byte" \
    itl_has "$ITL1" SAST "$T/ITLRecovery.0"
expect_true "s5a: ... not the old CallManager" \
    not itl_has "$ITL1" any "$T/CallManager.0"
expect_true "s5a: ... nor the old TVS" not itl_has "$ITL1" any "$T/TVS.0"
expect_true "s5a: the phones' ITL holds no new certificate" \
    not itl_has "$ITL0" any "$(active_cert "$D" cucm5 TVS)"

boot_listed "$D" "$PH" cucm5 "$T/reset"
expect_true "s5a: every phone reset boots into trust-list-update-failed" \
    test "$(booted_count trust-list-update-failed)" = $N
expect_phones "s5a: ... cucm5's TVS certificate is no TVS record of theirs" \
    booted_say "its certificate is not a TVS record of the ITL"
expect_phones "s5a: ... each shows Trust List Update Failed" \
    phones_status_have "$PH" $P $N "^  [0-9:]{8} Trust List Update Failed$"
expect_phones "s5a: ... and keeps its old ITL" \
    phones_itl_is "$PH" $P $N "$ITL0"
expect_true "s5a: ... accepting no configuration" \
    not grep -q 'cnf\.xml\.sgn .* accepted' "$T"/boot.SEP$P*
expect_node_counter "s5a: ... no TVS QUERY was answered" "$D" cucm5 \
    tvs_query -eq 0
stop_node "$D" cucm5

# ---- prepared for rollback first: the empty ITL carries them over
make_cluster "$E" s5a2 pub2 || return
add_phones "$E" $R $N auth pub2
start_node "$E" pub2
boot_fleet "$E" "$PH" pub2 $R $N
expect_fleet_ok "s5a: $N phones boot against pub2"
RITL0=$T/ritl0
cp "$(node_itl "$E" pub2)" "$RITL0"
hook_to "$E" "$T/reset2"
phone_names $R $N >"$T/names2"
ITLR=$T/ITLRecovery.2
cp "$(active_cert "$E" pub2 ITLRecovery)" "$ITLR"
run "$SBDCTL" param set -d "$E" rollback_pre80 true
expect_rc "s5a: param set rollback_pre80 true" 0
EITL0=$T/eitl0
# NODE serves, into FILE, an ITL other than OLD of role-only records
# (which show itl cannot verify).
empty_served() {	# NODE FILE OLD
	cp "$(node_itl "$E" "$1")" "$2" && ! cmp -s "$2" "$3" || return
	"$SBDCTL" show itl --json "$2" >"$T/empty.json" 2>&1
	grep -q '"role_name": "TVS"' "$T/empty.json" &&
	    ! grep -q '"certificate_sha1"' "$T/empty.json"
}
expect_true "s5a: pub2 serves the empty ITL" wait_until 5 empty_served \
    pub2 "$EITL0" "$RITL0"
run "$SBDCTL" device reset -d "$E" --all
expect_rc "s5a: device reset --all" 0
boot_listed "$E" "$PH" pub2 "$T/reset2"
expect_true "s5a: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s5a: ... installing the empty ITL through its old ITL" \
    booted_say "installed (trusted by ITL)"
expect_phones "s5a: ... each holds it" phones_itl_is "$PH" $R $N "$EITL0"

: >"$T/reset2"
run "$SBDCTL" set network hostname cucm6 -d "$E" --yes </dev/null
expect_rc "s5a: set network hostname cucm6 (prepared)" 0
expect_out "s5a: ... the phones are reset" "Reset sent to $N devices."
renamed_node "$E" pub2 cucm6
expect_same "s5a: ... the hook got every device" "$T/names2" "$T/reset2"
CM2=$(active_cert "$E" cucm6 CallManager)
EITL1=$T/eitl1
expect_true "s5a: cucm6 serves another empty ITL" wait_until 5 \
    empty_served cucm6 "$EITL1" "$EITL0"
expect_true "s5a: ... signed by the new CallManager" \
    "$SBDCTL" verify itl -q --cert "$CM2" "$EITL1"
boot_listed "$E" "$PH" cucm6 "$T/reset2"
expect_true "s5a: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s5a: ... installing the new empty ITL on first use" \
    booted_say "installed (trust on first use)"
expect_phones "s5a: ... accepting the configuration of the new signer" \
    booted_say "accepted (not checked: no trust list with certificates)"
expect_phones "s5a: ... each holds the new empty ITL" \
    phones_itl_is "$PH" $R $N "$EITL1"
expect_phones "s5a: ... none shows Trust List Update Failed" \
    phones_status_lack "$PH" $R $N "Trust List Update Failed"

run "$SBDCTL" param set -d "$E" rollback_pre80 false
expect_rc "s5a: param set rollback_pre80 false" 0
ITL2=$T/itl2
normal_served() {
	cp "$(node_itl "$E" cucm6)" "$ITL2" && itl_has "$ITL2" TFTP "$CM2"
}
expect_true "s5a: cucm6 serves the real ITL, the new CallManager as TFTP" \
    wait_until 5 normal_served
expect_true "s5a: ... the old ITLRecovery as SAST" \
    itl_has "$ITL2" SAST "$ITLR"
: >"$T/reset2"
run "$SBDCTL" device reset -d "$E" --all
expect_rc "s5a: device reset --all" 0
boot_listed "$E" "$PH" cucm6 "$T/reset2"
expect_true "s5a: every phone reset boots ok" test "$(booted_count ok)" = $N
expect_phones "s5a: ... taking the real ITL on first use" \
    booted_say "installed (trust on first use)"
expect_phones "s5a: ... and the configuration through it" \
    booted_say "accepted (trusted by ITL)"
expect_phones "s5a: ... each holds it" phones_itl_is "$PH" $R $N "$ITL2"
expect_node_counter "s5a: ... and TVS was never asked" "$E" cucm6 \
    tvs_query -eq 0
stop_node "$E" cucm6
