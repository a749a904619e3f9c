# CLI tests of the cluster verbs: cluster init, node add/list, device
# add/list/show/remove, ctl set-cluster, stats and reload.  Sourced by
# tests/cli/run.sh with $SBDCTL, $T and the helpers of lib.sh; variables
# are prefixed cl_.  EC keys keep it fast where the key type does not
# matter.  sqlite3(1) reads the audit log; a perl one-shot server stands
# in for sbdd's control socket.

cl_d="$T/data"
cl_db="$cl_d/store.db"
printf 'correct horse\n' >"$T/cl_pw"
printf 'short\n' >"$T/cl_short"

cl_subject() {	# FILE -> openssl's RFC 2253 subject
	openssl x509 -in "$1" -noout -subject -nameopt RFC2253 2>/dev/null
}

cl_audit() {	# the audit log as "actor action" lines, oldest first
	sqlite3 -readonly "$cl_db" \
	    "SELECT actor || ' ' || action FROM audit ORDER BY id" 2>/dev/null
}

cl_devices() {	# the MACs in the store, one a line
	"$SBDCTL" device list -d "$cl_d" --json | sed -n \
	    's/^ *"mac": "\([0-9A-F]*\)".*/\1/p'
}

# ---- help -------------------------------------------------------------------

for cl_v in "cluster init" "node add" "node list" "device add" \
    "device list" "device show" "device remove" "ctl set-cluster" stats \
    reload; do
	# shellcheck disable=SC2086
	run "$SBDCTL" $cl_v --help
	expect_rc "$cl_v --help exits 0" 0
	expect_out "$cl_v --help prints usage" "usage: sbdctl $cl_v"
done
run "$SBDCTL" --help
for cl_v in "cluster init" "node add" "node list" "device add" \
    "device list" "device show" "device remove" "ctl set-cluster" stats \
    reload; do
	expect_out "sbdctl --help lists $cl_v" "  $cl_v "
done

# ---- cluster init: usage and refusals ---------------------------------------

cl_init() {	# extra args...
	run "$SBDCTL" cluster init -d "$cl_d" --name lab --node pub \
	    --key ec:prime256v1 "$@"
}

run "$SBDCTL" cluster init -d "$cl_d" --node pub --password-file "$T/cl_pw"
expect_rc "init without --name: usage" 2
expect_err "init without --name: message" "--name CLUSTER is required"
run "$SBDCTL" cluster init -d "$cl_d" --name lab --password-file "$T/cl_pw"
expect_rc "init without --node: usage" 2
expect_err "init without --node: message" "--node HOST is required"
run "$SBDCTL" cluster init -d "$cl_d" --name lab --node a/b
expect_rc "init bad --node: usage" 2
expect_err "init bad --node: message" "bad --node: a/b"
cl_init --tftp-port 0
expect_rc "init bad port: usage" 2
expect_err "init bad port: message" "bad --tftp-port: 0 (1 to 65535)"
cl_init --capf-port 65536
expect_rc "init port over 65535: usage" 2
expect_err "init port over 65535: message" "bad --capf-port: 65536"
cl_init --key dsa:1024
expect_rc "init bad --key: usage" 2
expect_err "init bad --key: message" "bad --key: dsa:1024"
cl_init --key rsa:256
expect_rc "init --key rsa:256: usage" 2
expect_err "init --key rsa:256: message" "bad --key: rsa:256"
cl_init --addr 'a b'
expect_rc "init bad --addr: usage" 2
expect_err "init bad --addr: message" "bad --addr: a b"
cl_init --password-file "$T/cl_pw" --password-env CL_PW
expect_rc "init two password sources: usage" 2
expect_err "init two password sources: message" "exclude each other"
cl_init --bogus
expect_rc "init unknown option: usage" 2
expect_err "init unknown option: message" "--bogus"
cl_init extra --password-file "$T/cl_pw"
expect_rc "init stray argument: usage" 2
expect_err "init stray argument: message" "unexpected argument: extra"

