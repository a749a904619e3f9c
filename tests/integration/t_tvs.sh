# Integration: sbdd's Trust Verification Service (FORMATS.md 7) against
# openssl s_client, `sbdctl tvs query` and tests/integration/tvs_raw.c:
# TLS versions and the legacy mode of the 7900 series, VERIFY and QUERY
# answers for the cluster's certificates, the trust table (`sbdctl trust`)
# and the tvs_ttl parameter followed through reloads, the exact bytes of
# an answer, malformed frames, the per-connection request limit, the idle
# timeout, the per-client cap and SIGTERM with a connection open.
# Sourced by run.sh; names are prefixed tv_.

tv_d=$T/tvs
tv_pki=$tv_d/nodes/pub/pki
tv_td=$tv_d/nodes/pub/tftp
tv_raw=$ITESTS/tvs_raw

tv_q() {	# ARGS...: tvs query against the running sbdd, into run's files
	run timeout 20 "$SBDCTL" tvs query --host 127.0.0.1 \
	    --port "$TVS_PORT" "$@"
}

tv_qgrep() {	# LINE ARGS...: the query's stdout holds the line LINE
	_tv_t=$1
	shift
	timeout 20 "$SBDCTL" tvs query --host 127.0.0.1 --port "$TVS_PORT" \
	    "$@" 2>/dev/null | grep -qxF -- "$_tv_t"
}

tv_sha1() {	# PEM: lowercase hex SHA-1 of the certificate
	openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//' |
	    tr -d ':' | tr 'A-F' 'a-f'
}

tv_der() {	# PEM OUT: the certificate as DER
	openssl x509 -in "$1" -outform DER -out "$2"
}

tv_hex() {	# FILE: its bytes as lowercase hex on one line
	od -An -tx1 -v "$1" | tr -d ' \n'
}

tv_param() {	# VALUE: set tvs_ttl (empty: remove it)
	if [ -z "$1" ]; then
		sqlite3 "$tv_d/store.db" \
		    "DELETE FROM param WHERE name = 'tvs_ttl'"
	else
		sqlite3 "$tv_d/store.db" "INSERT OR REPLACE INTO param \
		    (name, value) VALUES ('tvs_ttl', '$1')"
	fi
}

# raw NAME HEX...: a frame the server must refuse: no answer, the
# connection closed, tvs_rejected up by exactly one.
tv_refused() {
	_tv_name=$1
	shift
	_tv_r0=$(counter "$tv_d" tvs_rejected)
	run timeout 10 "$tv_raw" -w 2000 127.0.0.1 "$TVS_PORT" send "$@"
	expect_out "tvs raw: $_tv_name: no answer" "no answer"
	expect_out "tvs raw: $_tv_name: connection closed" "closed"
	expect_counter "tvs raw: $_tv_name: tvs_rejected counted" "$tv_d" \
	    tvs_rejected -eq $((_tv_r0 + 1))
}

for tv_v in "tvs query" "trust add" "trust list" "trust remove"; do
	# shellcheck disable=SC2086
	run "$SBDCTL" $tv_v --help
	expect_out "$tv_v --help prints its usage" "usage: sbdctl $tv_v"
done
run "$SBDCTL" --help
expect_out "sbdctl --help lists tvs query" "  tvs query "

make_node "$tv_d"
run timeout 20 "$SBDCTL" tvs query --host 127.0.0.1 --port 1 --timeout 2000 \
    --cert "$tv_d/nodes/pub/pki/TVS.pem"
expect_rc "tvs query: no server is a failure" 1
expect_err "tvs query: ... naming host and port" "127.0.0.1:1:"
start_sbdd "$tv_d"
if [ -z "$TVS_PORT" ] || [ "$TVS_PORT" = 0 ]; then
	nok "t_tvs: no TVS port; nothing was run"
	return
fi

# ---- TLS: versions, the server certificate, the client certificate ---------

