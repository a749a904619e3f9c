# set network hostname and set network domain on a running two-node
# cluster (pub on 127.0.0.1, sub on 127.0.0.2): the refusals change
# nothing; a renamed node's sbdd starts again under the new name in the
# same process; every reference to the node follows, and what each node
# serves over TFTP carries the new certificates; the publisher's
# ITLRecovery record stays byte for byte; an sbdd started under an old
# name follows; the store's rename record lets sbdd or the next sbdctl
# finish a directory move that a kill -9 interrupted; and a kill -9
# before or after the commit leaves the store, the directories and the
# served ITL in agreement.  Sourced by run.sh.

NW=$T/nw
NWDB=$NW/store.db
NW_PW=integration-pw
export NW_PW

nw_q() {	# SQL: a read of the store
	sqlite3 -readonly "$NWDB" "$1" 2>/dev/null
}

nw_gen() {
	nw_q 'SELECT generation FROM meta'
}

nw_sha() {	# NODE ROLE: the store's active certificate SHA-1
	nw_q "SELECT sha1 FROM cert WHERE node = '$1' AND role = '$2' \
	    AND active = 1"
}

nw_path() {	# NODE ROLE: the active certificate's file
	echo "$NW/$(nw_q "SELECT cert_path FROM cert WHERE node = '$1' \
	    AND role = '$2' AND active = 1")"
}

nw_subject() {	# NODE ROLE: the active certificate's subject
	openssl x509 -in "$(nw_path "$1" "$2")" -noout -subject \
	    -nameopt RFC2253 2>/dev/null | sed 's/^subject=//'
}

nw_moved() {	# the moved flag of the latest rename record
	nw_q 'SELECT moved FROM node_rename ORDER BY id DESC LIMIT 1'
}

# The state a kill -9 between the commit and the directory move leaves:
# DATA/nodes/NEW back at DATA/nodes/OLD, the record not marked moved.
nw_unmove() {	# OLD NEW
	mv "$NW/nodes/$2" "$NW/nodes/$1" &&
	    sqlite3 "$NWDB" "UPDATE node_rename SET moved = 0 \
	    WHERE id = (SELECT max(id) FROM node_rename)" &&
	    [ "$(nw_moved)" = 0 ]
}

nw_lines() {	# LOG: its line count, a mark for nw_since
	if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi
}

nw_since() {	# LOG MARK TEXT: TEXT logged after line MARK
	tail -n "+$(($2 + 1))" "$1" 2>/dev/null | grep -qF -- "$3"
}

# Wait for "node NAME ready" in LOG after MARK (start() writes the run
# files before it logs that), then read NAME's TFTP port into NW_TFTP.
nw_ready() {	# NAME LOG MARK
	NW_TFTP=""
	if wait_until 10 nw_since "$2" "$3" "sbdd[$1]: node $1 ready on"
	then
		NW_TFTP=$(sed -n 's/^tftp \([0-9]*\)$/\1/p' \
		    "$NW/nodes/$1/run/ports")
	fi
	[ -n "$NW_TFTP" ]
}

# sbdd -n NAME for the subscriber on 127.0.0.2 (no CAPF), logging to a
# fresh LOG; DIRNAME is the name it ends up serving as.
nw_start() {	# NAME DIRNAME LOG
	: >"$3"
	"$SBDD" -d "$NW" -n "$1" -f -o tftp_port=0 -o http_port=0 \
	    -o tvs_port=0 2>>"$3" &
	SUB_PID=$!
	SUB_LOG=$3
	track "$SUB_PID"
	if nw_ready "$2" "$3" 0; then
		ok "network: sbdd -n $1 ready as $2 (tftp $NW_TFTP)"
	else
		nok "network: sbdd -n $1 ready as $2: not within 10 s"
		sed -n '1,15s/^/  | /p' "$3"
	fi
}

nw_stop() {	# NAME: stop the subscriber's sbdd, which must exit 0
	kill -TERM "$SUB_PID" 2>/dev/null
	if wait_until 10 _dead "$SUB_PID"; then
		wait "$SUB_PID"
		nw_rc=$?
	else
		kill -KILL "$SUB_PID" 2>/dev/null
		wait "$SUB_PID"
		nw_rc="still running after 10 s"
	fi
	if [ "$nw_rc" = 0 ]; then
		ok "network: sbdd $1 stops"
	else
		nok "network: sbdd $1 stops (exit $nw_rc)"
	fi
}

nw_get() {	# ADDR PORT OUT: ITLFile.tlv over TFTP (tftp-hpa)
	rm -f "$3"
	timeout 10 tftp "$1" "$2" -m binary -c get ITLFile.tlv "$3" \
	    >/dev/null 2>&1 && [ -s "$3" ]
}

