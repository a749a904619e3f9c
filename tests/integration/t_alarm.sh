# The ITLRecovery backup alarm (SPEC.md "Backup alarm"): raised by the
# publisher's sbdd to its log and to the store's alarm table, at most
# once a day of the test clock (SBD_TEST_CLOCK), not while the parameter
# itlrecovery_backup names the SHA-1 of the publisher's ITLRecovery.p12,
# again when that file changes; never by a subscriber's sbdd.  Store rows
# are read and written with the sqlite3 shell.  Sourced by run.sh.

D=$T/alarm
P12=$D/nodes/pub/pki/ITLRecovery.p12
TEXT='%UC_CERT-4-ITLRecoveryCertBackup: %[ClusterID=test][NodeID=pub]: '\
'This cluster has an ITLRecovery certificate that has not been backed up.'

make_node "$D"

sq() {
	sqlite3 -cmd '.timeout 5000' "$D/store.db" "$1"
}

alarms_are() {	# N
	[ "$(sq "SELECT count(*) FROM alarm")" = "$1" ]
}

day() {	# N: move the test clock N days and a second ahead
	echo $(($1 * 86400 + $1)) >"$T/clock"
}

run "$SBDD" -d "$D" -n pub -f -o alarm_check=0
expect_rc "alarm: alarm_check=0 is a usage error" 2
expect_err "alarm: ... naming the setting" 'bad setting "alarm_check=0"'
run "$SBDD" --help
expect_out "alarm: --help lists alarm_check" "alarm_check"

export SBD_TEST_CLOCK="$T/clock"
day 0
start_sbdd "$D" -o alarm_check=1
expect_true "alarm: raised within 3 s of the start" wait_until 3 alarms_are 1
expect_true "alarm: the alarm's text is CUCM's" \
    test "$(sq "SELECT text FROM alarm")" = "$TEXT"
expect_true "alarm: ... named ITLRecoveryCertBackup, severity 4, by pub" \
    test "$(sq "SELECT name || ' ' || severity || ' ' || node FROM alarm")" \
    = "ITLRecoveryCertBackup 4 pub"
expect_true "alarm: ... and logged word for word" \
    grep -qF "sbdd[pub]: $TEXT" "$SBDD_LOG"
sleep 3
expect_true "alarm: three checks later, still one alarm" alarms_are 1
expect_counter "alarm: counted once" "$D" alarms_raised -eq 1

day 1
expect_true "alarm: a day later, raised again within 3 s" \
    wait_until 3 alarms_are 2
expect_true "alarm: ... at the test clock's time" test "$(sq \
    "SELECT max(at) - min(at) >= 86401 FROM alarm")" = 1
expect_true "alarm: ... and logged again" \
    test "$(grep -cF "$TEXT" "$SBDD_LOG")" = 2

# `file get tftp ITLRecovery.p12` records what it copied.
run sq "INSERT INTO param (name, value)
    VALUES ('itlrecovery_backup', '$(sha1sum "$P12" | cut -c1-40)')"
expect_rc "alarm: the backup recorded" 0
day 2
sleep 3
expect_true "alarm: backed up: not raised the next day" alarms_are 2

# A new key (regenerated, or re-protected under a new password) is not
# backed up.
run openssl pkcs12 -export -in "$D/nodes/pub/pki/ITLRecovery.pem" \
    -passout pass:other -out "$T/other.p12"
expect_rc "alarm: another ITLRecovery.p12" 0
cp "$T/other.p12" "$P12"
day 3
expect_true "alarm: a changed ITLRecovery.p12 is raised again" \
    wait_until 3 alarms_are 3
expect_counter "alarm: three raised in all" "$D" alarms_raised -eq 3
stop_sbdd "alarm: the publisher's sbdd stops"

# ---- a subscriber never raises it
run "$SBDCTL" node add -d "$D" --name sub --addr 127.0.0.2
expect_rc "alarm: subscriber sub on 127.0.0.2" 0
SUB_LOG=$D.sub.log
rm -f "$D/nodes/sub/run/ports"
# sub runs TFTP and TVS (node add's default), not CAPF.
"$SBDD" -d "$D" -n sub -f -o tftp_port=0 -o http_port=0 -o tvs_port=0 \
    -o capf_port=off -o alarm_check=1 2>>"$SUB_LOG" &
SUB_PID=$!
track "$SUB_PID"
expect_true "alarm: sub's sbdd is ready" \
    wait_until 10 _ports_ready "$D/nodes/sub/run/ports"
# Due on the publisher: not backed up, and a day since the last one.
day 4
sleep 3
expect_true "alarm: sub raised nothing in 3 s" alarms_are 3
expect_true "alarm: ... logged nothing" \
    sh -c "! grep -qF ITLRecoveryCertBackup '$SUB_LOG'"
run "$SBDCTL" stats -d "$D" --node sub --json
expect_true "alarm: ... and counted nothing" \
    grep -Eq '"alarms_raised": *0[,}]' "$T/out"
kill -TERM "$SUB_PID"
SBDD_PID=$SUB_PID
SBDD_LOG=$SUB_LOG
wait_sbdd "alarm: sub's sbdd stops"
unset SBD_TEST_CLOCK
