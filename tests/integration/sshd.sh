# An SFTP server for the tests: a throwaway OpenSSH sshd on 127.0.0.1,
# every file of it under $SSHD_DIR (default $T/sshd).  Sourced after
# tests/cli/lib.sh and tests/integration/lib.sh, whose ok/nok, track,
# wait_until and free_ports it uses; by t_sftp.sh and the scenarios.
#
#   start_sshd [PORT]   start /usr/sbin/sshd -D -e on 127.0.0.1:PORT
#                       (default $SSHD_PORT when set, else a free port),
#                       prefixed by $IN_NS when set.  Makes what is
#                       missing: the ed25519 host key
#                       ($SSHD_DIR/host_key, kept across restarts), the
#                       client key $SSHD_KEY (in authorized_keys), the
#                       configuration (public keys only, root included;
#                       sftp by internal-sftp).  Checks it with sshd -t,
#                       waits at most 10 s for the port to listen; sets
#                       SSHD_PORT, SSHD_PID, SSHD_KEY, SSHD_USER (id -un),
#                       SSHD_LOG; counts a test
#   stop_sshd           SIGTERM; at most 5 s for sshd to exit; counts a
#                       test
#   sshd_new_host_key   a new host key, served from the next start
#   sshd_fingerprint    print the host key's "SHA256:..." fingerprint

SSHD=/usr/sbin/sshd
SSHD_DIR=""
SSHD_PORT=""
SSHD_PID=""
SSHD_KEY=""
SSHD_LOG=""
SSHD_USER=$(id -un)

_sshd_listening() {
	# shellcheck disable=SC2086
	[ -n "$($IN_NS ss -Htln "sport = :$1" 2>/dev/null)" ]
}

sshd_new_host_key() {
	rm -f "$SSHD_DIR/host_key" "$SSHD_DIR/host_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C sbd-test-host \
	    -f "$SSHD_DIR/host_key"
}

sshd_fingerprint() {
	ssh-keygen -l -E sha256 -f "$SSHD_DIR/host_key.pub" | cut -d' ' -f2
}

start_sshd() {
	SSHD_DIR=${SSHD_DIR:-$T/sshd}
	SSHD_KEY=$SSHD_DIR/client_key
	SSHD_LOG=$SSHD_DIR/log
	SSHD_PORT=${1:-${SSHD_PORT:-$(free_ports 1 7)}}
	SSHD_PID=""
	mkdir -p "$SSHD_DIR"
	chmod 700 "$SSHD_DIR"
	# sshd's privilege separation needs this directory to exist.
	mkdir -p /run/sshd
	[ -f "$SSHD_DIR/host_key" ] || sshd_new_host_key
	if [ ! -f "$SSHD_KEY" ]; then
		ssh-keygen -q -t ed25519 -N '' -C sbd-test-client \
		    -f "$SSHD_KEY"
		cp "$SSHD_KEY.pub" "$SSHD_DIR/authorized_keys"
	fi
	cat >"$SSHD_DIR/sshd_config" <<-EOF
	ListenAddress 127.0.0.1
	Port $SSHD_PORT
	HostKey $SSHD_DIR/host_key
	PidFile $SSHD_DIR/sshd.pid
	AuthorizedKeysFile $SSHD_DIR/authorized_keys
	StrictModes no
	PasswordAuthentication no
	KbdInteractiveAuthentication no
	PermitRootLogin prohibit-password
	UsePAM no
	Subsystem sftp internal-sftp
	EOF
	if ! "$SSHD" -t -f "$SSHD_DIR/sshd_config" >"$SSHD_LOG" 2>&1; then
		nok "sshd -t: the test sshd's configuration is refused"
		sed -n '1,10s/^/  | /p' "$SSHD_LOG"
		return 1
	fi
	# IN_NS is a command prefix ("ip netns exec NS"): split on purpose.
	# shellcheck disable=SC2086
	$IN_NS "$SSHD" -D -e -f "$SSHD_DIR/sshd_config" 2>>"$SSHD_LOG" &
	SSHD_PID=$!
	track "$SSHD_PID"
	if wait_until 10 _sshd_listening "$SSHD_PORT"; then
		ok "sshd on 127.0.0.1:$SSHD_PORT"
	else
		nok "sshd on 127.0.0.1:$SSHD_PORT: not listening after 10 s"
		sed -n '1,10s/^/  | /p' "$SSHD_LOG"
		return 1
	fi
}

stop_sshd() {
	kill -TERM "$SSHD_PID" 2>/dev/null
	if wait_until 5 _dead "$SSHD_PID"; then
		wait "$SSHD_PID" 2>/dev/null
		ok "sshd stops on SIGTERM"
	else
		kill -KILL "$SSHD_PID" 2>/dev/null
		nok "sshd stops on SIGTERM: still running after 5 s"
	fi
}
