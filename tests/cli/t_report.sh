# report itl, plan cert regen and alarm list on a store prepared by hand
# (no daemons): ITLs built with `sbdctl build itl` from the nodes' own
# certificates go into itl_seen, devices get reported or served SHA-1s,
# nodes get a state.  Then utils itl reset localkey: refused on a
# subscriber and with a key that is not the ITL's, done with the right
# one.  Sourced by run.sh.

D=$T/rep
PUB=$D/nodes/pub/pki
SUB=$D/nodes/sub/pki
printf 'report-pw-1\n' >"$T/pw"

run "$SBDCTL" cluster init -d "$D" --name rep --node pub \
    --password-file "$T/pw"
expect_rc "report: cluster init" 0
run "$SBDCTL" node add -d "$D" --name sub --addr 127.0.0.2
expect_rc "report: node add sub" 0

# The ITL each node serves (SPEC.md "The ITL": signer, TFTP, CAPF, own
# TVS, ITLRecovery, other TVS), one made with an ITLRecovery certificate
# the cluster has since replaced, and the empty rollback ITL.
rep_q() {	# SQL: run it on the store
	sqlite3 "$D/store.db" "$1"
}
rep_eq() {	# NAME GOT WANT
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		nok "$1 (got '$2', want '$3')"
	fi
}
rep_itl() {	# OUT NODE OTHER RECOVERY.pem
	"$SBDCTL" build itl -o "$1" --signer "$D/nodes/$2/pki/CallManager.pem" \
	    --record "TFTP:$D/nodes/$2/pki/CallManager.pem" \
	    --record "CAPF:$PUB/CAPF.pem" \
	    --record "TVS:$D/nodes/$2/pki/TVS.pem" \
	    --record "SAST:$4" \
	    --record "TVS:$D/nodes/$3/pki/TVS.pem" >/dev/null
}
run "$SBDCTL" cert create --role itlrecovery --host pub -o "$T/oldrec.pem"
expect_rc "report: an ITLRecovery certificate of the past" 0
rep_itl "$T/pub.tlv" pub sub "$PUB/ITLRecovery.pem"
rep_itl "$T/sub.tlv" sub pub "$PUB/ITLRecovery.pem"
rep_itl "$T/old.tlv" pub sub "$T/oldrec.pem"
run "$SBDCTL" build itl -o "$T/rb.tlv" --signer "$PUB/CallManager.pem" \
    --rollback --no-signer-record
expect_rc "report: a rollback ITL" 0
expect_true "report: the ITLs exist" \
    test -s "$T/pub.tlv" -a -s "$T/sub.tlv" -a -s "$T/old.tlv" \
    -a -s "$T/rb.tlv"
rep_sha() { sha1sum "$1" | cut -d' ' -f1; }
S_PUB=$(rep_sha "$T/pub.tlv")
S_SUB=$(rep_sha "$T/sub.tlv")
S_OLD=$(rep_sha "$T/old.tlv")
S_RB=$(rep_sha "$T/rb.tlv")
S_UNK=0123456789abcdef0123456789abcdef01234567
for f in pub sub old rb; do
	rep_q "INSERT INTO itl_seen (sha1, node, der, first_at) VALUES
	    ('$(rep_sha "$T/$f.tlv")', 'pub', readfile('$T/$f.tlv'), 0)" ||
	    nok "report: itl_seen row for $f.tlv"
done
rep_q "INSERT INTO node_state VALUES ('pub', 0, 1, 1, '$S_PUB',
    'CallManager', 0); INSERT INTO node_state VALUES ('sub', 0, 1, 1,
    '$S_SUB', 'CallManager', 0)"

# One device per verdict: current (reported), current on sub (served), old
# ITLRecovery, none, unknown SHA-1, rollback; and one with two TVS nodes.
for m in 01 02 03 04 05 06; do
	run "$SBDCTL" device add -d "$D" --mac "00AA000000$m" --tvs pub
	expect_rc "report: device $m" 0
