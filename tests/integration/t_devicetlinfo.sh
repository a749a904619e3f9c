# DeviceTLInfo: phones report the SHA-1 of the ITL they hold with
# POST /DeviceTLInfo on the HTTP port; sbdd records it in the store
# (sbdctl device show), refuses malformed reports, and still refuses every
# other POST.

D=$T/dti
make_node "$D"
MAC=00DD11EE22FF
run "$SBDCTL" device add -d "$D" --mac "$MAC" --profile authenticated
expect_rc "devicetlinfo: device added" 0
start_sbdd "$D"
URL="http://127.0.0.1:$HTTP_PORT"
H1=0123456789abcdef0123456789ABCDEF01234567
H2=fedcba9876543210fedcba9876543210fedcba98

# post BODY: prints the HTTP status code.
post() {
	timeout 10 curl -s -o /dev/null -w '%{http_code}' \
	    --data-raw "$1" "$URL/DeviceTLInfo"
}

reported() {
	"$SBDCTL" device show -d "$D" --json "$MAC" |
	    sed -n 's/.*"reported_itl_sha1": *"\([0-9a-f]*\)".*/\1/p'
}

_reported_is() {
	[ "$(reported)" = "$1" ]
}

code=$(post "device=SEP$MAC&itl=$H1&ctl=$H2")
[ "$code" = 204 ] && ok "devicetlinfo: a report is answered 204" ||
    nok "devicetlinfo: a report is answered 204 (got $code)"
if wait_until 5 _reported_is "$(echo "$H1" | tr A-F a-f)"; then
	ok "devicetlinfo: the store holds the reported SHA-1, lower case"
else
	nok "devicetlinfo: store holds the reported SHA-1 (got $(reported))"
fi
expect_counter "devicetlinfo: counted" "$D" devicetlinfo -eq 1
run grep -F "DeviceTLInfo SEP$MAC itl $H1 ctl $H2" "$SBDD_LOG"
expect_rc "devicetlinfo: one log line with both hashes" 0

# A phone that holds no ITL reports an empty hash.
code=$(post "device=SEP$MAC&itl=&ctl=")
[ "$code" = 204 ] && ok "devicetlinfo: an empty ITL hash is a report" ||
    nok "devicetlinfo: an empty ITL hash is a report (got $code)"
if wait_until 5 _reported_is ""; then
	ok "devicetlinfo: the store forgets the hash of a phone with no ITL"
else
	nok "devicetlinfo: no-ITL report recorded (got $(reported))"
fi

# Malformed reports: each refused with 400, counted, nothing recorded.
code=$(post "device=SEP$MAC&itl=$H2")
[ "$code" = 204 ] || nok "devicetlinfo: a second report (got $code)"
wait_until 5 _reported_is "$H2" ||
    nok "devicetlinfo: second report recorded"
n=0
for body in \
    "itl=$H1" \
    "device=SEP$MAC" \
    "device=$MAC&itl=$H1" \
    "device=SEPZZ1122334455&itl=$H1" \
    "device=SEP$MAC&itl=0123" \
    "device=SEP$MAC&itl=${H1}00" \
    "device=SEP$MAC&itl=g123456789abcdef0123456789abcdef01234567" \
    "device=SEP$MAC&itl=$H1&ctl=xyz" \
    "device=SEP$MAC&itl=$H1%00" \
    ""; do
	n=$((n + 1))
	code=$(post "$body")
	if [ "$code" = 400 ]; then
		ok "devicetlinfo: malformed report $n refused with 400"
	else
		nok "devicetlinfo: malformed report $n ($body): got $code"
	fi
done
expect_counter "devicetlinfo: malformed reports counted" "$D" \
    devicetlinfo_rejected -eq "$n"
sleep 1.2
[ "$(reported)" = "$H2" ] &&
    ok "devicetlinfo: malformed reports changed nothing" ||
    nok "devicetlinfo: malformed reports changed the store ($(reported))"

# A body over the limit is refused by the HTTP layer, not read.
big=$(head -c 4000 /dev/zero | tr '\0' a)
code=$(post "device=SEP$MAC&itl=$H1&x=$big")
[ "$code" = 413 ] || [ "$code" = 400 ] &&
    ok "devicetlinfo: an oversized body is refused ($code)" ||
    nok "devicetlinfo: an oversized body is refused (got $code)"

# Other POSTs, and other methods on the report path, stay refused.
code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' \
    --data-raw "x=1" "$URL/ITLFile.tlv")
[ "$code" = 405 ] && ok "devicetlinfo: POST elsewhere is 405" ||
    nok "devicetlinfo: POST elsewhere is 405 (got $code)"
code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' -X PUT \
    --data-raw "device=SEP$MAC&itl=$H1" "$URL/DeviceTLInfo")
[ "$code" = 405 ] && ok "devicetlinfo: PUT is 405" ||
    nok "devicetlinfo: PUT is 405 (got $code)"
code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' \
    "$URL/ITLFile.tlv")
[ "$code" = 200 ] && ok "devicetlinfo: GET still serves files" ||
    nok "devicetlinfo: GET still serves files (got $code)"
stop_sbdd