nw_record() {	# ITL ROLE-NAME: the certificate SHA-1s of those records
	"$SBDCTL" show itl --json "$1" 2>/dev/null | python3 -c "import json,sys
print(' '.join(r['certificate_sha1'] for r in json.load(sys.stdin)['records']
    if r.get('role_name') == sys.argv[1]))" "$2"
}

# The ITLRecovery SAST record of ITL: its bytes into OUT, its certificate
# SHA-1 on stdout; fails unless there is exactly one.
nw_recovery() {	# ITL OUT
	"$SBDCTL" show itl --json "$1" 2>/dev/null | python3 -c "import json,sys
r = [r for r in json.load(sys.stdin)['records'] if r['role_name'] == 'SAST'
    and r['subject'].startswith('CN=ITLRECOVERY_')]
if len(r) != 1:
	sys.exit(1)
o, n = r[0]['offset'], r[0]['length']
with open(sys.argv[1], 'rb') as f:
	b = f.read()[o:o + n]
with open(sys.argv[2], 'wb') as f:
	f.write(b)
print(r[0]['certificate_sha1'])" "$1" "$2"
}

nw_der_sha() {	# PEM: the SHA-1 of the certificate's DER
	openssl x509 -in "$1" -outform DER 2>/dev/null | sha1sum | cut -c1-40
}

nw_verifies() {	# ITL: show itl verifies its signature
	"$SBDCTL" show itl "$1" >"$T/nw_show" 2>&1 &&
	    grep -qx 'The ITL file was verified successfully.' "$T/nw_show"
}

nw_tvs() {	# DEVICE: its TVS nodes, comma-separated
	"$SBDCTL" device show -d "$NW" --json "$1" 2>/dev/null |
	    python3 -c "import json,sys
print(','.join(json.load(sys.stdin)['tvs']))"
}

# Every certificate row of NODE (N of them) has both paths under
# nodes/NODE/, and the files are there.
nw_rows_ok() {	# NODE N
	[ "$(nw_q "SELECT count(*) FROM cert WHERE node = '$1'")" = "$2" ] ||
	    return 1
	for _p in $(nw_q "SELECT cert_path || ' ' || key_path FROM cert \
	    WHERE node = '$1'"); do
		case $_p in
		"nodes/$1/"*) [ -s "$NW/$_p" ] || return 1 ;;
		*) return 1 ;;
		esac
	done
}

# Does NODE's sbdd at ADDR PORT serve (into OUT) an ITL whose TFTP record
# is NODE's active CallManager in the store?
nw_serves() {	# ADDR PORT NODE OUT
	_cm=$(nw_sha "$3" CallManager)
	nw_get "$1" "$2" "$4" && [ -n "$_cm" ] &&
	    [ "$(nw_record "$4" TFTP)" = "$_cm" ]
}

nw_has_tvs() {	# ITL SHA1: ITL has a TVS record of that certificate
	case " $(nw_record "$1" TVS) " in
	*" $2 "*) return 0 ;;
	esac
	return 1
}

nw_store() {	# what the store says of the nodes and their certificates
	nw_gen
	nw_q 'SELECT id, node, role, cert_path, sha1, active FROM cert
	    ORDER BY id'
	nw_q 'SELECT * FROM node ORDER BY name'
	nw_q 'SELECT * FROM node_rename ORDER BY id'
}

nw_snapshot() {	# OUT: what a refused change must leave alone
	{
		nw_store
		(cd "$NW" && find nodes | sort)
	} >"$1"
}

make_node "$NW"
run "$SBDCTL" node add -d "$NW" --name sub --addr 127.0.0.2
expect_rc "network: node add sub on 127.0.0.2" 0
for nw_d in C1:sub,pub C2:pub,sub C3:pub; do
	run "$SBDCTL" device add -d "$NW" --mac "0011223344${nw_d%%:*}" \
	    --tvs "${nw_d#*:}"
	expect_rc "network: device add ${nw_d%%:*}" 0
done
cat >"$T/nw_hook.sh" <<EOF
cat >'$T/nw_names'
printf '%s\n' "\$SBD_RESET_REASON" >'$T/nw_reason'
EOF
run "$SBDCTL" param set -d "$NW" reset_hook "sh '$T/nw_hook.sh'"
expect_rc "network: param set reset_hook" 0

start_sbdd "$NW"
PUB_PID=$SBDD_PID
PUB_TFTP=$TFTP_PORT
nw_start sub sub "$T/nw_sub.log"
if [ -z "$PUB_TFTP" ] || [ -z "$NW_TFTP" ]; then
	nok "t_network: no sbdd to test"
	return
fi
SUB_TFTP=$NW_TFTP

# ---- usage and refusals: nothing changes ----------------------------------

