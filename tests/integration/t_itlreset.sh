# utils itl reset on a running two-node cluster (SPEC.md, "ITL recovery
# (bulk reset)"): seed 001's transcript, the same reset ITL signed by
# ITLRecovery fetched by tftp-hpa from both nodes, served until each
# node's next TFTP restart, a node without sbdd that takes it when it
# starts, and remotekey with the key on a real SFTP server.  Sourced by
# run.sh.

D=$T/ir
make_node "$D"
run "$SBDCTL" node add -d "$D" --name sub --addr 127.0.0.2
expect_rc "itl reset: node add sub on 127.0.0.2" 0

# sub's sbdd, started as start_sbdd starts pub's; sub runs no CAPF.
ir_start_sub() {
	rm -f "$D/nodes/sub/run/ports"
	"$SBDD" -d "$D" -n sub -f -o tftp_port=0 -o http_port=0 \
	    -o tvs_port=0 2>>"$D.sub.log" &
	SUB_PID=$!
	track "$SUB_PID"
	if wait_until 10 _ports_ready "$D/nodes/sub/run/ports"; then
		SUB_TFTP=$(sed -n 's/^tftp \([0-9]*\)$/\1/p' \
		    "$D/nodes/sub/run/ports")
		ok "itl reset: sbdd sub ready (tftp $SUB_TFTP)"
	else
		SUB_TFTP=""
		nok "itl reset: sbdd sub ready: no run/ports in 10 s"
		sed -n '1,15s/^/  | /p' "$D.sub.log"
	fi
}

ir_get() {	# ADDR PORT OUT: ITLFile.tlv from a node
	rm -f "$3"
	timeout 10 tftp "$1" "$2" -m binary -c get ITLFile.tlv "$3" \
	    >"$T/tftp.out" 2>&1 && [ -s "$3" ]
}

ir_sha() { sha1sum "$1" | cut -d' ' -f1; }

# Does `show itl` of FILE say that the ITLRECOVERY record signed it, and
# that it verifies?
ir_signed_by_recovery() {
	"$SBDCTL" show itl "$1" >"$T/show.out" 2>&1 &&
	    awk '/^ITL Record #:/ { rec = 0 }
	    /SUBJECTNAME.*CN=ITLRECOVERY_pub/ { rec = 1 }
	    rec && /^This etoken was used to sign the ITL file\.$/ { f = 1 }
	    END { exit !f }' "$T/show.out" &&
	    grep -q '^The ITL file was verified successfully\.$' "$T/show.out"
}

ir_expected() {	# the transcript of seed 001 with pub and sub
	printf '\nLocating active Tftp servers in the cluster.....\n\n'
	printf 'Following is the list of Active tftp servers in the '
	printf "cluster\n\n['pub', 'sub']\n"
	printf 'The reset ITL file was generated successfully\n\n'
	printf 'Transferring new reset ITL file to the TFTP server nodes in '
	printf 'the cluster.....\n\n'
	printf 'Restarting Cisco Tftp service on host pub\n'
	printf 'Cisco Tftp service restarted on host pub\n'
	printf 'Successfully transferred reset ITL to node sub\n\n'
	printf 'Restarting Cisco Tftp service on host sub\n'
	printf '%s\n' "$1"
	printf '\nReset the phones to make them load it: '
	printf 'sbdctl device reset --all\n'
}

start_sbdd "$D"
PUB_PID=$SBDD_PID
PUB_TFTP=$TFTP_PORT
ir_start_sub

expect_true "itl reset: pub serves its CallManager-signed ITL" \
    ir_get 127.0.0.1 "$PUB_TFTP" "$T/pub0.tlv"
expect_true "itl reset: sub serves its own" \
    ir_get 127.0.0.2 "$SUB_TFTP" "$T/sub0.tlv"
expect_true "itl reset: the two ITLs differ (each its own CallManager)" \
    sh -c "! cmp -s '$T/pub0.tlv' '$T/sub0.tlv'"

IR_PW=integration-pw
export IR_PW
run "$SBDCTL" utils itl reset localkey -d "$D" --password-env IR_PW \
    --wait 10
expect_rc "itl reset localkey: exit 0" 0
ir_expected "Cisco Tftp service restarted on host sub" >"$T/want"
expect_same "itl reset localkey: seed 001's transcript" "$T/want" "$T/out"

expect_true "itl reset: pub serves the reset ITL" \
    ir_get 127.0.0.1 "$PUB_TFTP" "$T/pub1.tlv"
expect_true "itl reset: sub serves the reset ITL" \
    ir_get 127.0.0.2 "$SUB_TFTP" "$T/sub1.tlv"
expect_same "itl reset: both nodes serve the same bytes" \
    "$T/pub1.tlv" "$T/sub1.tlv"
expect_true "itl reset: show itl: the ITLRECOVERY record signed it" \
    ir_signed_by_recovery "$T/pub1.tlv"
run "$SBDCTL" verify itl --cert "$D/nodes/pub/pki/CallManager.pem" \
    "$T/pub1.tlv"
expect_rc "itl reset: CallManager no longer verifies it" 1
RESET=$(ir_sha "$T/pub1.tlv")
run sqlite3 "$D/store.db" "SELECT detail FROM audit
    WHERE action = 'utils itl reset'"
expect_true "itl reset: the audit entry names the ITL and the nodes" \
    grep -qx "localkey: reset ITL $RESET on 2 TFTP nodes" "$T/out"
run "$SBDCTL" report itl -d "$D"
expect_out "itl reset: report itl: pub serves it, signed by ITLRecovery" \
    "pub serves $RESET (ITLRecovery)"
