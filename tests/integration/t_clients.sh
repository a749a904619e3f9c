# Integration: real clients against sbdd -- tftp-hpa, atftp, curl (TFTP and
# HTTP) and busybox fetch admin files, the ITL, a signed file and a
# generated configuration; the resolver's refusals; counters; the
# one-line-per-transfer log; store changes, SIGHUP and SIGTERM.  Sourced
# by run.sh.

D=$T/node
TD=$D/nodes/pub/tftp
PKI=$D/nodes/pub/pki
MAC=001122AABBCC	# authenticated profile: signed configuration
EMAC=001122AABBDD	# encrypted profile: the plain file is refused
NMAC=001122AABBEE	# added while sbdd runs
BIG=$((65536 * 512 + 1000))	# more blocks of 512 than block numbers

make_node "$D"
run "$SBDCTL" device add -d "$D" --mac $MAC --profile authenticated
expect_rc "device add $MAC (authenticated)" 0
run "$SBDCTL" device add -d "$D" --mac $EMAC --profile encrypted
expect_rc "device add $EMAC (encrypted)" 0

mkdir -p "$TD"
printf 'small file served by sbdd, line %02d\n' 1 2 3 | head -c 100 \
    >"$TD/small.txt"
head -c 2048 /dev/urandom >"$TD/exact.bin"
: >"$TD/empty.bin"
head -c $BIG /dev/urandom >"$TD/big.bin"
printf 'not a key\n' >"$TD/secret.pem"
printf 'hidden\n' >"$TD/.hidden"
ln -s ../pki/CallManager.pem "$TD/cm-link.txt"
ln -s /etc/passwd "$TD/passwd-link.txt"
expect_true "small.txt is 100 bytes" test "$(wc -c <"$TD/small.txt")" -eq 100

start_sbdd "$D"
if [ -z "$TFTP_PORT" ] || [ -z "$HTTP_PORT" ]; then
	# Without a daemon every client below would wait out its timeout.
	nok "t_clients: no sbdd to test; the clients were not run"
	return
fi

run "$SBDCTL" stats -d "$D" --json
expect_rc "stats --json" 0
expect_out "stats --json has tftp_served" '"tftp_served"'

# get CLIENT NAME OUT: fetch NAME with CLIENT into OUT (run's $rc, $T/out,
# $T/err).  Every client is bounded by timeout(1).  curl refuses an OACK
# with "tsize 0" (its "invalid tsize" error, exit 71), which is the right
# answer for an empty file (RFC 2349), so it asks for empty.bin without
# options.
get() {
	rm -f "$3"
	_noopt=""
	[ "$2" = empty.bin ] && _noopt=--tftp-no-options
	case $1 in
	tftp-hpa)
		run timeout 60 tftp -m binary 127.0.0.1 "$TFTP_PORT" \
		    -c get "$2" "$3" ;;
	atftp)
		run timeout 60 atftp --option "blksize 1428" \
		    --option "tsize 0" --option "timeout 2" \
		    --option "windowsize 8" -g -r "$2" -l "$3" \
		    127.0.0.1 "$TFTP_PORT" ;;
	curl)
		run timeout 60 curl -sS $_noopt -o "$3" \
		    "tftp://127.0.0.1:$TFTP_PORT/$2" ;;
	curl-blk1024)
		run timeout 60 curl -sS $_noopt --tftp-blksize 1024 \
		    -o "$3" "tftp://127.0.0.1:$TFTP_PORT/$2" ;;
	http)
		run timeout 60 curl -sS -f -o "$3" \
		    "http://127.0.0.1:$HTTP_PORT/$2" ;;
	busybox)
		run timeout 60 busybox tftp -g -r "$2" -l "$3" \
		    127.0.0.1 "$TFTP_PORT" ;;
	esac
}
TFTP_CLIENTS="tftp-hpa atftp curl curl-blk1024 busybox"

# expect_got NAME WANT OUT: the last get succeeded and OUT has WANT's bytes.
# tftp-hpa exits 0 even on an ERROR, so its messages are checked too; curl
# writes no file for an empty body.
expect_got() {
	if [ "$rc" = 0 ] && [ ! -e "$3" ]; then
		: >"$3"
	fi
	if [ "$rc" = 0 ] && ! grep -qi 'error' "$T/out" "$T/err" &&
	    cmp -s "$2" "$3"; then
		ok "$1"
	else
		nok "$1 (exit $rc; $(cmp "$2" "$3" 2>&1 | head -1))"
		show_last
	fi
}

