# Proxy (centralized) TFTP: a central sbdd serves its own ITLFile.tlv and
# asks the remote cluster's sbdd for per-device files it does not have
# (SPEC.md, "Centralized (proxy) TFTP").  Sourced by run.sh.

R=$T/remote
C=$T/central
MAC=00AA00BB00CC

make_node "$R"
run "$SBDCTL" device add -d "$R" --mac "$MAC" --profile authenticated
expect_rc "proxy: device registered on the remote cluster only" 0
make_node "$C"

start_sbdd "$R"
R_PID=$SBDD_PID
R_PORT=$TFTP_PORT
start_sbdd "$C" -o "upstream=127.0.0.1:$R_PORT" -o proxy_neg_ttl=30
C_PID=$SBDD_PID
C_PORT=$TFTP_PORT

get() {	# PORT NAME OUT
	rm -f "$3"
	timeout 10 tftp 127.0.0.1 "$1" -m binary -c get "$2" "$3" \
	    >"$T/tftp.out" 2>&1
}

get "$C_PORT" ITLFile.tlv "$T/c-itl"
expect_same "proxy: ITLFile.tlv comes from the central cluster" \
    "$T/c-itl" "$C/nodes/pub/tftp/ITLFile.tlv"
expect_true "proxy: central and remote ITLs differ" \
    sh -c "! cmp -s '$T/c-itl' '$R/nodes/pub/tftp/ITLFile.tlv'"

get "$C_PORT" "ITLSEP$MAC.tlv" "$T/p-itl"
expect_same "proxy: ITLSEP<MAC>.tlv comes from the remote cluster" \
    "$T/p-itl" "$R/nodes/pub/tftp/ITLFile.tlv"

get "$C_PORT" "SEP$MAC.cnf.xml.sgn" "$T/p-cnf"
run "$SBDCTL" verify sgn --cert "$R/nodes/pub/pki/CallManager.pem" \
    "$T/p-cnf"
expect_rc "proxy: the device's signed config is the remote's, verified" 0

# A second fetch is served from the central cache: the remote serves once.
get "$C_PORT" "SEP$MAC.cnf.xml.sgn" "$T/p-cnf2"
expect_same "proxy: cached answer has the same bytes" "$T/p-cnf" "$T/p-cnf2"
expect_counter "proxy: the remote served 2 files, not 3" "$R" tftp_served \
    -eq 2
expect_counter "proxy: 3 answers came from upstream or its cache" "$C" \
    proxy_hits -eq 3

# A miss everywhere is remembered: the remote is asked once.
get "$C_PORT" nowhere.txt "$T/none"
expect_true "proxy: a miss everywhere is File not found" \
    grep -q "File not found" "$T/tftp.out"
get "$C_PORT" nowhere.txt "$T/none"
expect_counter "proxy: the negative cache spares the remote" "$R" \
    tftp_misses -eq 1
expect_counter "proxy: one upstream miss counted" "$C" proxy_misses -eq 1

# Names the central node refuses are never forwarded.
get "$C_PORT" "../x.pem" "$T/none"
expect_true "proxy: a refused name is refused, not forwarded" \
    grep -q "Access violation" "$T/tftp.out"
expect_counter "proxy: the remote never saw it" "$R" tftp_rejected -eq 0

SBDD_PID=$C_PID
stop_sbdd "proxy: central sbdd exits 0"

# A dead upstream costs at most upstream_timeout_ms, then a miss.
start_sbdd "$C" -o "upstream=127.0.0.1:9" -o upstream_timeout_ms=300
start=$(date +%s)
get "$TFTP_PORT" other.txt "$T/none"
took=$(($(date +%s) - start))
expect_true "proxy: a dead upstream answers File not found" \
    grep -q "File not found" "$T/tftp.out"
expect_true "proxy: ... within 2 s (took ${took}s)" [ "$took" -le 2 ]
expect_counter "proxy: the dead upstream counted as an error" "$C" \
    proxy_errors -ge 1
stop_sbdd "proxy: sbdd with a dead upstream exits 0"

# A proxy whose upstream is itself: the hop count ends the loop.  The port
# is the one the remote just had, so the upstream can name it.
SBDD_PID=$R_PID
stop_sbdd "proxy: remote sbdd exits 0"
start_sbdd "$R" -o "tftp_port=$R_PORT" -o "upstream=127.0.0.1:$R_PORT" \
    -o proxy_neg_ttl=0
get "$R_PORT" looping.txt "$T/none"
expect_true "proxy loop: File not found, not a hang" \
    grep -q "File not found" "$T/tftp.out"
expect_counter "proxy loop: the request and 3 hops, then no more" "$R" \
    tftp_misses -eq 4
expect_counter "proxy loop: no upstream timed out" "$R" proxy_errors -eq 0
stop_sbdd "proxy loop: sbdd exits 0"
