# Scenario 5c: every node of the cluster renamed at once (seed 002,
# "Cluster a più nodi con solo ITL": "se tutti i server vengono rinominati
# e riavviati contemporaneamente, nessuno dei server TVS sarà
# raggiungibile con certificati noti").  pub becomes pubx and sub subx
# before the phones come back: every TVS certificate is new, so no phone
# finds a TVS server its ITL holds, and each ends in "Trust List Update
# Failed" with its old ITL.  The ITLRecovery certificate did not change:
# `utils itl reset localkey` on the renamed publisher re-signs its ITL
# with it and puts that on every TFTP node; its SAST record is in every
# phone's ITL, so a reset of every device brings them all back, as in
# scenario 3.  Sourced by run.sh.

D=$T/c
PH=$T/phones
S=00C521		# 3 phones of sub, group (sub, pub)
Q=00C522		# 3 phones of pub, group (pub, sub)

make_cluster "$D" s5c pub sub || return
add_phones "$D" $S 3 auth sub pub
add_phones "$D" $Q 3 auth pub sub
start_node "$D" pub
start_node "$D" sub
boot_fleet "$D" "$PH" sub $S 3
expect_fleet_ok "s5c: 3 phones boot against sub"
boot_fleet "$D" "$PH" pub $Q 3
expect_fleet_ok "s5c: 3 phones boot against pub"
cp "$(node_itl "$D" sub)" "$T/itl.$S"
cp "$(node_itl "$D" pub)" "$T/itl.$Q"
ITLR=$T/ITLRecovery.0
cp "$(active_cert "$D" pub ITLRecovery)" "$ITLR"
hook_to "$D" "$T/reset"
phones_lack_tvs() {	# CERT: in the ITL of neither group
	! itl_has "$T/itl.$S" any "$1" && ! itl_has "$T/itl.$Q" any "$1"
}

run "$SBDCTL" set network hostname pubx -d "$D" --node pub --yes </dev/null
expect_rc "s5c: set network hostname pubx on pub" 0
run "$SBDCTL" set network hostname subx -d "$D" --node sub --yes </dev/null
expect_rc "s5c: set network hostname subx on sub, right after" 0
renamed_node "$D" pub pubx
renamed_node "$D" sub subx
{ phone_names $S 3; phone_names $Q 3; } >"$T/names"
cat "$T/names" "$T/names" >"$T/want"
expect_same "s5c: the hook got every device, once per rename" "$T/want" \
    "$T/reset"
expect_same "s5c: pubx's ITLRecovery certificate did not change" "$ITLR" \
    "$(active_cert "$D" pubx ITLRecovery)"
for n in pubx subx; do
	cp "$(node_itl "$D" $n)" "$T/itl1.$n"
	expect_true "s5c: $n's ITL: the old ITLRecovery as SAST" \
	    itl_has "$T/itl1.$n" SAST "$ITLR"
	expect_true "s5c: ... a TVS certificate no phone's ITL holds" \
	    phones_lack_tvs "$(active_cert "$D" $n TVS)"
done

# Each group of phones boots against its renamed node: every TVS server
# is tried, and none is trusted.
for g in $S:subx $Q:pubx; do
	p=${g%:*}
	n=${g#*:}
	grep "SEP$p" "$T/names" >"$T/names.$p"
	boot_listed "$D" "$PH" $n "$T/names.$p"
	expect_true "s5c: $p: every phone boots into trust-list-update-failed" \
	    test "$(booted_count trust-list-update-failed)" = 3
	expect_phones "s5c: ... no TVS certificate is a TVS record of theirs" \
	    booted_say "its certificate is not a TVS record of the ITL"
	expect_phones "s5c: ... each shows Trust List Update Failed" \
	    phones_status_have "$PH" $p 3 \
	    "^  [0-9:]{8} Trust List Update Failed$"
	expect_phones "s5c: ... and keeps its old ITL" \
	    phones_itl_is "$PH" $p 3 "$T/itl.$p"
done
for n in pubx subx; do
	expect_node_counter "s5c: $n's TVS: each of the 6 phones tried it" \
	    "$D" $n tvs_conns -eq 6
	expect_node_counter "s5c: ... and asked nothing" "$D" $n tvs_query -eq 0
done

# ---- recovery: utils itl reset localkey, then a reset of every device
S5_PW=$(cat "$D.pw")
export S5_PW
run "$SBDCTL" utils itl reset localkey -d "$D" --password-env S5_PW \
    --wait 10
expect_rc "s5c: utils itl reset localkey on pubx" 0
expect_out "s5c: ... pubx restarted" \
    "Cisco Tftp service restarted on host pubx"
expect_out "s5c: ... subx restarted" \
    "Cisco Tftp service restarted on host subx"
RITL=$T/ritl
cp "$(node_itl "$D" pubx)" "$RITL"
expect_true "s5c: pubx serves the reset ITL, signed by the old ITLRecovery" \
    "$SBDCTL" verify itl -q --cert "$ITLR" "$RITL"
expect_true "s5c: ... holding pubx's new CallManager as TFTP" \
    itl_has "$RITL" TFTP "$(active_cert "$D" pubx CallManager)"
expect_true "s5c: ... and subx's new TVS certificate as TVS" \
    itl_has "$RITL" TVS "$(active_cert "$D" subx TVS)"
expect_same "s5c: subx serves the publisher's reset ITL too" "$RITL" \
    "$(node_itl "$D" subx)"
hook_to "$D" "$T/reset2"
run "$SBDCTL" device reset -d "$D" --all
expect_rc "s5c: device reset --all" 0
expect_same "s5c: the hook got every device" "$T/names" "$T/reset2"

# Each group reboots against its node, installs the reset ITL through its
# SAST record and accepts its node's configuration: pub's phones through
# the ITL's TFTP record; sub's, signed by subx's new CallManager, through
# TVS QUERY answered by subx, whose TVS certificate the reset ITL holds.
recovered() {	# PREFIX NODE VIA
	boot_listed "$D" "$PH" $2 "$T/names.$1"
	expect_true "s5c: $1: every phone reset boots ok against $2" \
	    test "$(booted_count ok)" = 3
	expect_phones "s5c: ... installing the reset ITL through its SAST" \
	    booted_say "installed (trusted by ITL)"
	expect_phones "s5c: ... accepting its configuration through $3" \
	    booted_say "accepted (trusted by $3)"
	expect_phones "s5c: ... each holds the reset ITL" \
	    phones_itl_is "$PH" $1 3 "$RITL"
}
recovered $Q pubx ITL
expect_node_counter "s5c: ... pubx's TVS asked nothing" "$D" pubx \
    tvs_query -eq 0
recovered $S subx "TVS QUERY"
expect_node_counter "s5c: ... asked of subx's TVS, first of their group" \
    "$D" subx tvs_query -eq 3
expect_node_counter "s5c: ... pubx's TVS still asked nothing" "$D" pubx \
    tvs_query -eq 0
stop_node "$D" pubx
stop_node "$D" subx
unset S5_PW
