# `sbdctl file get tftp ITLRecovery.p12` against a real OpenSSH sftp
# server (sshd.sh): the copy, its record in the store (what clears the
# backup alarm), the host key dialogue of seed 001 and known_hosts, and
# every way it can fail without recording anything: a refused host key,
# a changed one, a wrong user or key, a missing directory, a dead or
# silent server, a subscriber without the key.  The transcript with
# CUCM's default port 22 runs in a network namespace of its own.
# Sourced by run.sh.

. "${here:-tests/integration}/sshd.sh"

D=$T/fg
P12=$D/nodes/pub/pki/ITLRecovery.p12
KH=$D/known_hosts
DL=$T/download
U=$SSHD_USER

make_node "$D"
run "$SBDCTL" node add -d "$D" --name sub --addr 127.0.0.2
expect_rc "sftp: a subscriber node" 0
mkdir -p "$DL"
start_sshd
KEY=$SSHD_KEY
FP=$(sshd_fingerprint)

backup() {
	sqlite3 "$D/store.db" \
	    "SELECT value FROM param WHERE name = 'itlrecovery_backup'"
}

audits() {
	sqlite3 "$D/store.db" \
	    "SELECT count(*) FROM audit WHERE action = 'file get'"
}

sha1() {
	sha1sum "$1" | cut -d' ' -f1
}

# fget [OPTS]: file get with the test server's address, user, key and
# the download directory; OPTS come last and win.
fget() {
	run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --host 127.0.0.1 \
	    --port "$SSHD_PORT" --user "$U" --dir "$DL" --identity "$KEY" "$@"
}

# nothing_recorded NAME: the backup is still the first one, the download
# directory holds only that copy, and no audit entry was added.
nothing_recorded() {
	expect_true "$1: the backup record is unchanged" \
	    test "$(backup)" = "$S1"
	expect_true "$1: no audit entry" test "$(audits)" = 2
	expect_true "$1: the copy on the server is unchanged" \
	    test "$(sha1 "$DL/ITLRecovery.p12")" = "$S1"
	expect_true "$1: no temporary file left on the server" \
	    test "$(ls -A "$DL")" = ITLRecovery.p12
}

# ---- the copy, unasked
fget --yes --accept-host-key </dev/null
expect_rc "sftp: file get with --yes --accept-host-key" 0
expect_same "sftp: the server holds the publisher's ITLRecovery.p12" \
    "$P12" "$DL/ITLRecovery.p12"
expect_true "sftp: ... mode 0600" \
    test "$(stat -c %a "$DL/ITLRecovery.p12")" = 600
expect_true "sftp: ... and no temporary file" \
    test "$(ls -A "$DL")" = ITLRecovery.p12
S1=$(sha1 "$P12")
expect_true "sftp: itlrecovery_backup is the SHA-1 of the bytes sent" \
    test "$(backup)" = "$S1"
expect_true "sftp: one audit entry" test "$(audits)" = 1
B="[127.0.0.1]:$SSHD_PORT"
expect_out "sftp: the unknown host key is shown as OpenSSH shows it" \
    "The authenticity of host '$B ($B)' can't be established."
expect_out "sftp: ... with its SHA-256 fingerprint" \
    "ED25519 key fingerprint is $FP."
expect_out "sftp: ... accepted by --accept-host-key" \
    "Are you sure you want to continue connecting (yes/no)? yes"
expect_true "sftp: known_hosts holds the server's key" grep -qF \
    "[127.0.0.1]:$SSHD_PORT $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" \
    "$KH"
expect_true "sftp: Transfer completed." grep -qx "Transfer completed." \
    "$T/out"

# ---- again, answers on standard input, the key now known; the old copy
# is replaced (OpenSSH's server refuses to rename over it).
printf 'stale copy\n' >"$DL/ITLRecovery.p12"
cp "$KH" "$T/kh.1"
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --identity "$KEY" \
    <<EOF
y
127.0.0.1
$SSHD_PORT
$U
$DL
EOF
expect_rc "sftp: answers from standard input, known host key" 0
expect_same "sftp: the stale copy is replaced" "$P12" "$DL/ITLRecovery.p12"
expect_true "sftp: a known host key is not asked about" \
    sh -c "! grep -q 'authenticity\|Are you sure' '$T/out'"
expect_same "sftp: known_hosts is unchanged" "$T/kh.1" "$KH"
expect_true "sftp: a second audit entry" test "$(audits)" = 2