expect_out "itl reset: report itl: so does sub" \
    "sub serves $RESET (ITLRecovery)"

# The next TFTP restart of pub ends its reset ITL, and only pub's.
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$D" --node pub \
    --wait 10
expect_rc "itl reset: restart Cisco Tftp on pub" 0
ir_pub_cm() {
	ir_get 127.0.0.1 "$PUB_TFTP" "$T/pub2.tlv" &&
	    "$SBDCTL" verify itl -q --cert \
	    "$D/nodes/pub/pki/CallManager.pem" "$T/pub2.tlv" >/dev/null 2>&1
}
expect_true "itl reset: after its restart pub's CallManager signs again" \
    wait_until 5 ir_pub_cm
expect_true "itl reset: sub still serves the reset ITL" \
    ir_get 127.0.0.2 "$SUB_TFTP" "$T/sub2.tlv"
expect_same "itl reset: ... unchanged" "$T/sub1.tlv" "$T/sub2.tlv"

# A node whose sbdd is down takes the reset ITL when it starts.
kill -TERM "$SUB_PID"
expect_true "itl reset: sbdd sub stopped" wait_until 10 _dead "$SUB_PID"
run "$SBDCTL" utils itl reset localkey -d "$D" --password-env IR_PW \
    --wait 10
expect_rc "itl reset with sub down: exit 0" 0
ir_expected "Cisco Tftp service is not running on host sub: it serves the \
reset ITL when it starts" >"$T/want"
expect_same "itl reset with sub down: the not-running line" "$T/want" \
    "$T/out"
expect_true "itl reset: pub serves the new reset ITL" \
    ir_get 127.0.0.1 "$PUB_TFTP" "$T/pub3.tlv"
expect_true "itl reset: ... signed by ITLRecovery" \
    ir_signed_by_recovery "$T/pub3.tlv"
ir_start_sub
expect_true "itl reset: sub, started again, serves it too" \
    ir_get 127.0.0.2 "$SUB_TFTP" "$T/sub3.tlv"
expect_same "itl reset: ... the same bytes as pub" "$T/pub3.tlv" \
    "$T/sub3.tlv"

# remotekey: the key fetched from a real SFTP server (sshd.sh) must be the
# ITL's; the one that is then replaces the local ITLRecovery.p12.
. "${here:-tests/integration}/sshd.sh"
start_sshd
PKI=$D/nodes/pub/pki
cp "$PKI/ITLRecovery.p12" "$T/local.p12"
run "$SBDCTL" cert export-p12 --cert "$PKI/ITLRecovery.pem" \
    -o "$T/remote.p12" --password-file "$D.pw"
expect_rc "itl reset: the ITLRecovery key exported anew for the server" 0
expect_true "itl reset: ... in other bytes than the local file" \
    sh -c "! cmp -s '$T/remote.p12' '$T/local.p12'"
run "$SBDCTL" cert create --role itlrecovery --host pub -o "$T/other.pem"
run "$SBDCTL" cert export-p12 --cert "$T/other.pem" -o "$T/other.p12" \
    --password-file "$D.pw"
expect_rc "itl reset: another ITLRecovery key for the server" 0
ir_remote() {	# FILE
	run "$SBDCTL" utils itl reset remotekey 127.0.0.1 "$SSHD_USER" "$1" \
	    -d "$D" --port "$SSHD_PORT" --identity "$SSHD_KEY" \
	    --accept-host-key --password-env IR_PW --wait 10
}
ir_resets() {
	sqlite3 "$D/store.db" "SELECT count(*) FROM audit
	    WHERE action = 'utils itl reset'"
}
ir_remote "$T/other.p12"
expect_rc "itl reset remotekey: another key: refused" 1
expect_err "itl reset remotekey: ... said" "127.0.0.1:$T/other.p12: this \
ITLRecovery key is not the one in the cluster's ITL; phones would refuse \
the reset ITL"
expect_true "itl reset remotekey: ... no reset recorded" \
    test "$(ir_resets)" = 2
expect_same "itl reset remotekey: ... the local key untouched" \
    "$T/local.p12" "$PKI/ITLRecovery.p12"
ir_remote "$T/remote.p12"
expect_rc "itl reset remotekey: the cluster's key: exit 0" 0
ir_expected "Cisco Tftp service restarted on host sub" >"$T/want"
expect_same "itl reset remotekey: seed 001's transcript" "$T/want" "$T/out"
expect_same "itl reset remotekey: the fetched key replaced the local one" \
    "$T/remote.p12" "$PKI/ITLRecovery.p12"
expect_true "itl reset remotekey: nothing left staged" \
    test ! -e "$PKI/ITLRecovery.p12.new"
run sqlite3 "$D/store.db" "SELECT detail FROM audit
    WHERE action = 'utils itl reset' ORDER BY id DESC LIMIT 1"
expect_out "itl reset remotekey: audited with the key's source" \
    "remotekey $SSHD_USER@127.0.0.1:$T/remote.p12: reset ITL"
expect_true "itl reset remotekey: sub serves the reset ITL" \
    ir_get 127.0.0.2 "$SUB_TFTP" "$T/sub4.tlv"
expect_true "itl reset remotekey: ... signed by ITLRecovery" \
    ir_signed_by_recovery "$T/sub4.tlv"
stop_sshd

kill -TERM "$SUB_PID"
expect_true "itl reset: sbdd sub exits" wait_until 10 _dead "$SUB_PID"
SBDD_PID=$PUB_PID
stop_sbdd "itl reset: sbdd pub exits 0"
