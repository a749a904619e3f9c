# Integration: CAPF (FORMATS.md 8) -- sbdd's service against sbdphone,
# openssl s_client and raw frames ($ITESTS/capf_raw): the first message;
# `sbdctl device capf` and its refusals; LSC install with password, null,
# LSC and MIC authentication and each key type; fetch; delete; no task;
# unknown device; the issued LSC checked with openssl; the encrypted
# configuration then decrypting with the phone's new key; capfAuthMode
# in the served configuration; malformed frames and a silent client.
# Sourced by run.sh.

D=$T/node
PKI=$D/nodes/pub/pki
M1=001122CAF001		# encrypted: password, LSC re-install, fetch, delete
M2=001122CAF002		# boots first; null auth; every key type
M3=001122CAF003		# its MIC is in the store
M4=001122CAF004		# its MIC verifies against DATA/pki/mic-ca
MU=001122CAF0FF		# not in the store
P1=$T/p1
P2=$T/p2
P3=$T/p3
P4=$T/p4
PU=$T/pu
# The store's CAPF port is the one sbdd listens on, so that a phone finds
# CAPF through its configuration's capfList.
CAPF_Q=$(free_ports 1 1)

make_node "$D" --capf-port "$CAPF_Q"
run "$SBDCTL" device add -d "$D" --mac $M1 --profile encrypted
expect_rc "device add $M1 (encrypted)" 0
run "$SBDCTL" device add -d "$D" --mac $M2
expect_rc "device add $M2" 0
for _p in "$P1 $M1" "$P2 $M2" "$PU $MU"; do
	# shellcheck disable=SC2086
	set -- $_p
	"$SBDPHONE" init "$1" --mac "$2" --model CP-8845 >/dev/null 2>&1
done
"$SBDPHONE" init "$P3" --mac $M3 --model CP-8845 --mic >/dev/null 2>&1
"$SBDPHONE" init "$P4" --mac $M4 --model CP-8865 --mic >/dev/null 2>&1
expect_true "sbdphone init made MICs" test -s "$P3/mic.pem" -a -s "$P4/mic.pem"
run "$SBDCTL" device add -d "$D" --mac $M3 --cert "$P3/mic.pem" \
    --cert-kind MIC
expect_rc "device add $M3 with its MIC" 0
run "$SBDCTL" device add -d "$D" --mac $M4
expect_rc "device add $M4" 0

start_sbdd "$D" -o capf_port="$CAPF_Q" -o capf_step=3
if [ -z "$CAPF_PORT" ] || [ "$CAPF_PORT" = 0 ]; then
	nok "t_capf: no CAPF service to test"
	return
fi

# ---- helpers --------------------------------------------------------------

# capf DIR [OPTS]: one sbdphone CAPF session against this node.
capf() {
	_dir=$1
	shift
	run timeout 30 "$SBDPHONE" capf "$_dir" --host 127.0.0.1 \
	    --port "$CAPF_PORT" "$@"
}

# expect_status NAME DIR TEXT: the phone's last status message has TEXT.
expect_status() {
	if tail -n 1 "$2/status" 2>/dev/null | grep -qF -- "$3"; then
		ok "$1"
	else
		nok "$1 (last status: $(tail -n 1 "$2/status" 2>/dev/null))"
		sed -n '1,5s/^/  | /p' "$T/err"
	fi
}

# jfield MAC KEY: a string field of `device show --json`.
jfield() {
	"$SBDCTL" device show -d "$D" --json "$1" 2>/dev/null |
	    sed -n "s/^ *\"$2\": \"\(.*\)\",*\$/\1/p"
}

# expect_dev NAME MAC KEY VALUE
expect_dev() {
	_v=$(jfield "$2" "$3")
	if [ "$_v" = "$4" ]; then
		ok "$1"
	else
		nok "$1 ($3 is \"$_v\", want \"$4\")"
	fi
}