# ---- sftp_get, through utils itl reset remotekey: the copy comes back;
# a missing file, a directory and a file over the verb's 64 KiB are not
# read.
remotekey() {
	run "$SBDCTL" utils itl reset remotekey 127.0.0.1 "$U" "$1" -d "$D" \
	    --port "$SSHD_PORT" --identity "$KEY" --password-file "$D.pw" \
	    </dev/null
}
remotekey "$DL/ITLRecovery.p12"
expect_rc "sftp: remotekey fetches the copy back" 0
expect_out "sftp: ... and resets the ITL with it" \
    "The reset ITL file was generated successfully"
remotekey "$DL/missing.p12"
expect_rc "sftp: remotekey of a missing file" 1
expect_err "sftp: ... the server's reason" \
    "$DL/missing.p12: cannot read: SFTP server: No such file"
remotekey "$DL"
expect_rc "sftp: remotekey of a directory" 1
expect_err "sftp: ... not a regular file" "$DL: not a regular file"
head -c 70000 /dev/urandom >"$T/big.p12"
remotekey "$T/big.p12"
expect_rc "sftp: remotekey of 70000 bytes" 1
expect_err "sftp: ... over the bound" "$T/big.p12: larger than 65536 bytes"

# From here on the key differs from the copy: a run that recorded
# anything would change itlrecovery_backup.
printf 'x' >>"$P12"

# ---- refusals
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" <<EOF
n
EOF
expect_rc "sftp: answering n to proceed" 1
expect_true "sftp: ... asks nothing more" \
    sh -c "! grep -q 'SFTP server IP' '$T/out'"
nothing_recorded "sftp: n"

mv "$KH" "$T/kh.saved"
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --identity "$KEY" \
    <<EOF
y
127.0.0.1
$SSHD_PORT
$U
$DL
no
EOF
expect_rc "sftp: an unknown host key answered no" 1
expect_err "sftp: ... is refused" "127.0.0.1:$SSHD_PORT: host key not accepted"
expect_true "sftp: ... and not recorded" test ! -e "$KH"
nothing_recorded "sftp: host key refused"
mv "$T/kh.saved" "$KH"

fget --yes --user "nosuch$$"
expect_rc "sftp: a user the server does not know" 1
expect_err "sftp: ... permission denied" \
    "127.0.0.1:$SSHD_PORT: permission denied for user nosuch$$"
nothing_recorded "sftp: wrong user"

ssh-keygen -q -t ed25519 -N '' -f "$T/stranger"
fget --yes --identity "$T/stranger"
expect_rc "sftp: a key the server does not authorize" 1
expect_err "sftp: ... permission denied" \
    "127.0.0.1:$SSHD_PORT: permission denied for user $U ($T/stranger)"
nothing_recorded "sftp: unauthorized key"

printf 'not-the-password\n' >"$T/pw"
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --yes --host 127.0.0.1 \
    --port "$SSHD_PORT" --user "$U" --dir "$DL" --password-file "$T/pw"
expect_rc "sftp: a password the server does not take" 1
expect_err "sftp: ... permission denied" \
    "127.0.0.1:$SSHD_PORT: permission denied for user $U (password)"
nothing_recorded "sftp: password"

fget --yes --dir "$T/nowhere"
expect_rc "sftp: a directory missing on the server" 1
expect_err "sftp: ... named, with the server's reason" \
    "$T/nowhere/ITLRecovery.p12: cannot create: SFTP server: No such file"
nothing_recorded "sftp: no directory"

mkdir -p "$T/dirs/ITLRecovery.p12"
fget --yes --dir "$T/dirs/"
expect_rc "sftp: a directory where the file goes" 1
expect_err "sftp: ... is not replaced" \
    "$T/dirs/ITLRecovery.p12: not a regular file"
expect_true "sftp: ... and no temporary file is left" \
    test "$(ls -A "$T/dirs")" = ITLRecovery.p12
nothing_recorded "sftp: directory in the way"

DEAD=$(free_ports 1 11)
fget --yes --port "$DEAD"
expect_rc "sftp: a port nobody listens on" 1
expect_err "sftp: ... cannot connect" \
    "127.0.0.1:$DEAD: cannot connect: Connection refused"
nothing_recorded "sftp: dead port"

# A server that accepts the connection and says nothing: the 10 s
# timeout ends the wait.
SILENT=$(free_ports 1 13)
python3 -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(4)
time.sleep(30)' "$SILENT" &
track $!
expect_true "sftp: a silent listener on $SILENT" \
    wait_until 5 _sshd_listening "$SILENT"