nw_snapshot "$T/nw_snap0"
nw_usage="expected: set network hostname NAME or set network domain DOMAIN"
run "$SBDCTL" set network -d "$NW"
expect_rc "network: no operand: exit 2" 2
expect_err "network: no operand: the usage" "$nw_usage"
run "$SBDCTL" set network hostname -d "$NW"
expect_rc "network: hostname without NAME: exit 2" 2
expect_err "network: hostname without NAME: the usage" "$nw_usage"
run "$SBDCTL" set network hostnam subx -d "$NW"
expect_rc "network: unknown word: exit 2" 2
expect_err "network: unknown word: the usage" "$nw_usage"
run "$SBDCTL" set network hostname subx suby -d "$NW"
expect_rc "network: two names: exit 2" 2
run "$SBDCTL" set network hostname subx.example.com -d "$NW" --node sub \
    --yes
expect_rc "network: a host name with a dot: exit 2" 2
expect_err "network: a host name with a dot: the message" \
    "bad host name: subx.example.com"
run "$SBDCTL" set network hostname 'sub/x' -d "$NW" --node sub --yes
expect_rc "network: a host name with a slash: exit 2" 2
expect_err "network: a host name with a slash: the message" \
    "bad host name: sub/x"
run "$SBDCTL" set network domain 'example com' -d "$NW" --node sub --yes
expect_rc "network: a domain with a space: exit 2" 2
expect_err "network: a domain with a space: the message" \
    "bad domain: example com"
run "$SBDCTL" set network hostname sub -d "$NW" --node sub --yes
expect_rc "network: the same host name: exit 1" 1
expect_err "network: the same host name: the message" \
    "node sub: the host name is sub already"
run "$SBDCTL" set network hostname pub -d "$NW" --node sub --yes
expect_rc "network: another node's name: exit 1" 1
expect_err "network: another node's name: the message" \
    "node pub: already in the cluster"
mkdir "$NW/nodes/subx"
run "$SBDCTL" set network hostname subx -d "$NW" --node sub --yes
expect_rc "network: nodes/NEW exists: exit 1" 1
expect_err "network: nodes/NEW exists: the message names it" \
    "$NW/nodes/subx: exists; remove it or choose another host name"
rmdir "$NW/nodes/subx"
run "$SBDCTL" set network hostname subx -d "$NW" --node nosuch --yes
expect_rc "network: unknown --node: exit 1" 1
expect_err "network: unknown --node: the message" \
    "sbdctl: node nosuch: not in the cluster"
nw_snapshot "$T/nw_snap1"
printf 'no\n' >"$T/nw_no"
run "$SBDCTL" set network hostname subx -d "$NW" --node sub <"$T/nw_no"
expect_rc "network: answering no: exit 1" 1
expect_out "network: answering no: the prompt" \
    "Proceed with the host name change (yes|no)? no"
expect_out "network: answering no: cancelled" \
    "The host name change was cancelled."
nw_snapshot "$T/nw_snap2"
expect_same "network: answering no: store, files and pki unchanged" \
    "$T/nw_snap1" "$T/nw_snap2"
run "$SBDCTL" set network domain example.com -d "$NW" --node sub \
    </dev/null
expect_rc "network: no answer to the domain prompt: exit 1" 1
expect_out "network: no answer: cancelled" "The domain change was cancelled."
nw_snapshot "$T/nw_snap3"
expect_same "network: the refusals changed nothing at all" \
    "$T/nw_snap0" "$T/nw_snap3"

# ---- host name of a subscriber whose sbdd runs ----------------------------

nw_get 127.0.0.2 "$SUB_TFTP" "$T/nw_s0.tlv"
nw_cm0=$(nw_sha sub CallManager)
nw_tvs0=$(nw_sha sub TVS)
nw_mark=$(nw_lines "$SUB_LOG")
run "$SBDCTL" set network hostname subnew -d "$NW" --node sub --yes \
    </dev/null
expect_rc "hostname sub -> subnew with sbdd running: exit 0" 0
expect_out "hostname: the node is renamed" "Node sub is now subnew."
expect_out "hostname: subnew serves the new certificates" \
    "Node subnew serves the new certificates."
expect_out "hostname: pub serves them too" \
    "Node pub serves the new certificates."
expect_out "hostname: the phones were reset" "Reset sent to 3 devices."
nw_cm1=$(nw_sha subnew CallManager)
nw_tvs1=$(nw_sha subnew TVS)
expect_true "hostname: a new CallManager and TVS in the store" \
    test -n "$nw_cm1" -a -n "$nw_tvs1" -a "$nw_cm1" != "$nw_cm0" \
    -a "$nw_tvs1" != "$nw_tvs0"
expect_true "hostname: sbdd logs the restart under the new name" \
    wait_until 10 nw_since "$SUB_LOG" "$nw_mark" \
    "sbdd[sub]: node sub is now subnew: starting again"
expect_true "hostname: sbdd is ready as subnew" \
    nw_ready subnew "$SUB_LOG" "$nw_mark"
