# Scenario 5b: the host name of one node of two changes, ITL only (seed
# 002, "Cluster a più nodi con solo ITL": the phone asks another of its
# TVS servers about the signer it does not know).  The subscriber sub is
# renamed: its CallManager, TVS and CAPF certificates are new, its sbdd
# starts again as subx.  Its phones, CallManager group (sub, pub), walk
# their TVS list in order: subx's TVS shows a certificate their ITL does
# not hold and is passed over; pub's, still a TVS record of their ITL,
# vouches for subx's new CallManager.  They install subx's new ITL and
# accept its configuration.  The publisher's phones, group (pub, sub),
# take pub's ITL, which now lists subx's new TVS certificate, through
# their ITL: its signer did not change.  Sourced by run.sh.

D=$T/c
PH=$T/phones
S=00C511		# 4 phones of sub, group (sub, pub)
Q=00C512		# 3 phones of pub, group (pub, sub)

make_cluster "$D" s5b pub sub || return
add_phones "$D" $S 4 auth sub pub
add_phones "$D" $Q 3 auth pub sub
start_node "$D" pub
start_node "$D" sub
boot_fleet "$D" "$PH" sub $S 4
expect_fleet_ok "s5b: 4 phones boot against sub"
boot_fleet "$D" "$PH" pub $Q 3
expect_fleet_ok "s5b: 3 phones boot against pub"
SITL0=$T/sitl0
PITL0=$T/pitl0
cp "$(node_itl "$D" sub)" "$SITL0"
cp "$(node_itl "$D" pub)" "$PITL0"
expect_phones "s5b: ... sub's phones hold sub's ITL" \
    phones_itl_is "$PH" $S 4 "$SITL0"
hook_to "$D" "$T/reset"
for r in CallManager TVS; do
	cp "$(active_cert "$D" sub $r)" "$T/$r.0"
done
PCM=$(active_cert "$D" pub CallManager)
cp "$PCM" "$T/pcm"
ITLR=$T/ITLRecovery.0
cp "$(active_cert "$D" pub ITLRecovery)" "$ITLR"
expect_true "s5b: sub's ITL lists pub's TVS certificate" \
    itl_has "$SITL0" TVS "$(active_cert "$D" pub TVS)"

run "$SBDCTL" set network hostname subx -d "$D" --node sub --yes </dev/null
expect_rc "s5b: set network hostname subx on sub" 0
expect_out "s5b: ... sub is subx" "Node sub is now subx."
expect_out "s5b: ... every device is reset" "Reset sent to 7 devices."
renamed_node "$D" sub subx
expect_true "s5b: ... pub runs on, not restarted" \
    test "$(grep -c 'node pub ready on' "$D.pub.log")" = 1
run "$SBDCTL" node list -d "$D"
expect_true "s5b: node list: pub and subx, on their addresses" \
    grep -Eq '^subx +[a-z]+ +127\.0\.0\.2 ' "$T/out"
expect_true "s5b: ... pub on 127.0.0.1" \
    grep -Eq '^pub +publisher +127\.0\.0\.1 ' "$T/out"
expect_true "s5b: ... no node sub" not grep -q '^sub ' "$T/out"
{ phone_names $S 4; phone_names $Q 3; } >"$T/want"
expect_same "s5b: the hook got every device, once" "$T/want" "$T/reset"
CM1=$(active_cert "$D" subx CallManager)
TVS1=$(active_cert "$D" subx TVS)
expect_true "s5b: subx has a new CallManager" not cmp -s "$CM1" \
    "$T/CallManager.0"
expect_true "s5b: ... and a new TVS certificate" not cmp -s "$TVS1" \
    "$T/TVS.0"
expect_same "s5b: pub's CallManager did not change" "$T/pcm" \
    "$(active_cert "$D" pub CallManager)"
SITL1=$T/sitl1
cp "$(node_itl "$D" subx)" "$SITL1"
expect_true "s5b: subx's ITL: the new CallManager as TFTP" \
    itl_has "$SITL1" TFTP "$CM1"
expect_true "s5b: ... signing it" "$SBDCTL" verify itl -q --cert "$CM1" \
    "$SITL1"
expect_true "s5b: ... the publisher's unchanged ITLRecovery as SAST" \
    itl_has "$SITL1" SAST "$ITLR"
PITL1=$T/pitl1
pub_lists_tvs1() {
	cp "$(node_itl "$D" pub)" "$PITL1" && itl_has "$PITL1" TVS "$TVS1"
}
expect_true "s5b: pub's ITL lists subx's new TVS certificate" \
    wait_until 5 pub_lists_tvs1
expect_true "s5b: ... and not the old one" \
    not itl_has "$PITL1" any "$T/TVS.0"
expect_true "s5b: ... still signed by pub's CallManager" \
    "$SBDCTL" verify itl -q --cert "$PCM" "$PITL1"

pq0=$(node_counter "$D" pub tvs_query)
grep "SEP$S" "$T/reset" >"$T/reset.sub"
boot_listed "$D" "$PH" subx "$T/reset.sub"
expect_true "s5b: sub's 4 phones reboot ok against subx" \
    test "$(booted_count ok)" = 4
expect_phones "s5b: ... trusting subx's new ITL through TVS QUERY" \
    booted_say "installed (trusted by TVS QUERY)"
expect_phones "s5b: ... and its configuration through that ITL" \
    booted_say "accepted (trusted by ITL)"
expect_node_counter "s5b: ... pub's TVS answered the 4 QUERYs" "$D" pub \
    tvs_query -eq $((pq0 + 4))
expect_node_counter "s5b: ... subx's TVS, first of their group, was tried" \
    "$D" subx tvs_conns -eq 4
expect_node_counter "s5b: ... but asked nothing" "$D" subx tvs_query -eq 0
expect_phones "s5b: ... each holds subx's new ITL" \
    phones_itl_is "$PH" $S 4 "$SITL1"
expect_phones "s5b: ... and reported it" wait_until 3 devices_have "$D" $S 4 \
    reported_itl_sha1 "$(file_sha1 "$SITL1")"
expect_phones "s5b: ... none shows Trust List Update Failed" \
    phones_status_lack "$PH" $S 4 "Trust List Update Failed"
expect_phones "s5b: ... each lists subx's TVS first, then pub's" \
    phones_status_have "$PH" $S 4 "^  TVS servers: $(node_addr "$D" subx):$(
    node_port "$D" subx tvs) $(node_addr "$D" pub):$(node_port "$D" pub tvs)\$"

grep "SEP$Q" "$T/reset" >"$T/reset.pub"
boot_listed "$D" "$PH" pub "$T/reset.pub"
expect_true "s5b: pub's 3 phones reboot ok" test "$(booted_count ok)" = 3
expect_phones "s5b: ... taking pub's new ITL through their ITL" \
    booted_say "installed (trusted by ITL)"
expect_phones "s5b: ... each holds it" phones_itl_is "$PH" $Q 3 "$PITL1"
expect_node_counter "s5b: ... without TVS" "$D" pub tvs_query \
    -eq $((pq0 + 4))
stop_node "$D" pub
stop_node "$D" subx