t0=$(date +%s)
fget --yes --port "$SILENT"
t1=$(date +%s)
expect_rc "sftp: a server that never answers" 1
expect_err "sftp: ... times out" \
    "127.0.0.1:$SILENT: cannot connect: Timeout connecting to 127.0.0.1"
expect_true "sftp: ... within the 10 s timeout ($((t1 - t0)) s)" \
    test $((t1 - t0)) -le 12
nothing_recorded "sftp: silent server"

run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --node sub </dev/null
expect_rc "sftp: on a subscriber" 1
expect_out "sftp: ... CUCM's no match" "No files matched filter criteria."
expect_true "sftp: ... and no prompt" \
    sh -c "! grep -q 'proceed' '$T/out'"

run "$SBDCTL" file get tftp CallManager.pem -d "$D"
expect_rc "sftp: another file name" 1
expect_err "sftp: ... only ITLRecovery.p12" \
    "only ITLRecovery.p12 can be got from tftp"
run "$SBDCTL" file get ftp ITLRecovery.p12 -d "$D"
expect_rc "sftp: not tftp: usage" 2
fget --port 0
expect_rc "sftp: --port 0: usage" 2
expect_err "sftp: ... says so" "bad --port: 0"
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --yes --host 127.0.0.1 \
    --port "$SSHD_PORT" --user "$U" --dir "$DL" \
    --password-file "$T/pw" --password-env PW
expect_rc "sftp: two password sources: usage" 2
nothing_recorded "sftp: usage errors"

# ---- a changed host key is refused, even with --accept-host-key
cp "$KH" "$T/kh.2"
stop_sshd
sshd_new_host_key
start_sshd
fget --yes --accept-host-key
expect_rc "sftp: a changed host key" 1
expect_err "sftp: ... is refused" \
    "the host key (ED25519 $(sshd_fingerprint)) is not the one $KH holds"
expect_err "sftp: ... naming the server" "127.0.0.1:$SSHD_PORT: the host key"
expect_same "sftp: ... and known_hosts keeps the old one" "$T/kh.2" "$KH"
nothing_recorded "sftp: changed host key"
stop_sshd

# ---- CUCM's transcript (seed 001), its default port 22 on the loopback
# of a namespace of our own.  A key of 1709 bytes, as the seed's.
NS=sbdsftp$$
run ip netns add "$NS"
if [ "$rc" != 0 ]; then
	nok "sftp: ip netns add $NS failed: the transcript needs root"
	show_last
	return
fi
track_netns "$NS"
ip -n "$NS" link set lo up
IN_NS="ip netns exec $NS"
SSHD_DIR=$T/sshd22
SSHD_PORT=22
start_sshd
KEY=$SSHD_KEY
FP=$(sshd_fingerprint)
head -c 1709 /dev/urandom >"$P12"
mkdir -p "$T/dl22"
run ip netns exec "$NS" "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" \
    --identity "$KEY" <<EOF
y
127.0.0.1

$U
$T/dl22
yes
EOF
IN_NS=""
expect_rc "sftp: the transcript, answers from a here-document" 0
cat >"$T/seed" <<EOF
Please wait while the system is gathering files info ...done.
Sub-directories were not traversed.
Number of files affected: 1
Total size in Bytes: 1709
Total size in Kbytes: 1.6689453
Would you like to proceed [y/n]? y
SFTP server IP: 127.0.0.1
SFTP server port [22]: 
User ID: $U
Download directory: $T/dl22
The authenticity of host '127.0.0.1 (127.0.0.1)' can't be established.
ED25519 key fingerprint is $FP.
Are you sure you want to continue connecting (yes/no)? yes
EOF
head -n 13 "$T/out" >"$T/out.13"
expect_same "sftp: the transcript's lines are seed 001's" "$T/seed" \
    "$T/out.13"
expect_true "sftp: ... ending in Transfer completed." \
    test "$(tail -n 1 "$T/out")" = "Transfer completed."
expect_same "sftp: ... and the key is on the server" "$P12" \
    "$T/dl22/ITLRecovery.p12"
expect_true "sftp: ... recorded" test "$(backup)" = "$(sha1 "$P12")"
expect_true "sftp: known_hosts holds port 22's key without brackets" \
    grep -qF "127.0.0.1 $(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" "$KH"