SUB_TFTP=$NW_TFTP
expect_true "hostname: the same pid runs it" alive "$SUB_PID"
# Executed again from its own path, so ps and pgrep still see sbdd.
expect_true "hostname: its process is still called sbdd" \
    grep -qx sbdd "/proc/$SUB_PID/comm"
expect_true "hostname: its sbdd.pid is under nodes/subnew/run" \
    grep -qx "$SUB_PID" "$NW/nodes/subnew/run/sbdd.pid"
expect_true "hostname: its node state names subnew with that pid" \
    test "$(nw_q "SELECT pid FROM node_state WHERE node = 'subnew'")" \
    = "$SUB_PID"
expect_true "hostname: nodes/sub is gone" test ! -e "$NW/nodes/sub"
expect_true "hostname: the rename record is marked moved" \
    test "$(nw_moved)" = 1
run "$SBDCTL" node list -d "$NW"
expect_true "hostname: node list shows subnew, not sub" \
    sh -c "grep -q '^subnew ' '$T/out' && ! grep -q '^sub ' '$T/out'"
expect_true "hostname: every cert row of subnew is under nodes/subnew/" \
    nw_rows_ok subnew 5
expect_true "hostname: no cert row names sub or its directory" \
    test "$(nw_q "SELECT count(*) FROM cert WHERE node = 'sub' OR \
    cert_path LIKE 'nodes/sub/%' OR key_path LIKE 'nodes/sub/%'")" = 0
expect_true "hostname: the new CallManager certificate is CN=subnew" \
    test "$(nw_subject subnew CallManager)" = CN=subnew
expect_true "hostname: the new TVS certificate is CN=subnew" \
    test "$(nw_subject subnew TVS)" = CN=subnew
expect_true "hostname: SEP0011223344C1's TVS list follows" \
    test "$(nw_tvs SEP0011223344C1)" = subnew,pub
expect_true "hostname: SEP0011223344C2's TVS list follows" \
    test "$(nw_tvs SEP0011223344C2)" = pub,subnew
expect_true "hostname: SEP0011223344C3's TVS list is untouched" \
    test "$(nw_tvs SEP0011223344C3)" = pub
expect_true "hostname: subnew serves an ITL over TFTP" \
    nw_get 127.0.0.2 "$SUB_TFTP" "$T/nw_s1.tlv"
expect_true "hostname: show itl verifies it" nw_verifies "$T/nw_s1.tlv"
expect_true "hostname: its TFTP record is the new CallManager" \
    test "$(nw_record "$T/nw_s1.tlv" TFTP)" = "$nw_cm1"
expect_true "hostname: pub serves an ITL" \
    nw_get 127.0.0.1 "$PUB_TFTP" "$T/nw_p1.tlv"
expect_true "hostname: pub's ITL holds subnew's new TVS" \
    nw_has_tvs "$T/nw_p1.tlv" "$nw_tvs1"
expect_true "hostname: ... and not the old one" \
    test -n "$nw_tvs0" -a -s "$T/nw_p1.tlv" -a \
    "$(nw_has_tvs "$T/nw_p1.tlv" "$nw_tvs0"; echo $?)" = 1
run sqlite3 -readonly "$NWDB" "SELECT detail FROM audit
    WHERE action = 'set network hostname'"
expect_true "hostname: the audit entry names the change and certificates" \
    grep -qx "node sub is now subnew; CallManager $nw_cm1 TVS $nw_tvs1" \
    "$T/out"
printf 'SEP0011223344C1\nSEP0011223344C2\nSEP0011223344C3\n' >"$T/nw_want"
expect_same "hostname: the reset hook got every device" \
    "$T/nw_want" "$T/nw_names"
expect_true "hostname: the hook's reason" \
    grep -qx 'hostname change' "$T/nw_reason"

# ---- domain of the subscriber -------------------------------------------

nw_recovery "$T/nw_s1.tlv" "$T/nw_rec_s1" >/dev/null
nw_rs0=$(nw_sha pub ITLRecovery)
nw_rr0=$(nw_sha subnew ITLRecovery)
nw_mark=$(nw_lines "$SUB_LOG")
run "$SBDCTL" set network domain example.com -d "$NW" --node subnew --yes \
    </dev/null
expect_rc "domain subnew -> example.com: exit 0" 0
expect_out "domain: the text" "The domain of node subnew is now example.com."
expect_out "domain: subnew serves the new certificates" \
    "Node subnew serves the new certificates."
expect_true "domain: the new CallManager is CN=subnew.example.com" \
    test "$(nw_subject subnew CallManager)" = CN=subnew.example.com
expect_true "domain: the new TVS is CN=subnew.example.com" \
    test "$(nw_subject subnew TVS)" = CN=subnew.example.com
expect_true "domain: the node directory stays nodes/subnew" \
    test "$(cd "$NW/nodes" && echo *)" = "pub subnew"