run timeout 10 openssl s_client -connect "127.0.0.1:$TVS_PORT" -tls1_2 \
    </dev/null
expect_rc "tvs tls: s_client -tls1_2 connects" 0
expect_out "tvs tls: TLS 1.2 negotiated" "Protocol  : TLSv1.2"
openssl x509 -in "$T/out" -noout -fingerprint -sha1 >"$T/tv_srv.fp" 2>&1
openssl x509 -in "$tv_pki/TVS.pem" -noout -fingerprint -sha1 >"$T/tv_tvs.fp"
expect_same "tvs tls: the server presents the node's TVS certificate" \
    "$T/tv_srv.fp" "$T/tv_tvs.fp"
expect_out "tvs tls: s_client shows the TVS certificate's subject" \
    "$(openssl x509 -in "$tv_pki/TVS.pem" -noout -subject)"
tv_r0=$(counter "$tv_d" tvs_rejected)
run timeout 10 openssl s_client -connect "127.0.0.1:$TVS_PORT" -tls1 \
    -cipher 'DEFAULT:@SECLEVEL=0' </dev/null
expect_true "tvs tls: TLS 1.0 is refused by default" test "$rc" -ne 0
run timeout 10 openssl s_client -connect "127.0.0.1:$TVS_PORT" -tls1_1 \
    -cipher 'DEFAULT:@SECLEVEL=0' </dev/null
expect_true "tvs tls: TLS 1.1 is refused by default" test "$rc" -ne 0
expect_counter "tvs tls: failed handshakes are counted as rejected" \
    "$tv_d" tvs_rejected -eq $((tv_r0 + 2))

run "$SBDCTL" cert create --cn phone-lsc.example -o "$T/tv_lsc.pem"
expect_rc "tvs tls: a client certificate for s_client" 0
# A VERIFY without a certificate, then EOF: the request is logged, and
# with it the client certificate.
printf '\127\001\001\000\000\000\003\351\000\000' |
    timeout 10 openssl s_client -quiet -no_ign_eof \
    -connect "127.0.0.1:$TVS_PORT" -cert "$T/tv_lsc.pem" \
    -key "$T/tv_lsc.pem" >"$T/tv_sc.out" 2>&1
expect_true "tvs tls: the client certificate appears in sbdd's log" \
    wait_until 3 grep -q \
    "client certificate \"CN=phone-lsc.example\" sha1 $(tv_sha1 \
    "$T/tv_lsc.pem")" "$SBDD_LOG"

# ---- VERIFY: the cluster's certificates --------------------------------------

tv_q --cert "$tv_pki/CallManager.pem"
expect_rc "tvs verify: CallManager is valid" 0
expect_out "tvs verify: CallManager verdict" "Verdict:      valid"
expect_out "tvs verify: CallManager roles SAST,CCM,TFTP" \
    "Roles:        SAST,CCM,TFTP"
expect_out "tvs verify: default TTL 86400" "TTL:          86400"
expect_out "tvs verify: sbdctl names the TVS server's certificate" \
    "SHA-1 $(tv_sha1 "$tv_pki/TVS.pem")"
expect_true "tvs verify: one log line with device, command and verdict" \
    wait_until 3 grep -q \
    "CP-7900-SEP000000000000 VERIFY valid cert $(tv_sha1 \
    "$tv_pki/CallManager.pem" | cut -c1-8) roles SAST,CCM,TFTP" \
    "$SBDD_LOG"
tv_q --cert "$tv_pki/TVS.pem"
expect_out "tvs verify: the TVS certificate has role TVS" \
    "Roles:        TVS"
tv_q --cert "$tv_pki/CAPF.pem"
expect_out "tvs verify: the CAPF certificate has role CAPF" \
    "Roles:        CAPF"
tv_q --cert "$tv_pki/ITLRecovery.pem" --json
expect_rc "tvs verify: ITLRecovery is valid (--json)" 0
expect_true "tvs verify: ITLRecovery is a SAST (--json)" \
    grep -q '^ *"SAST"$' "$T/out"