cl_init --password-file "$T/cl_short"
expect_rc "init with a short password" 1
expect_err "init short password: message" \
    "the security password must have at least 8 characters"
cl_init --password-file "$T/cl_missing"
expect_rc "init with a missing password file" 1
expect_err "init missing password file: message names it" "$T/cl_missing"
unset CL_PW
cl_init --password-env CL_PW
expect_rc "init with an unset password variable" 1
expect_err "init unset variable: message" \
    "environment variable CL_PW is not set"
cl_init </dev/null
expect_rc "init without a password and no terminal" 1
expect_err "init no terminal: message" "standard input is not a terminal"
expect_true "refused inits left no data directory" test ! -e "$cl_d"

# All or nothing: the ITLRecovery CN (ITLRECOVERY_ + 55) is too long, so
# the fourth certificate fails after three were written.
cl_long=$(printf 'h%054d' 0)
run "$SBDCTL" cluster init -d "$cl_d" --name lab --node "$cl_long" \
    --key ec:prime256v1 --password-file "$T/cl_pw"
expect_rc "init failing midway" 1
expect_err "init failing midway: message names the certificate" \
    "ITLRecovery.pem: cannot create certificate CN=ITLRECOVERY_$cl_long"
expect_true "init failing midway removed everything" test ! -e "$cl_d"

mkdir -p "$T/pre/nodes/pub"
run "$SBDCTL" cluster init -d "$T/pre" --name lab --node pub \
    --key ec:prime256v1 --password-file "$T/cl_pw"
expect_rc "init over an existing node directory" 1
expect_err "init over an existing node directory: message" \
    "$T/pre/nodes/pub: already exists"
expect_true "init kept what it did not make" test -d "$T/pre/nodes/pub"
expect_true "init over a node directory made no store" \
    test ! -e "$T/pre/store.db"

# ---- cluster init -----------------------------------------------------------

export CL_PW='correct horse'
cl_init --domain example.test --addr 127.0.0.1 --password-env CL_PW
unset CL_PW
expect_rc "init" 0
expect_out "init names the cluster" "cluster lab created in $cl_d"
expect_out "init lists the store" "$cl_db"
expect_out "init lists the publisher" \
    "node pub (publisher; tftp,tvs,capf on 127.0.0.1)"
for cl_r in CallManager TVS CAPF ITLRecovery; do
	expect_out "init lists $cl_r" "$cl_d/nodes/pub/pki/$cl_r.pem"
	expect_true "init: $cl_r.pem is 0600" \
	    test "$(stat -c %a "$cl_d/nodes/pub/pki/$cl_r.pem")" = 600
	expect_true "init: $cl_r.pem holds its key" \
	    openssl pkey -in "$cl_d/nodes/pub/pki/$cl_r.pem" -noout
done
expect_out "init lists the PKCS#12" "$cl_d/nodes/pub/pki/ITLRecovery.p12"
expect_true "init: pki is 0700" \
    test "$(stat -c %a "$cl_d/nodes/pub/pki")" = 700
expect_true "init: tftp and run directories" \
    test -d "$cl_d/nodes/pub/tftp" -a -d "$cl_d/nodes/pub/run"
expect_true "init: store exists" test -s "$cl_db"
expect_true "init: CallManager CN is the FQDN" \
    test "$(cl_subject "$cl_d/nodes/pub/pki/CallManager.pem")" = \
    "subject=CN=pub.example.test"
expect_true "init: TVS CN is the FQDN" \
    test "$(cl_subject "$cl_d/nodes/pub/pki/TVS.pem")" = \
    "subject=CN=pub.example.test"
expect_true "init: ITLRecovery CN" \
    test "$(cl_subject "$cl_d/nodes/pub/pki/ITLRecovery.pem")" = \
    "subject=CN=ITLRECOVERY_pub.example.test"
