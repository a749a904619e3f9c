# Scenario 2: regenerating CallManager.pem (SPEC.md "Certificate
# regeneration"; seed 001).  The new ITL is signed by a certificate the
# phones' ITL does not hold; the phones, reset through the reset hook,
# ask TVS QUERY, whose certificate is still a TVS record of their ITL,
# install the new ITL and accept the configuration it signs.  On a single
# node, then on the subscriber of a two-node cluster, where the phones of
# the publisher keep their ITL untouched.  Sourced by run.sh.

D=$T/one
E=$T/two
PH=$T/phones
P=00C201		# 6 phones of the single node pub, group (pub)
Q=00C202		# 4 phones of the two-node cluster's pub, group (pub, sub)
S=00C203		# 5 phones of its sub, group (sub, pub)

export SBD_TEST_CLOCK="$T/clock"
set_clock 0

# ---- a single node
make_cluster "$D" s2a pub || return
add_phones "$D" $P 6 auth pub
start_node "$D" pub
boot_fleet "$D" "$PH" pub $P 6
expect_fleet_ok "s2: 6 phones boot against pub"
ITL0=$T/itl0
cp "$(node_itl "$D" pub)" "$ITL0"
expect_phones "s2: ... the store has each one's reported ITL" \
    wait_until 3 devices_have "$D" $P 6 reported_itl_sha1 \
    "$(file_sha1 "$ITL0")"
hook_to "$D" "$T/reset"
CM0=$(active_cert "$D" pub CallManager)

# The hold of cluster init: five minutes by the cluster clock.
run "$SBDCTL" set cert regen CallManager -d "$D" --yes </dev/null
expect_rc "s2: right after cluster init, regen is held" 1
set_clock 301
run "$SBDCTL" plan cert regen CallManager -d "$D"
expect_rc "s2: plan cert regen CallManager" 0
expect_out "s2: ... every phone keeps trust through pub's TVS" \
    "6 devices: 6 keep trust, 0 would lose it, 0 unknown"
expect_true "s2: ... each one through TVS on pub" \
    test "$(grep -c 'keeps trust: TVS on pub$' "$T/out")" = 6
expect_true "s2: the plan reset nobody" test ! -e "$T/reset"

run "$SBDCTL" set cert regen CallManager -d "$D" --yes </dev/null
expect_rc "s2: set cert regen CallManager --yes" 0
expect_out "s2: ... CUCM's success text" \
    "Successfully Regenerated Certificate for CallManager."
expect_out "s2: ... pub serves it" \
    "Node pub serves the new CallManager certificate."
expect_out "s2: ... the phones are reset" "Reset sent to 6 devices."
CM1=$(active_cert "$D" pub CallManager)
expect_true "s2: a new active CallManager certificate" \
    test -n "$CM1" -a "$CM1" != "$CM0" -a \
    "$(cert_sha1 "$CM1")" != "$(cert_sha1 "$CM0")"
phone_names $P 6 >"$T/want"
expect_same "s2: the hook got every device, once" "$T/want" "$T/reset"
ITL1=$T/itl1
cp "$(node_itl "$D" pub)" "$ITL1"
expect_true "s2: the served ITL changed" not cmp -s "$ITL0" "$ITL1"
expect_true "s2: ... its TFTP record is the new CallManager" \
    itl_has "$ITL1" TFTP "$CM1"
expect_true "s2: ... and the old one is gone" not itl_has "$ITL1" any "$CM0"
run "$SBDCTL" verify itl --cert "$CM1" "$ITL1"
expect_rc "s2: ... signed by the new CallManager key" 0

# The phones the hook named reboot.
q0=$(node_counter "$D" pub tvs_query)
boot_listed "$D" "$PH" pub "$T/reset"
expect_true "s2: every phone reset reboots ok" test "$(booted_count ok)" = 6
expect_phones "s2: ... each trusting the new ITL through TVS QUERY" \
    booted_say "installed (trusted by TVS QUERY)"
expect_phones "s2: ... and the configuration it signs through the ITL" \
    booted_say "accepted (trusted by ITL)"
expect_node_counter "s2: pub's TVS answered 6 QUERYs" "$D" pub tvs_query \
    -eq $((q0 + 6))
expect_phones "s2: no phone shows Trust List Update Failed" \
    phones_status_lack "$PH" $P 6 "Trust List Update Failed"
expect_phones "s2: each holds the new ITL" phones_itl_is "$PH" $P 6 "$ITL1"
expect_phones "s2: ... and reported it" wait_until 3 devices_have "$D" $P 6 \
    reported_itl_sha1 "$(file_sha1 "$ITL1")"
