# Scenario 1: the normal secure boot of authenticated and encrypted phones
# on a cluster of a publisher and a subscriber (seed 002's SBD overview;
# SPEC.md "The ITL", "Boot sequence", "Phone trust rules", "TVS", "CAPF").  Each
# TFTP node serves its own ITL; every phone installs the one of the node it
# boots from, accepts its signed (or encrypted) configuration and reports
# the ITL's SHA1; a phone moved to the other node trusts that node's ITL
# through TVS, whose certificate its old ITL holds.  Sourced by run.sh.

D=$T/c
PH=$T/phones
PUB=00A101		# 20 authenticated phones of pub, group (pub, sub)
SUB=00A102		# 10 authenticated phones of sub, group (sub, pub)
ENC=00A1E0		# 4 encrypted phones of sub, group (sub, pub)

make_cluster "$D" s1 pub sub || return
add_phones "$D" $PUB 20 auth pub sub
add_phones "$D" $SUB 10 auth sub pub
add_phones "$D" $ENC 4 encrypted sub pub
start_node "$D" pub
start_node "$D" sub
PITL=$(node_itl "$D" pub)
SITL=$(node_itl "$D" sub)
if [ ! -s "$PITL" ] || [ ! -s "$SITL" ]; then
	nok "s1: the nodes serve no ITL; the phones were not run"
	return
fi
PSHA=$(file_sha1 "$PITL")
SSHA=$(file_sha1 "$SITL")
PKI_P=$D/nodes/pub/pki
PKI_S=$D/nodes/sub/pki
PTVS=127.0.0.1:$(node_port "$D" pub tvs)
STVS=127.0.0.2:$(node_port "$D" sub tvs)

# ---- each TFTP node's ITL (SPEC.md "The ITL")
expect_true "s1: the two nodes serve different ITLs" not cmp -s "$PITL" \
    "$SITL"
expect_true "s1: pub's ITL verifies with its own signer" \
    "$SBDCTL" verify itl -q "$PITL"
expect_true "s1: sub's ITL verifies with its own signer" \
    "$SBDCTL" verify itl -q "$SITL"
expect_true "s1: pub's ITL: its CallManager certificate as TFTP" \
    itl_has "$PITL" TFTP "$PKI_P/CallManager.pem"
expect_true "s1: sub's ITL: its CallManager certificate as TFTP" \
    itl_has "$SITL" TFTP "$PKI_S/CallManager.pem"
expect_true "s1: sub's CallManager certificate is nowhere in pub's ITL" \
    not itl_has "$PITL" any "$PKI_S/CallManager.pem"
expect_true "s1: pub's ITL carries the publisher's ITLRecovery record" \
    itl_has "$PITL" SAST "$PKI_P/ITLRecovery.pem"
expect_true "s1: sub's ITL carries the publisher's ITLRecovery record" \
    itl_has "$SITL" SAST "$PKI_P/ITLRecovery.pem"
expect_true "s1: ... and not sub's own ITLRECOVERY_sub" \
    not itl_has "$SITL" any "$PKI_S/ITLRecovery.pem"
for n in pub sub; do
	for t in pub sub; do
		expect_true "s1: $n's ITL lists $t's TVS certificate" \
		    itl_has "$(node_itl "$D" "$n")" TVS \
		    "$D/nodes/$t/pki/TVS.pem"
	done
done

# ---- 20 authenticated phones boot against pub, 10 against sub
boot_fleet "$D" "$PH" pub $PUB 20
expect_fleet_ok "s1: 20 authenticated phones boot against pub"
expect_phones "s1: ... each installed pub's ITL" \
    phones_itl_is "$PH" $PUB 20 "$PITL"
expect_phones "s1: ... each shows its SHA1 under Trust List" \
    phones_status_have "$PH" $PUB 20 "^  ITL File: .* SHA1 $PSHA "
expect_phones "s1: ... each accepted pub's signed configuration" \
    phones_status_have "$PH" $PUB 20 '^Configuration: accepted$'
expect_true "s1: ... whose CallManager group is pub, sub" \
    phone_status_has "$PH" "$(phone_mac $PUB 0)" \
    "TVS servers: $PTVS $STVS\$"
expect_phones "s1: the store has pub's ITL as served to each" \
    wait_until 3 devices_have "$D" $PUB 20 served_itl_sha1 "$PSHA"
expect_phones "s1: the store has pub's ITL as reported by each" \
    wait_until 3 devices_have "$D" $PUB 20 reported_itl_sha1 "$PSHA"
expect_node_counter "s1: pub counted 20 DeviceTLInfo reports" "$D" pub \
    devicetlinfo -eq 20

boot_fleet "$D" "$PH" sub $SUB 10
expect_fleet_ok "s1: 10 authenticated phones boot against sub"
expect_phones "s1: ... each installed sub's ITL" \
    phones_itl_is "$PH" $SUB 10 "$SITL"
expect_phones "s1: ... each accepted sub's signed configuration" \
    phones_status_have "$PH" $SUB 10 '^Configuration: accepted$'
expect_true "s1: ... whose CallManager group is sub, pub" \
    phone_status_has "$PH" "$(phone_mac $SUB 9)" \
    "TVS servers: $STVS $PTVS\$"
expect_phones "s1: the store has sub's ITL as reported by each" \
    wait_until 3 devices_have "$D" $SUB 10 reported_itl_sha1 "$SSHA"
expect_node_counter "s1: no phone needed TVS so far (pub)" "$D" pub \
    tvs_query -eq 0
expect_node_counter "s1: no phone needed TVS so far (sub)" "$D" sub \
    tvs_query -eq 0