cl_hex=$(printf %s pub.example.test | openssl sha1 -r | cut -c1-8)
expect_true "init: CAPF CN as cert create names it" \
    test "$(cl_subject "$cl_d/nodes/pub/pki/CAPF.pem")" = \
    "subject=CN=CAPF-$cl_hex"
expect_true "init: ITLRecovery is valid five years" sh -c '
    openssl x509 -in "$1" -noout -checkend $((1824 * 86400)) >/dev/null &&
    ! openssl x509 -in "$1" -noout -checkend $((1826 * 86400)) >/dev/null' \
    - "$cl_d/nodes/pub/pki/ITLRecovery.pem"
expect_true "init: ITLRecovery.p12 is 0600" \
    test "$(stat -c %a "$cl_d/nodes/pub/pki/ITLRecovery.p12")" = 600
run "$SBDCTL" cert import-p12 --password-file "$T/cl_pw" \
    --cert-out "$T/cl_rec.pem" "$cl_d/nodes/pub/pki/ITLRecovery.p12"
expect_rc "ITLRecovery.p12 opens with the security password" 0
expect_true "ITLRecovery.p12 holds the ITLRecovery certificate" test \
    "$(openssl x509 -in "$T/cl_rec.pem" -noout -fingerprint)" = \
    "$(openssl x509 -in "$cl_d/nodes/pub/pki/ITLRecovery.pem" -noout \
    -fingerprint)"
run "$SBDCTL" cert import-p12 --password-file "$T/cl_short" \
    --cert-out "$T/cl_rec2.pem" "$cl_d/nodes/pub/pki/ITLRecovery.p12"
expect_rc "ITLRecovery.p12 refuses another password" 1
expect_true "the audit log has cluster init by sbdctl:USER" sh -c \
    'case $1 in "sbdctl:"?*" cluster init") exit 0;; esac; exit 1' - \
    "$(cl_audit)"

cl_init --password-file "$T/cl_pw"
expect_rc "init twice" 1
expect_err "init twice: message" "$cl_d: already holds a cluster ($cl_db)"

# The default data directory: $SBD_DATA.
run env SBD_DATA="$T/env" "$SBDCTL" cluster init --name e --node n \
    --key ec:prime256v1 --password-file "$T/cl_pw"
expect_rc "init into \$SBD_DATA" 0
expect_true "init used \$SBD_DATA" test -s "$T/env/store.db"

# ---- node add and list ------------------------------------------------------

run "$SBDCTL" node add -d "$cl_d" --addr 127.0.0.2
expect_rc "node add without --name: usage" 2
expect_err "node add without --name: message" "--name HOST is required"
run "$SBDCTL" node add -d "$cl_d" --name sub1
expect_rc "node add without --addr: usage" 2
expect_err "node add without --addr: message" "--addr ADDR is required"
run "$SBDCTL" node add -d "$cl_d" --name sub1 --addr 127.0.0.2 \
    --services tftp,ftp
expect_rc "node add unknown service: usage" 2
expect_err "node add unknown service: message" "unknown service: ftp"
run "$SBDCTL" node add -d "$cl_d" --name .sub --addr 127.0.0.2
expect_rc "node add bad name: usage" 2
expect_err "node add bad name: message" "bad --name: .sub"
run "$SBDCTL" node add -d "$T/none" --name sub1 --addr 127.0.0.2
expect_rc "node add without a cluster" 1
expect_err "node add without a cluster: message" "$T/none: no cluster here"
run "$SBDCTL" node add -d "$cl_d" --name pub --addr 127.0.0.2
expect_rc "node add of an existing node" 1
expect_err "node add existing: message" "node pub already exists"

run "$SBDCTL" node add -d "$cl_d" --name sub1 --addr 127.0.0.2 \
    --tvs-port 2446 --key ec:prime256v1
expect_rc "node add" 0
expect_out "node add prints the node" \
    "node sub1 (subscriber; tftp,tvs on 127.0.0.2)"