done
run "$SBDCTL" device add -d "$D" --mac 00AA00000007 --tvs pub,sub
expect_rc "report: device 07 with TVS pub,sub" 0
rep_q "UPDATE device SET reported_sha1 = '$S_PUB' WHERE mac = '00AA00000001';
    UPDATE device SET served_itl_sha1 = '$S_SUB' WHERE mac = '00AA00000002';
    UPDATE device SET reported_sha1 = '$S_OLD',
        served_itl_sha1 = '$S_PUB' WHERE mac = '00AA00000003';
    UPDATE device SET reported_sha1 = '$S_UNK' WHERE mac = '00AA00000005';
    UPDATE device SET served_itl_sha1 = '$S_RB' WHERE mac = '00AA00000006';
    UPDATE device SET reported_sha1 = '$S_PUB' WHERE mac = '00AA00000007'"

# ---- report itl
rep_row() {	# DEVICE: the device's line of the last output
	grep "^SEP$1 " "$T/out"
}
rep_expect_row() {	# NAME DEVICE REGEX
	if rep_row "$2" | grep -Eq -- "$3"; then
		ok "$1"
	else
		nok "$1 (want /$3/, got: $(rep_row "$2"))"
	fi
}
run "$SBDCTL" report itl -d "$D"
expect_rc "report itl: exit 0" 0
rep_expect_row "report itl: the current ITL, reported: saved" 00AA00000001 \
    "$S_PUB \(reported\) +yes +yes +yes$"
rep_expect_row "report itl: sub's current ITL, served: saved" 00AA00000002 \
    "$S_SUB \(served\) +yes +yes +yes$"
rep_expect_row "report itl: an ITL before ITLRecovery changed: not saved" \
    00AA00000003 "$S_OLD \(reported\) +no +no +no$"
rep_expect_row "report itl: no ITL: saved (trust on first use)" 00AA00000004 \
    " - +no +- +yes$"
rep_expect_row "report itl: an SHA-1 no node served: unknown" 00AA00000005 \
    "$S_UNK \(reported\) +no +- +unknown$"
rep_expect_row "report itl: the rollback ITL: saved" 00AA00000006 \
    "$S_RB \(served\) +no +no +yes$"
expect_out "report itl: what pub serves" "pub serves $S_PUB (CallManager)"
expect_out "report itl: what sub serves" "sub serves $S_SUB (CallManager)"
expect_out "report itl: the summary" \
    "7 devices: 5 saved by utils itl reset, 1 not saved, 1 unknown"
run "$SBDCTL" report itl -d "$D" --json
expect_rc "report itl --json: exit 0" 0
expect_true "report itl --json: parses, with the same counts" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
d = {x["device"]: x for x in r["devices"]}
assert (r["saved"], r["not_saved"], r["unknown"]) == (5, 1, 1)
assert d["SEP00AA00000003"]["saved"] == "no"
assert d["SEP00AA00000003"]["itlrecovery"] is False
assert d["SEP00AA00000004"]["held"] is None
assert d["SEP00AA00000002"]["source"] == "served"
assert d["SEP00AA00000001"]["current"] is True
assert [n["node"] for n in r["nodes"]] == ["pub", "sub"]
' "$T/out"

# ---- plan cert regen
run "$SBDCTL" plan cert regen CallManager -d "$D"
expect_rc "plan CallManager: exit 0" 0
rep_expect_row "plan CallManager: pub's ITL: TVS on pub vouches" 00AA00000001 \
    "keeps trust: TVS on pub$"
rep_expect_row "plan CallManager: sub's ITL: its signer does not change" \
    00AA00000002 "keeps trust: signer in ITL$"
rep_expect_row "plan CallManager: no ITL: trust on first use" 00AA00000004 \
    "keeps trust: trust on first use$"
rep_expect_row "plan CallManager: unknown SHA-1: unknown" 00AA00000005 \
    "unknown: "
rep_expect_row "plan CallManager: the rollback ITL trusts anything" \
    00AA00000006 "keeps trust: trust on first use$"
expect_out "plan CallManager: the summary" \
    "7 devices: 6 keep trust, 0 would lose it, 1 unknown"