expect_out "tvs verify: --json verdict" '"verdict": "valid"'

run "$SBDCTL" cert create --cn web.example -o "$T/tv_web.pem"
expect_rc "tvs verify: a fresh self-signed certificate" 0
tv_q --cert "$T/tv_web.pem"
expect_rc "tvs verify: an unknown certificate exits 1" 1
expect_out "tvs verify: an unknown certificate is invalid" \
    "Verdict:      invalid"
expect_true "tvs verify: an invalid answer carries no roles" \
    sh -c "! grep -q Roles: '$T/out'"

# ---- the trust table and the tvs_ttl parameter -------------------------------

run "$SBDCTL" trust add -d "$tv_d" --role APP-SERVER --ttl 600 \
    --description "phone directory" "$T/tv_web.pem"
expect_rc "tvs trust: add" 0
expect_out "tvs trust: add prints roles and ttl" "roles APP-SERVER; ttl 600"
tv_der "$T/tv_web.pem" "$T/tv_web.der"
tv_web_sha256=$(sha256sum "$T/tv_web.der" | cut -d' ' -f1)
run "$SBDCTL" trust list -d "$tv_d"
expect_out "tvs trust: list shows the SHA-256" "$tv_web_sha256"
expect_out "tvs trust: list shows the description" "phone directory"
run "$SBDCTL" trust list -d "$tv_d" --json
expect_out "tvs trust: list --json has the ttl" '"ttl": 600'
expect_true "tvs trust: the change is in the audit log" \
    sh -c "sqlite3 '$tv_d/store.db' \"SELECT detail FROM audit WHERE \
    action = 'trust add'\" | grep -q '$tv_web_sha256'"
expect_true "tvs trust: sbdd reloads and vouches for it" \
    wait_until 5 tv_qgrep "Verdict:      valid" --cert "$T/tv_web.pem"
tv_q --cert "$T/tv_web.pem"
expect_out "tvs trust: its role APP-SERVER" "Roles:        APP-SERVER"
expect_out "tvs trust: its own TTL 600" "TTL:          600"

run "$SBDCTL" trust add -d "$tv_d" "$T/tv_web.pem"
expect_rc "tvs trust: adding it twice fails" 1
expect_err "tvs trust: ... saying so" "already trusted"
run "$SBDCTL" trust add -d "$tv_d" --role BOGUS "$T/tv_web.pem"
expect_rc "tvs trust: unknown role is a usage error" 2
expect_err "tvs trust: ... naming it" "unknown role: BOGUS"
run "$SBDCTL" trust add -d "$tv_d" --ttl 2592001 "$T/tv_web.pem"
expect_rc "tvs trust: ttl over 30 days is a usage error" 2
expect_err "tvs trust: ... naming it" "bad --ttl: 2592001"
run "$SBDCTL" trust remove -d "$tv_d" 1234
expect_rc "tvs trust: remove of a malformed hash is a usage error" 2
expect_err "tvs trust: ... naming it" "bad SHA256: 1234"
run "$SBDCTL" trust remove -d "$tv_d" "$(printf '%064d' 7)"
expect_rc "tvs trust: remove of an unknown hash fails" 1
expect_err "tvs trust: ... saying so" "not a trusted certificate"

# The cluster's CallManager in the table as well: the union of the roles,
# in tvsd's order with unnamed-in-order codes (SRST) last, and its TTL.
run "$SBDCTL" trust add -d "$tv_d" --role 5 --role TVS --role APP-SERVER \
    --ttl 900 "$tv_pki/CallManager.pem"
expect_rc "tvs trust: add the CallManager certificate too" 0
expect_true "tvs trust: roles are merged and ordered" \
    wait_until 5 tv_qgrep "Roles:        SAST,CCM,TFTP,APP-SERVER,TVS,SRST" \
    --cert "$tv_pki/CallManager.pem"