expect_true "domain: no rename is recorded" \
    test "$(nw_q 'SELECT count(*) FROM node_rename')" = 1
expect_true "domain: sbdd did not start again" \
    sh -c "! tail -n +$((nw_mark + 1)) '$SUB_LOG' | grep -q 'starting again'"
expect_true "domain: the ITLRecovery certificates stay in the store" \
    test "$(nw_sha pub ITLRecovery)" = "$nw_rs0" -a \
    "$(nw_sha subnew ITLRecovery)" = "$nw_rr0"
expect_true "domain: subnew serves the new CallManager" \
    nw_serves 127.0.0.2 "$SUB_TFTP" subnew "$T/nw_s2.tlv"
nw_recovery "$T/nw_s2.tlv" "$T/nw_rec_s2" >/dev/null
expect_same "domain: the served ITLRecovery record is unchanged" \
    "$T/nw_rec_s1" "$T/nw_rec_s2"
run "$SBDCTL" node list -d "$NW" --json
expect_true "domain: node list --json shows it" \
    python3 -c "import json,sys
n = [n for n in json.load(open(sys.argv[1])) if n['name'] == 'subnew']
sys.exit(not (len(n) == 1 and n[0]['domain'] == 'example.com'))" "$T/out"
expect_true "domain: the hook's reason" grep -qx 'domain change' "$T/nw_reason"
nw_snapshot "$T/nw_snap4"
run "$SBDCTL" set network domain example.com -d "$NW" --node subnew --yes
expect_rc "domain: the same domain again: exit 1" 1
expect_err "domain: the same domain: the message" \
    "node subnew: the domain is example.com already"
nw_snapshot "$T/nw_snap5"
expect_same "domain: the same domain changed nothing" \
    "$T/nw_snap4" "$T/nw_snap5"

# ---- host name of the publisher -------------------------------------------

nw_get 127.0.0.1 "$PUB_TFTP" "$T/nw_p2.tlv"
nw_get 127.0.0.2 "$SUB_TFTP" "$T/nw_s3.tlv"
nw_rec_sha=$(nw_der_sha "$NW/nodes/pub/pki/ITLRecovery.pem")
nw_recovery "$T/nw_p2.tlv" "$T/nw_rec_p2" >/dev/null
nw_recovery "$T/nw_s3.tlv" "$T/nw_rec_s3" >/dev/null
cp "$NW/nodes/pub/pki/ITLRecovery.p12" "$T/nw_p12"
nw_mark=$(nw_lines "$SBDD_LOG")
run "$SBDCTL" set network hostname pubnew -d "$NW" --yes </dev/null
expect_rc "hostname pub -> pubnew (the publisher): exit 0" 0
expect_out "publisher: renamed" "Node pub is now pubnew."
expect_out "publisher: a new CAPF too" "New CAPF certificate for pubnew"
expect_true "publisher: sbdd starts again as pubnew" \
    wait_until 10 nw_since "$SBDD_LOG" "$nw_mark" \
    "sbdd[pub]: node pub is now pubnew: starting again"
expect_true "publisher: sbdd is ready as pubnew" \
    nw_ready pubnew "$SBDD_LOG" "$nw_mark"
PUB_TFTP=$NW_TFTP
expect_true "publisher: the same pid" grep -qx "$PUB_PID" \
    "$NW/nodes/pubnew/run/sbdd.pid"
expect_true "publisher: nodes/pub is gone" test ! -e "$NW/nodes/pub"
expect_true "publisher: ITLRecovery.p12 is at nodes/pubnew/pki/" \
    cmp -s "$T/nw_p12" "$NW/nodes/pubnew/pki/ITLRecovery.p12"
expect_true "publisher: the store's ITLRecovery is the one before" \
    test "$(nw_sha pubnew ITLRecovery)" = "$nw_rec_sha"
expect_true "publisher: the new CallManager is CN=pubnew" \
    test "$(nw_subject pubnew CallManager)" = CN=pubnew
expect_true "publisher: pubnew serves an ITL" \
    nw_get 127.0.0.1 "$PUB_TFTP" "$T/nw_p3.tlv"
expect_true "publisher: it verifies" nw_verifies "$T/nw_p3.tlv"
expect_true "publisher: its TFTP record is the new CallManager" \
    test "$(nw_record "$T/nw_p3.tlv" TFTP)" = \
    "$(nw_sha pubnew CallManager)"
expect_true "publisher: its ITLRecovery record is the certificate before" \
    test "$(nw_recovery "$T/nw_p3.tlv" "$T/nw_rec_p3")" = "$nw_rec_sha"
expect_same "publisher: ... byte for byte the record before" \
    "$T/nw_rec_p2" "$T/nw_rec_p3"