M=$(phone_mac $P 0)
expect_true "s2: ... whose TFTP record is the new CallManager" \
    itl_has "$PH/SEP$M/itl.tlv" TFTP "$CM1"
boot_phone "$D" "$PH" pub "$M"
expect_true "s2: rebooted, the ITL is left as it is" \
    grep -Eq "ITLSEP$M.tlv +[0-9]+ bytes +unchanged" "$T/out"
expect_node_counter "s2: ... without asking TVS again" "$D" pub tvs_query \
    -eq $((q0 + 6))
stop_node "$D" pub

# ---- two nodes: sub's CallManager regenerated
make_cluster "$E" s2b pub2 sub2 || return
add_phones "$E" $Q 4 auth pub2 sub2
add_phones "$E" $S 5 auth sub2 pub2
start_node "$E" pub2
start_node "$E" sub2
boot_fleet "$E" "$PH" pub2 $Q 4
expect_fleet_ok "s2: 4 phones boot against pub2"
boot_fleet "$E" "$PH" sub2 $S 5
expect_fleet_ok "s2: 5 phones boot against sub2"
PITL=$T/pitl
SITL0=$T/sitl0
cp "$(node_itl "$E" pub2)" "$PITL"
cp "$(node_itl "$E" sub2)" "$SITL0"
expect_phones "s2: ... the store has sub2's phones' reports" \
    wait_until 3 devices_have "$E" $S 5 reported_itl_sha1 \
    "$(file_sha1 "$SITL0")"
hook_to "$E" "$T/reset2"
SCM0=$(active_cert "$E" sub2 CallManager)
set_clock 602
run "$SBDCTL" plan cert regen CallManager -d "$E" --node sub2 --json
expect_rc "s2: plan cert regen CallManager on sub2" 0
expect_true "s2: ... all 9 keep trust" \
    grep -Eq '"keep": 9,' "$T/out"
run "$SBDCTL" set cert regen CallManager -d "$E" --node sub2 --yes </dev/null
expect_rc "s2: set cert regen CallManager on sub2" 0
expect_out "s2: ... sub2 serves it" \
    "Node sub2 serves the new CallManager certificate."
expect_out "s2: ... the phones are reset" "Reset sent to 9 devices."
{ phone_names $Q 4; phone_names $S 5; } >"$T/want2"
expect_same "s2: the hook got every device of the cluster" "$T/want2" \
    "$T/reset2"
SCM1=$(active_cert "$E" sub2 CallManager)
SITL1=$T/sitl1
cp "$(node_itl "$E" sub2)" "$SITL1"
expect_true "s2: sub2's ITL holds its new CallManager as TFTP" \
    itl_has "$SITL1" TFTP "$SCM1"
expect_true "s2: ... not the old one" not itl_has "$SITL1" any "$SCM0"
expect_same "s2: pub2's ITL is unchanged" "$PITL" "$(node_itl "$E" pub2)"
expect_same "s2: pub2's CallManager certificate is unchanged" \
    "$(active_cert "$E" pub2 CallManager)" "$E/nodes/pub2/pki/CallManager.pem"

pq0=$(node_counter "$E" pub2 tvs_query)
sq0=$(node_counter "$E" sub2 tvs_query)
grep "SEP$S" "$T/reset2" >"$T/reset2.sub"
boot_listed "$E" "$PH" sub2 "$T/reset2.sub"
expect_true "s2: sub2's 5 phones reboot ok" test "$(booted_count ok)" = 5
expect_phones "s2: ... trusting its new ITL through TVS QUERY" \
    booted_say "installed (trusted by TVS QUERY)"
expect_phones "s2: ... and its configuration through that ITL" \
    booted_say "accepted (trusted by ITL)"
expect_node_counter "s2: ... asked of sub2's TVS, first of their group" \
    "$E" sub2 tvs_query -eq $((sq0 + 5))
expect_phones "s2: ... each holds sub2's new ITL" \
    phones_itl_is "$PH" $S 5 "$SITL1"
expect_phones "s2: ... none shows Trust List Update Failed" \
    phones_status_lack "$PH" $S 5 "Trust List Update Failed"
grep "SEP$Q" "$T/reset2" >"$T/reset2.pub"
boot_listed "$E" "$PH" pub2 "$T/reset2.pub"
expect_true "s2: pub2's 4 phones reboot ok" test "$(booted_count ok)" = 4
expect_phones "s2: ... their ITL unchanged" booted_say "bytes  unchanged"
expect_phones "s2: ... still pub2's" phones_itl_is "$PH" $Q 4 "$PITL"
expect_node_counter "s2: ... no TVS asked on pub2" "$E" pub2 tvs_query \
    -eq "$pq0"
stop_node "$E" pub2
stop_node "$E" sub2
unset SBD_TEST_CLOCK
