# Scenario 7: centralized (proxy) TFTP (SPEC.md "Centralized (proxy)
# TFTP"; sbdd(8), Proxy TFTP).  Cluster A's node hq serves the phones of
# two clusters: its own, and those of cluster B (node branch), which it
# asks for what it does not have.  ITLFile.tlv is always A's; the
# per-device files of a phone of B (ITLSEP<MAC>.tlv, its signed
# configuration) are B's, byte for byte, so that phone boots through A
# into B's trust; a phone of A gets A's files; a device neither cluster
# knows is asked of B and then not found.  Sourced by run.sh.

A=$T/a
B=$T/b
PH=$T/phones
AP=00B701		# a phone of cluster A, group (hq)
BP=00B702		# a phone of cluster B, group (branch)
AM=$(phone_mac $AP 0)
BM=$(phone_mac $BP 0)
UM=00B7FF000000		# a device of neither cluster

make_cluster "$A" central hq || return
make_cluster "$B" remote branch:127.0.0.3 || return
add_phones "$A" $AP 1 auth hq
add_phones "$B" $BP 1 auth branch
start_node "$B" branch
start_node "$A" hq -o "upstream=127.0.0.3:$(node_port "$B" branch tftp)"
AITL=$(node_itl "$A" hq)
BITL=$(node_itl "$B" branch)
if [ ! -s "$AITL" ] || [ ! -s "$BITL" ]; then
	nok "s7: the nodes serve no ITL; the phones were not run"
	return
fi

# ---- the files one by one, as a TFTP client sees them
tftp_get "$A" hq ITLFile.tlv "$T/a-itl"
expect_same "s7: ITLFile.tlv through A is A's own" "$T/a-itl" "$AITL"
expect_true "s7: ... which is not B's" not cmp -s "$AITL" "$BITL"
h0=$(node_counter "$A" hq proxy_hits)
tftp_get "$A" hq "ITLSEP$BM.tlv" "$T/b-itlsep"
expect_same "s7: ITLSEP<MAC>.tlv of a phone of B through A is B's ITL" \
    "$T/b-itlsep" "$BITL"
expect_node_counter "s7: ... an answer from upstream" "$A" hq proxy_hits \
    -eq $((h0 + 1))
tftp_get "$A" hq "SEP$BM.cnf.xml.sgn" "$T/b-cnf-a"
tftp_get "$B" branch "SEP$BM.cnf.xml.sgn" "$T/b-cnf-b"
expect_true "s7: B serves the phone's signed configuration" test -s "$T/b-cnf-b"
expect_same "s7: ... and A passes on the same bytes" "$T/b-cnf-a" \
    "$T/b-cnf-b"
run "$SBDCTL" verify sgn --cert "$B/nodes/branch/pki/CallManager.pem" \
    "$T/b-cnf-a"
expect_rc "s7: ... signed by B's CallManager certificate" 0
run "$SBDCTL" verify sgn --cert "$A/nodes/hq/pki/CallManager.pem" \
    "$T/b-cnf-a"
expect_rc "s7: ... not by A's" 1

# ---- a phone of B boots through A, into B's trust
h0=$(node_counter "$A" hq proxy_hits)
boot_phone "$A" "$PH" hq "$BM"
expect_rc "s7: a phone of B boots through A" 0
expect_true "s7: ... installing ITLSEP<MAC>.tlv on first use" \
    grep -Eq "ITLSEP$BM.tlv +[0-9]+ bytes +installed \(trust on first use\)" \
    "$T/out"
expect_out "s7: ... and accepting its configuration through that ITL" \
    "accepted (trusted by ITL)"
expect_same "s7: ... the ITL it holds is B's" "$PH/SEP$BM/itl.tlv" "$BITL"
expect_true "s7: ... its configuration is B's: B's TVS server" \
    phone_status_has "$PH" "$BM" \
    "TVS servers: 127.0.0.3:$(node_port "$B" branch tvs)\$"
run "$SBDCTL" strip sgn -o "$T/b-cnf.xml" "$T/b-cnf-b"
expect_same "s7: ... the very configuration B signs" "$PH/SEP$BM/config.xml" \
    "$T/b-cnf.xml"
expect_node_counter "s7: ... both came from upstream (or A's cache of it)" \
    "$A" hq proxy_hits -eq $((h0 + 2))
expect_phones "s7: B's store: it served the phone B's ITL" wait_until 3 \
    devices_have "$B" $BP 1 served_itl_sha1 "$(file_sha1 "$BITL")"
boot_phone "$A" "$PH" hq "$BM"
expect_rc "s7: the phone of B reboots through A" 0
expect_true "s7: ... its ITL unchanged" \
    grep -Eq "ITLSEP$BM.tlv +[0-9]+ bytes +unchanged" "$T/out"

# ---- a phone of A gets A's files; none comes from B
h0=$(node_counter "$A" hq proxy_hits)
s0=$(node_counter "$B" branch tftp_served)
boot_phone "$A" "$PH" hq "$AM"
expect_rc "s7: a phone of A boots against A" 0
expect_out "s7: ... accepting A's configuration through A's ITL" \
    "accepted (trusted by ITL)"
expect_same "s7: ... the ITL it holds is A's" "$PH/SEP$AM/itl.tlv" "$AITL"
expect_true "s7: ... its configuration is A's: A's TVS server" \
    phone_status_has "$PH" "$AM" \
    "TVS servers: 127.0.0.1:$(node_port "$A" hq tvs)\$"
expect_node_counter "s7: ... no answer from upstream" "$A" hq proxy_hits \
    -eq "$h0"
expect_node_counter "s7: ... B served it nothing" "$B" branch tftp_served \
    -eq "$s0"

# ---- a device of neither cluster: asked of B, then not found
m0=$(node_counter "$A" hq proxy_misses)
b0=$(node_counter "$B" branch tftp_misses)
tftp_get "$A" hq "SEP$UM.cnf.xml.sgn" "$T/u-cnf"
expect_true "s7: an unknown device's configuration is File not found" \
    grep -q "File not found" "$T/tftp.out"
expect_node_counter "s7: ... after A asked B" "$A" hq proxy_misses \
    -eq $((m0 + 1))
expect_node_counter "s7: ... and B found nothing" "$B" branch tftp_misses \
    -eq $((b0 + 1))
boot_phone "$A" "$PH" hq "$UM"
expect_rc "s7: the unknown phone's boot fails" 1
expect_out "s7: ... as not-found" "boot: not-found"
expect_true "s7: ... it installed A's ITLFile.tlv, the one for anyone" \
    cmp -s "$PH/SEP$UM/itl.tlv" "$AITL"

stop_node "$A" hq
stop_node "$B" branch