# sha1 FILE.pem: lowercase hex SHA-1 of the certificate's DER.
sha1() {
	openssl x509 -in "$1" -noout -fingerprint -sha1 2>/dev/null |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

# keytext FILE.pem: the certificate as text.
keytext() {
	openssl x509 -in "$1" -noout -text 2>/dev/null
}

# raw CASE [DEVICE [PASSWORD]]: capf_raw's one line into $out.
raw() {
	out=$(timeout 20 "$ITESTS/capf_raw" 127.0.0.1 "$CAPF_PORT" "$@" 2>&1)
}

expect_raw() {
	if [ "$out" = "$2" ]; then
		ok "$1"
	else
		nok "$1 (capf_raw said \"$out\", want \"$2\")"
	fi
}

# ---- the first message ----------------------------------------------------

# AUTH_REQUEST as soon as the handshake is done: VERSION 3, AUTH_TYPE 0.
(sleep 1) | timeout 10 openssl s_client -tls1_2 -quiet \
    -connect 127.0.0.1:"$CAPF_PORT" 2>/dev/null | od -An -tx1 |
    tr -s ' \n' ' ' >"$T/hello"
_want='^ ?55 01 00 00 00 [0-9a-f]{2} 00 08 07 00 01 03 08 00 01 00 ?$'
expect_true "s_client -tls1_2 reads 55 01 S 0008 07 0001 03 08 0001 00" \
    grep -Eq "$_want" "$T/hello"
raw hello
_s1=$(echo "$out" | sed -n 's/^auth_request session \([0-9]*\)$/\1/p')
raw hello
_s2=$(echo "$out" | sed -n 's/^auth_request session \([0-9]*\)$/\1/p')
expect_true "session IDs count the connections ($_s1, $_s2)" \
    test -n "$_s1" -a "$_s2" = "$((_s1 + 1))"

# ---- sbdctl device capf ---------------------------------------------------

"$SBDCTL" device show -d "$D" --json $M1 >"$T/before.json"
run "$SBDCTL" device capf -d "$D" $M1 --op upgrade
expect_rc "device capf --op upgrade: usage" 2
expect_err "  names the bad op" "bad --op: upgrade"
run "$SBDCTL" device capf -d "$D" $M1 --op install --key rsa:1000
expect_rc "device capf --key rsa:1000: usage" 2
expect_err "  names the bad key" "bad --key: rsa:1000"
run "$SBDCTL" device capf -d "$D" $M1 --op install --password 12ab
expect_rc "device capf --password 12ab: usage" 2
expect_err "  names the bad password" "bad --password: 12ab"
run "$SBDCTL" device capf -d "$D" $M1 --op install --auth lsc \
    --password 1234
expect_rc "device capf --auth lsc --password: usage" 2
run "$SBDCTL" device capf -d "$D" $M1 --op install --auth password
expect_rc "device capf --auth password without one: usage" 2
expect_err "  asks for the string" "--auth password needs"
run "$SBDCTL" device capf -d "$D" $M1
expect_rc "device capf without --op: usage" 2
run "$SBDCTL" device capf -d "$D" $MU --op install
expect_rc "device capf of an unknown device fails" 1
expect_err "  names it" "device SEP$MU not found"
"$SBDCTL" device show -d "$D" --json $M1 >"$T/after.json"
expect_same "the refusals left the device unchanged" "$T/before.json" \
    "$T/after.json"
run "$SBDCTL" device capf -d "$D" $M1 --op install --generate-password
expect_rc "device capf --generate-password" 0
_gen=$(sed -n 's/^authentication string: \([0-9]*\)$/\1/p' "$T/out")
expect_true "  prints an 8-digit authentication string" \
    test "${#_gen}" -eq 8
run "$SBDCTL" device show -d "$D" $M1
expect_out "device show: the pending task" \
    "CAPF task:      install, auth password $_gen, key rsa:2048"
expect_dev "  status Pending" $M1 status "Pending"

# ---- password authentication ----------------------------------------------

run "$SBDCTL" device capf -d "$D" $M1 --op install --password 123456
expect_rc "device capf $M1 install, password 123456" 0
capf "$P1" --auth password --password 654321
expect_status "wrong password: the phone is refused" "$P1" \
    "CAPF: Authentication Failed"
expect_true "  and has no LSC" test ! -e "$P1/lsc.pem"
expect_dev "  status Operation Failed: authentication" $M1 status \
    "Operation Failed: authentication"
expect_dev "  the task is over" $M1 op "none"
expect_counter "  counted as capf_failed" "$D" capf_failed -eq 1

run "$SBDCTL" device capf -d "$D" $M1 --op install --password 123456
capf "$P1" --auth password --password 123456
expect_rc "right password: the session ends normally" 0
expect_out "  with END_SESSION 1" "reason 1"
expect_status "  LSC Installed" "$P1" "LSC Installed"
expect_true "  lsc.pem and lsc.key (0600) saved" \
    test -s "$P1/lsc.pem" -a "$(stat -c %a "$P1/lsc.key" 2>/dev/null)" = 600
run openssl verify -CAfile "$PKI/CAPF.pem" "$P1/lsc.pem"
expect_rc "  the LSC verifies against the node's CAPF certificate" 0
expect_true "  issuer is the CAPF certificate's subject" test \
    "$(openssl x509 -in "$P1/lsc.pem" -noout -issuer | sed 's/^issuer=//')" \
    = "$(openssl x509 -in "$PKI/CAPF.pem" -noout -subject |
    sed 's/^subject=//')"