nw_s4() {
	nw_get 127.0.0.2 "$SUB_TFTP" "$T/nw_s4.tlv" &&
	    echo " $(nw_record "$T/nw_s4.tlv" TVS) " |
	    grep -q " $(nw_sha pubnew TVS) "
}
expect_true "publisher: subnew's ITL holds pubnew's new TVS" nw_s4
expect_true "publisher: subnew's ITLRecovery record is the certificate" \
    test "$(nw_recovery "$T/nw_s4.tlv" "$T/nw_rec_s4")" = "$nw_rec_sha"
expect_same "publisher: ... byte for byte the record before" \
    "$T/nw_rec_s3" "$T/nw_rec_s4"
run "$SBDCTL" utils itl reset localkey -d "$NW" --password-env NW_PW \
    --wait 10
expect_rc "publisher: utils itl reset localkey afterwards: exit 0" 0
expect_out "publisher: itl reset: the renamed nodes" "['pubnew', 'subnew']"
expect_out "publisher: itl reset: pubnew restarted" \
    "Cisco Tftp service restarted on host pubnew"
nw_by_recovery() {
	nw_get 127.0.0.1 "$PUB_TFTP" "$T/nw_p4.tlv" &&
	    "$SBDCTL" show itl "$T/nw_p4.tlv" >"$T/nw_show" 2>&1 &&
	    awk '/^ITL Record #:/ { rec = 0 }
	    /SUBJECTNAME.*CN=ITLRECOVERY_pub/ { rec = 1 }
	    rec && /^This etoken was used to sign the ITL file\.$/ { f = 1 }
	    END { exit !f }' "$T/nw_show" &&
	    grep -qx 'The ITL file was verified successfully.' "$T/nw_show"
}
expect_true "publisher: the reset ITL is signed by ITLRecovery" \
    nw_by_recovery

# ---- an sbdd started under the old name -----------------------------------

nw_stop subnew
nw_start sub subnew "$T/nw_old.log"
expect_true "old name: sbdd says whom it follows" \
    grep -qx 'sbdd: node sub is now subnew' "$T/nw_old.log"
expect_true "old name: it serves subnew's ITL" \
    nw_serves 127.0.0.2 "$NW_TFTP" subnew "$T/nw_s5.tlv"
nw_stop subnew

# ---- roll-forward of an interrupted move ----------------------------------

run "$SBDCTL" set network hostname subroll -d "$NW" --node subnew --yes \
    --wait 5 </dev/null
expect_rc "roll-forward: subnew -> subroll without its sbdd: exit 0" 0
if nw_unmove subnew subroll; then
	nw_start subroll subroll "$T/nw_roll.log"
	expect_true "roll-forward: sbdd finished the move" \
	    test -d "$NW/nodes/subroll/pki" -a ! -e "$NW/nodes/subnew"
	expect_true "roll-forward: ... and marked it moved" \
	    test "$(nw_moved)" = 1
	expect_true "roll-forward: it serves subroll's ITL" \
	    nw_serves 127.0.0.2 "$NW_TFTP" subroll "$T/nw_r0.tlv"
	nw_stop subroll
else
	nok "roll-forward: could not set up the interrupted move"
fi
if nw_unmove subnew subroll; then
	run "$SBDCTL" set network domain example.org -d "$NW" \
	    --node subroll --yes --wait 5 </dev/null
	expect_rc "roll-forward: the next set network settles first: exit 0" 0
	expect_true "roll-forward: sbdctl finished the move" \
	    test -d "$NW/nodes/subroll/pki" -a ! -e "$NW/nodes/subnew"
	expect_true "roll-forward: ... and marked it moved" \
	    test "$(nw_moved)" = 1
	expect_true "roll-forward: the new certificate is in nodes/subroll" \
	    test -s "$(nw_path subroll CallManager)" -a \
	    "$(nw_subject subroll CallManager)" = CN=subroll.example.org
else
	nok "roll-forward: could not set up the interrupted move again"
fi
# Both directories: the move would lose one.  (The directory first: the
# running pubnew settles as soon as the record says a move is owed.)
mkdir "$NW/nodes/subnew"
sqlite3 "$NWDB" "UPDATE node_rename SET moved = 0 \
    WHERE id = (SELECT max(id) FROM node_rename)"
run timeout 10 "$SBDD" -d "$NW" -n subroll -f -o tftp_port=0 \
    -o http_port=0 -o tvs_port=0
expect_true "both directories: sbdd refuses to start" \
    test "$rc" != 0 -a "$rc" != 124
expect_err "both directories: the message names the data directory" \
    "sbdd: $NW/nodes: cannot finish a node rename: its new directory \
exists and is not empty"
run "$SBDCTL" set network domain example.net -d "$NW" --node subroll --yes
expect_rc "both directories: set network refuses: exit 1" 1
expect_err "both directories: sbdctl's message" \
    "$NW/nodes: cannot finish an earlier rename: its new directory \
exists and is not empty"
expect_true "both directories: neither was touched" \
    test -d "$NW/nodes/subnew" -a -s "$(nw_path subroll CallManager)" -a \
    "$(nw_moved)" = 0