run "$SBDCTL" plan cert regen CallManager,TVS -d "$D"
expect_rc "plan CallManager,TVS: exit 0" 0
rep_expect_row "plan CallManager,TVS: TVS pub only: locked" 00AA00000001 \
    "loses trust: Trust List Update Failed$"
rep_expect_row "plan CallManager,TVS: TVS pub,sub: sub vouches" 00AA00000007 \
    "keeps trust: TVS on sub$"
rep_expect_row "plan CallManager,TVS: another node's ITL keeps its signer" \
    00AA00000002 "keeps trust: signer in ITL$"
expect_out "plan CallManager,TVS: the summary" \
    "7 devices: 4 keep trust, 2 would lose it, 1 unknown"
run "$SBDCTL" plan cert regen tvs -d "$D"
expect_rc "plan TVS: exit 0" 0
rep_expect_row "plan TVS: the signer stays in the ITL" 00AA00000001 \
    "keeps trust: signer in ITL$"
expect_out "plan TVS: nobody loses" \
    "7 devices: 6 keep trust, 0 would lose it, 1 unknown"
run "$SBDCTL" plan cert regen CallManager,TVS --node sub -d "$D"
rep_expect_row "plan on sub: pub's ITL keeps its signer" 00AA00000001 \
    "keeps trust: signer in ITL$"
rep_expect_row "plan on sub: sub's ITL with TVS pub: TVS on pub" 00AA00000002 \
    "keeps trust: TVS on pub$"
run "$SBDCTL" plan cert regen CAPF -d "$D"
expect_out "plan CAPF: says it changes nothing phones check at boot" \
    "CAPF does not change what phones trust at boot"
expect_out "plan CAPF: every device keeps trust" \
    "7 devices: 7 keep trust, 0 would lose it, 0 unknown"
run "$SBDCTL" plan cert regen CallManager,TVS -d "$D" --json
expect_true "plan --json: parses, with the same counts" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
d = {x["device"]: x for x in r["devices"]}
assert (r["keep"], r["lose"], r["unknown"]) == (4, 2, 1)
assert r["roles"] == ["CallManager", "TVS"] and r["node"] == "pub"
assert d["SEP00AA00000001"]["verdict"] == "loses"
assert d["SEP00AA00000007"]["why"] == "TVS on sub"
' "$T/out"
run "$SBDCTL" plan cert regen Tomcat -d "$D"
expect_rc "plan: an unknown role is a usage error" 2
expect_err "plan: ... named" "unknown role: Tomcat"
run "$SBDCTL" plan cert regen CallManager --node nosuch -d "$D"
expect_rc "plan: an unknown node fails" 1
expect_err "plan: ... named" "node nosuch: not in the cluster"
rep_eq "plan: changed nothing (the last audit entry is device 07's)" \
    "$(rep_q 'SELECT action FROM audit ORDER BY id DESC LIMIT 1')" \
    "device add"

# ---- alarm list
run "$SBDCTL" alarm list -d "$D"
expect_rc "alarm list: empty store: exit 0" 0
rep_eq "alarm list: empty store: the header only" "$(cat "$T/out")" \
    "TIME                 NODE            TEXT"
rep_q "INSERT INTO alarm (at, node, name, severity, text) VALUES
    (86400, 'pub', 'ITLRecoveryCertBackup', 4, 'first text'),
    (172800, 'pub', 'ITLRecoveryCertBackup', 4, 'second text'),
    (1700000000, 'sub', 'Other', 3, 'third text')"
run "$SBDCTL" alarm list -d "$D"
expect_out "alarm list: ISO-8601 UTC time, node, text" \
    "1970-01-02T00:00:00Z pub             first text"
rep_eq "alarm list: oldest first" "$(sed -n '2s/ .*//p;4s/ .*//p' \
    "$T/out" | tr '\n' ' ')" "1970-01-02T00:00:00Z 2023-11-14T22:13:20Z "
run "$SBDCTL" alarm list -d "$D" --max 2 --json
expect_true "alarm list --max 2 --json: the newest two, oldest first" \
    python3 -c '