keytext "$P1/lsc.pem" >"$T/lsc.txt"
expect_true "  subject CN=SEP$M1" grep -q "Subject: CN *= *SEP$M1\$" \
    "$T/lsc.txt"
expect_true "  RSA 2048 as asked" grep -q "Public-Key: (2048 bit)" \
    "$T/lsc.txt"
expect_true "  EKU serverAuth, clientAuth, IPSec End System" grep -q \
    "Server Authentication, TLS Web Client Authentication, IPSec End System" \
    "$T/lsc.txt"
expect_true "  SAN URI:SEP$M1" grep -q "URI:SEP$M1" "$T/lsc.txt"
expect_true "  CA:FALSE" grep -q "CA:FALSE" "$T/lsc.txt"
expect_dev "device: kind LSC" $M1 cert_kind "LSC"
expect_dev "  its certificate is the phone's lsc.pem" $M1 cert_sha1 \
    "$(sha1 "$P1/lsc.pem")"
expect_dev "  status Upgrade Success" $M1 status "Upgrade Success"
expect_counter "  counted as capf_installed" "$D" capf_installed -eq 1
expect_true "one log line for the session" \
    grep -q "capf 127.0.0.1:[0-9]* SEP$M1 install: LSC installed" \
    "$SBDD_LOG"

# ---- the encrypted configuration, wrapped to the new LSC ------------------

# _dec: fetch the .enc.sgn with tftp-hpa; it decrypts with the LSC key.
_dec() {
	rm -f "$T/enc" "$T/plain"
	timeout 10 tftp -m binary 127.0.0.1 "$TFTP_PORT" \
	    -c get "SEP$M1.cnf.xml.enc.sgn" "$T/enc" >/dev/null 2>&1 &&
	    "$SBDCTL" decrypt enc "$T/enc" --device-key "$P1/lsc.key" \
	    --cert "$PKI/CallManager.pem" -o "$T/plain" >/dev/null 2>&1
}
# The store change reaches sbdd's resolver within a second.
expect_true "SEP$M1.cnf.xml.enc.sgn (tftp-hpa) decrypts with lsc.key" \
    wait_until 5 _dec
expect_true "  into the phone's configuration" \
    grep -q "<capfList>" "$T/plain"