# http_get PATH [CURL OPTIONS]: $code is the status, $T/body the body.
http_get() {
	_path=$1
	shift
	code=$(timeout 30 curl -s --path-as-is -o "$T/body" \
	    -w '%{http_code}' "$@" "http://127.0.0.1:$HTTP_PORT$_path")
}

expect_code() {
	if [ "$code" = "$2" ]; then
		ok "$1"
	else
		nok "$1 (HTTP $code, want $2)"
	fi
}

# The body of an HTTP error names neither a server path nor the request.
expect_clean_body() {
	if grep -qF -e "$D" -e "$2" -e 'PRIVATE KEY' -e 'root:' "$T/body"; then
		nok "$1 (error body leaks a name or a secret)"
	else
		ok "$1"
	fi
}

# log_has NAME WORD...: one line of sbdd's log holds every WORD (whole).
log_has() {
	_lname=$1
	shift
	cp "$SBDD_LOG" "$T/lines"
	for _w in "$@"; do
		grep -wF -- "$_w" "$T/lines" >"$T/lines.1"
		mv "$T/lines.1" "$T/lines"
	done
	if [ -s "$T/lines" ]; then
		ok "$_lname"
	else
		nok "$_lname (no log line with: $*)"
		tail -n 5 "$SBDD_LOG" | sed 's/^/  | /'
	fi
}

# Reference bytes for the generated configuration (compared below).
get http "SEP$MAC.cnf.xml" "$T/config.xml"
expect_rc "http gets generated SEP$MAC.cnf.xml" 0
expect_true "generated config is a <device>" grep -q '<device' "$T/config.xml"
expect_true "generated config: deviceSecurityMode 2 (authenticated)" \
    grep -q '<deviceSecurityMode>2</deviceSecurityMode>' "$T/config.xml"
expect_true "sbdd wrote ITLFile.tlv to the TFTP directory" \
    test -s "$TD/ITLFile.tlv"
run "$SBDCTL" verify itl "$TD/ITLFile.tlv"
expect_rc "ITLFile.tlv on disk verifies" 0

served0=$(counter "$D" tftp_served)
http0=$(counter "$D" http_served)
built0=$(counter "$D" signed_built)
bytes0=$(counter "$D" tftp_bytes)
for c in $TFTP_CLIENTS http; do
	for f in small.txt exact.bin empty.bin ITLFile.tlv; do
		get $c $f "$T/got"
		expect_got "$c gets $f" "$TD/$f" "$T/got"
	done
	get $c "SEP$MAC.cnf.xml" "$T/got"
	expect_got "$c gets the generated SEP$MAC.cnf.xml" "$T/config.xml" \
	    "$T/got"
	get $c small.txt.sgn "$T/got.sgn"
	expect_rc "$c gets small.txt.sgn" 0
	run "$SBDCTL" verify sgn --cert "$PKI/CallManager.pem" "$T/got.sgn"
	expect_rc "$c: small.txt.sgn verifies with CallManager.pem" 0
	run "$SBDCTL" strip sgn -o "$T/payload" "$T/got.sgn"
	expect_same "$c: small.txt.sgn payload is small.txt" "$TD/small.txt" \
	    "$T/payload"
done
expect_counter "tftp_served counts 30 TFTP transfers" "$D" tftp_served \
    -eq $((${served0:-0} + 30))
expect_counter "http_served counts 6 HTTP requests" "$D" http_served \
    -eq $((${http0:-0} + 6))
expect_counter "signed_built: small.txt.sgn built once for 6 fetches" \
    "$D" signed_built -eq $((${built0:-0} + 1))
expect_counter "tftp_bytes grew by at least the bytes sent" "$D" \
    tftp_bytes -ge $((${bytes0:-0} + 5 * (100 + 2048)))
log_has "log: one line for small.txt (client, file, result, bytes)" \
    127.0.0.1 small.txt ok 100
log_has "log: a 0-byte transfer" 127.0.0.1 empty.bin ok 0
printf 'fetched once\n' >"$TD/once.txt"
get busybox once.txt "$T/got"
expect_got "busybox gets once.txt" "$TD/once.txt" "$T/got"
_logged_once() {
	grep -qF once.txt "$SBDD_LOG"
}
wait_until 3 _logged_once
expect_true "log: exactly one line for one transfer" \
    test "$(grep -cF once.txt "$SBDD_LOG")" -eq 1

get tftp-hpa big.bin "$T/got"
expect_got "tftp-hpa gets $BIG bytes in 512-byte blocks (rollover)" \
    "$TD/big.bin" "$T/got"
