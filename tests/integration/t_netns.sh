# Integration: sbdd across a lossy link.  Two network namespaces joined by
# a veth pair (10.200.X.1/30 and .2/30, nothing leaves them), 20 % of the
# UDP packets lost on each side: netem where the kernel has it, else
# nftables ("numgen random mod 5 0 drop", see impair).  sbdd runs in one
# namespace; tftp-hpa and atftp (blksize 1428, windowsize 4) fetch a
# 256 KiB file from the other, side by side.  Needs root: a failed
# `ip netns add` is a failure, not a skip.  Sourced by run.sh.

D=$T/lossy
TD=$D/nodes/pub/tftp
NSS=sbds$$		# the server's namespace
NSC=sbdc$$		# the clients'
X=$(($$ % 200 + 20))
SADDR=10.200.$X.1
CADDR=10.200.$X.2
LOSSY=$((256 * 1024))

# impair NS DEV: lose 20 % of the UDP packets on NS's side; prints the
# method.  netem loses them on the way out.  nftables drops them on the
# way in: a packet dropped in the output hook makes the sender's sendto()
# fail with EPERM, which no lossy network does, while one dropped on input
# is simply never seen, as on the wire.
impair() {
	if ip netns exec "$1" tc qdisc add dev "$2" root netem loss 20% \
	    2>/dev/null; then
		echo netem
	elif ip netns exec "$1" nft add table inet loss &&
	    ip netns exec "$1" nft add chain inet loss in \
	    '{ type filter hook input priority 0 ; }' &&
	    ip netns exec "$1" nft add rule inet loss in \
	    meta l4proto udp numgen random mod 5 0 drop; then
		echo nftables
	else
		return 1
	fi
}

run ip netns add "$NSS"
if [ "$rc" != 0 ]; then
	nok "ip netns add $NSS failed: this test needs root (CAP_SYS_ADMIN)"
	show_last
	return
fi
track_netns "$NSS"
ok "ip netns add $NSS"
run ip netns add "$NSC"
[ "$rc" = 0 ] && track_netns "$NSC"
expect_rc "ip netns add $NSC" 0
run sh -c "ip -n $NSS link add sbv$$ type veth peer name sbw$$ \
    netns $NSC &&
    ip -n $NSS addr add $SADDR/30 dev sbv$$ &&
    ip -n $NSC addr add $CADDR/30 dev sbw$$ &&
    ip -n $NSS link set lo up && ip -n $NSC link set lo up &&
    ip -n $NSS link set sbv$$ up && ip -n $NSC link set sbw$$ up"
expect_rc "veth pair $SADDR <-> $CADDR" 0
m1=$(impair "$NSS" sbv$$)
m2=$(impair "$NSC" sbw$$)
expect_true "20 % UDP loss on both sides (${m1:-none}, ${m2:-none})" \
    test -n "$m1" -a -n "$m2"

make_node "$D"
head -c $LOSSY /dev/urandom >"$TD/lossy.bin"
IN_NS="ip netns exec $NSS"
# 40 resends 200 ms apart: sbdd waits 8 s for a lost ACK, several of the
# client's 1-second retransmissions even when a third of the round trips
# fail (with 10, a busy machine once lost tftp-hpa's transfer).
start_sbdd "$D" -o addr=$SADDR -o rexmit_ms=200 -o max_retries=40
IN_NS=""

# Both clients at once, each bounded by timeout(1); both retransmit after
# 1 s.  Two habits of atftp shape its options.  It ignores a resent
# window it already has instead of acknowledging it again, counting on
# its own 1-second timer; so sbdd is asked (option timeout 2) to resend
# less often than that timer fires, or the resent windows could keep the
# timer from ever firing.  And it gives up when a second OACK arrives
# ("unexpected OACK"), which a server must send when the client's ACK 0
# is lost (RFC 2347); so atftp is started again, at most 5 times, when
# that is why it stopped.
printf 'binary\nrexmt 1\ntimeout 60\nget lossy.bin %s\nquit\n' \
    "$T/hpa.out" >"$T/hpa.cmd"
hpa_rc="not run" atf_rc="not run"
if [ -n "$TFTP_PORT" ]; then
	ip netns exec "$NSC" timeout 100 tftp "$SADDR" "$TFTP_PORT" \
	    <"$T/hpa.cmd" >"$T/hpa.log" 2>&1 &
	hpa=$!
	track $hpa
	(
		for _try in 1 2 3 4 5; do
			ip netns exec "$NSC" timeout 100 atftp \
			    --option "blksize 1428" --option "windowsize 4" \
			    --option "timeout 2" --tftp-timeout 1 \
			    -g -r lossy.bin -l "$T/atftp.out" "$SADDR" \
			    "$TFTP_PORT" >"$T/atftp.log" 2>&1 && exit 0
			grep -q 'unexpected OACK' "$T/atftp.log" || exit 1
		done
		exit 1
	) &
	atf=$!
	track $atf
	wait $hpa
	hpa_rc=$?
	wait $atf
	atf_rc=$?
fi

# expect_fetched NAME OUT LOG: OUT holds lossy.bin; else show the log.
expect_fetched() {
	if cmp -s "$TD/lossy.bin" "$2"; then
		ok "$1"
	else
		nok "$1 ($(cmp "$TD/lossy.bin" "$2" 2>&1 | head -1))"
		tail -n 5 "$3" | sed 's/^/  | /'
		grep -F lossy.bin "$SBDD_LOG" | sed 's/^/  | sbdd: /'
	fi
}
expect_fetched "tftp-hpa across 20 % loss (exit $hpa_rc)" "$T/hpa.out" \
    "$T/hpa.log"
expect_fetched "atftp blksize 1428 windowsize 4 across 20 % loss \
(exit $atf_rc)" "$T/atftp.out" "$T/atftp.log"
expect_counter "tftp_retransmits > 0 on the lossy link" "$D" \
    tftp_retransmits -gt 0
# SIGTERM lets running transfers finish.  A client that is done may have
# lost its last ACK (or its ERROR) on the way; sbdd then resends the
# last block until its 40 retries run out, 2 s apart for atftp (option
# timeout 2): 80 s.  Wait for that, bounded, before stopping.
_idle() {
	_counter_is "$D" tftp_active -eq 0
}
wait_until 90 _idle
stop_sbdd "sbdd in $NSS exits 0 on SIGTERM"

cleanup
expect_true "namespaces deleted" sh -c \
    "! ip netns list | grep -qE '^($NSS|$NSC)( |\$)'"