run timeout 30 "$SBDPHONE" boot "$P1" --tftp 127.0.0.1:"$TFTP_PORT" \
    --http-port "$HTTP_PORT"
expect_rc "sbdphone boot $M1 decrypts its configuration" 0

# ---- LSC authentication: re-install with another key ----------------------

cp "$P1/lsc.pem" "$T/lsc1.pem"
run "$SBDCTL" device capf -d "$D" $M1 --op install --auth lsc --key rsa:3072
capf "$P1" --auth lsc
expect_rc "LSC auth: the session ends normally" 0
expect_status "  a new LSC installed" "$P1" "LSC Installed"
expect_true "  RSA 3072 as asked" sh -c \
    "openssl x509 -in '$P1/lsc.pem' -noout -text | grep -q '(3072 bit)'"
expect_true "  a new certificate" sh -c \
    "! cmp -s '$T/lsc1.pem' '$P1/lsc.pem'"
expect_dev "  recorded" $M1 cert_sha1 "$(sha1 "$P1/lsc.pem")"

# Another phone's LSC does not authenticate this one.
run "$SBDCTL" device capf -d "$D" $M2 --op install --auth lsc
mkdir -p "$T/thief"
cp "$P2/phone.conf" "$T/thief/"
cp "$P1/lsc.pem" "$P1/lsc.key" "$T/thief/"
capf "$T/thief" --auth lsc
expect_status "LSC auth with SEP$M1's LSC for SEP$M2: refused" "$T/thief" \
    "CAPF: Authentication Failed"
expect_dev "  status Operation Failed: authentication" $M2 status \
    "Operation Failed: authentication"

# ---- fetch and delete -----------------------------------------------------

run "$SBDCTL" device capf -d "$D" $M1 --op fetch
capf "$P1"
expect_rc "fetch: the session ends normally" 0
expect_status "  the phone sent its certificate" "$P1" \
    "CAPF: Certificate Fetched"
expect_dev "  status Fetch Success" $M1 status "Fetch Success"
expect_dev "  recorded as an LSC" $M1 cert_kind "LSC"
expect_counter "  counted as capf_fetched" "$D" capf_fetched -eq 1

run "$SBDCTL" device capf -d "$D" $M1 --op delete --auth lsc
capf "$P1" --auth lsc
expect_rc "delete: the session ends normally" 0
expect_status "  LSC Deleted" "$P1" "LSC Deleted"
expect_true "  lsc.pem and lsc.key removed" \
    test ! -e "$P1/lsc.pem" -a ! -e "$P1/lsc.key"
run "$SBDCTL" device show -d "$D" $M1
expect_out "  the device has no certificate" "Certificate:    none"
expect_out "  status Delete Success" "CAPF status:    Delete Success"
expect_counter "  counted as capf_deleted" "$D" capf_deleted -eq 1

# ---- no task, unknown device ----------------------------------------------

capf "$P1"
expect_status "no task: END_SESSION 0" "$P1" "CAPF: No Operation"
expect_counter "  counted as capf_noop" "$D" capf_noop -ge 1
capf "$PU"
expect_out "unknown device: END_SESSION 9" "reason 9"
expect_status "  the phone says so" "$PU" "CAPF: Unknown Device"
raw auth "SEP$MU"
expect_raw "  END_SESSION reason 9" "reply 15 reason 9"

# ---- the configuration: capfAuthMode and capfList -------------------------

run "$SBDCTL" device capf -d "$D" $M2 --op install --key rsa:1024
run "$SBDCTL" reload -d "$D"
# _cnf MODE: SEP<M2>.cnf.xml says capfAuthMode MODE.
_cnf() {
	rm -f "$T/cnf"
	timeout 10 tftp -m binary 127.0.0.1 "$TFTP_PORT" \
	    -c get "SEP$M2.cnf.xml" "$T/cnf" >/dev/null 2>&1 &&
	    grep -q "<capfAuthMode>$1</capfAuthMode>" "$T/cnf"
}
expect_true "a null-auth task: capfAuthMode 2 in SEP$M2.cnf.xml" \
    wait_until 3 _cnf 2
