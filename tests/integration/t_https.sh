# sbdphone https against openssl s_server: a server certificate the ITL
# does not hold is refused ("Host Not Found") while TVS does not know
# it, trusted through TVS VERIFY once `sbdctl trust add` imports it,
# served from the TVS cache without a new TVS connection, and asked
# again once the cache entry expires (SBDPHONE_NOW).  A server whose
# certificate is in the ITL needs no TVS at all.  Sourced by run.sh.

D=$T/hs
TVSP=$(free_ports 3 2)
WEBP=$((TVSP + 2))
M=00AB00EE0001

make_node "$D" --tvs-port $TVSP --capf-port $((TVSP + 1))
run "$SBDCTL" device add -d "$D" --mac $M --profile authenticated
expect_rc "https: device add" 0
start_sbdd "$D" -o tvs_port=$TVSP -o capf_port=$((TVSP + 1))
if [ -z "$TFTP_PORT" ] || [ "$TVS_PORT" != "$TVSP" ]; then
	nok "t_https: no sbdd with TVS on $TVSP; nothing was run"
	return
fi

run "$SBDPHONE" init "$T/p" --mac $M
expect_rc "https: phone init" 0
run timeout 30 "$SBDPHONE" boot "$T/p" --tftp "127.0.0.1:$TFTP_PORT" \
    --http-port "$HTTP_PORT"
expect_rc "https: the phone boots (ITL and TVS servers)" 0

# The directory service of seed 002, with a certificate of its own.
mkdir -p "$T/www"
printf '<CiscoIPPhoneDirectory>%s</CiscoIPPhoneDirectory>\n' "$$" \
    >"$T/www/dir.xml"
run "$SBDCTL" cert create --cn directory.example -o "$T/web.pem"
expect_rc "https: a certificate for the web server" 0
(cd "$T/www" && exec openssl s_server -quiet -WWW -accept "127.0.0.1:$WEBP" \
    -cert "$T/web.pem" -key "$T/web.pem" >/dev/null 2>&1) &
track $!
listening() { ss -ltn | grep -q "127.0.0.1:$1 "; }
expect_true "https: s_server listens" wait_until 10 listening $WEBP
URL=https://127.0.0.1:$WEBP/dir.xml

https() {	# [options]
	run timeout 30 "$SBDPHONE" https "$T/p" "$URL" --timeout 2000 "$@"
}

# ---- not in the ITL, unknown to TVS
https
expect_rc "https: an unknown server is refused" 1
expect_err "https: ... Host Not Found" "Host Not Found"
expect_err "https: ... TVS said no" "TVS does not trust the certificate"
expect_counter "https: sbdd answered VERIFY invalid" "$D" tvs_invalid -ge 1
run "$SBDPHONE" status "$T/p"
expect_out "https: Host Not Found is a status message" "Host Not Found"

# ---- imported into TVS's trust: VERIFY, then the cache
r0=$(counter "$D" reloads)
run "$SBDCTL" trust add -d "$D" --role APP-SERVER --description directory \
    "$T/web.pem"
expect_rc "https: sbdctl trust add" 0
expect_counter "https: sbdd reloaded its trust" "$D" reloads -ge $((r0 + 1))
https --out "$T/got.xml"
expect_rc "https: now the server is trusted" 0
expect_err "https: ... through TVS VERIFY" "trusted by TVS VERIFY"
expect_same "https: the body is the file served" "$T/got.xml" \
    "$T/www/dir.xml"
run "$SBDPHONE" status "$T/p"
expect_out "https: the verdict is cached" \
    "added cert to TVS cache - expires in 24 hours"
expect_counter "https: sbdd answered VERIFY valid" "$D" tvs_valid -ge 1
c0=$(counter "$D" tvs_conns)
https
expect_rc "https: again" 0
expect_err "https: ... from the TVS cache" "trusted by TVS cache"
expect_out "https: ... the body on standard output" \
    "<CiscoIPPhoneDirectory>$$</CiscoIPPhoneDirectory>"
expect_counter "https: ... without a TVS connection" "$D" tvs_conns -eq "$c0"

# ---- past the cache's expiry the phone asks again
run env SBDPHONE_NOW=$(($(date +%s) + 86400 + 600)) timeout 30 \
    "$SBDPHONE" https "$T/p" "$URL"
expect_rc "https: after the expiry" 0
expect_err "https: ... TVS is asked again" "trusted by TVS VERIFY"
expect_counter "https: ... one more TVS connection" "$D" tvs_conns -eq \
    $((c0 + 1))

# ---- a certificate in the ITL: no TVS
c0=$(counter "$D" tvs_conns)
(cd "$T/www" && exec openssl s_server -quiet -WWW \
    -accept "127.0.0.1:$((WEBP + 1))" -cert "$D/nodes/pub/pki/TVS.pem" \
    -key "$D/nodes/pub/pki/TVS.pem" >/dev/null 2>&1) &
track $!
expect_true "https: a second s_server listens" wait_until 10 listening \
    $((WEBP + 1))
run timeout 30 "$SBDPHONE" https "$T/p" \
    "https://127.0.0.1:$((WEBP + 1))/dir.xml"
expect_rc "https: a server with an ITL certificate is trusted" 0
expect_err "https: ... by the ITL" "trusted by ITL"
expect_counter "https: ... without TVS" "$D" tvs_conns -eq "$c0"

run "$SBDPHONE" https "$T/p" http://127.0.0.1/x
expect_rc "https: a URL that is not https:// is a usage error" 2

stop_sbdd "https: sbdd exits 0"