get curl big.bin "$T/got"
expect_got "curl gets $BIG bytes (rollover)" "$TD/big.bin" "$T/got"
log_has "log: big.bin with its size" 127.0.0.1 big.bin ok $BIG

# Signed configuration: signed by CallManager, payload the plain config.
get curl "SEP$MAC.cnf.xml.sgn" "$T/got.sgn"
expect_rc "curl gets SEP$MAC.cnf.xml.sgn" 0
run "$SBDCTL" verify sgn --cert "$PKI/CallManager.pem" "$T/got.sgn"
expect_rc "SEP$MAC.cnf.xml.sgn verifies" 0
run "$SBDCTL" strip sgn -o "$T/payload" "$T/got.sgn"
expect_same "SEP$MAC.cnf.xml.sgn payload is the generated config" \
    "$T/config.xml" "$T/payload"

# Per-device trust lists.
get curl "ITLSEP$MAC.tlv" "$T/got"
expect_got "ITLSEP$MAC.tlv is ITLFile.tlv" "$TD/ITLFile.tlv" "$T/got"
run "$SBDCTL" verify itl "$T/got"
expect_rc "served ITLSEP$MAC.tlv verifies" 0
get curl ITLSEP0011223344FF.tlv "$T/got"
expect_rc "ITLSEP of an unknown device: File not found (curl 68)" 68
get curl CTLFile.tlv "$T/got"
expect_rc "no CTLFile.tlv before mixed mode (curl 68)" 68
http_get "/CTLSEP$MAC.tlv"
expect_code "no CTLSEP$MAC.tlv before mixed mode (HTTP 404)" 404

# Configurations the resolver must not give.
get curl "SEP$EMAC.cnf.xml" "$T/got"
expect_rc "plain config of an encrypted-profile device refused (curl 69)" 69
http_get "/SEP$EMAC.cnf.xml"
expect_code "plain config of an encrypted-profile device: HTTP 403" 403
get curl SEP0011223344FF.cnf.xml "$T/got"
expect_rc "config of an unknown device: File not found (curl 68)" 68

# Misses and refusals, over TFTP (curl's exit code: 68 not found, 69
# access violation) and HTTP; counted and logged.
miss0=$(counter "$D" tftp_misses)
rej0=$(counter "$D" tftp_rejected)
hmiss0=$(counter "$D" http_misses)
hrej0=$(counter "$D" http_rejected)
get curl nosuch.bin "$T/got"
expect_rc "TFTP miss: File not found (curl 68)" 68
for f in secret.pem .hidden cm-link.txt passwd-link.txt; do
	get curl $f "$T/got"
	expect_rc "TFTP $f refused: Access violation (curl 69)" 69
	expect_true "TFTP $f: nothing written" test ! -s "$T/got"
done
expect_counter "tftp_misses counts the miss" "$D" tftp_misses \
    -eq $((${miss0:-0} + 1))
expect_counter "tftp_rejected counts 4 refusals" "$D" tftp_rejected \
    -eq $((${rej0:-0} + 4))
get tftp-hpa cm-link.txt "$T/got"
expect_true "tftp-hpa: symlink to the key refused with ERROR 2" \
    grep -q 'Error code 2' "$T/out" "$T/err"
expect_true "tftp-hpa: key not received" sh -c \
    "! grep -q 'PRIVATE KEY' '$T/got' 2>/dev/null"
log_has "log: the miss" 127.0.0.1 nosuch.bin notfound
log_has "log: the refusal" 127.0.0.1 secret.pem denied

http_get /nosuch.bin
expect_code "HTTP miss: 404" 404
expect_clean_body "HTTP 404 body" nosuch.bin
for p in /secret.pem /.hidden /cm-link.txt /passwd-link.txt \
    /../pki/CallManager.pem /./small.txt /x//small.txt \
    /sub/../small.txt; do
	http_get "$p"
	expect_code "HTTP GET $p: 403" 403
	expect_clean_body "HTTP GET $p: clean body" "${p##*/}"
done
http_get /%2e%2e/pki/CallManager.pem
expect_true "HTTP GET /%2e%2e/pki/CallManager.pem: 403 or 404" \
    test "$code" = 403 -o "$code" = 404
http_get /small.txt -X POST -d x
expect_code "HTTP POST: 405" 405
expect_counter "http_misses counts the 404" "$D" http_misses \
    -eq $((${hmiss0:-0} + 1))
expect_counter "http_rejected counts at least the 403s" "$D" \
    http_rejected -ge $((${hrej0:-0} + 8))