for cl_r in CallManager TVS ITLRecovery; do
	expect_true "node add: $cl_r.pem" \
	    test -s "$cl_d/nodes/sub1/pki/$cl_r.pem"
done
expect_true "node add: no CAPF without the service" \
    test ! -e "$cl_d/nodes/sub1/pki/CAPF.pem"
expect_true "node add: no ITLRecovery.p12 on a subscriber" \
    test ! -e "$cl_d/nodes/sub1/pki/ITLRecovery.p12"
expect_true "node add: each node has its own ITLRecovery" \
    test "$(cl_subject "$cl_d/nodes/sub1/pki/ITLRecovery.pem")" = \
    "subject=CN=ITLRECOVERY_sub1"
run "$SBDCTL" node add -d "$cl_d" --name sub2 --addr 127.0.0.3 \
    --services tftp,capf --key ec:prime256v1
expect_rc "node add with CAPF" 0
expect_true "node add: CAPF.pem with the service" \
    test -s "$cl_d/nodes/sub2/pki/CAPF.pem"
run "$SBDCTL" node add -d "$cl_d" --name sub3 --addr 127.0.0.4 \
    --services tvs --key ec:prime256v1
expect_rc "node add TVS only" 0

run "$SBDCTL" node list -d "$cl_d"
expect_rc "node list" 0
expect_true "node list: publisher first, then by name" sh -c \
    'awk "NR > 1 {print \$1, \$2}" "$1" | tr "\n" " " |
    grep -qx "pub publisher sub1 subscriber sub2 subscriber sub3 subscriber "' \
    - "$T/out"
expect_out "node list: ports" \
    "127.0.0.2       tftp,tvs       6969  6970  2446  3804"
run "$SBDCTL" node list -d "$cl_d" --json
expect_rc "node list --json" 0
expect_out "node list --json: name" '"name": "sub1"'
expect_out "node list --json: services" '"services": "tftp,capf"'
expect_out "node list --json: publisher" '"publisher": true'
expect_out "node list --json: domain" '"domain": "example.test"'
run "$SBDCTL" node list -d "$T/none"
expect_rc "node list without a cluster" 1
expect_err "node list without a cluster: message" "no cluster here"
expect_true "node add is audited" \
    test "$(cl_audit | grep -c ' node add$')" = 3

# ---- device add: refusals leave the store unchanged -------------------------

cl_dev() {	# extra args...
	run "$SBDCTL" device add -d "$cl_d" "$@"
}

cl_dev --model CP-8845
expect_rc "device add without --mac: usage" 2
expect_err "device add without --mac: message" \
    "--mac MAC (or --csv FILE) is required"
cl_dev --mac 001122AABBCC --csv "$T/x.csv"
expect_rc "device add --csv with --mac: usage" 2
expect_err "device add --csv with --mac: message" "--csv excludes"
cl_dev --mac 001122AABBCC --cert "$T/x.pem"
expect_rc "device add --cert without --cert-kind: usage" 2
expect_err "device add --cert alone: message" \
    "--cert and --cert-kind go together"
cl_dev --mac 00112233
expect_rc "device add bad MAC" 1
expect_err "device add bad MAC: message names it" "bad MAC address: 00112233"
cl_dev --mac 001122AABBCC --tvs nosuch
expect_rc "device add unknown node" 1
expect_err "device add unknown node: message" "unknown node: nosuch"
cl_dev --mac 001122AABBCC --tvs sub2
expect_rc "device add node without TVS" 1
expect_err "device add node without TVS: message" "node sub2 does not run TVS"
cl_dev --mac 001122AABBCC --tvs pub,sub1,pub
expect_rc "device add node twice" 1
expect_err "device add node twice: message" "node pub is listed twice"
cl_dev --mac 001122AABBCC --tvs pub,sub1,sub3,pub
expect_rc "device add four TVS nodes" 1
expect_err "device add four TVS nodes: message" \
    "too many TVS nodes: pub (at most 3)"
