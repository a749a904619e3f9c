#!/bin/sh
# make run: a working single-node cluster in ./var, served by sbdd on
# unprivileged ports.  The cluster (certificates, store) is created once and
# kept across runs; sbdd is (re)started in the background.
set -eu
: "${SBDCTL:?}" "${SBDD:?}" "${SBDPHONE:?}"
VAR=${VAR:-var}
NODE=${NODE:-sbd-pub}
ADDR=${ADDR:-127.0.0.1}
TFTP_PORT=${TFTP_PORT:-6969}
HTTP_PORT=${HTTP_PORT:-6970}
MAC=${MAC:-00AABBCCDDEE}
PHONE=$VAR/phones/SEP$MAC
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
	    --profile authenticated --tvs "$NODE" --description "demo phone"
fi
mkdir -p "$VAR/phones"
[ -d "$PHONE" ] || "$SBDPHONE" init "$PHONE" --mac "$MAC" --model CP-8845

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
# And boot the simulated phone: trust lists, signed configuration, the
# DeviceTLInfo report; then what its Settings > Status screens show.
echo "sbdphone boot $PHONE"
"$SBDPHONE" boot "$PHONE" --tftp "$ADDR:$TFTP_PORT" --http-port "$HTTP_PORT"
echo
"$SBDPHONE" status "$PHONE"
echo
"$SBDCTL" device list -d "$VAR"
echo
cat <<EOF
sbdd is serving node $NODE of the demo cluster in $VAR (pid $(cat "$RUN/sbdd.pid"),
log in $VAR/sbdd.log):
$(sed 's/^/  /' "$RUN/ports")   (on $ADDR; TVS and CAPF speak TLS)

Fetch what a phone fetches when it boots:
  tftp $ADDR $TFTP_PORT -m binary -c get CTLSEP$MAC.tlv        (not found: no CTL)
  tftp $ADDR $TFTP_PORT -m binary -c get ITLSEP$MAC.tlv
  tftp $ADDR $TFTP_PORT -m binary -c get SEP$MAC.cnf.xml.sgn
  curl -O http://$ADDR:$HTTP_PORT/SEP$MAC.cnf.xml.sgn
  $SBDCTL stats -d $VAR

Boot the simulated phone again, ask TVS about a certificate, enrol an LSC:
  $SBDPHONE boot $PHONE --tftp $ADDR:$TFTP_PORT
  $SBDCTL tvs query --host $ADDR --cert $VAR/nodes/$NODE/pki/CallManager.pem
  $SBDCTL device capf -d $VAR $MAC --op install --auth null
  $SBDPHONE capf $PHONE

To boot a real phone against it: register it with
  $SBDCTL device add -d $VAR --mac <its MAC> --profile authenticated
run sbdd on the phone's network (set addr and tftp_port=69, see sbdd(8)),
and point DHCP option 150 at that address.
Stop the daemon with: kill \$(cat $RUN/sbdd.pid)
EOF
