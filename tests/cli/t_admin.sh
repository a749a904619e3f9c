# CLI tests of the CUCM administration verbs without daemons: set cert
# regen (the five-minute hold, the prompt, new files, ITLRecovery's kept
# subject and its PKCS#12), param set/show, device reset through the
# reset hook, set password security, utils service restart and show
# itl/ctl of a node.  Sourced by tests/cli/run.sh with $SBDCTL, $DATA, $T
# and the helpers of lib.sh; variables are prefixed ad_.  The cluster
# clock is moved with a SBD_TEST_CLOCK file given to each command (never
# exported, so later test files keep the real clock).

ad_d="$T/data"
ad_db="$ad_d/store.db"
ad_pki="$ad_d/nodes/pub/pki"
ad_clk="$T/clock"
printf 'correct horse\n' >"$T/ad_pw"
printf 'wrong horse\n' >"$T/ad_bad"
printf 'battery staple\n' >"$T/ad_new"
printf 'short\n' >"$T/ad_short"
printf 'no\n' >"$T/ad_no"
echo 0 >"$ad_clk"

ad_ctl() {	# sbdctl on the test clock
	SBD_TEST_CLOCK="$ad_clk" "$SBDCTL" "$@"
}

ad_at() {	# SECONDS: move the cluster clock that far ahead of now
	echo "$1" >"$ad_clk"
}

# The store stamps certificates with the cluster clock, so each
# regeneration that must pass the hold moves the clock 301 s on.
ad_next() {
	ad_at $(($(cat "$ad_clk") + 301))
}

ad_sql() {
	sqlite3 -readonly "$ad_db" "$1" 2>/dev/null
}

ad_sha() {	# NODE ROLE -> the store's active sha1
	ad_sql "SELECT sha1 FROM cert WHERE node = '$1' AND role = '$2' \
	    AND active = 1"
}

ad_path() {	# NODE ROLE -> the active certificate's file
	echo "$ad_d/$(ad_sql "SELECT cert_path FROM cert WHERE node = '$1' \
	    AND role = '$2' AND active = 1")"
}

