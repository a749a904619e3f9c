# kill -9 during utils itl reset (issue 5, "Done when"; SPEC.md, "ITL
# recovery (bulk reset)") on a running two-node cluster.  Killed while it
# waits for the store's write lock, a reset leaves no trace: the store,
# every served ITL and the local ITLRecovery.p12 are as before.  Killed
# after its commit, while it waits for a node's TFTP restart, it has still
# put the reset ITL in service on every node, as the store says, until
# the next restart.  Sourced by run.sh.

IKD=$T/ik
IKDB=$IKD/store.db
IKPKI=$IKD/nodes/pub/pki
IK_PW=integration-pw
export IK_PW
# stdbuf(1) preloads a library of its own, which ASan refuses to follow
# unless told; the ASan build runs this file too.
IK_ASAN="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"

ik_q() {	# SQL: the store's answer, read only
	sqlite3 -readonly "$IKDB" "$1" 2>/dev/null
}

ik_gen() { ik_q "SELECT generation FROM meta"; }
ik_req() { ik_q "SELECT tftp_restart FROM node WHERE name = '$1'"; }
ik_took() { ik_q "SELECT tftp_restart FROM node_state WHERE node = '$1'"; }
ik_resets() { ik_q "SELECT count(*) FROM itl_reset"; }
ik_no_resets() { test "$(ik_resets)" = 0; }
ik_audits() {
	ik_q "SELECT count(*) FROM audit WHERE action = 'utils itl reset'"
}

ik_get() {	# NODE OUT: ITLFile.tlv from the node over TFTP
	rm -f "$2"
	if [ "$1" = pub ]; then
		set -- 127.0.0.1 "$IK_PUB_TFTP" "$2"
	else
		set -- 127.0.0.2 "$IK_SUB_TFTP" "$2"
	fi
	timeout 10 tftp "$1" "$2" -m binary -c get ITLFile.tlv "$3" \
	    >/dev/null 2>&1 && [ -s "$3" ]
}

ik_sha() { sha1sum "$1" | cut -d' ' -f1; }

ik_cm_signed() {	# NODE FILE: the node's CallManager signed FILE
	"$SBDCTL" verify itl -q --cert "$IKD/nodes/$1/pki/CallManager.pem" \
	    "$2" >/dev/null 2>&1
}

ik_serves_cm() {	# NODE: it serves an ITL its CallManager signed
	ik_get "$1" "$T/ik_$1.tlv" && ik_cm_signed "$1" "$T/ik_$1.tlv"
}

# `show itl` of FILE: the ITLRECOVERY record signed it, and it verifies.
ik_recovery_signed() {
	"$SBDCTL" show itl "$1" >"$T/ik_show.out" 2>&1 &&
	    awk '/^ITL Record #:/ { rec = 0 }
	    /SUBJECTNAME.*CN=ITLRECOVERY_pub/ { rec = 1 }
	    rec && /^This etoken was used to sign the ITL file\.$/ { f = 1 }
	    END { exit !f }' "$T/ik_show.out" &&
	    grep -q '^The ITL file was verified successfully\.$' \
	    "$T/ik_show.out"
}

# Both nodes serve one reset ITL ($T/ik_pub.tlv, $T/ik_sub.tlv).
ik_serve_reset() {
	ik_get pub "$T/ik_pub.tlv" && ik_get sub "$T/ik_sub.tlv" &&
	    cmp -s "$T/ik_pub.tlv" "$T/ik_sub.tlv" &&
	    ik_recovery_signed "$T/ik_pub.tlv"
}

# NODE FILE: the node's itl_reset row is FILE, for the restart last asked
# of the node, and its sbdd says it took that restart and serves FILE.
ik_store_agrees() {
	rm -f "$T/ik_row"
	ik_q "SELECT writefile('$T/ik_row', der) FROM itl_reset
	    WHERE node = '$1' AND restart = (SELECT tftp_restart FROM node
	    WHERE name = '$1')" >/dev/null &&
	    cmp -s "$T/ik_row" "$2" &&
	    test "$(ik_q "SELECT tftp_restart || ' ' || itl_sha1 || ' ' ||
	    itl_signer FROM node_state WHERE node = '$1'")" = \
	    "$(ik_req "$1") $(ik_sha "$2") ITLRecovery"
}

