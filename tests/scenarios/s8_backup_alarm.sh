# Scenario 8: the ITLRecovery backup alarm (SPEC.md "Backup alarm";
# sbdd(8), Backup alarm).  The publisher's sbdd, checking every second,
# raises %UC_CERT-4-ITLRecoveryCertBackup once a day of the cluster clock
# (SBD_TEST_CLOCK) to its log and the store (`alarm list`) until `file get
# tftp ITLRecovery.p12` has copied the key to an SFTP server; a change of
# the cluster security password protects the key anew, which re-arms it.
# Sourced by run.sh.

. "$here/../integration/sshd.sh"

D=$T/c
BK=$T/backup
LOG=$D.pub.log
TEXT='%UC_CERT-4-ITLRecoveryCertBackup: %[ClusterID=s8][NodeID=pub]: '\
'This cluster has an ITLRecovery certificate that has not been backed up.'

alarms_are() {	# N: alarm list holds N backup alarms
	"$SBDCTL" alarm list -d "$D" --json >"$T/alarms" 2>&1 &&
	    [ "$(grep -c '"name": "ITLRecoveryCertBackup"' "$T/alarms")" = "$1" ]
}

logged() {	# N: the log holds the text N times
	[ "$(grep -cF "$TEXT" "$LOG")" = "$1" ]
}

day() {	# N: the cluster clock N days and N seconds ahead
	set_clock $(($1 * 86401))
}

export SBD_TEST_CLOCK="$T/clock"
day 0
make_cluster "$D" s8 pub || return
start_node "$D" pub -o alarm_check=1
expect_true "s8: raised within 3 s of the start" wait_until 3 alarms_are 1
run "$SBDCTL" alarm list -d "$D"
expect_out "s8: alarm list: CUCM's text" "$TEXT"
expect_true "s8: ... raised by pub" grep -Eq '^[0-9T:-]+Z pub +%UC_CERT' \
    "$T/out"
expect_true "s8: ... severity 4 (warning)" grep -q '"severity": 4' "$T/alarms"
expect_true "s8: ... logged word for word" logged 1
sleep 3
expect_true "s8: three checks later, still one alarm" alarms_are 1
expect_true "s8: ... logged once" logged 1
day 1
expect_true "s8: a day later, raised again" wait_until 3 alarms_are 2
expect_true "s8: ... and logged again" logged 2
expect_node_counter "s8: pub counted 2" "$D" pub alarms_raised -eq 2

# ---- the backup clears it
start_sshd
mkdir -p "$BK"
run "$SBDCTL" file get tftp ITLRecovery.p12 -d "$D" --yes --host 127.0.0.1 \
    --port "$SSHD_PORT" --user "$SSHD_USER" --dir "$BK" \
    --identity "$SSHD_KEY" --accept-host-key </dev/null
expect_rc "s8: file get tftp ITLRecovery.p12" 0
expect_same "s8: ... the SFTP server holds the key" \
    "$D/nodes/pub/pki/ITLRecovery.p12" "$BK/ITLRecovery.p12"
stop_sshd
day 2
sleep 3
expect_true "s8: backed up: no alarm the next day" alarms_are 2
day 3
sleep 2
expect_true "s8: ... nor the day after" alarms_are 2
expect_true "s8: ... nothing more logged" logged 2

# ---- a new security password re-arms it
P12=$T/p12.before
cp "$D/nodes/pub/pki/ITLRecovery.p12" "$P12"
cp "$D.pw" "$T/old.pw"
printf 'scenario-s8-new-pw\n' >"$T/new.pw"
run "$SBDCTL" set password security -d "$D" \
    --old-password-file "$T/old.pw" --new-password-file "$T/new.pw"
expect_rc "s8: set password security" 0
expect_out "s8: ... CUCM's text" "Password updated successfully."
expect_true "s8: ... ITLRecovery.p12 is protected anew" \
    not cmp -s "$P12" "$D/nodes/pub/pki/ITLRecovery.p12"
expect_true "s8: ... under the new password" "$SBDCTL" cert import-p12 \
    "$D/nodes/pub/pki/ITLRecovery.p12" --cert-out "$T/rec.pem" \
    --key-out "$T/rec.key" --password-file "$T/new.pw"
# Re-armed, and the last alarm is days old: raised at once, once a day.
expect_true "s8: re-armed: raised again" wait_until 3 alarms_are 3
expect_true "s8: ... and logged" logged 3
sleep 2
expect_true "s8: ... once that day" alarms_are 3
day 4
expect_true "s8: ... and the following day again" wait_until 3 alarms_are 4
expect_true "s8: ... logged 4 times in all" logged 4
expect_node_counter "s8: pub counted 4" "$D" pub alarms_raised -eq 4
stop_node "$D" pub
unset SBD_TEST_CLOCK