ad_fp() {	# PEM -> lowercase hex SHA-1 of its certificate
	openssl x509 -in "$1" -noout -fingerprint -sha1 2>/dev/null |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

ad_p12fp() {	# P12 PASSWORD-FILE -> SHA-1 of the certificate in it
	openssl pkcs12 -in "$1" -passin "file:$2" -nokeys 2>/dev/null |
	    openssl x509 -noout -fingerprint -sha1 2>/dev/null |
	    sed 's/.*=//; s/://g' | tr 'A-F' 'a-f'
}

ad_subject() {	# PEM -> RFC 2253 subject
	openssl x509 -in "$1" -noout -subject -nameopt RFC2253 2>/dev/null
}

ad_audits() {	# ACTION -> how many audit entries
	ad_sql "SELECT count(*) FROM audit WHERE action = '$1'"
}

ad_regen_text() {	# ROLE: the whole stdout of a --yes regen
	printf 'WARNING: This operation will overwrite any CA signed certificate
previously imported for %s
Proceed with regeneration (yes|no)? yes
Successfully Regenerated Certificate for %s.
Please do a backup of the server as soon as possible. Failure to do
so can stale the cluster in case of a crash.
You must restart services related to %s for the regenerated
certificates to become active.\n' "$1" "$1" "$1"
}

ad_hold_text() {	# BY ROLE: the hold's stdout
	printf '%s certificate was modified in the last 5 minutes. Please re-try
regenerating %s certificate at a later time\n' "$1" "$2"
}

# ---- help and usage ---------------------------------------------------------

for ad_v in "set cert regen" "set password security" "param set" \
    "param show" "device reset" "utils service restart"; do
	# shellcheck disable=SC2086
	run "$SBDCTL" $ad_v --help
	expect_rc "$ad_v --help exits 0" 0
	expect_out "$ad_v --help prints usage" "usage: sbdctl $ad_v"
done

run "$SBDCTL" cluster init -d "$ad_d" --name lab --node pub \
    --key ec:prime256v1 --password-file "$T/ad_pw"
expect_rc "cluster init" 0
run "$SBDCTL" node add -d "$ad_d" --name sub --addr 127.0.0.2 \
    --key ec:prime256v1
expect_rc "node add sub" 0

run ad_ctl set cert regen Bogus -d "$ad_d" --yes
expect_rc "regen of an unknown role: usage" 2
expect_err "regen unknown role: message" "unknown role: Bogus"
run ad_ctl set cert regen -d "$ad_d"
expect_rc "regen without a role: usage" 2
run ad_ctl set cert regen CAPF --key dsa:1 -d "$ad_d"
expect_rc "regen bad --key: usage" 2
expect_err "regen bad --key: message" "bad --key: dsa:1"
run ad_ctl set cert regen CAPF --node sub -d "$ad_d" --yes
expect_rc "regen of a role the node lacks" 1
expect_err "regen role lacking: message" "node sub has no CAPF certificate"
run ad_ctl set cert regen TVS --node nosuch -d "$ad_d" --yes
expect_rc "regen on an unknown node" 1
expect_err "regen unknown node: message" "node nosuch: not in the cluster"

# ---- the hold ---------------------------------------------------------------

# cluster init made every certificate just now, ITLRecovery last.
ad_cm0=$(ad_sha pub CallManager)
run ad_ctl set cert regen callmanager -d "$ad_d" --yes </dev/null
expect_rc "regen right after cluster init is held" 1
ad_hold_text ITLRecovery CallManager >"$T/ad_want"
expect_same "hold message, word for word" "$T/out" "$T/ad_want"
expect_true "held regen changed nothing" \
    test "$(ad_sha pub CallManager)" = "$ad_cm0"

ad_at 301
ad_files=$(ls "$ad_pki" | wc -l)
run ad_ctl set cert regen CallManager -d "$ad_d" <"$T/ad_no"
expect_rc "regen answered no" 1
expect_out "regen no: warning" \
    "WARNING: This operation will overwrite any CA signed certificate"
expect_out "regen no: prompt" "Proceed with regeneration (yes|no)? no"
expect_out "regen no: cancelled" "Certificate regeneration cancelled."
expect_true "regen no: store unchanged" \
    test "$(ad_sha pub CallManager)" = "$ad_cm0"
expect_true "regen no: no new file" \
    test "$(ls "$ad_pki" | wc -l)" -eq "$ad_files"
run ad_ctl set cert regen CallManager -d "$ad_d" </dev/null
expect_rc "regen with no answer at all" 1

# ---- regeneration of each role ----------------------------------------------

cp "$ad_pki/CallManager.pem" "$T/ad_cm_old.pem"
run ad_ctl set cert regen CallManager -d "$ad_d" --yes </dev/null
expect_rc "regen CallManager" 0
ad_regen_text CallManager >"$T/ad_want"
expect_same "regen CallManager: CUCM's text" "$T/out" "$T/ad_want"
expect_err "regen CallManager without a hook: the note" \
    "no reset hook is set"
ad_cm1=$(ad_sha pub CallManager)
ad_cmf=$(ad_path pub CallManager)
expect_true "regen CallManager: new active sha1" test "$ad_cm1" != "$ad_cm0"
expect_true "regen CallManager: new file name" \
    sh -c "basename '$ad_cmf' | grep -qE '^CallManager-[0-9]+\.pem$'"
expect_true "regen CallManager: the file holds the store's certificate" \
    test "$(ad_fp "$ad_cmf")" = "$ad_cm1"
expect_true "regen CallManager: the old file is kept as it was" \
    cmp -s "$ad_pki/CallManager.pem" "$T/ad_cm_old.pem"
expect_true "regen CallManager: the new file is 0600" \
    test "$(stat -c %a "$ad_cmf")" = 600
expect_true "regen CallManager: CN is the node's name" \
    sh -c "openssl x509 -in '$ad_cmf' -noout -subject | grep -q 'CN = pub$'"
expect_true "regen CallManager: same key type (P-256)" \
    sh -c "openssl x509 -in '$ad_cmf' -noout -text | grep -q prime256v1"
expect_true "regen CallManager: one audit entry" \
    test "$(ad_audits 'cert regen')" -eq 1

# TVS within five minutes of CallManager: CUCM's example (seed 001).
# CallManager was stamped 301 s ahead: at now and at 250 s ahead the
# hold shows; 602 s ahead is past it.
ad_at 0
ad_tvs0=$(ad_sha pub TVS)
run ad_ctl set cert regen TVS -d "$ad_d" --yes </dev/null
expect_rc "regen TVS within 5 minutes is held" 1
ad_hold_text CallManager TVS >"$T/ad_want"
expect_same "hold names CallManager, as seed 001" "$T/out" "$T/ad_want"
expect_true "held TVS unchanged" test "$(ad_sha pub TVS)" = "$ad_tvs0"
ad_at 250
run ad_ctl set cert regen CallManager -d "$ad_d" --yes </dev/null
expect_rc "regen some 250 s after the last one is still held" 1
ad_at 602
cp "$ad_pki/TVS.pem" "$T/ad_tvs_old.pem"
run ad_ctl set cert regen TVS -d "$ad_d" --yes --key rsa:1024 </dev/null
expect_rc "regen TVS 301 s later" 0
expect_true "regen TVS: new active sha1" test "$(ad_sha pub TVS)" != "$ad_tvs0"
expect_true "regen TVS: the file holds it" \
    test "$(ad_fp "$(ad_path pub TVS)")" = "$(ad_sha pub TVS)"
expect_true "regen TVS --key rsa:1024" sh -c "openssl x509 -in \
    '$(ad_path pub TVS)' -noout -text | grep -q 'Public-Key: (1024 bit)'"
expect_true "regen TVS: old file kept" \
    cmp -s "$ad_pki/TVS.pem" "$T/ad_tvs_old.pem"

run ad_ctl set cert regen TVS --node sub -d "$ad_d" --yes </dev/null
expect_rc "regen TVS on sub" 0
expect_true "regen TVS on sub: in sub's directory" sh -c \
    "ls '$ad_d/nodes/sub/pki' | grep -qE '^TVS-[0-9]+\.pem$'"

ad_capf0=$(ad_sha pub CAPF)
ad_next
run ad_ctl set cert regen capf -d "$ad_d" --yes </dev/null
expect_rc "regen CAPF" 0
expect_out "regen CAPF: canonical role name" \
    "Successfully Regenerated Certificate for CAPF."
expect_true "regen CAPF: new active sha1" \
    test "$(ad_sha pub CAPF)" != "$ad_capf0"
expect_true "regen CAPF: CN keeps CUCM's form" sh -c "openssl x509 -in \
    '$(ad_path pub CAPF)' -noout -subject | grep -q 'CN = CAPF-[0-9a-f]\{8\}$'"

# ITLRecovery keeps its subject across a rename of the node (seed 001);
# CallManager takes the new name.
ad_rec0=$(ad_sha pub ITLRecovery)
ad_subj0=$(ad_subject "$(ad_path pub ITLRecovery)")
sqlite3 "$ad_db" "UPDATE node SET domain = 'new.example' WHERE name = 'pub'"
cp "$ad_pki/ITLRecovery.p12" "$T/ad_p12_old"
ad_resets=$(ad_audits 'device reset')
ad_files=$(ls "$ad_pki" | wc -l)
ad_next
run ad_ctl set cert regen ITLRecovery -d "$ad_d" --yes \
    --password-file "$T/ad_bad" </dev/null
expect_rc "regen ITLRecovery with a wrong security password" 1
expect_err "wrong security password: message" "wrong security password"
expect_true "wrong password: store unchanged" \
    test "$(ad_sha pub ITLRecovery)" = "$ad_rec0"
expect_true "wrong password: no new file" \
    test "$(ls "$ad_pki" | wc -l)" -eq "$ad_files"
expect_true "wrong password: p12 unchanged" \
    cmp -s "$ad_pki/ITLRecovery.p12" "$T/ad_p12_old"

run ad_ctl set cert regen ITLRecovery -d "$ad_d" --yes \
    --password-file "$T/ad_pw" </dev/null
expect_rc "regen ITLRecovery" 0
ad_rec1=$(ad_sha pub ITLRecovery)
expect_true "regen ITLRecovery: new active sha1" test "$ad_rec1" != "$ad_rec0"
expect_true "regen ITLRecovery: subject kept after the rename" \
    test "$(ad_subject "$(ad_path pub ITLRecovery)")" = "$ad_subj0"
expect_true "regen ITLRecovery: subject is the original name" \
    test "$ad_subj0" = "subject=CN=ITLRECOVERY_pub"
expect_true "regen ITLRecovery: five years" sh -c "openssl x509 -in \
    '$(ad_path pub ITLRecovery)' -noout -checkend $((1824 * 86400)) && \
    ! openssl x509 -in '$(ad_path pub ITLRecovery)' -noout \
    -checkend $((1826 * 86400))"
expect_true "regen ITLRecovery: the p12 holds the new certificate" \
    test "$(ad_p12fp "$ad_pki/ITLRecovery.p12" "$T/ad_pw")" = "$ad_rec1"
expect_true "regen ITLRecovery: no p12.new left" \
    test ! -e "$ad_pki/ITLRecovery.p12.new"
expect_true "regen ITLRecovery: no device reset" \
    test "$(ad_audits 'device reset')" -eq "$ad_resets"
ad_next
run ad_ctl set cert regen CallManager -d "$ad_d" --yes </dev/null
expect_rc "regen CallManager after the rename" 0
expect_true "regen CallManager: CN is the new FQDN" sh -c "openssl x509 \
    -in '$(ad_path pub CallManager)' -noout -subject | \
    grep -q 'CN = pub.new.example$'"

# ---- param set / show -------------------------------------------------------

run "$SBDCTL" param show -d "$ad_d"
expect_rc "param show" 0
expect_out "param show: unset tvs_ttl" "tvs_ttl = (default 86400)"
expect_out "param show: unset capf_lsc_days" "capf_lsc_days = (default 1825)"
expect_out "param show: itlrecovery_backup" \
    "itlrecovery_backup = (default none)"
run "$SBDCTL" param set -d "$ad_d" tvs_ttl 600
expect_rc "param set tvs_ttl" 0
expect_out "param set tvs_ttl: echoed" "tvs_ttl = 600"
run "$SBDCTL" param show -d "$ad_d" tvs_ttl
expect_out "param show tvs_ttl" "tvs_ttl = 600"
expect_true "param show NAME prints one line" test "$(wc -l <"$T/out")" -eq 1
run "$SBDCTL" param set -d "$ad_d" tvs_ttl 2592001
expect_rc "param set tvs_ttl over the range: usage" 2
expect_err "tvs_ttl range: message" "bad value for tvs_ttl: 2592001"
run "$SBDCTL" param set -d "$ad_d" capf_lsc_days 0
expect_rc "param set capf_lsc_days 0: usage" 2
run "$SBDCTL" param set -d "$ad_d" capf_lsc_days 0365
expect_rc "param set capf_lsc_days 0365" 0
expect_out "param set: canonical decimal" "capf_lsc_days = 365"
run "$SBDCTL" param set -d "$ad_d" rollback_pre80 maybe
expect_rc "param set rollback_pre80 maybe: usage" 2
run "$SBDCTL" param set -d "$ad_d" rollback_pre80 True
expect_rc "param set rollback_pre80" 0
ad_rb="Prepare Cluster for Rollback to pre 8.0"
expect_out "rollback_pre80: CUCM's name and the reset" "$ad_rb = True: \
reset every device for phones to take it (sbdctl device reset --all)"
expect_true "rollback_pre80 stored as true" \
    test "$(ad_sql "SELECT value FROM param \
    WHERE name = 'rollback_pre80'")" = true
run "$SBDCTL" param set -d "$ad_d" rollback_pre80 false
expect_out "rollback_pre80 false" "$ad_rb = False"
run "$SBDCTL" param set -d "$ad_d" itlrecovery_backup 00
expect_rc "param set itlrecovery_backup refused" 1
expect_err "itlrecovery_backup: message" \
    "itlrecovery_backup is set by file get tftp ITLRecovery.p12"
run "$SBDCTL" param set -d "$ad_d" colour blue
expect_rc "param set unknown: usage" 2
expect_err "param set unknown: lists the names" \
    "unknown parameter: colour (tvs_ttl, rollback_pre80, capf_lsc_days, \
reset_hook, itlrecovery_backup)"
run "$SBDCTL" param show -d "$ad_d" colour
expect_rc "param show unknown: usage" 2
run "$SBDCTL" param set -d "$ad_d" tvs_ttl
expect_rc "param set without a value: usage" 2
run "$SBDCTL" param set -d "$ad_d" reset_hook "$(printf 'x%.0s' $(seq 256))"
expect_rc "param set reset_hook of 256 bytes: usage" 2
run "$SBDCTL" param set -d "$ad_d" reset_hook ""
expect_rc "param set reset_hook empty" 0
run "$SBDCTL" param show -d "$ad_d" --json
expect_true "param show --json is valid JSON" python3 -m json.tool "$T/out"
expect_true "param show --json: tvs_ttl value" python3 -c "import json,sys
d = {p['name']: p for p in json.load(open(sys.argv[1]))}
assert d['tvs_ttl']['value'] == '600' and d['tvs_ttl']['default'] == '86400'
assert d['itlrecovery_backup']['value'] is None" "$T/out"
expect_true "param set: audited each time" test "$(ad_audits 'param set')" -eq 5

# ---- device reset -----------------------------------------------------------

for ad_m in 001122334455 0011223344AA 00112233BBCC; do
	"$SBDCTL" device add -d "$ad_d" --mac $ad_m >/dev/null
done
ad_names="$T/ad_names"
run "$SBDCTL" device reset -d "$ad_d" --all
expect_rc "device reset without a hook" 1
expect_err "no hook: says how to set one" \
    "no reset hook is set (sbdctl param set reset_hook COMMAND): \
reset 3 phones by hand"
"$SBDCTL" param set -d "$ad_d" reset_hook \
    "cat >'$ad_names'; \
echo \"\$SBD_RESET_REASON|\$SBD_DATA\" >'$ad_names.env'" \
    >/dev/null
run "$SBDCTL" device reset -d "$ad_d" --all
expect_rc "device reset --all" 0
expect_out "device reset --all: reported" "Reset sent to 3 devices."
printf 'SEP001122334455\nSEP0011223344AA\nSEP00112233BBCC\n' >"$T/ad_want"
expect_same "the hook got every name" "$ad_names" "$T/ad_want"
expect_true "the hook got the reason and data directory" \
    test "$(cat "$ad_names.env")" = "device reset|$ad_d"
run "$SBDCTL" device reset -d "$ad_d" 00:11:22:33:bb:cc SEP001122334455 \
    --reason "new firmware"
expect_rc "device reset two MACs" 0
printf 'SEP00112233BBCC\nSEP001122334455\n' >"$T/ad_want"
expect_same "the hook got exactly those names" "$ad_names" "$T/ad_want"
expect_true "--reason reaches the hook" \
    test "$(cat "$ad_names.env")" = "new firmware|$ad_d"
rm -f "$ad_names"
run "$SBDCTL" device reset -d "$ad_d" 001122334455 001122334466
expect_rc "device reset of an unknown MAC" 1
expect_err "unknown MAC: named" "device SEP001122334466 not found"
expect_true "unknown MAC: the hook did not run" test ! -e "$ad_names"
run "$SBDCTL" device reset -d "$ad_d" nonsense
expect_rc "device reset of a bad MAC" 1
expect_err "bad MAC: named" "bad MAC: nonsense"
run "$SBDCTL" device reset -d "$ad_d"
expect_rc "device reset without MACs: usage" 2
run "$SBDCTL" device reset -d "$ad_d" --all 001122334455
expect_rc "device reset --all with MACs: usage" 2
ad_audit0=$(ad_audits 'device reset')

# CallManager and TVS reset every phone; CAPF and ITLRecovery do not.
ad_next
run ad_ctl set cert regen TVS -d "$ad_d" --yes </dev/null
expect_rc "regen TVS with a hook" 0
expect_out "regen TVS: the reset is reported" "Reset sent to 3 devices."
expect_true "regen TVS: the hook got the reason" \
    test "$(cat "$ad_names.env")" = "cert regen TVS|$ad_d"
rm -f "$ad_names"
ad_next
run ad_ctl set cert regen CAPF -d "$ad_d" --yes </dev/null
expect_rc "regen CAPF with a hook" 0
expect_true "regen CAPF: no reset" test ! -e "$ad_names"

"$SBDCTL" param set -d "$ad_d" reset_hook "exit 3" >/dev/null
run "$SBDCTL" device reset -d "$ad_d" --all
expect_rc "a failing hook" 1
expect_err "a failing hook: its status" "the reset hook failed: exit status 3"
"$SBDCTL" param set -d "$ad_d" reset_hook \
    "sleep 30 & echo \$! >'$T/ad_child'; wait" >/dev/null
ad_t0=$(date +%s)
run "$SBDCTL" device reset -d "$ad_d" --all --hook-timeout 1
ad_t1=$(date +%s)
expect_rc "a hook past --hook-timeout" 1
expect_err "a hook past --hook-timeout: reported" \
    "the reset hook did not finish within 1 s: killed"
expect_true "a hook past --hook-timeout: stopped in time" \
    test $((ad_t1 - ad_t0)) -le 3
expect_true "a hook past --hook-timeout: its children killed too" \
    sh -c "! kill -0 \$(cat '$T/ad_child') 2>/dev/null || \
    grep -q '^[0-9]* (.*) Z' /proc/\$(cat '$T/ad_child')/stat"
run "$SBDCTL" device reset -d "$ad_d" --all --hook-timeout 0
expect_rc "--hook-timeout 0: usage" 2
expect_true "device reset: every attempt audited" \
    test "$(ad_audits 'device reset')" -eq $((ad_audit0 + 3))
expect_true "device reset audit: the killed hook" sh -c "sqlite3 \
    -readonly '$ad_db' \"SELECT detail FROM audit WHERE action = \
    'device reset' ORDER BY id DESC LIMIT 1\" | grep -q 'killed after 1 s'"
"$SBDCTL" param set -d "$ad_d" reset_hook "" >/dev/null

# ---- set password security --------------------------------------------------

ad_p12="$ad_pki/ITLRecovery.p12"
cp "$ad_p12" "$T/ad_p12_old"
run "$SBDCTL" set password security -d "$ad_d" --node sub \
    --old-password-file "$T/ad_pw" --new-password-file "$T/ad_new"
expect_rc "set password security on a subscriber" 1
expect_out "subscriber: CUCM's refusal" "This is not a Publisher Node"
run "$SBDCTL" set password security -d "$ad_d" \
    --old-password-file "$T/ad_bad" --new-password-file "$T/ad_new"
expect_rc "set password security: wrong old password" 1
expect_err "wrong old password: message" "wrong security password"
run "$SBDCTL" set password security -d "$ad_d" \
    --old-password-file "$T/ad_pw" --new-password-file "$T/ad_short"
expect_rc "set password security: short new password" 1
expect_err "short new password: message" "at least 8 characters"
run "$SBDCTL" set password security -d "$ad_d" \
    --old-password-file "$T/ad_pw" --old-password-env AD_PW
expect_rc "two sources for the old password: usage" 2
expect_true "refusals left the p12 as it was" cmp -s "$ad_p12" "$T/ad_p12_old"

# A staged file that never became current (killed before its commit) is
# removed; the change goes on.
printf 'junk\n' >"$ad_p12.new"
export AD_OLD='correct horse' AD_NEW='battery staple'
run "$SBDCTL" set password security -d "$ad_d" \
    --old-password-env AD_OLD --new-password-env AD_NEW
unset AD_OLD AD_NEW
expect_rc "set password security" 0
expect_out "set password security: CUCM's words" \
    "Password updated successfully."
expect_true "the p12 changed" sh -c "! cmp -s '$ad_p12' '$T/ad_p12_old'"
expect_true "the new p12 opens with the new password" \
    test "$(ad_p12fp "$ad_p12" "$T/ad_new")" = "$(ad_sha pub ITLRecovery)"
expect_true "the new p12 does not open with the old one" \
    test -z "$(ad_p12fp "$ad_p12" "$T/ad_pw")"
expect_true "no p12.new left" test ! -e "$ad_p12.new"
ad_next
run ad_ctl set cert regen ITLRecovery -d "$ad_d" --yes \
    --password-file "$T/ad_pw" </dev/null
expect_rc "the old password no longer passes" 1
expect_err "old password: message" "wrong security password"

# A staged file that became current (killed after the commit, before the
# rename) is finished by the next command that opens the p12.
mv "$ad_p12" "$ad_p12.new"
printf 'stale\n' >"$ad_p12"
run "$SBDCTL" set password security -d "$ad_d" \
    --old-password-file "$T/ad_new" --new-password-file "$T/ad_pw"
expect_rc "set password security finishing an interrupted change" 0
expect_err "interrupted change: reported" "finishing an interrupted change"
expect_true "the p12 opens with the password set now" \
    test "$(ad_p12fp "$ad_p12" "$T/ad_pw")" = "$(ad_sha pub ITLRecovery)"

# ---- utils service restart --------------------------------------------------

ad_r0=$(ad_sql "SELECT tftp_restart FROM node WHERE name = 'pub'")
run "$SBDCTL" utils service restart "Cisco Tftp" -d "$ad_d"
expect_rc "utils service restart without sbdd" 0
printf 'Service Manager is running\nCisco Tftp[STOPPING]\nCisco Tftp[STARTING]
Cisco Tftp[NOT RUNNING]: the restart happens when sbdd starts on pub\n' \
    >"$T/ad_want"
expect_same "utils service restart: the transcript" "$T/out" "$T/ad_want"
expect_true "utils service restart: the request is in the store" \
    test "$(ad_sql "SELECT tftp_restart FROM node WHERE name = 'pub'")" \
    -eq $((ad_r0 + 1))
expect_true "utils service restart: audited" \
    test "$(ad_audits 'utils service restart')" -eq 1
run "$SBDCTL" utils service restart "Cisco CallManager" -d "$ad_d"
expect_rc "utils service restart of another service" 1
expect_out "another service: CUCM's words" \
    "Service not found: Cisco CallManager"
run "$SBDCTL" utils service stop "Cisco Tftp" -d "$ad_d"
expect_rc "utils service stop: usage" 2

# ---- show itl / ctl of a node -----------------------------------------------

ad_itl="$ad_d/nodes/pub/tftp/ITLFile.tlv"
run "$SBDCTL" show itl -d "$ad_d"
expect_rc "show itl of a node without its file" 1
expect_err "show itl without the file: message" \
    "$ad_itl: no such file (sbdd writes it when it starts on pub)"
run "$SBDCTL" show ctl -d "$ad_d" --node sub
expect_rc "show ctl of sub without its file" 1
expect_err "show ctl of sub: message" \
    "$ad_d/nodes/sub/tftp/CTLFile.tlv: no such file \
(sbdd writes it when it starts on sub)"
cp "$DATA/public/itl-freepbx-2rec.tlv" "$ad_itl"
touch -d @1700000000 "$ad_itl"
run "$SBDCTL" show itl -d "$ad_d"
expect_rc "show itl of the publisher" 0
expect_same "show itl of a node prints as show itl FILE" "$T/out" \
    "$DATA/golden/show-itl-freepbx-2rec.txt"
run env SBD_NODE=pub "$SBDCTL" show itl -d "$ad_d" --json
expect_out "show itl --json of a node names its file" "\"file\": \"$ad_itl\""
run "$SBDCTL" show itl -d "$ad_d" "$ad_itl"
expect_rc "show itl -d with FILE: usage" 2