ik_start_sub() {	# sub's sbdd, as start_sbdd starts pub's, without CAPF
	rm -f "$IKD/nodes/sub/run/ports"
	"$SBDD" -d "$IKD" -n sub -f -o tftp_port=0 -o http_port=0 \
	    -o tvs_port=0 2>>"$IKD.sub.log" &
	IK_SUB_PID=$!
	track "$IK_SUB_PID"
	IK_SUB_TFTP=""
	if wait_until 10 _ports_ready "$IKD/nodes/sub/run/ports"; then
		IK_SUB_TFTP=$(sed -n 's/^tftp \([0-9]*\)$/\1/p' \
		    "$IKD/nodes/sub/run/ports")
		ok "itl reset kill: sbdd sub ready (tftp $IK_SUB_TFTP)"
	else
		nok "itl reset kill: sbdd sub ready: no run/ports in 10 s"
		sed -n '1,15s/^/  | /p' "$IKD.sub.log"
	fi
}

# The store's write lock, held by the sqlite3 shell until ik_unlock.  It
# reads its SQL from a FIFO on our descriptor 3, so the test decides when
# the transaction ends; "locked" is printed once BEGIN IMMEDIATE holds.
ik_lock() {
	rm -f "$T/ik_fifo" "$T/ik_lock.out"
	mkfifo "$T/ik_fifo"
	timeout 30 sqlite3 "$IKDB" <"$T/ik_fifo" >"$T/ik_lock.out" 2>&1 &
	IK_LOCK_PID=$!
	track "$IK_LOCK_PID"
	exec 3>"$T/ik_fifo"
	printf "BEGIN IMMEDIATE;\nSELECT 'locked';\n" >&3
	wait_until 5 grep -qx locked "$T/ik_lock.out"
}

ik_unlock() {
	printf 'ROLLBACK;\n.quit\n' >&3
	exec 3>&-
	wait_until 5 _dead "$IK_LOCK_PID" && wait "$IK_LOCK_PID"
}

# Can a writer begin at once (no busy wait)?
ik_lock_free() {
	sqlite3 -cmd '.timeout 0' "$IKDB" 'BEGIN IMMEDIATE; ROLLBACK' \
	    >/dev/null 2>&1
}

ik_locked() { ! ik_lock_free; }

# OUT ARGS...: utils itl reset ARGS in the background, its pid in IK_PID.
# stdout is line-buffered so that OUT shows how far it got; descriptor 3
# (the lock's FIFO) is not passed on.
ik_start_reset() {
	_o=$1
	shift
	ASAN_OPTIONS=$IK_ASAN stdbuf -oL "$SBDCTL" utils itl reset "$@" \
	    -d "$IKD" --password-env IK_PW >"$_o" 2>"$_o.err" 3>&- &
	IK_PID=$!
	track "$IK_PID"
}

# OUT: the reset runs, has listed the TFTP nodes (just before its BEGIN
# IMMEDIATE) and has generated nothing (the line after it).
ik_waiting() {
	alive "$IK_PID" && grep -qF "['pub', 'sub']" "$1" &&
	    ! grep -q 'reset ITL file was generated' "$1"
}

ik_killed() {	# SIGKILL the reset; true when that is what ended it
	kill -KILL "$IK_PID" 2>/dev/null
	wait "$IK_PID"
	[ $? -eq 137 ]
}