cl_dev --mac 001122AABBCC --tvs pub,,sub1
expect_rc "device add empty TVS name" 1
expect_err "device add empty TVS name: message" "bad TVS node list: pub,,sub1"
cl_dev --mac 001122AABBCC --profile secure
expect_rc "device add unknown profile" 1
expect_err "device add unknown profile: message" "unknown profile: secure"
cl_dev --mac 001122AABBCC --cert "$T/cl_pw" --cert-kind LSC
expect_rc "device add unreadable certificate" 1
expect_err "device add unreadable certificate: message" \
    "$T/cl_pw: cannot load certificate"
"$SBDCTL" cert create --role device --host SEP00112233CC01 --ec P-256 \
    -o "$T/cl_dev.pem"
cl_dev --mac 001122AABBCC --cert "$T/cl_dev.pem" --cert-kind XYZ
expect_rc "device add bad --cert-kind" 1
expect_err "device add bad --cert-kind: message" \
    "bad --cert-kind: XYZ (LSC or MIC)"
cl_dev --mac 001122AABBCC --description "$(printf '%070d' 0)"
expect_rc "device add long description" 1
expect_err "device add long description: message" "bad description"
run "$SBDCTL" device add -d "$T/none" --mac 001122AABBCC
expect_rc "device add without a cluster" 1
expect_err "device add without a cluster: message" "no cluster here"
expect_true "refused device adds left no device" test -z "$(cl_devices)"

# ---- device add, list, show, remove -----------------------------------------

cl_dev --mac 00:11:22:aa:bb:cc --profile authenticated --model CP-8845 \
    --description "lobby phone"
expect_rc "device add" 0
expect_out "device add: default TVS nodes, publisher first, at most 3" \
    "added SEP001122AABBCC (authenticated; TVS pub,sub1,sub3)"
cl_dev --mac SEP001122AABBCC
expect_rc "device add duplicate" 1
expect_err "device add duplicate: message" \
    "device SEP001122AABBCC already exists"
cl_dev --mac 0011.22aa.bbdd --tvs sub1,pub --profile encrypted
expect_rc "device add encrypted without a certificate" 0
expect_out "device add --tvs keeps the order" \
    "added SEP001122AABBDD (encrypted; TVS sub1,pub)"
cl_dev --mac 00112233CC01 --profile encrypted --cert "$T/cl_dev.pem" \
    --cert-kind lsc
expect_rc "device add with an LSC" 0

run "$SBDCTL" device list -d "$cl_d"
expect_rc "device list" 0
expect_out "device list: a row" \
    "SEP001122AABBCC  CP-8845      authenticated pub,sub1,sub3"
expect_out "device list: description" "lobby phone"
cl_row="SEP00112233CC01  -            encrypted     pub,sub1,sub3"
expect_out "device list: certificate kind" "$cl_row            LSC"
run "$SBDCTL" device list -d "$cl_d" --json
expect_rc "device list --json" 0
expect_out "device list --json: mac" '"mac": "001122AABBDD"'
expect_out "device list --json: profile" '"profile": "encrypted"'
expect_true "device list --json: ordered by MAC" test \
    "$(cl_devices | tr '\n' ' ')" = "00112233CC01 001122AABBCC 001122AABBDD "

run "$SBDCTL" device show -d "$cl_d" 001122aabbcc
expect_rc "device show" 0
expect_out "device show: name" "Device:         SEP001122AABBCC"
expect_out "device show: TVS" "TVS:            pub,sub1,sub3"
expect_out "device show: no ITL served yet" "Served ITL:     never"
expect_out "device show: no config fetched yet" "Config fetched: never"
expect_out "device show: no certificate" "Certificate:    none"
run "$SBDCTL" device show -d "$cl_d" --json SEP00112233CC01
expect_rc "device show --json" 0
cl_fp=$(openssl x509 -in "$T/cl_dev.pem" -outform DER | openssl sha1 -r |
    cut -c1-40)