tv_q --cert "$tv_pki/CallManager.pem"
expect_out "tvs trust: the merged certificate takes the table's TTL" \
    "TTL:          900"
tv_der "$tv_pki/CallManager.pem" "$T/tv_cm.der"
run "$SBDCTL" trust remove -d "$tv_d" \
    "$(sha256sum "$T/tv_cm.der" | cut -d' ' -f1 | tr 'a-f' 'A-F')"
expect_rc "tvs trust: remove (upper-case hash accepted)" 0
expect_true "tvs trust: removed, CallManager has its ITL roles again" \
    wait_until 5 tv_qgrep "Roles:        SAST,CCM,TFTP" \
    --cert "$tv_pki/CallManager.pem"
tv_q --cert "$tv_pki/CallManager.pem"
expect_out "tvs trust: ... and the cluster's TTL" "TTL:          86400"

tv_param 3600
expect_true "tvs ttl: tvs_ttl 3600 is followed" \
    wait_until 5 tv_qgrep "TTL:          3600" --cert "$tv_pki/TVS.pem"
tv_q --cert "$T/tv_web.pem"
expect_out "tvs ttl: an entry's own TTL wins over tvs_ttl" \
    "TTL:          600"
tv_param bogus
expect_true "tvs ttl: an invalid tvs_ttl falls back to 86400" \
    wait_until 5 tv_qgrep "TTL:          86400" --cert "$tv_pki/TVS.pem"
tv_n=$(grep -c 'tvs: reloaded' "$SBDD_LOG")
kill -HUP "$SBDD_PID"
expect_true "tvs ttl: SIGHUP reloads the trust store" \
    wait_until 3 sh -c "[ \$(grep -c 'tvs: reloaded' '$SBDD_LOG') -gt $tv_n ]"
expect_true "tvs ttl: the invalid value is logged once" \
    test "$(grep -c 'parameter tvs_ttl "bogus"' "$SBDD_LOG")" -eq 1
tv_param ""

# ---- QUERY ------------------------------------------------------------------

run timeout 10 tftp -m binary 127.0.0.1 "$TFTP_PORT" \
    -c get ITLFile.tlv "$T/tv_itl.tlv"
expect_true "tvs query: fetched the ITL over TFTP" test -s "$T/tv_itl.tlv"
tv_q --signer "$T/tv_itl.tlv" --out "$T/tv_signer.pem"
expect_rc "tvs query: the ITL's signer is valid" 0
expect_out "tvs query: as a QUERY" "Request:      QUERY"
expect_out "tvs query: the signer's roles" "Roles:        SAST,CCM,TFTP"
tv_der "$T/tv_signer.pem" "$T/tv_signer.der"
expect_same "tvs query: TVS returns exactly the signer's certificate" \
    "$T/tv_signer.der" "$T/tv_cm.der"
printf 'a file to sign\n' >"$tv_td/tv-hello.txt"
run timeout 10 tftp -m binary 127.0.0.1 "$TFTP_PORT" \
    -c get tv-hello.txt.sgn "$T/tv_hello.sgn"
tv_q --signer "$T/tv_hello.sgn" --json
expect_rc "tvs query: the signer of a served .sgn is valid" 0
expect_out "tvs query: --json names the returned certificate" \
    "\"sha1\": \"$(tv_sha1 "$tv_pki/CallManager.pem")\""

tv_cm_serial=$(openssl x509 -in "$tv_pki/CallManager.pem" -noout -serial |
    sed 's/.*=//')
tv_cm_issuer=$("$SBDCTL" tvs query --host 127.0.0.1 --port "$TVS_PORT" \
    --signer "$T/tv_itl.tlv" | sed -n 's/^Issuer: *//p')
tv_cm_subject=$("$SBDCTL" tvs query --host 127.0.0.1 --port "$TVS_PORT" \
    --signer "$T/tv_itl.tlv" | sed -n 's/^Certificate: *//p')