rmdir "$NW/nodes/subnew"

# ---- kill -9 before the commit --------------------------------------------

nw_start subroll subroll "$T/nw_k.log"
expect_true "kill -9: sbdd settles a move whose old directory is gone" \
    test "$(nw_moved)" = 1
nw_get 127.0.0.2 "$NW_TFTP" "$T/nw_k0.tlv"
nw_store >"$T/nw_store0"
nw_gen0=$(nw_gen)
nw_pki0=$(find "$NW/nodes/subroll/pki" -type f | wc -l)
rm -f "$T/nw_locked" "$T/nw_release"
# The store's write lock, held until nw_release appears (at most 8 s).
{
	echo 'BEGIN IMMEDIATE;'
	echo ".system touch '$T/nw_locked'"
	nw_n=0
	while [ ! -e "$T/nw_release" ] && [ $nw_n -lt 80 ]; do
		sleep 0.1
		nw_n=$((nw_n + 1))
	done
	echo 'ROLLBACK;'
} | timeout 10 sqlite3 "$NWDB" >/dev/null 2>&1 &
nw_lock=$!
track "$nw_lock"
wait_until 5 test -e "$T/nw_locked"
"$SBDCTL" set network hostname subkill -d "$NW" --node subroll --yes \
    </dev/null >"$T/nw_kill_a.out" 2>&1 &
nw_ctl=$!
track "$nw_ctl"
nw_pki_new() {
	[ "$(find "$NW/nodes/subroll/pki" -type f | wc -l)" -ge \
	    $((nw_pki0 + 2)) ]
}
expect_true "kill -9 before the commit: the new files were written" \
    wait_until 10 nw_pki_new
sleep 0.3
expect_true "kill -9 before the commit: sbdctl waits for the lock" \
    alive "$nw_ctl"
kill -KILL "$nw_ctl" 2>/dev/null
wait "$nw_ctl" 2>/dev/null
touch "$T/nw_release"
wait "$nw_lock" 2>/dev/null
expect_true "kill -9 before the commit: no node subkill" \
    test "$(nw_q "SELECT count(*) FROM node WHERE name = 'subkill'")" = 0 \
    -a ! -e "$NW/nodes/subkill"
expect_true "kill -9 before the commit: the generation is unchanged" \
    test "$(nw_gen)" = "$nw_gen0"
# One tick of sbdd (1 s) for a change it should not find.
sleep 1.2
expect_true "kill -9 before the commit: sbdd runs on" alive "$SUB_PID"
expect_true "kill -9 before the commit: it serves an ITL" \
    nw_get 127.0.0.2 "$NW_TFTP" "$T/nw_k1.tlv"
expect_same "kill -9 before the commit: the same ITL byte for byte" \
    "$T/nw_k0.tlv" "$T/nw_k1.tlv"
nw_store >"$T/nw_store1"
expect_same "kill -9 before the commit: the store is as before" \
    "$T/nw_store0" "$T/nw_store1"

# ---- kill -9 after the commit, while the reset hook runs ----------------

run "$SBDCTL" param set -d "$NW" reset_hook \
    "echo \$\$ >'$T/nw_hook_pid'; exec sleep 20"
expect_rc "kill -9: param set a slow hook" 0
rm -f "$T/nw_hook_pid"
nw_mark=$(nw_lines "$SUB_LOG")
"$SBDCTL" set network hostname subkill -d "$NW" --node subroll --yes \
    --hook-timeout 30 </dev/null >"$T/nw_kill_b.out" 2>&1 &
nw_ctl=$!
track "$nw_ctl"
wait_until 15 test -s "$T/nw_hook_pid"
track "$(cat "$T/nw_hook_pid" 2>/dev/null)"
kill -KILL "$nw_ctl" 2>/dev/null
wait "$nw_ctl" 2>/dev/null
expect_true "kill -9 after the commit: the hook was running" \
    test -s "$T/nw_hook_pid"
expect_true "kill -9 after the commit: the store names subkill" \
    test "$(nw_q "SELECT name FROM node WHERE name LIKE 'sub%'")" = subkill
expect_true "kill -9 after the commit: nodes/subkill, not nodes/subroll" \
    test -d "$NW/nodes/subkill/pki" -a ! -e "$NW/nodes/subroll"
expect_true "kill -9 after the commit: the record is marked moved" \
    test "$(nw_moved)" = 1
expect_true "kill -9 after the commit: sbdd runs as subkill" \
    nw_ready subkill "$SUB_LOG" "$nw_mark"
expect_true "kill -9 after the commit: the same pid" \
    grep -qx "$SUB_PID" "$NW/nodes/subkill/run/sbdd.pid"
