#!/bin/sh
# make run: a working single-node cluster in ./var, served by sbdd on
# unprivileged ports.  The cluster (certificates, store) is created once and
# kept across runs; sbdd is (re)started in the background.
set -eu
: "${SBDCTL:?}" "${SBDD:?}"
VAR=${VAR:-var}
NODE=${NODE:-sbd-pub}
ADDR=${ADDR:-127.0.0.1}
TFTP_PORT=${TFTP_PORT:-6969}
HTTP_PORT=${HTTP_PORT:-6970}
MAC=${MAC:-00AABBCCDDEE}
RUN=$VAR/nodes/$NODE/run
TFTPDIR=$VAR/nodes/$NODE/tftp

mkdir -p "$VAR"
if [ ! -s "$VAR/store.db" ]; then
	umask 077
	# The cluster security password protects ITLRecovery.p12 (seed 001).
	od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$VAR/security-password"
	umask 022
	"$SBDCTL" cluster init -d "$VAR" --name demo --node "$NODE" \
	    --addr "$ADDR" --tftp-port "$TFTP_PORT" --http-port "$HTTP_PORT" \
	    --password-file "$VAR/security-password"
	"$SBDCTL" device add -d "$VAR" --mac "$MAC" --model CP-8845 \
	    --profile authenticated --description "demo phone"
fi

# Restart the node's daemon.
if [ -s "$RUN/sbdd.pid" ] && kill -0 "$(cat "$RUN/sbdd.pid")" 2>/dev/null
then
	kill "$(cat "$RUN/sbdd.pid")"
	i=0
	while [ -e "$RUN/sbdd.sock" ] && [ $i -lt 50 ]; do
		sleep 0.1; i=$((i + 1))
	done
fi
rm -f "$RUN/ports"
# Detached from our output, so `make run | ...` ends when make does.
"$SBDD" -d "$VAR" -n "$NODE" -f </dev/null >/dev/null 2>>"$VAR/sbdd.log" &
i=0
while [ ! -s "$RUN/ports" ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
if [ ! -s "$RUN/ports" ]; then
	echo "run: sbdd did not start; see $VAR/sbdd.log" >&2
	tail -5 "$VAR/sbdd.log" >&2
	exit 1
fi

# Prove it serves: fetch the phone's ITL over TFTP, as a phone would.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tftp "$ADDR" "$TFTP_PORT" -m binary -c get "ITLSEP$MAC.tlv" "$tmp/itl"
cmp -s "$tmp/itl" "$TFTPDIR/ITLFile.tlv"

echo "admin:show itl"
"$SBDCTL" show itl "$TFTPDIR/ITLFile.tlv"
echo
"$SBDCTL" device list -d "$VAR"
echo
cat <<EOF
sbdd is serving node $NODE of the demo cluster in $VAR (pid $(cat "$RUN/sbdd.pid"),
log in $VAR/sbdd.log):
  TFTP  $ADDR:$TFTP_PORT   HTTP  http://$ADDR:$HTTP_PORT/

Fetch what a phone fetches when it boots:
  tftp $ADDR $TFTP_PORT -m binary -c get CTLSEP$MAC.tlv        (not found: no CTL)
  tftp $ADDR $TFTP_PORT -m binary -c get ITLSEP$MAC.tlv
  tftp $ADDR $TFTP_PORT -m binary -c get SEP$MAC.cnf.xml.sgn
  curl -O http://$ADDR:$HTTP_PORT/SEP$MAC.cnf.xml.sgn
  $SBDCTL stats -d $VAR

To boot a real phone against it: register it with
  $SBDCTL device add -d $VAR --mac <its MAC> --profile authenticated
run sbdd on the phone's network (set addr and tftp_port=69, see sbdd(8)),
and point DHCP option 150 at that address.
Stop the daemon with: kill \$(cat $RUN/sbdd.pid)
EOF