expect_true "  capfList names this CAPF port" \
    grep -q "<phonePort>$CAPF_Q</phonePort>" "$T/cnf"
run timeout 30 "$SBDPHONE" boot "$P2" --tftp 127.0.0.1:"$TFTP_PORT" \
    --http-port "$HTTP_PORT"
expect_rc "sbdphone boot $M2 (its ITL trusts this CAPF)" 0
# No host, port or mode: all from the configuration.
run timeout 30 "$SBDPHONE" capf "$P2"
expect_status "a session from the configuration: LSC Installed" "$P2" \
    "LSC Installed"
expect_true "  RSA 1024" sh -c \
    "openssl x509 -in '$P2/lsc.pem' -noout -text | grep -q '(1024 bit)'"
expect_true "  then capfAuthMode 0 again" wait_until 3 _cnf 0

for _k in P-256 P-384; do
	run "$SBDCTL" device capf -d "$D" $M2 --op install --key ec:$_k
	capf "$P2" --auth null
	expect_status "ec:$_k: LSC Installed" "$P2" "LSC Installed"
	expect_true "  an EC key on $_k" sh -c "openssl x509 -in '$P2/lsc.pem' \
	    -noout -text | grep -q 'NIST CURVE: $_k'"
done
expect_counter "capf_installed counts every install" "$D" capf_installed \
    -eq 5

# ---- MIC authentication ---------------------------------------------------

run "$SBDCTL" device capf -d "$D" $M3 --op install --auth mic
capf "$P3" --auth mic
expect_status "MIC auth (the stored MIC): LSC Installed" "$P3" "LSC Installed"
expect_dev "  the device's certificate is now the LSC" $M3 cert_kind "LSC"
run "$SBDCTL" device capf -d "$D" $M4 --op install --auth mic
capf "$P4" --auth mic
expect_status "MIC auth, no MIC known: refused" "$P4" \
    "CAPF: Authentication Failed"
mkdir -p "$D/pki/mic-ca"
cp "$P4/mic.pem" "$D/pki/mic-ca/test-mic-ca.pem"
kill -HUP "$SBDD_PID"
_mic_ca_read() {
	grep -q "capf: reloaded: [0-9]* CAPF and 1 manufacturing" "$SBDD_LOG"
}
expect_true "SIGHUP: CAPF reads DATA/pki/mic-ca" wait_until 5 _mic_ca_read
run "$SBDCTL" device capf -d "$D" $M4 --op install --auth mic
capf "$P4" --auth mic
expect_status "MIC auth through DATA/pki/mic-ca: LSC Installed" "$P4" \
    "LSC Installed"

# ---- malformed frames and silence -----------------------------------------

_rej=$(counter "$D" capf_rejected)
for _c in version4 session badproto toobig badcmd wrongcmd overrun trunc \
    plain; do
	raw $_c "SEP$M1"
	expect_raw "$_c: closed without an answer" "closed"
done
expect_counter "  each counted as capf_rejected" "$D" capf_rejected \
    -eq "$((_rej + 9))"
expect_true "  logged with the reason" \
    grep -q "capf: offset 0: .*protocol 0x57 is not CAPF" "$SBDD_LOG"
raw split "SEP$M1"
expect_raw "a frame in two writes is one frame" "reply 15 reason 0"
raw idle
expect_raw "a silent phone is dropped after capf_step" "closed after 3 s"
run "$SBDCTL" device capf -d "$D" $M2 --op install
raw wrongkey "SEP$M2"
expect_raw "an EC key for an RSA task: END_SESSION 7" "reply 15 reason 7"
expect_dev "  status Operation Failed: wrong key" $M2 status \
    "Operation Failed: wrong key"

stop_sbdd
