# The file resolver through the running daemon: encrypted configurations,
# the CTL following `ctl set-cluster`, administrators' files overriding
# generated ones, signatures rebuilt when a file changes, a stable ITL
# across reloads, and the per-device memory of what was served.
# Sourced by run.sh.

D=$T/res
ENC=00AA00BB0E0C	# encrypted, certificate known
NOC=00AA00BB0E0D	# encrypted, no certificate
AUTH=00AA00BB0A0A	# authenticated
PKI=$D/nodes/pub/pki
TD=$D/nodes/pub/tftp

make_node "$D"
run "$SBDCTL" cert create --role device --host "SEP$ENC" -o "$T/dev.pem"
expect_rc "resolver: an RSA device certificate (LSC) for SEP$ENC" 0
run "$SBDCTL" device add -d "$D" --mac "$ENC" --profile encrypted \
    --cert "$T/dev.pem" --cert-kind LSC
expect_rc "resolver: encrypted device with its certificate" 0
run "$SBDCTL" device add -d "$D" --mac "$NOC" --profile encrypted
expect_rc "resolver: encrypted device without a certificate" 0
run "$SBDCTL" device add -d "$D" --mac "$AUTH" --profile authenticated
expect_rc "resolver: authenticated device" 0
start_sbdd "$D"

tget() {	# NAME OUT
	rm -f "$2"
	timeout 10 tftp 127.0.0.1 "$TFTP_PORT" -m binary -c get "$1" "$2" \
	    >"$T/tftp.out" 2>&1
}

# ---- encrypted configuration
tget "SEP$ENC.cnf.xml.enc.sgn" "$T/enc"
run "$SBDCTL" decrypt enc "$T/enc" --device-key "$T/dev.pem" \
    --cert "$PKI/CallManager.pem" -o "$T/enc.xml"
expect_rc "resolver: .enc.sgn verifies and decrypts with the device key" 0
expect_true "resolver: ... to the device's configuration (mode 3)" \
    grep -q '<deviceSecurityMode>3</deviceSecurityMode>' "$T/enc.xml"
tget "SEP$ENC.cnf.xml.sgn" "$T/short"
run "$SBDCTL" verify sgn --cert "$PKI/CallManager.pem" "$T/short"
expect_rc "resolver: the short .cnf.xml.sgn verifies" 0
run "$SBDCTL" strip sgn -o "$T/short.xml" "$T/short"
expect_true "resolver: the short config says encrConfig true" \
    grep -q '<encrConfig>true</encrConfig>' "$T/short.xml"
expect_true "resolver: the short config is not the full one" \
    sh -c "! grep -q '<TVS>' '$T/short.xml'"
tget "SEP$ENC.cnf.xml" "$T/plain"
expect_true "resolver: an encrypted device's plain config is refused" \
    grep -q "Access violation" "$T/tftp.out"
tget "SEP$NOC.cnf.xml.enc.sgn" "$T/none"
expect_true "resolver: no certificate, no .enc.sgn" \
    grep -q "File not found" "$T/tftp.out"
tget "SEP$NOC.cnf.xml" "$T/none"
expect_true "resolver: no certificate: the plain config is still refused" \
    grep -q "Access violation" "$T/tftp.out"

# ---- administrators' files override, and signatures follow them
tget "SEP$AUTH.cnf.xml.sgn" "$T/gen"
run "$SBDCTL" strip sgn -o "$T/gen.xml" "$T/gen"
expect_true "resolver: generated config lists TVS member pub" \
    grep -q '<address>127.0.0.1</address>' "$T/gen.xml"
printf '<device><fullConfig>true</fullConfig><v>1</v></device>\n' \
    >"$TD/SEP$AUTH.cnf.xml"
tget "SEP$AUTH.cnf.xml.sgn" "$T/adm"
run "$SBDCTL" strip sgn -o "$T/adm.xml" "$T/adm"
expect_same "resolver: the administrator's file is what gets signed" \
    "$T/adm.xml" "$TD/SEP$AUTH.cnf.xml"
printf '<device><fullConfig>true</fullConfig><v>22</v></device>\n' \
    >"$TD/SEP$AUTH.cnf.xml"
tget "SEP$AUTH.cnf.xml.sgn" "$T/adm2"
run "$SBDCTL" strip sgn -o "$T/adm2.xml" "$T/adm2"
expect_same "resolver: a changed file is signed again" \
    "$T/adm2.xml" "$TD/SEP$AUTH.cnf.xml"
printf 'firmware bytes\n' >"$TD/load88xx.sgn"
tget load88xx.sgn "$T/fw"
expect_same "resolver: a .sgn file on disk is served as it is" \
    "$T/fw" "$TD/load88xx.sgn"

# ---- the ITL, what each device got, and a reload that changes nothing
tget "ITLSEP$AUTH.tlv" "$T/itl1"
expect_same "resolver: ITLSEP<MAC> is the node's ITL" "$T/itl1" \
    "$TD/ITLFile.tlv"
sha=$(sha1sum "$T/itl1" | cut -d' ' -f1)
served_itl() {
	"$SBDCTL" device show -d "$D" --json "$AUTH" 2>/dev/null |
	    grep -q "$sha"
}
expect_true "resolver: the store remembers the ITL served to SEP$AUTH" \
    wait_until 5 served_itl
run "$SBDCTL" device add -d "$D" --mac 00AA00BB0F0F
expect_rc "resolver: another device (a store change)" 0
expect_counter "resolver: sbdd reloaded on its own" "$D" reloads -ge 1
tget "ITLSEP00AA00BB0F0F.tlv" "$T/itl2"
expect_same "resolver: a reload that changes nothing keeps the ITL bytes" \
    "$T/itl1" "$T/itl2"

# ---- the CTL follows the cluster's security mode
tget CTLFile.tlv "$T/none"
expect_true "resolver: non-secure cluster: no CTLFile.tlv" \
    grep -q "File not found" "$T/tftp.out"
run "$SBDCTL" ctl set-cluster -d "$D" mixed-mode
expect_rc "resolver: ctl set-cluster mixed-mode" 0
has_ctl() { [ -s "$TD/CTLFile.tlv" ]; }
expect_true "resolver: CTLFile.tlv written after the change" \
    wait_until 5 has_ctl
tget "CTLSEP$AUTH.tlv" "$T/ctl"
expect_same "resolver: CTLSEP<MAC> serves the CTL" "$T/ctl" "$TD/CTLFile.tlv"
run "$SBDCTL" verify ctl --cert "$PKI/CallManager.pem" "$T/ctl"
expect_rc "resolver: the CTL verifies with the publisher's CallManager" 0
run "$SBDCTL" ctl set-cluster -d "$D" non-secure
no_ctl() { [ ! -e "$TD/CTLFile.tlv" ]; }
expect_true "resolver: back to non-secure: CTLFile.tlv removed" \
    wait_until 5 no_ctl
tget CTLFile.tlv "$T/none"
expect_true "resolver: ... and no longer served" \
    grep -q "File not found" "$T/tftp.out"

stop_sbdd "resolver: sbdd exits 0"