# SIGSTOP sub's sbdd, so that no TFTP restart of sub can finish, at a
# moment it holds no write lock (an idle sbdd writes nothing; one flushing
# a note is let go on and caught again).
ik_stop_sub() {
	_i=0
	while [ $_i -lt 20 ]; do
		kill -STOP "$IK_SUB_PID" && ik_lock_free && return 0
		kill -CONT "$IK_SUB_PID"
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

# LABEL: a killed reset changed nothing the cluster or a phone sees.
ik_unchanged() {
	expect_true "$1: the store generation is unchanged" \
	    test "$(ik_gen)" = "$IK_GEN"
	expect_true "$1: no TFTP restart asked of a node" \
	    test "$(ik_req pub) $(ik_req sub)" = "$IK_REQ"
	expect_true "$1: none taken by a node" \
	    test "$(ik_took pub) $(ik_took sub)" = "$IK_TOOK"
	expect_true "$1: no itl_reset row" ik_no_resets
	expect_true "$1: no reset audited" test "$(ik_audits)" = 0
	for _n in pub sub; do
		expect_true "$1: $_n serves its ITL" \
		    ik_get "$_n" "$T/ik_$_n.tlv"
		expect_same "$1: ... byte for byte the one before" \
		    "$T/ik_${_n}0.tlv" "$T/ik_$_n.tlv"
		expect_true "$1: ... signed by $_n's CallManager" \
		    ik_cm_signed "$_n" "$T/ik_$_n.tlv"
	done
}

# LABEL: after a reset killed past its commit, once sub runs again.
ik_in_service() {
	expect_true "$1: every node serves the reset ITL" \
	    wait_until 10 ik_serve_reset
	expect_true "$1: show itl: signed by ITLRECOVERY, verified" \
	    ik_recovery_signed "$T/ik_sub.tlv"
	expect_true "$1: ... not pub's CallManager ITL" \
	    sh -c "! cmp -s '$T/ik_pub0.tlv' '$T/ik_pub.tlv'"
	expect_true "$1: pub: the store's reset ITL and state are the file" \
	    wait_until 5 ik_store_agrees pub "$T/ik_pub.tlv"
	expect_true "$1: sub: the same" \
	    wait_until 5 ik_store_agrees sub "$T/ik_sub.tlv"
	expect_true "$1: the reset is audited" test "$(ik_audits)" = "$2"
}

# ---- a running two-node cluster ---------------------------------------------

make_node "$IKD"
run "$SBDCTL" node add -d "$IKD" --name sub --addr 127.0.0.2
expect_rc "itl reset kill: node add sub on 127.0.0.2" 0
start_sbdd "$IKD"
IK_PUB_PID=$SBDD_PID
IK_PUB_TFTP=$TFTP_PORT
ik_start_sub
if [ -z "$IK_PUB_TFTP" ] || [ -z "$IK_SUB_TFTP" ]; then
	nok "t_itlreset_kill: no cluster to test"
	return
fi

expect_true "itl reset kill: pub serves its CallManager-signed ITL" \
    ik_serves_cm pub
cp "$T/ik_pub.tlv" "$T/ik_pub0.tlv"
expect_true "itl reset kill: sub serves its own" ik_serves_cm sub
cp "$T/ik_sub.tlv" "$T/ik_sub0.tlv"
IK_GEN=$(ik_gen)
IK_REQ="$(ik_req pub) $(ik_req sub)"
IK_TOOK="$(ik_took pub) $(ik_took sub)"
expect_true "itl reset kill: both nodes took their start's restart" \
    test "$(ik_took pub)" -ge 1 -a "$(ik_took sub)" -ge 1 -a \
    "$IK_GEN" -ge 1

# ---- kill -9 while it waits for the write lock (before the commit) --------
#
# The reset's one transaction begins (BEGIN IMMEDIATE) after the key is
# open and the TFTP nodes are listed; with the lock held elsewhere it
# busy-waits there for the store's 5 s timeout, then gives up.  The kill
# comes a second into that wait.

expect_true "kill before the commit: the sqlite3 shell holds the lock" \
    ik_lock
expect_true "kill before the commit: ... no writer can begin" ik_locked
ik_start_reset "$T/ik1.out" localkey --wait 10
wait_until 10 grep -qF "['pub', 'sub']" "$T/ik1.out"
sleep 1
expect_true "kill before the commit: localkey waits for the lock" \
    ik_waiting "$T/ik1.out"
expect_true "kill before the commit: ... killed there by SIGKILL" ik_killed
expect_true "kill before the commit: the lock is let go" ik_unlock
ik_unchanged "kill before the commit (localkey)"

# remotekey: the key from a real SFTP server (sshd.sh), in other bytes
# than the local ITLRecovery.p12 that a finished reset would replace.
. "${here:-tests/integration}/sshd.sh"
start_sshd
cp "$IKPKI/ITLRecovery.p12" "$T/ik_local.p12"
run "$SBDCTL" cert export-p12 --cert "$IKPKI/ITLRecovery.pem" \
    -o "$T/ik_remote.p12" --password-file "$IKD.pw"
expect_rc "itl reset kill: the ITLRecovery key exported for the server" 0
expect_true "itl reset kill: ... in other bytes than the local file" \
    sh -c "! cmp -s '$T/ik_remote.p12' '$T/ik_local.p12'"
ik_remote() {	# OUT [OPTS]: utils itl reset remotekey in the background
	_ro=$1
	shift
	ik_start_reset "$_ro" remotekey 127.0.0.1 "$SSHD_USER" \
	    "$T/ik_remote.p12" --port "$SSHD_PORT" --identity "$SSHD_KEY" \
	    --accept-host-key "$@"
}

expect_true "kill before the commit: the lock held again" ik_lock
ik_remote "$T/ik2.out" --wait 10
wait_until 10 grep -qF "['pub', 'sub']" "$T/ik2.out"
sleep 1
expect_true "kill before the commit: remotekey, key fetched, waits" \
    ik_waiting "$T/ik2.out"
expect_true "kill before the commit: ... killed there by SIGKILL" ik_killed
expect_true "kill before the commit: the lock is let go" ik_unlock
ik_unchanged "kill before the commit (remotekey)"
expect_same "kill before the commit (remotekey): the local key unchanged" \
    "$T/ik_local.p12" "$IKPKI/ITLRecovery.p12"
# The fetched key is staged inside the transaction, so none was.
expect_true "kill before the commit (remotekey): no ITLRecovery.p12.new" \
    test ! -e "$IKPKI/ITLRecovery.p12.new"

# ---- kill -9 while it waits for sub's TFTP restart (after the commit) -----

expect_true "kill after the commit: sbdd sub stopped, holding no lock" \
    ik_stop_sub
ik_start_reset "$T/ik3.out" localkey --wait 20
expect_true "kill after the commit: pub took its restart" \
    wait_until 10 grep -qx 'Cisco Tftp service restarted on host pub' \
    "$T/ik3.out"
expect_true "kill after the commit: the reset waits for sub's" \
    wait_until 5 grep -qx 'Restarting Cisco Tftp service on host sub' \
    "$T/ik3.out"
expect_true "kill after the commit: ... killed there by SIGKILL" ik_killed
kill -CONT "$IK_SUB_PID"
ik_in_service "kill after the commit (localkey)" 1

# The next TFTP restart of each node ends its reset ITL.
for ik_n in pub sub; do
	run "$SBDCTL" utils service restart "Cisco Tftp" -d "$IKD" \
	    --node "$ik_n" --wait 10
	expect_rc "kill after the commit: restart Cisco Tftp on $ik_n" 0
	expect_true "kill after the commit: then $ik_n's CallManager signs" \
	    wait_until 5 ik_serves_cm "$ik_n"
done
expect_true "kill after the commit: the reset ITLs retired in the store" \
    wait_until 5 ik_no_resets

# remotekey: the fetched key replaces the local one right after the
# commit, before the waits.
expect_true "kill after the commit: sbdd sub stopped again" ik_stop_sub
ik_remote "$T/ik4.out" --wait 20
expect_true "kill after the commit: remotekey waits for sub's restart" \
    wait_until 10 grep -qx 'Restarting Cisco Tftp service on host sub' \
    "$T/ik4.out"
expect_true "kill after the commit: ... killed there by SIGKILL" ik_killed
kill -CONT "$IK_SUB_PID"
expect_same "kill after the commit (remotekey): the local key is the remote" \
    "$T/ik_remote.p12" "$IKPKI/ITLRecovery.p12"
expect_true "kill after the commit (remotekey): no ITLRecovery.p12.new" \
    test ! -e "$IKPKI/ITLRecovery.p12.new"
ik_in_service "kill after the commit (remotekey)" 2

# ---- what a kill between staging the key and the commit leaves ------------
#
# Nothing in that stretch waits for another process, so a kill cannot be
# aimed at it; its leftover, a PATH.new, is made by hand.  The next load
# of the key applies admin.h's rule: finished when its certificate is the
# active ITLRecovery in the store, removed otherwise.

run "$SBDCTL" cert create --role itlrecovery --host pub -o "$T/ik_other.pem"
run "$SBDCTL" cert export-p12 --cert "$T/ik_other.pem" \
    -o "$IKPKI/ITLRecovery.p12.new" --password-file "$IKD.pw"
expect_rc "staged key: another ITLRecovery key left as ITLRecovery.p12.new" 0
run "$SBDCTL" utils itl reset localkey -d "$IKD" --password-env IK_PW \
    --wait 10
expect_rc "staged key: the next reset loads the local key: exit 0" 0
expect_err "staged key: ... and says so" \
    "$IKPKI/ITLRecovery.p12.new: removing an interrupted change"
expect_true "staged key: ... the leftover removed" \
    test ! -e "$IKPKI/ITLRecovery.p12.new"
expect_same "staged key: ... the local key unchanged" \
    "$T/ik_remote.p12" "$IKPKI/ITLRecovery.p12"

run "$SBDCTL" cert export-p12 --cert "$IKPKI/ITLRecovery.pem" \
    -o "$IKPKI/ITLRecovery.p12.new" --password-file "$IKD.pw"
expect_rc "staged key: the active ITLRecovery key left, in new bytes" 0
cp "$IKPKI/ITLRecovery.p12.new" "$T/ik_staged.p12"
run "$SBDCTL" utils itl reset localkey -d "$IKD" --password-env IK_PW \
    --wait 10
expect_rc "staged key: the next reset: exit 0" 0
expect_err "staged key: ... finishes it" \
    "$IKPKI/ITLRecovery.p12.new: finishing an interrupted change"
expect_same "staged key: ... it is the local key now" \
    "$T/ik_staged.p12" "$IKPKI/ITLRecovery.p12"
expect_true "staged key: ... nothing left staged" \
    test ! -e "$IKPKI/ITLRecovery.p12.new"
expect_true "staged key: every node serves the reset ITL" \
    wait_until 10 ik_serve_reset

stop_sshd
kill -TERM "$IK_SUB_PID"
expect_true "itl reset kill: sbdd sub exits" wait_until 10 _dead "$IK_SUB_PID"
SBDD_PID=$IK_PUB_PID
stop_sbdd "itl reset kill: sbdd pub exits 0"