tv_q --serial "$tv_cm_serial" --issuer "$tv_cm_issuer"
expect_rc "tvs query: serial and issuer find CallManager" 0
tv_q --serial "00:00:$tv_cm_serial" --issuer "$tv_cm_issuer"
expect_rc "tvs query: leading zero bytes of a serial do not count" 0
tv_q --serial "$tv_cm_serial" --subject "$tv_cm_subject"
expect_rc "tvs query: without an issuer the subject is matched" 0
tv_q --serial "$tv_cm_serial" --issuer "CN=someone else"
expect_rc "tvs query: the right serial with another issuer is invalid" 1
tv_q --serial 0123456789abcdef --issuer "$tv_cm_issuer" --out "$T/tv_no.pem"
expect_rc "tvs query: an unknown serial is invalid" 1
expect_out "tvs query: ... and says so" "Verdict:      invalid"
expect_true "tvs query: ... and --out writes nothing" \
    test ! -e "$T/tv_no.pem"
tv_web_serial=$(openssl x509 -in "$T/tv_web.pem" -noout -serial |
    sed 's/.*=//')
tv_q --serial "$tv_web_serial" --issuer "CN=web.example"
expect_out "tvs query: a trust-table certificate is found too" \
    "Roles:        APP-SERVER"

run "$SBDCTL" tvs query --port "$TVS_PORT" --cert "$T/tv_web.pem"
expect_rc "tvs query: --host is required" 2
expect_err "tvs query: ... saying so" "--host HOST is required"
tv_q --cert "$T/tv_web.pem" --signer "$T/tv_itl.tlv"
expect_rc "tvs query: --cert and --signer exclude each other" 2
tv_q --serial xyz --subject CN=x
expect_rc "tvs query: a bad serial is a usage error" 2
expect_err "tvs query: ... naming it" "bad --serial: xyz"
tv_q --cert "$T/tv_web.pem" --repeat 1001
expect_err "tvs query: --repeat is bounded" "bad --repeat: 1001"

# ---- one connection, many requests ------------------------------------------

tv_v0=$(counter "$tv_d" tvs_verify)
tv_c0=$(counter "$tv_d" tvs_conns)
tv_q --cert "$tv_pki/TVS.pem" --repeat 50
expect_rc "tvs repeat: 50 requests on one connection" 0
expect_out "tvs repeat: sbdctl reports them" \
    "Requests:     50 on one connection"
expect_counter "tvs repeat: tvs_verify advanced by 50" "$tv_d" tvs_verify \
    -eq $((tv_v0 + 50))
expect_counter "tvs repeat: ... over one connection" "$tv_d" tvs_conns \
    -eq $((tv_c0 + 1))

# ---- raw frames -------------------------------------------------------------

run timeout 10 "$tv_raw" -w 500 127.0.0.1 "$TVS_PORT" send \
    57010100deadbeef0000
expect_out "tvs raw: the session id is echoed, no certificate is invalid" \
    "answer 57010200deadbeef000407000101"
expect_out "tvs raw: the connection stays open after an answer" "open"
# A phone's VERIFY byte for byte (FORMATS.md 7.5) with CUCM's 0xF7 in
# header byte 3; the answer must carry 0 there.
tv_dev=$(printf 'CP-8845-SEP001122334455' | od -An -tx1 -v | tr -d ' \n')
tv_dl=$(wc -c <"$T/tv_cm.der")
tv_body=$(printf '010018%s%s02%04x%s' 01 "$tv_dev" "$tv_dl" \
    "$(tv_hex "$T/tv_cm.der")")
run timeout 10 "$tv_raw" -w 500 127.0.0.1 "$TVS_PORT" send \
    "$(printf '570101f7000003e9%04x' $((27 + 3 + tv_dl)))" "$tv_body"
expect_out "tvs raw: VERIFY answer: byte 3 0, roles 00 01 03, TTL 86400" \
    "answer 57010200000003e900110700010008000300010309000400015180"