expect_out "device show --json: certificate SHA-1" "\"cert_sha1\": \"$cl_fp\""
expect_out "device show --json: certificate kind" '"cert_kind": "LSC"'
expect_out "device show --json: certificate subject" \
    '"cert_subject": "CN=SEP00112233CC01"'
expect_out "device show --json: served ITL unknown" '"served_itl_sha1": null'
expect_out "device show --json: config never fetched" '"config_at": null'
run "$SBDCTL" device show -d "$cl_d" 0000000000FF
expect_rc "device show unknown" 1
expect_err "device show unknown: message" "device SEP0000000000FF not found"
run "$SBDCTL" device show -d "$cl_d" zz
expect_rc "device show bad MAC" 1
expect_err "device show bad MAC: message" "bad MAC address: zz"
run "$SBDCTL" device show -d "$cl_d"
expect_rc "device show without MAC: usage" 2
expect_err "device show without MAC: message" "expected one MAC"

run "$SBDCTL" device remove -d "$cl_d" 00-11-22-AA-BB-DD
expect_rc "device remove" 0
expect_out "device remove: message" "removed SEP001122AABBDD"
run "$SBDCTL" device remove -d "$cl_d" 001122AABBDD
expect_rc "device remove twice" 1
expect_err "device remove twice: message" "device SEP001122AABBDD not found"
run "$SBDCTL" device remove -d "$cl_d" --json 001122AABBCC
expect_rc "device remove --json: usage" 2
expect_true "device remove took only that device" test \
    "$(cl_devices | tr '\n' ' ')" = "00112233CC01 001122AABBCC "
expect_true "device add and remove are audited" test \
    "$(cl_audit | sed -n 's/^[^ ]* \(device .*\)/\1/p' | tr '\n' ,)" = \
    "device add,device add,device add,device remove,"

# ---- device add --csv -------------------------------------------------------

cat >"$T/cl_ok.csv" <<'EOF'
mac,model,profile,tvs,description
00AA00000001,CP-8845,authenticated,sub1;pub,desk 1, by the door

00AA00000002,,,,
EOF
run "$SBDCTL" device add -d "$cl_d" --csv "$T/cl_ok.csv"
expect_rc "device add --csv" 0
expect_out "device add --csv: count" "added 2 devices from $T/cl_ok.csv"
run "$SBDCTL" device show -d "$cl_d" 00AA00000001
expect_out "csv: ';' separates TVS nodes" "TVS:            sub1,pub"
expect_out "csv: the description keeps its commas" \
    "Description:    desk 1, by the door"
run "$SBDCTL" device show -d "$cl_d" 00AA00000002
expect_out "csv: empty fields take the defaults" "Profile:        non-secure"

cl_csv() {	# NAME LINE...: a CSV file with a header and the lines
	cl_f="$T/$1.csv"
	shift
	printf '%s\n' "mac,model,profile,tvs,description" "$@" >"$cl_f"
	run "$SBDCTL" device add -d "$cl_d" --csv "$cl_f"
}

cl_csv bad1 "00BB00000001,,,," "zz,,,," "00BB00000003,,,,"
expect_rc "csv with a bad line" 1
expect_err "csv bad line: message names FILE:LINE" \
    "$T/bad1.csv:3: bad MAC address: zz"
cl_csv bad2 "00BB00000001,,,," "00BB00000002,,,nosuch,"
expect_rc "csv with an unknown node" 1
expect_err "csv unknown node: FILE:LINE" "$T/bad2.csv:3: unknown node: nosuch"
cl_csv bad3 "00BB00000001,,,," "00BB00000001,,,,"
expect_rc "csv with a duplicate" 1
expect_err "csv duplicate: FILE:LINE" \
    "$T/bad3.csv:3: device SEP00BB00000001 already exists"
