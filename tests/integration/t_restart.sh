# TFTP restarts and the reset ITL (include/sbd/store.h, "TFTP restarts"):
# sbdd's node state, restart requests made in the store (with the sqlite3
# shell, another program than opensbd), a reset ITL served byte for byte
# by TFTP while its restart is the one honoured and retired at the next,
# restarts of sbdd itself, a reset ITL that is not a trust list, and the
# state of a clean stop.  Sourced by run.sh.

D=$T/rst
PKI=$D/nodes/pub/pki
MAC=00AA00BBCC01

make_node "$D"
run "$SBDCTL" device add -d "$D" --mac "$MAC" --profile authenticated
expect_rc "restart: device $MAC" 0

sq() {
	sqlite3 -cmd '.timeout 5000' "$D/store.db" "$1"
}

st() {	# COLUMN: the node state of pub
	sq "SELECT $1 FROM node_state WHERE node = 'pub'"
}

state_is() {	# RESTART SIGNER
	[ "$(st "tftp_restart || ' ' || itl_signer")" = "$1 $2" ]
}

gen_ge() {	# G: the state says pub serves store generation G or later
	[ "$(st gen)" -ge "$1" ]
}

tget() {	# NAME OUT
	rm -f "$2"
	timeout 10 tftp 127.0.0.1 "$TFTP_PORT" -m binary -c get "$1" "$2" \
	    >"$T/tftp.out" 2>&1
}

sha1() {
	sha1sum "$1" | cut -c1-40
}

cert_sha1() {	# PEM
	openssl x509 -in "$1" -outform DER | sha1sum | cut -c1-40
}

# The SHA-1 of the certificate of the record `sbdctl show itl` says signed
# the file.
signer_sha1() {	# ITL
	"$SBDCTL" show itl "$1" | awk '
	    /^ITL Record #/ { h = "" }
	    $2 == "CERTIFICATE" { h = ""; for (i = 4; i <= NF; i++) h = h $i }
	    /This etoken was used to sign/ { print tolower(h) }'
}

CM=$(cert_sha1 "$PKI/CallManager.pem")
REC=$(cert_sha1 "$PKI/ITLRecovery.pem")

# ---- the state of a start
start_sbdd "$D"
R1=$(st tftp_restart)
expect_true "restart: the state names sbdd's pid" test "$(st pid)" = \
    "$SBDD_PID"
expect_true "restart: a start honours a restart number >= 1" \
    test "${R1:-0}" -ge 1
expect_true "restart: ... the node's latest request" \
    test "$(sq "SELECT tftp_restart FROM node WHERE name = 'pub'")" = "$R1"
expect_true "restart: the ITL signer is CallManager" \
    test "$(st itl_signer)" = CallManager
tget ITLFile.tlv "$T/itl1"
H1=$(sha1 "$T/itl1")
expect_true "restart: the state's SHA-1 is the ITLFile.tlv tftp-hpa got" \
    test "$(st itl_sha1)" = "$H1"
expect_true "restart: ... which is in the store's ITLs seen" \
    test "$(sq "SELECT count(*) FROM itl_seen WHERE sha1 = '$H1'")" = 1
expect_true "restart: ... signed by the CallManager certificate" \
    test "$(signer_sha1 "$T/itl1")" = "$CM"
# Writing the state, the ITL seen and the backup alarm are no changes.
sleep 2.5
expect_counter "restart: sbdd's own writes make it reload nothing" "$D" \
    reloads -eq 0

# ---- a reset ITL, with its restart request, in one transaction
run "$SBDCTL" resign itl -o "$T/reset.tlv" --signer "$PKI/ITLRecovery.pem" \
    "$T/itl1"
expect_rc "restart: a reset ITL signed by ITLRecovery" 0
N=$((R1 + 1))
run sq "BEGIN IMMEDIATE;
    INSERT INTO itl_reset (node, der, restart, created)
    VALUES ('pub', readfile('$T/reset.tlv'), $N, 0);
    UPDATE node SET tftp_restart = $N WHERE name = 'pub'; COMMIT;"
expect_rc "restart: stored for restart $N with the request" 0
expect_true "restart: the state says restart $N, ITLRecovery, within 5 s" \
    wait_until 5 state_is "$N" ITLRecovery
tget ITLFile.tlv "$T/itl2"
expect_same "restart: ITLFile.tlv is the reset ITL, byte for byte" \
    "$T/itl2" "$T/reset.tlv"
tget "ITLSEP$MAC.tlv" "$T/itlsep2"
expect_same "restart: ... and so is ITLSEP$MAC.tlv" "$T/itlsep2" \
    "$T/reset.tlv"
expect_same "restart: ... and the ITLFile.tlv in the TFTP directory" \
    "$D/nodes/pub/tftp/ITLFile.tlv" "$T/reset.tlv"
expect_true "restart: ... signed by ITLRecovery" \
    test "$(signer_sha1 "$T/itl2")" = "$REC"
expect_true "restart: the state's SHA-1 is the reset ITL's" \
    test "$(st itl_sha1)" = "$(sha1 "$T/reset.tlv")"
expect_true "restart: ... which is in the ITLs seen" test "$(sq \
    "SELECT count(*) FROM itl_seen WHERE sha1 = '$(sha1 "$T/reset.tlv")'")" \
    = 1
expect_counter "restart: counted as a TFTP restart" "$D" tftp_restarts -eq 1
expect_true "restart: logged with its number" \
    grep -qF "TFTP restart (request $N)" "$SBDD_LOG"
