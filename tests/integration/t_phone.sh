# sbdphone against a real sbdd: the phone trust rules of SPEC.md -- trust
# on first use, an ITL through the CTL's CCM+TFTP record, the rollback
# (empty) ITL, recovery through TVS QUERY after a CallManager certificate
# regeneration, the locked phone after CallManager and TVS together, the
# encrypted configuration, --proto http, DeviceTLInfo -- and a fleet of
# 200 phones.  Sourced by run.sh.

D=$T/cl
TD=$D/nodes/pub/tftp
PKI=$D/nodes/pub/pki
TVSP=$(free_ports 2 3)	# the store's TVS and CAPF ports must be
CAPFP=$((TVSP + 1))		# the ones sbdd listens on (the config's)
A=00AB00CD0001		# authenticated: scenarios 1, 4, 5, 7
B=00AB00CD0002		# mixed mode: CTL then ITL
B2=00AB00CD0003		# holds only the old CTL
E=00AB00CD0004		# encrypted, with an LSC
W=00AB00CD0005		# encrypted, its LSC not the one registered
R=00AB00CD0006		# the rollback ITL

make_node "$D" --tvs-port $TVSP --capf-port $CAPFP
for m in $A $B $B2 $R; do
	run "$SBDCTL" device add -d "$D" --mac $m --profile authenticated
	expect_rc "phone: device add $m" 0
done
run "$SBDCTL" cert create --role device --host "SEP$E" -o "$T/e.pem"
expect_rc "phone: an LSC for SEP$E" 0
run "$SBDCTL" cert create --role device --host "SEP$W" -o "$T/w.pem"
expect_rc "phone: an LSC for SEP$W" 0
run "$SBDCTL" cert create --role device --host "SEP$W" -o "$T/w2.pem"
expect_rc "phone: another key for SEP$W" 0
run "$SBDCTL" device add -d "$D" --mac $E --profile encrypted \
    --cert "$T/e.pem" --cert-kind LSC
expect_rc "phone: device add $E (encrypted, LSC known)" 0
run "$SBDCTL" device add -d "$D" --mac $W --profile encrypted \
    --cert "$T/w.pem" --cert-kind LSC
expect_rc "phone: device add $W (encrypted, LSC known)" 0
# A fleet of 200 registered phones (CSV import).
{
	echo "mac,model,profile,tvs,description"
	i=0
	while [ $i -lt 200 ]; do
		printf '00FE00%06X,CP-8845,authenticated,,fleet\n' $i
		i=$((i + 1))
	done
} >"$T/fleet.csv"
run "$SBDCTL" device add -d "$D" --csv "$T/fleet.csv"
expect_rc "phone: 200 fleet devices from CSV" 0

# The fleet runs 20 phones at once from one address.
start_sbdd "$D" -o tvs_port=$TVSP -o capf_port=$CAPFP -o max_per_client=1000
if [ -z "$TFTP_PORT" ] || [ "$TVS_PORT" != "$TVSP" ]; then
	nok "t_phone: no sbdd with TVS on $TVSP; the phones were not run"
	return
fi