cl_csv bad4 "00BB00000001,,,"
expect_rc "csv with four fields" 1
expect_err "csv four fields: FILE:LINE" "$T/bad4.csv:2: expected 5 fields"
cl_csv bad5 "00BB00000001,,encrypted-ish,,"
expect_rc "csv with a bad profile" 1
expect_err "csv bad profile: FILE:LINE" \
    "$T/bad5.csv:2: unknown profile: encrypted-ish"
printf 'mac,model\n00BB00000001,x\n' >"$T/bad6.csv"
run "$SBDCTL" device add -d "$cl_d" --csv "$T/bad6.csv"
expect_rc "csv with a bad header" 1
expect_err "csv bad header: FILE:1" \
    "$T/bad6.csv:1: expected the header mac,model,profile,tvs,description"
: >"$T/bad7.csv"
run "$SBDCTL" device add -d "$cl_d" --csv "$T/bad7.csv"
expect_rc "csv empty file" 1
expect_err "csv empty file: message" "$T/bad7.csv: empty"
run "$SBDCTL" device add -d "$cl_d" --csv "$T/cl_nofile.csv"
expect_rc "csv missing file" 1
expect_err "csv missing file: message names it" "$T/cl_nofile.csv"
expect_true "failed CSV imports added no device" test \
    "$(cl_devices | tr '\n' ' ')" = \
    "00112233CC01 001122AABBCC 00AA00000001 00AA00000002 "

# ---- ctl set-cluster --------------------------------------------------------

run "$SBDCTL" ctl set-cluster -d "$cl_d"
expect_rc "ctl set-cluster without mode: usage" 2
expect_err "ctl set-cluster without mode: message" \
    "expected mixed-mode or non-secure"
run "$SBDCTL" ctl set-cluster -d "$cl_d" on
expect_rc "ctl set-cluster bad mode: usage" 2
expect_err "ctl set-cluster bad mode: message" "unknown CTL mode: on"
run "$SBDCTL" ctl set-cluster -d "$cl_d" mixed-mode
expect_rc "ctl set-cluster mixed-mode" 0
expect_out "ctl set-cluster mixed-mode: message" \
    "cluster lab: CTL mode mixed-mode (was non-secure)"
run "$SBDCTL" ctl set-cluster -d "$cl_d" non-secure
expect_rc "ctl set-cluster non-secure" 0
expect_out "ctl set-cluster remembers the mode" \
    "cluster lab: CTL mode non-secure (was mixed-mode)"
run "$SBDCTL" ctl set-cluster -d "$T/none" mixed-mode
expect_rc "ctl set-cluster without a cluster" 1
expect_err "ctl set-cluster without a cluster: message" "no cluster here"
expect_true "ctl set-cluster is audited" \
    test "$(cl_audit | grep -c ' ctl set-cluster$')" = 2

# ---- stats and reload -------------------------------------------------------

run "$SBDCTL" stats -d "$cl_d"
expect_rc "stats without sbdd" 1
expect_err "stats without sbdd: message" \
    "sbdctl: pub: sbdd is not running ($cl_d/nodes/pub/run/sbdd.sock)"
run "$SBDCTL" stats -d "$cl_d" --node sub1 --json
expect_rc "stats --node without sbdd" 1
expect_err "stats --node without sbdd: message" \
    "sbdctl: sub1: sbdd is not running ($cl_d/nodes/sub1/run/sbdd.sock)"
run "$SBDCTL" stats -d "$cl_d" --node nosuch
expect_rc "stats unknown node" 1
expect_err "stats unknown node: message" "unknown node: nosuch"
run "$SBDCTL" stats -d "$T/none"
expect_rc "stats without a cluster" 1
expect_err "stats without a cluster: message" "no cluster here"
run "$SBDCTL" stats -d "$cl_d" extra
expect_rc "stats stray argument: usage" 2
run "$SBDCTL" reload -d "$cl_d"
expect_rc "reload without sbdd" 1
expect_err "reload without sbdd: message" \
    "sbdctl: pub: sbdd is not running ($cl_d/nodes/pub/run/sbdd.sock)"