import json, sys
a = json.load(open(sys.argv[1]))
assert [x["text"] for x in a] == ["second text", "third text"]
assert a[0]["time"] == "1970-01-03T00:00:00Z" and a[0]["severity"] == 4
' "$T/out"
run "$SBDCTL" alarm list -d "$D" --max 0
expect_rc "alarm list: --max 0 is a usage error" 2

# ---- utils itl reset localkey
resets() { rep_q "SELECT count(*) FROM itl_reset"; }
run "$SBDCTL" utils itl reset localkey -d "$D" --node sub \
    --password-file "$T/pw"
expect_rc "itl reset: on a subscriber: refused" 1
expect_out "itl reset: ... with CUCM's words" "This is not a Publisher Node"
printf 'wrong-password\n' >"$T/badpw"
run "$SBDCTL" utils itl reset localkey -d "$D" --password-file "$T/badpw"
expect_rc "itl reset: a wrong security password: refused" 1
expect_err "itl reset: ... said" "wrong security password"
cp "$PUB/ITLRecovery.p12" "$T/good.p12"
run "$SBDCTL" cert export-p12 --cert "$T/oldrec.pem" -o "$PUB/ITLRecovery.p12" \
    --password-file "$T/pw"
expect_rc "itl reset: ITLRecovery.p12 replaced by another key's" 0
run "$SBDCTL" utils itl reset localkey -d "$D" --password-file "$T/pw"
expect_rc "itl reset: a key that is not the ITL's: refused" 1
expect_err "itl reset: ... said" "$PUB/ITLRecovery.p12: this ITLRecovery key \
is not the one in the cluster's ITL; phones would refuse the reset ITL"
rep_eq "itl reset: ... and nothing changed" "$(rep_q 'SELECT count(*)
    FROM itl_reset; SELECT sum(tftp_restart) FROM node' | tr '\n' ' ')" \
    "0 0 "
cp "$T/good.p12" "$PUB/ITLRecovery.p12"
run "$SBDCTL" utils itl reset localkey -d "$D" --password-file "$T/pw" \
    --wait 1
expect_rc "itl reset: with the cluster's key: done" 0
expect_out "itl reset: the active TFTP servers" "['pub', 'sub']"
expect_out "itl reset: no sbdd runs for sub" \
    "Cisco Tftp service is not running on host sub: it serves the reset \
ITL when it starts"
rep_eq "itl reset: a reset ITL and a TFTP restart for both nodes" \
    "$(rep_q 'SELECT node, restart FROM itl_reset ORDER BY node;
    SELECT sum(tftp_restart) FROM node' | tr '\n' ' ')" "pub|1 sub|1 2 "
rep_q "SELECT writefile('$T/reset.tlv', der) FROM itl_reset
    WHERE node = 'sub'" >/dev/null
run "$SBDCTL" verify itl --cert "$PUB/ITLRecovery.pem" "$T/reset.tlv"
expect_rc "itl reset: the reset ITL verifies with ITLRecovery" 0
run "$SBDCTL" show itl --json "$T/reset.tlv"
expect_true "itl reset: pub's ITL records, its ITLRecovery record signs" \
    python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
recs = [(x["role_name"], x["subject"]) for x in r["records"]]
assert recs[:2] == [("SAST", "CN=pub"), ("TFTP", "CN=pub")], recs
assert recs[3:] == [("TVS", "CN=pub"), ("SAST", "CN=ITLRECOVERY_pub"),
    ("TVS", "CN=sub")], recs
assert r["signer_record"] == 5 and r["verified"] is True
' "$T/out"
rep_eq "itl reset: audited" "$(rep_q "SELECT detail FROM audit
    WHERE action = 'utils itl reset'")" \
    "localkey: reset ITL $(rep_sha "$T/reset.tlv") on 2 TFTP nodes"
run "$SBDCTL" utils itl reset remotekey -d "$D" host user
expect_rc "itl reset: remotekey without PATH: usage" 2
run "$SBDCTL" utils itl reset localkey -d "$D" --port 22
expect_rc "itl reset: SFTP options with localkey: usage" 2
run "$SBDCTL" utils itl reset sidekey -d "$D"
expect_rc "itl reset: an unknown key word: usage" 2