tv_refused "wrong protocol byte" 58010100000000010000
tv_refused "version 2" 57020100000000010000
tv_refused "body over 16384 bytes" 57010100000000014001
tv_refused "an element overrunning the body" 5701010000000001 0004 020010aa
tv_refused "unknown command 5" 57010500000000010000
tv_refused "a response (2) sent to the server" 57010200000000010000
tv_r0=$(counter "$tv_d" tvs_rejected)
run timeout 10 "$tv_raw" 127.0.0.1 "$TVS_PORT" sendclose 5701010000
expect_out "tvs raw: a truncated header is sent" "sent 5"
expect_counter "tvs raw: truncated header then close is rejected" "$tv_d" \
    tvs_rejected -eq $((tv_r0 + 1))

# ---- SIGTERM with a connection open -----------------------------------------

"$tv_raw" -w 8000 127.0.0.1 "$TVS_PORT" idle >"$T/tv_idle.out" 2>&1 &
tv_idle_pid=$!
track "$tv_idle_pid"
expect_counter "tvs stop: a connection is open" "$tv_d" tvs_active -eq 1
stop_sbdd "tvs stop: sbdd exits 0 on SIGTERM with a TVS connection open"
wait "$tv_idle_pid"
expect_true "tvs stop: the open connection was closed" \
    grep -q "closed after" "$T/tv_idle.out"

# ---- limits: requests per connection, idle time, per-client cap, TLS 1.0 ----

start_sbdd "$tv_d" -o tvs_max_requests=3 -o tls_idle=1 \
    -o tls_max_per_client=2 -o tls_legacy=1
run timeout 10 openssl s_client -connect "127.0.0.1:$TVS_PORT" -tls1 \
    -cipher 'AES256-SHA:@SECLEVEL=0' </dev/null
expect_rc "tvs legacy: s_client -tls1 connects with tls_legacy=1" 0
expect_out "tvs legacy: AES256-SHA negotiated (the 8861/7900 case)" \
    "Cipher is AES256-SHA"
expect_out "tvs legacy: over TLS 1.0" "Protocol  : TLSv1"
tv_v0=$(counter "$tv_d" tvs_verify)
tv_q --cert "$tv_pki/TVS.pem" --repeat 3
expect_rc "tvs limit: 3 requests with tvs_max_requests=3" 0
tv_q --cert "$tv_pki/TVS.pem" --repeat 5 --legacy
expect_rc "tvs limit: a 4th request on one connection fails" 1
expect_err "tvs limit: ... closed after the 3rd" "request 4 of 5"
expect_counter "tvs limit: 6 requests answered in all" "$tv_d" tvs_verify \
    -eq $((tv_v0 + 6))
tv_t0=$(counter "$tv_d" tvs_timeouts)
run timeout 10 "$tv_raw" -w 5000 127.0.0.1 "$TVS_PORT" idle
expect_true "tvs idle: a silent connection is closed after tls_idle=1" \
    sh -c "ms=\$(sed -n 's/^closed after \([0-9]*\) ms$/\1/p' '$T/out'); \
    [ -n \"\$ms\" ] && [ \"\$ms\" -ge 800 ] && [ \"\$ms\" -lt 4000 ]"
expect_counter "tvs idle: counted as a timeout" "$tv_d" tvs_timeouts \
    -eq $((tv_t0 + 1))
tv_r0=$(counter "$tv_d" tvs_rejected)
run timeout 10 "$tv_raw" -w 1500 127.0.0.1 "$TVS_PORT" hold 3
expect_out "tvs cap: two connections of one client are taken" \
    "connected 2 of 3"
expect_out "tvs cap: the third is refused" "refused 3:"
expect_counter "tvs cap: the refusal is counted" "$tv_d" tvs_rejected \
    -eq $((tv_r0 + 1))
stop_sbdd "tvs: sbdd exits 0 after the limit tests"