# The store and the TFTP directory change under the running daemon.
run "$SBDCTL" device add -d "$D" --mac $NMAC --profile authenticated
expect_rc "device add $NMAC while sbdd runs" 0
_itlsep_new() {
	http_get "/ITLSEP$NMAC.tlv"
	[ "$code" = 200 ] && cmp -s "$T/body" "$TD/ITLFile.tlv"
}
expect_true "store change noticed: ITLSEP$NMAC.tlv served within 3 s" \
    wait_until 3 _itlsep_new

run "$SBDCTL" ctl set-cluster -d "$D" mixed-mode
expect_rc "ctl set-cluster mixed-mode" 0
_ctl_served() {
	http_get /CTLFile.tlv
	[ "$code" = 200 ]
}
expect_true "mixed mode: CTLFile.tlv served within 3 s" \
    wait_until 3 _ctl_served
cp "$T/body" "$T/ctl.tlv"
run "$SBDCTL" verify ctl "$T/ctl.tlv"
expect_rc "served CTLFile.tlv verifies" 0
get curl "CTLSEP$MAC.tlv" "$T/got"
expect_got "CTLSEP$MAC.tlv is CTLFile.tlv" "$T/ctl.tlv" "$T/got"

printf 'small file, second version: longer than the first one was.\n' \
    >"$TD/small.txt.new"
mv "$TD/small.txt.new" "$TD/small.txt"
_sgn_fresh() {
	http_get /small.txt.sgn
	[ "$code" = 200 ] &&
	    "$SBDCTL" strip sgn -o "$T/payload" "$T/body" 2>/dev/null &&
	    cmp -s "$T/payload" "$TD/small.txt"
}
expect_true "small.txt changed: small.txt.sgn rebuilt within 3 s" \
    wait_until 3 _sgn_fresh

printf '<device><fullConfig>admin</fullConfig></device>\n' \
    >"$TD/SEP$MAC.cnf.xml.new"
mv "$TD/SEP$MAC.cnf.xml.new" "$TD/SEP$MAC.cnf.xml"
_admin_config() {
	http_get "/SEP$MAC.cnf.xml"
	[ "$code" = 200 ] && cmp -s "$T/body" "$TD/SEP$MAC.cnf.xml"
}
expect_true "an admin SEP$MAC.cnf.xml replaces the generated one" \
    wait_until 3 _admin_config
get busybox "SEP$MAC.cnf.xml" "$T/got"
expect_got "busybox gets the admin SEP$MAC.cnf.xml" "$TD/SEP$MAC.cnf.xml" \
    "$T/got"

# SIGHUP: a reload, and the signed-file cache is forgotten.
reload0=$(counter "$D" reloads)
built0=$(counter "$D" signed_built)
kill -HUP "$SBDD_PID"
expect_counter "SIGHUP counted as a reload" "$D" reloads \
    -eq $((${reload0:-0} + 1))
get curl small.txt.sgn "$T/got.sgn"
expect_rc "small.txt.sgn after SIGHUP" 0
expect_counter "after SIGHUP small.txt.sgn is built again" "$D" \
    signed_built -eq $((${built0:-0} + 1))
get atftp ITLFile.tlv "$T/got"
expect_got "after SIGHUP ITLFile.tlv is the file on disk" "$TD/ITLFile.tlv" \
    "$T/got"
run "$SBDCTL" verify itl "$T/got"
expect_rc "after SIGHUP ITLFile.tlv verifies" 0
expect_true "sbdd still runs after SIGHUP" alive "$SBDD_PID"

# SIGTERM: no new transfer, the running one finishes, exit 0.
rm -f "$T/big.out"
timeout 60 tftp -m binary 127.0.0.1 "$TFTP_PORT" -c get big.bin \
    "$T/big.out" >"$T/big.log" 2>&1 &
bigpid=$!
track $bigpid
_started() {
	test -s "$T/big.out"
}
wait_until 10 _started
expect_true "a transfer is in flight at SIGTERM" alive $bigpid
kill -TERM "$SBDD_PID"
sleep 0.3
run timeout 10 curl -sS --max-time 3 -o "$T/late" \
    "tftp://127.0.0.1:$TFTP_PORT/small.txt"
expect_true "after SIGTERM a new request is not served" \
    test "$rc" -ne 0 -a ! -s "$T/late"
expect_true "the running transfer ends within 10 s" wait_until 10 _dead \
    $bigpid
expect_same "the running transfer completes" "$TD/big.bin" "$T/big.out"
wait_sbdd "sbdd exits 0 after finishing the transfer"
log_has "log: the transfer finished during shutdown" 127.0.0.1 big.bin \
    ok $BIG