expect_true "kill -9 after the commit: it serves the store's CallManager" \
    nw_serves 127.0.0.2 "$NW_TFTP" subkill "$T/nw_k2.tlv"
expect_true "kill -9 after the commit: that certificate's file is there" \
    test -s "$(nw_path subkill CallManager)"
expect_true "kill -9 after the commit: it names the host in its domain" \
    test "$(nw_subject subkill CallManager)" = CN=subkill.example.org
kill -KILL "$(cat "$T/nw_hook_pid" 2>/dev/null)" 2>/dev/null
nw_stop subkill

# ---- any running node finishes a move; renamed back; more refusals --------

# subkill's sbdd is stopped, pubnew's runs: it finishes the interrupted
# move of subkill's rename within a second, and serves subheal's TVS.
# (A TFTP restart first ends the reset ITL of utils itl reset above.)
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$NW" --node pubnew \
    --wait 10
expect_rc "heal: pubnew's TFTP restarted: exit 0" 0
run "$SBDCTL" set network hostname subheal -d "$NW" --node subkill --yes \
    --wait 10 </dev/null
expect_rc "heal: set network hostname subheal: exit 0" 0
nw_healed() {
	test -d "$NW/nodes/subheal/pki" -a ! -e "$NW/nodes/subkill" -a \
	    "$(nw_moved)" = 1
}
nw_p5() {
	nw_get 127.0.0.1 "$PUB_TFTP" "$T/nw_p5.tlv" &&
	    echo " $(nw_record "$T/nw_p5.tlv" TVS) " |
	    grep -q " $(nw_sha subheal TVS) "
}
if nw_unmove subkill subheal; then
	expect_true "heal: the running pubnew finishes the move" \
	    wait_until 5 nw_healed
	expect_true "heal: pubnew serves subheal's new TVS certificate" \
	    wait_until 5 nw_p5
else
	nok "heal: could not set up the interrupted move"
fi

# Renamed and renamed back: the sbdd follows both ways.
nw_start subheal subheal "$T/nw_back.log"
nw_mark=$(nw_lines "$SUB_LOG")
run "$SBDCTL" set network hostname subback -d "$NW" --node subheal --yes \
    --wait 10 </dev/null
expect_rc "back: subheal to subback: exit 0" 0
expect_true "back: sbdd runs as subback" \
    nw_ready subback "$SUB_LOG" "$nw_mark"
nw_mark=$(nw_lines "$SUB_LOG")
run "$SBDCTL" set network hostname subheal -d "$NW" --node subback --yes \
    --wait 10 </dev/null
expect_rc "back: subback to subheal again: exit 0" 0
expect_true "back: sbdd follows back to subheal" \
    nw_ready subheal "$SUB_LOG" "$nw_mark"
expect_true "back: the same pid" \
    grep -qx "$SUB_PID" "$NW/nodes/subheal/run/sbdd.pid"
expect_true "back: it serves subheal's CallManager" \
    nw_serves 127.0.0.2 "$NW_TFTP" subheal "$T/nw_b.tlv"
run "$SBDCTL" show itl -d "$NW" --node subkill
expect_rc "back: --node with an old name: exit 1" 1
expect_err "back: ... says what the node is called now" \
    "node subkill: not in the cluster (renamed subheal)"

# DNS ignores case; a CN holds 64 characters.  Refused before the prompt.
run "$SBDCTL" set network hostname PUBNEW -d "$NW" --node subheal --yes
expect_rc "refused: a name that differs in case only: exit 1" 1
expect_err "refused: ... names the node" \
    "node PUBNEW: already in the cluster as pubnew"
nw_long=abcdefghij.abcdefghij.abcdefghij.abcdefghij.abcdefghij.example
run "$SBDCTL" set network domain "$nw_long" -d "$NW" --node subheal --yes
expect_rc "refused: an FQDN over 64 characters: exit 1" 1
expect_err "refused: ... says why" \
    "subheal.$nw_long: longer than the 64 characters of a certificate's CN"
nw_no_prompt() { ! grep -q Proceed "$T/out"; }
expect_true "refused: ... before the prompt" nw_no_prompt

# Another node's move that cannot be finished stops no other sbdd.
mkdir -p "$NW/nodes/ghost/pki" "$NW/nodes/ghost2/pki"
sqlite3 "$NWDB" "INSERT INTO node_rename (old, new, at) \
    VALUES ('ghost', 'ghost2', 0)"
nw_stop subheal
nw_start subheal subheal "$T/nw_ghost.log"
expect_true "ghost: sbdd says which move waits" grep -qF \
    "cannot finish a node rename: its new directory exists and is not empty" \
    "$T/nw_ghost.log"
nw_stop subheal
stop_sbdd "network: sbdd pubnew exits 0 on SIGTERM"