# ---- 4 encrypted phones: an LSC from the publisher's CAPF, then the
# configuration encrypted to it (SPEC.md "Encrypted configuration").
boot_fleet "$D" "$PH" sub $ENC 4
expect_fleet_ok "s1: 4 encrypted phones boot against sub without an LSC"
expect_true "s1: ... their configuration asks for encryption and CAPF" \
    phone_status_has "$PH" "$(phone_mac $ENC 0)" '^  encrConfig: true$'
expect_true "s1: ... the CAPF server is the publisher's" \
    phone_status_has "$PH" "$(phone_mac $ENC 0)" \
    "^  CAPF: 127.0.0.1:$(node_port "$D" pub capf) "
capf_install "s1: each encrypted phone gets an LSC from CAPF" "$PH" $ENC 4
expect_node_counter "s1: pub's CAPF issued 4 LSCs" "$D" pub capf_installed \
    -eq 4
lsc_recorded() {	# each encrypted phone's LSC is its certificate
	BAD_PHONE=""
	for j in 0 1 2 3; do
		m=$(phone_mac $ENC $j)
		"$SBDCTL" device show -d "$D" --json "$m" 2>/dev/null |
		    grep -q "\"cert_sha1\": \"$(cert_sha1 "$PH/SEP$m/lsc.pem")\"" ||
		    { BAD_PHONE=$m; return 1; }
	done
}
expect_phones "s1: the store holds each phone's LSC" lsc_recorded
enc_served() {	# sub encrypts to every LSC
	for j in 0 1 2 3; do
		tftp_get "$D" sub "SEP$(phone_mac $ENC $j).cnf.xml.enc.sgn" \
		    "$T/enc" || return 1
		[ -s "$T/enc" ] || return 1
	done
}
expect_true "s1: sub serves an .enc.sgn for each" wait_until 5 enc_served
enc_reboots() {	# each encrypted phone reboots on its encrypted configuration
	BAD_PHONE=""
	for j in 0 1 2 3; do
		m=$(phone_mac $ENC $j)
		boot_phone "$D" "$PH" sub "$m"
		[ "$rc" = 0 ] &&
		    grep -q 'accepted and decrypted with the LSC key' "$T/out" &&
		    grep -q '<deviceSecurityMode>3</deviceSecurityMode>' \
		    "$PH/SEP$m/config.xml" || { BAD_PHONE=$m; return 1; }
	done
}
name="s1: each encrypted phone reboots and decrypts its configuration"
if enc_reboots; then
	ok "$name"
else
	nok "$name (not SEP$BAD_PHONE)"
	sed -n '1,15s/^/  | /p' "$T/out" "$T/err"
fi
# Each reload forgets built files, so the count is at least one a phone.
expect_node_counter "s1: sub encrypted the configurations" "$D" sub \
    enc_built -ge 4
expect_phones "s1: the encrypted phones hold sub's ITL" \
    phones_itl_is "$PH" $ENC 4 "$SITL"
expect_phones "s1: ... and reported it" \
    wait_until 3 devices_have "$D" $ENC 4 reported_itl_sha1 "$SSHA"

# ---- a phone of pub moved to sub.  sub's ITL is signed by sub's
# CallManager certificate, which is no record of the ITL the phone holds
# (pub's): the phone asks TVS QUERY, at the first server of its group
# (pub), whose certificate is that ITL's TVS record; the configuration is
# then signed by the TFTP record of the ITL just installed.
M0=$(phone_mac $PUB 0)
boot_phone "$D" "$PH" sub "$M0"
expect_rc "s1: a phone of pub boots against sub" 0
expect_out "s1: ... sub's ITL trusted through TVS QUERY" \
    "installed (trusted by TVS QUERY)"
expect_out "s1: ... sub's configuration trusted by the new ITL" \
    "accepted (trusted by ITL)"
expect_node_counter "s1: ... pub's TVS answered the QUERY" "$D" pub \
    tvs_query -eq 1
expect_node_counter "s1: ... sub's TVS was not asked" "$D" sub tvs_query -eq 0
expect_same "s1: ... the phone holds sub's ITL" "$PH/SEP$M0/itl.tlv" "$SITL"
expect_true "s1: ... sub's signer went to the TVS cache" \
    phone_status_has "$PH" "$M0" \
    'added cert to TVS cache - expires in 24 hours$'
expect_phones "s1: ... and the store has sub's ITL as reported" \
    wait_until 3 devices_have "$D" $PUB 1 reported_itl_sha1 "$SSHA"
boot_phone "$D" "$PH" sub "$M0"
expect_true "s1: rebooted against sub, the ITL is left as it is" \
    grep -Eq "ITLSEP$M0.tlv +[0-9]+ bytes +unchanged" "$T/out"
expect_node_counter "s1: ... without asking TVS again" "$D" pub tvs_query -eq 1

# With the publisher down, the next phone of pub that moves finds its
# first TVS server unreachable and asks the second, sub, whose TVS
# certificate pub's ITL holds too.
stop_node "$D" pub
M1=$(phone_mac $PUB 1)
boot_phone "$D" "$PH" sub "$M1"
expect_rc "s1: with pub down, another phone of pub boots against sub" 0
expect_out "s1: ... trusting sub's ITL through TVS QUERY" \
    "installed (trusted by TVS QUERY)"
expect_node_counter "s1: ... answered by sub's TVS" "$D" sub tvs_query -eq 1
expect_same "s1: ... the phone holds sub's ITL" "$PH/SEP$M1/itl.tlv" "$SITL"
stop_node "$D" sub