phone() {	# NAME MAC [--mic]
	run "$SBDPHONE" init "$T/$1" --mac "$2" --model CP-8845 ${3:-}
	expect_rc "phone: init $1" 0
}
boot() {	# NAME [options]
	_p=$1
	shift
	run timeout 30 "$SBDPHONE" boot "$T/$_p" --tftp "127.0.0.1:$TFTP_PORT" \
	    --http-port "$HTTP_PORT" --timeout 1000 "$@"
}
pstatus() {	# NAME
	run "$SBDPHONE" status "$T/$1"
}
sha1() {
	sha1sum "$1" | cut -c1-40
}
# Regenerate a certificate of node pub by hand (there is no `set cert
# regen` verb yet): a new key and certificate in the node's pki
# directory, recorded as the active one as cluster init records them
# (the cert table; the old row stays, inactive).  The store's change
# counter makes sbdd reload.
# regen_sql ROLE PRESET N: make a new certificate for ROLE and print the
# SQL that makes it the node's active one.
regen_sql() {
	_f=nodes/pub/pki/$1-$3.pem
	"$SBDCTL" cert create --role "$2" --host pub -o "$D/$_f" >/dev/null &&
	_s=$(openssl x509 -in "$D/$_f" -outform DER | sha1sum | cut -c1-40) &&
	echo "UPDATE cert SET active = 0 WHERE node = 'pub' AND role = '$1'
	    AND active = 1;
	    INSERT INTO cert (node, role, cert_path, key_path, sha1, created,
	    active) VALUES ('pub', '$1', '$_f', '$_f', '$_s',
	    strftime('%s', 'now'), 1);"
}
# regen ROLE PRESET N [ROLE PRESET N]: one store change, so sbdd never
# serves a state between the two (CallManager and TVS "together").
regen() {
	_sql=$(regen_sql "$1" "$2" "$3") || return 1
	if [ $# -gt 3 ]; then
		_sql="$_sql $(regen_sql "$4" "$5" "$6")" || return 1
	fi
	sqlite3 "$D/store.db" "BEGIN IMMEDIATE; $_sql COMMIT;"
}
itl_changed() {	# OLD-COPY
	! cmp -s "$1" "$TD/ITLFile.tlv"
}
reported() {	# MAC SHA1
	"$SBDCTL" device show -d "$D" --json "$1" 2>/dev/null |
	    grep -q "\"reported_itl_sha1\": \"$2\""
}

# ---- 1. no list: trust on first use; DeviceTLInfo
phone a $A
run "$SBDPHONE" status "$T/a"
expect_out "phone: a new phone holds no ITL" "ITL File: Not Installed"
boot a
expect_rc "phone 1: first boot succeeds" 0
expect_out "phone 1: ITL installed on first use" \
    "installed (trust on first use)"
expect_out "phone 1: the signed configuration accepted through the ITL" \
    "accepted (trusted by ITL)"
expect_same "phone 1: the installed ITL is the one served" "$T/a/itl.tlv" \
    "$TD/ITLFile.tlv"
itl1=$(sha1 "$TD/ITLFile.tlv")
pstatus a
expect_out "phone 1: status shows the ITL's SHA1" "SHA1 $itl1"
expect_out "phone 1: status message Trust List Updated" \
    "Trust List Updated"
expect_out "phone 1: the configuration's TVS server" \
    "TVS servers: 127.0.0.1:$TVSP"
expect_true "phone 1: the store has the SHA1 the phone reported" \
    wait_until 5 reported $A "$itl1"
expect_counter "phone 1: sbdd counted the DeviceTLInfo" "$D" devicetlinfo \
    -ge 1
boot a --json
expect_rc "phone 1: second boot succeeds" 0
expect_out "phone 1: ... the same ITL is left as it is" '"unchanged"'
expect_out "phone 1: ... JSON result ok" '"result": "ok"'

# ---- 7. --proto http
h0=$(counter "$D" http_served)
boot a --proto http
expect_rc "phone 7: boot over HTTP succeeds" 0
expect_out "phone 7: ... the configuration accepted" \
    "accepted (trusted by ITL)"
expect_counter "phone 7: the files came over HTTP" "$D" http_served -ge \
    $((h0 + 2))

# ---- 6. encrypted configuration with an LSC
phone e $E
openssl x509 -in "$T/e.pem" -out "$T/e/lsc.pem" 2>/dev/null
openssl pkey -in "$T/e.pem" -out "$T/e/lsc.key" 2>/dev/null
boot e
expect_rc "phone 6: encrypted boot succeeds" 0
expect_out "phone 6: .enc.sgn decrypted with the LSC key" \
    "accepted and decrypted with the LSC key"
expect_true "phone 6: the decrypted configuration is the full one" \
    grep -q '<deviceSecurityMode>3</deviceSecurityMode>' "$T/e/config.xml"
pstatus e
expect_out "phone 6: status says LSC installed" "LSC: Installed"
phone w $W
openssl x509 -in "$T/w2.pem" -out "$T/w/lsc.pem" 2>/dev/null
openssl pkey -in "$T/w2.pem" -out "$T/w/lsc.key" 2>/dev/null
boot w
expect_rc "phone 6: an LSC the server did not encrypt to fails" 1
expect_out "phone 6: ... as decrypt-failed" "decrypt-failed"
expect_true "phone 6: ... and accepts no configuration" \
    test ! -e "$T/w/config.xml"

# ---- 2. mixed mode: the CTL on first use, the ITL through its CCM+TFTP
run "$SBDCTL" ctl set-cluster -d "$D" mixed-mode
expect_rc "phone 2: ctl set-cluster mixed-mode" 0
has_ctl() { [ -s "$TD/CTLFile.tlv" ]; }
expect_true "phone 2: sbdd serves a CTL" wait_until 5 has_ctl
phone b $B
boot b
expect_rc "phone 2: boot in mixed mode succeeds" 0
expect_true "phone 2: CTL installed on first use" \
    grep -q "CTLSEP$B.tlv .*installed (trust on first use)" "$T/out"
expect_out "phone 2: ITL installed through the CTL's CCM+TFTP" \
    "installed (trusted by CTL)"
expect_same "phone 2: the CTL is installed" "$T/b/ctl.tlv" "$TD/CTLFile.tlv"
pstatus b
ctl_md5=$(md5sum "$TD/CTLFile.tlv" | cut -c1-32)
expect_out "phone 2: status shows the CTL's MD5 and SHA1" \
    "CTL File: MD5 $ctl_md5 SHA1 $(sha1 "$TD/CTLFile.tlv")"
# B2 holds this CTL and nothing else.
phone b2 $B2
cp "$T/b/ctl.tlv" "$T/b2/ctl.tlv"

# ---- 4. CallManager regenerated: recovery through TVS QUERY
cp "$TD/ITLFile.tlv" "$T/itl.1"
r0=$(counter "$D" reloads)
expect_true "phone 4: CallManager.pem regenerated" regen CallManager \
    callmanager 2
expect_counter "phone 4: sbdd reloaded" "$D" reloads -ge $((r0 + 1))
expect_true "phone 4: the ITL has a new signer" wait_until 5 itl_changed \
    "$T/itl.1"
boot b2
expect_rc "phone 2: a phone with only the old CTL refuses the new lists" 1
expect_out "phone 2: ... the ITL is not signed by the CTL's CCM+TFTP" \
    "not signed by a CCM+TFTP certificate of the CTL"
run "$SBDCTL" ctl set-cluster -d "$D" non-secure
expect_rc "phone 4: back to non-secure" 0
no_ctl() { [ ! -e "$TD/CTLFile.tlv" ]; }
expect_true "phone 4: no CTL served" wait_until 5 no_ctl
q0=$(counter "$D" tvs_query)
boot a
expect_rc "phone 4: the phone recovers" 0
expect_out "phone 4: the new ITL is trusted through TVS QUERY" \
    "installed (trusted by TVS QUERY)"
expect_out "phone 4: ... and the configuration accepted" \
    "accepted (trusted by ITL)"
expect_counter "phone 4: sbdd answered a QUERY" "$D" tvs_query -ge $((q0 + 1))
expect_same "phone 4: the installed ITL is the new one" "$T/a/itl.tlv" \
    "$TD/ITLFile.tlv"
pstatus a
expect_out "phone 4: the signer went to the TVS cache" \
    "added cert to TVS cache - expires in 24 hours"
expect_out "phone 4: status shows the new ITL's SHA1" \
    "SHA1 $(sha1 "$TD/ITLFile.tlv")"
expect_true "phone 4: the store has the new SHA1 reported" \
    wait_until 5 reported $A "$(sha1 "$TD/ITLFile.tlv")"

# ---- 5. CallManager and TVS regenerated together: locked
cp "$T/a/itl.tlv" "$T/a.itl"
cp "$T/a/config.xml" "$T/a.config"
cp "$TD/ITLFile.tlv" "$T/itl.2"
r0=$(counter "$D" reloads)
expect_true "phone 5: CallManager.pem and TVS.pem regenerated" \
    regen CallManager callmanager 3 TVS tvs 3
expect_counter "phone 5: sbdd reloaded" "$D" reloads -ge $((r0 + 1))
expect_true "phone 5: the ITL has a new signer" wait_until 5 itl_changed \
    "$T/itl.2"
boot a
expect_rc "phone 5: the boot fails" 1
expect_out "phone 5: result trust-list-update-failed" \
    "trust-list-update-failed"
expect_out "phone 5: TVS is not the one the ITL knows" \
    "its certificate is not a TVS record of the ITL"
expect_same "phone 5: the old ITL is kept" "$T/a/itl.tlv" "$T/a.itl"
expect_same "phone 5: the configuration was not accepted" \
    "$T/a/config.xml" "$T/a.config"
pstatus a
expect_out "phone 5: Settings > Status > Status Messages" \
    "Trust List Update Failed"

# ---- 3. the rollback (empty) ITL, then any ITL
run sqlite3 "$D/store.db" "INSERT OR REPLACE INTO param (name, value)
    VALUES ('rollback_pre80', 'true')"
expect_rc "phone 3: rollback_pre80 set" 0
cp "$TD/ITLFile.tlv" "$T/itl.3"
expect_true "phone 3: sbdd serves the rollback ITL" wait_until 5 \
    itl_changed "$T/itl.3"
phone r $R
boot r
expect_rc "phone 3: boot with the rollback ITL succeeds" 0
expect_out "phone 3: the empty ITL is installed on first use" \
    "installed (trust on first use)"
expect_out "phone 3: the configuration is not checked" \
    "accepted (not checked"
pstatus r
expect_true "phone 3: its records are empty" \
    grep -Eq "^    TFTP +\(empty\)$" "$T/out"
cp "$TD/ITLFile.tlv" "$T/itl.4"
expect_true "phone 3: CallManager.pem regenerated again" regen CallManager \
    callmanager 4
run sqlite3 "$D/store.db" "DELETE FROM param WHERE name = 'rollback_pre80'"
expect_rc "phone 3: rollback_pre80 off" 0
expect_true "phone 3: a normal ITL again, from a signer never seen" \
    wait_until 5 itl_changed "$T/itl.4"
q0=$(counter "$D" tvs_query)
boot r
expect_rc "phone 3: the phone accepts it" 0
expect_out "phone 3: ... on first use, without TVS" \
    "installed (trust on first use)"
expect_counter "phone 3: ... no QUERY asked" "$D" tvs_query -eq $q0
expect_same "phone 3: the new ITL is installed" "$T/r/itl.tlv" \
    "$TD/ITLFile.tlv"

# ---- fleet: 200 phones, 20 at a time
run timeout 50 "$SBDPHONE" fleet --count 200 --concurrency 20 \
    --tftp "127.0.0.1:$TFTP_PORT" --http-port "$HTTP_PORT" \
    --dir "$T/fleet" --mac-base 00FE00000000
expect_rc "fleet: 200 phones boot" 0
expect_out "fleet: all of them succeed" "succeeded: 200"
expect_out "fleet: none fails" "failed:    0"
expect_out "fleet: boot times" "boot time: p50"
expect_true "fleet: each phone has its state directory" \
    test -s "$T/fleet/SEP00FE000000C7/itl.tlv"
run "$SBDPHONE" fleet --count 3 --concurrency 2 --tftp "127.0.0.1:$TFTP_PORT" \
    --http-port "$HTTP_PORT" --dir "$T/fleet2" --mac-base 00FD00000000 \
    --timeout 300 --json
expect_rc "fleet: unregistered phones fail" 1
expect_out "fleet: ... by result code" '"not-found": 3'

# ---- usage
run "$SBDPHONE" boot "$T/a"
expect_rc "phone: boot without --tftp is a usage error" 2
expect_err "phone: ... saying so" "--tftp is required"
run "$SBDPHONE" boot "$T/nothing" --tftp 127.0.0.1
expect_rc "phone: boot of a missing phone fails" 1
expect_err "phone: ... saying so" "no phone here"
run "$SBDPHONE" init "$T/a" --mac $A
expect_rc "phone: init over an existing phone fails" 1
run "$SBDPHONE" init "$T/x" --mac 12345
expect_rc "phone: a bad MAC is a usage error" 2

stop_sbdd "phone: sbdd exits 0"