G=$(($(sq "SELECT generation FROM meta") + 1))
run sq "INSERT INTO param (name, value) VALUES ('probe', '1')"
expect_true "restart: a further change is served within 5 s" \
    wait_until 5 gen_ge "$G"
tget ITLFile.tlv "$T/itl3"
expect_same "restart: ... and the reset ITL with it" "$T/itl3" \
    "$T/reset.tlv"
expect_true "restart: ... still for restart $N" state_is "$N" ITLRecovery

# ---- the next restart retires it
run sq "UPDATE node SET tftp_restart = $((N + 1)) WHERE name = 'pub'"
expect_true "restart: restart $((N + 1)) is CallManager's again in 5 s" \
    wait_until 5 state_is $((N + 1)) CallManager
tget ITLFile.tlv "$T/itl4"
expect_true "restart: show itl: the CallManager certificate signed it" \
    test "$(signer_sha1 "$T/itl4")" = "$CM"
expect_true "restart: the state's SHA-1 is the new ITL's" \
    test "$(st itl_sha1)" = "$(sha1 "$T/itl4")"
expect_true "restart: the reset ITL row is gone" \
    test "$(sq "SELECT count(*) FROM itl_reset")" = 0
expect_true "restart: ... logged as retired" \
    grep -qF "reset ITL of restart $N retired" "$SBDD_LOG"
expect_counter "restart: two TFTP restarts counted" "$D" tftp_restarts -eq 2

# ---- a reset ITL for a later restart waits for it
N=$((N + 2))
G=$(($(sq "SELECT generation FROM meta") + 1))
run sq "INSERT INTO itl_reset (node, der, restart, created)
    VALUES ('pub', readfile('$T/reset.tlv'), $N, 0)"
expect_true "restart: a reset ITL for restart $N is read within 5 s" \
    wait_until 5 gen_ge "$G"
tget ITLFile.tlv "$T/itl5"
expect_same "restart: ... and not served before its restart" "$T/itl5" \
    "$T/itl4"
expect_true "restart: ... nor retired" \
    test "$(sq "SELECT restart FROM itl_reset")" = "$N"

# ---- garbage in place of a reset ITL is never served
head -c 600 /dev/urandom >"$T/garbage"
run sq "BEGIN IMMEDIATE;
    UPDATE itl_reset SET der = readfile('$T/garbage') WHERE node = 'pub';
    UPDATE node SET tftp_restart = $N WHERE name = 'pub'; COMMIT;"
expect_true "restart: restart $N with a garbage reset ITL: CallManager" \
    wait_until 5 state_is "$N" CallManager
tget ITLFile.tlv "$T/itl6"
expect_same "restart: ... the ITL built from the store is served" \
    "$T/itl6" "$T/itl4"
expect_true "restart: ... and the refusal logged" \
    grep -qF "reset ITL of restart $N refused" "$SBDD_LOG"
run sq "DELETE FROM itl_reset"
stop_sbdd "restart: sbdd stops"
expect_true "restart: a clean stop writes pid 0" test "$(st pid)" = 0
expect_true "restart: ... and keeps the restart it honoured" \
    test "$(st tftp_restart)" = "$N"

# ---- stored for the restart the stopped sbdd honoured: retired at start
S=$N
run sq "INSERT INTO itl_reset (node, der, restart, created)
    VALUES ('pub', readfile('$T/reset.tlv'), $S, 0)"
start_sbdd "$D"
expect_true "restart: a start after restart $S asks for $((S + 1))" \
    test "$(sq "SELECT tftp_restart FROM node WHERE name = 'pub'")" = \
    $((S + 1))
expect_true "restart: ... honours it with the built ITL" \
    state_is $((S + 1)) CallManager
tget ITLFile.tlv "$T/itl7"
expect_true "restart: ... signed by CallManager" \
    test "$(signer_sha1 "$T/itl7")" = "$CM"
expect_true "restart: ... the stale reset ITL retired" \
    test "$(sq "SELECT count(*) FROM itl_reset")" = 0
stop_sbdd "restart: sbdd stops again"

# ---- a request made while sbdd is stopped: the start honours it
S=$((S + 1))
N=$((S + 1))
run sq "BEGIN IMMEDIATE;
    INSERT INTO itl_reset (node, der, restart, created)
    VALUES ('pub', readfile('$T/reset.tlv'), $N, 0);
    UPDATE node SET tftp_restart = $N WHERE name = 'pub'; COMMIT;"
start_sbdd "$D"
expect_true "restart: a start honours the pending request $N" \
    state_is "$N" ITLRecovery
expect_true "restart: ... without asking for another" \
    test "$(sq "SELECT tftp_restart FROM node WHERE name = 'pub'")" = "$N"
tget ITLFile.tlv "$T/itl8"
expect_same "restart: ... and serves its reset ITL" "$T/itl8" \
    "$T/reset.tlv"
stop_sbdd "restart: sbdd stops a third time"

# ---- a plain restart of sbdd is the next TFTP restart
start_sbdd "$D"
expect_true "restart: a plain restart of sbdd is restart $((N + 1))" \
    state_is $((N + 1)) CallManager
tget ITLFile.tlv "$T/itl9"
expect_true "restart: ... serving the CallManager-signed ITL" \
    test "$(signer_sha1 "$T/itl9")" = "$CM"
expect_true "restart: ... with the reset ITL retired" \
    test "$(sq "SELECT count(*) FROM itl_reset")" = 0
expect_counter "restart: a start is no counted TFTP restart" "$D" \
    tftp_restarts -eq 0
stop_sbdd "restart: sbdd stops a fourth time"
expect_true "restart: pid 0 again" test "$(st pid)" = 0