run "$SBDCTL" reload -d "$cl_d" --json
expect_rc "reload --json: usage" 2

# A one-shot stand-in for sbdd: answers one request with a file's bytes
# and records the request.
cl_sock="$cl_d/nodes/pub/run/sbdd.sock"
cl_serve() {	# REPLY-FILE
	rm -f "$cl_sock" "$T/cl_req"
	perl -MIO::Socket::UNIX -e '
	    my ($path, $reply, $req) = @ARGV;
	    my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(),
		Local => $path, Listen => 1) or die "listen: $!";
	    local $SIG{ALRM} = sub { unlink $path; exit 1 };
	    alarm 10;
	    my $c = $s->accept or die "accept: $!";
	    my $line = <$c>;
	    open(my $o, ">", $req) or die; print $o $line; close $o;
	    open(my $r, "<", $reply) or die; binmode $r; local $/;
	    my $data = <$r>; print $c $data; close $c; unlink $path;
	' "$cl_sock" "$1" "$T/cl_req" &
	cl_pid=$!
	cl_i=0
	while [ ! -S "$cl_sock" ] && [ $cl_i -lt 100 ]; do
		sleep 0.05
		cl_i=$((cl_i + 1))
	done
}

printf '%s\n' \
    '{"node":"pub","tftp_served":3,"tftp_misses":1,"note":"a\"b\u0001"}' \
    >"$T/cl_reply"
cl_serve "$T/cl_reply"
run "$SBDCTL" stats -d "$cl_d"
wait "$cl_pid"
expect_rc "stats" 0
expect_true "stats sends stats" test "$(cat "$T/cl_req")" = stats
expect_true "stats prints one name-value line per key" test \
    "$(tr '\n' '|' <"$T/out")" = \
    'node pub|tftp_served 3|tftp_misses 1|note a"b?|'
cl_serve "$T/cl_reply"
run "$SBDCTL" stats -d "$cl_d" --json
wait "$cl_pid"
expect_rc "stats --json" 0
expect_same "stats --json prints the reply verbatim" "$T/out" "$T/cl_reply"
printf '{"tftp_served":3,"x":[1]}\n' >"$T/cl_bad"
cl_serve "$T/cl_bad"
run "$SBDCTL" stats -d "$cl_d"
wait "$cl_pid"
expect_rc "stats with a malformed reply" 1
expect_err "stats malformed reply: offset" \
    "pub: malformed stats reply at offset 21"
printf '{"a":01}' >"$T/cl_bad"
cl_serve "$T/cl_bad"
run "$SBDCTL" stats -d "$cl_d"
wait "$cl_pid"
expect_rc "stats with a leading zero" 1
expect_true "stats printed nothing from a malformed reply" test ! -s "$T/out"
head -c 65537 /dev/zero >"$T/cl_big"
cl_serve "$T/cl_big"
run "$SBDCTL" stats -d "$cl_d"
wait "$cl_pid"
expect_rc "stats with a reply over 64 KiB" 1
expect_err "stats reply over 64 KiB: message" "is longer than 65536 bytes"
printf 'ok\n' >"$T/cl_ok"
cl_serve "$T/cl_ok"
run "$SBDCTL" reload -d "$cl_d"
wait "$cl_pid"
expect_rc "reload" 0
expect_true "reload sends reload" test "$(cat "$T/cl_req")" = reload
expect_out "reload: message" "pub: reloaded"
printf 'error: store\001 locked\n' >"$T/cl_no"
cl_serve "$T/cl_no"
run "$SBDCTL" reload -d "$cl_d"
wait "$cl_pid"
expect_rc "reload refused" 1
expect_err "reload refused: the daemon's line, sanitised" \
    "pub: reload failed: error: store? locked"
