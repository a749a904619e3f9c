#!/bin/sh
# TFTP boot-storm benchmark: N simulated phones (CTLSEP miss, ITLSEP, signed
# configuration), C in flight, against sbdd and, on the same files in the same
# run, against dnsmasq, tftpd-hpa and atftpd.  Prints transfers/s and the
# ratios the issue sets as targets, sbdd's peak resident memory, and the cold
# rate (every configuration signed on demand, phones fetching only their
# signed configuration) against the bare RSA-2048 signing rate of
# `openssl speed` on one core.
#
#   N=10000 C=200 N_SLOW=2000 ROUNDS=3 sh bench/tftp_bench.sh
#
# Needs root (dnsmasq's TFTP port is 69; the peers drop to nobody).
# Traffic stays on 127.0.0.0/8.
set -eu
: "${SBDCTL:?}" "${SBDD:?}" "${BENCH:?}"
N=${N:-10000}
C=${C:-200}
N_SLOW=${N_SLOW:-2000}		# tftpd-hpa forks per request: fewer phones
ROUNDS=${ROUNDS:-3}
MACBASE=001000000000
PEERS=$(dirname "$BENCH")/peers

# ---- peers: tftpd-hpa and atftpd conflict as Debian packages, so both are
# unpacked into build/peers rather than installed.
if [ ! -x "$PEERS/root/usr/sbin/in.tftpd" ] ||
    [ ! -x "$PEERS/root/usr/sbin/atftpd" ]; then
	mkdir -p "$PEERS/debs"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends libwrap0 libpcre2-8-0 dnsmasq-base \
	    >/dev/null
	(cd "$PEERS/debs" && apt-get download tftpd-hpa atftpd >/dev/null)
	for d in "$PEERS"/debs/*.deb; do dpkg -x "$d" "$PEERS/root"; done
fi

tmp=$(mktemp -d /tmp/sbdbench.XXXXXX)
chmod 755 "$tmp"	# the peers drop to nobody and must reach $tmp/peerroot
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

D=$tmp/data
printf 'bench-password\n' >"$tmp/pw"
"$SBDCTL" cluster init -d "$D" --name bench --node pub --addr 127.0.0.1 \
    --password-file "$tmp/pw" >/dev/null
{
	echo "mac,model,profile,tvs,description"
	i=0
	while [ $i -lt "$N" ]; do
		printf '%012X,CP-8845,authenticated,,\n' \
		    $((0x$MACBASE + i))
		i=$((i + 1))
	done
} >"$tmp/devices.csv"
"$SBDCTL" device add -d "$D" --csv "$tmp/devices.csv" >/dev/null

start_sbdd() {
	rm -f "$D/nodes/pub/run/ports"
	"$SBDD" -d "$D" -n pub -f -o tftp_port=0 -o http_port=0 \
	    -o max_transfers=20000 2>/dev/null &
	SBDD_PID=$!
	pids="$pids $SBDD_PID"
	i=0
	while [ ! -s "$D/nodes/pub/run/ports" ] && [ $i -lt 100 ]; do
		sleep 0.1; i=$((i + 1))
	done
	TPORT=$(awk '$1 == "tftp" {print $2}' "$D/nodes/pub/run/ports")
	HPORT=$(awk '$1 == "http" {print $2}' "$D/nodes/pub/run/ports")
}

load() {	# NAME PORT PHONES [tftp_load options]
	_n=$1 _p=$2 _c=$3
	shift 3
	out=$("$BENCH/tftp_load" -s "127.0.0.1:$_p" -n "$_c" -c "$C" \
	    -m "$MACBASE" "$@") || true
	echo "$_n: $out" >&2
	echo "$out"
}

# Field K of a tftp_load line LINE ("... transfers T seconds S ...").
field() {	# LINE K
	echo "$1" | awk -v k="$2" \
	    '{for (i = 1; i < NF; i++) if ($i == k) print $(i+1)}'
}

# ---- round 1, cold: a fresh sbdd signs every configuration on demand; the
# phones fetch only their signed configuration, so the rate is the signing
# rate.  Then whole boots against the same sbdd, every file now cached.
start_sbdd
load "sbdd cold" "$TPORT" "$N" -f cnf >>"$tmp/cold"
load "sbdd warm" "$TPORT" "$N" >>"$tmp/warm"
rss=$(awk '/^VmHWM/ {print $2}' "/proc/$SBDD_PID/status")
openssl speed -seconds 2 rsa2048 2>/dev/null |
    awk '/^rsa 2048 bits/ {print $(NF-1)}' >>"$tmp/sign"

# ---- the peers serve the bytes sbdd served, fetched over HTTP.
P=$tmp/peerroot
mkdir -p "$P"
cp "$D/nodes/pub/tftp/ITLFile.tlv" "$P/ITLFile.tlv"
i=0
: >"$tmp/curl.cfg"
while [ $i -lt "$N" ]; do
	m=$(printf '%012X' $((0x$MACBASE + i)))
	ln "$P/ITLFile.tlv" "$P/ITLSEP$m.tlv"
	printf 'url = "http://127.0.0.1:%s/SEP%s.cnf.xml.sgn"\noutput = "%s"\n' \
	    "$HPORT" "$m" "$P/SEP$m.cnf.xml.sgn" >>"$tmp/curl.cfg"
	i=$((i + 1))
done
curl -sf -K "$tmp/curl.cfg"
chmod -R a+rX "$P"

"$PEERS/root/usr/sbin/in.tftpd" -L -s -u nobody -a 127.0.0.1:16969 "$P" &
pids="$pids $!"
"$PEERS/root/usr/sbin/atftpd" --daemon --no-fork --port 16970 \
    --bind-address 127.0.0.1 --maxthread 1000 --user nobody.nogroup \
    --logfile /dev/null "$P" &
pids="$pids $!"
dnsmasq -k -p 0 --listen-address=127.0.0.1 --bind-interfaces \
    --enable-tftp --tftp-root="$P" --tftp-max=20000 --quiet-tftp \
    --user=root --pid-file="$tmp/dnsmasq.pid" --log-facility="$tmp/dnsmasq.log" &
pids="$pids $!"
sleep 1

# ---- rounds: this machine is shared and noisy, so sbdd and dnsmasq take
# turns, ROUNDS times, and the rates are totals over all rounds.  Each
# round after the first restarts sbdd, so its cold run is cold again.
load dnsmasq 69 "$N" >>"$tmp/dns"
r=2
while [ $r -le "$ROUNDS" ]; do
	kill "$SBDD_PID"
	wait "$SBDD_PID" 2>/dev/null || true
	start_sbdd
	load "sbdd cold" "$TPORT" "$N" -f cnf >>"$tmp/cold"
	openssl speed -seconds 2 rsa2048 2>/dev/null |
	    awk '/^rsa 2048 bits/ {print $(NF-1)}' >>"$tmp/sign"
	load "sbdd warm" "$TPORT" "$N" >>"$tmp/warm"
	load dnsmasq 69 "$N" >>"$tmp/dns"
	r=$((r + 1))
done
hpa=$(load tftpd-hpa 16969 "$N_SLOW")
atf=$(load atftpd 16970 "$N_SLOW")

total() {	# FILE FIELD: the field summed over the file's lines
	awk -v k="$2" '{for (i = 1; i < NF; i++) if ($i == k) t += $(i+1)}
	    END {print t + 0}' "$1"
}
failed=$(($(total "$tmp/warm" failed) + $(total "$tmp/cold" failed)))
echo "rounds $ROUNDS, $N phones each, $C in flight"
sed 's/^/sbdd cold   /' "$tmp/cold"
sed 's/^/sbdd warm   /' "$tmp/warm"
sed 's/^/dnsmasq     /' "$tmp/dns"
echo "tftpd-hpa   $hpa"
echo "atftpd      $atf"
echo "sbdd phones failed in all rounds: $failed"
awk -v wt="$(total "$tmp/warm" transfers)" -v ws="$(total "$tmp/warm" seconds)" \
    -v dt="$(total "$tmp/dns" transfers)" -v ds="$(total "$tmp/dns" seconds)" \
    -v cp="$(total "$tmp/cold" phones)" -v cs="$(total "$tmp/cold" seconds)" \
    -v h="$(field "$hpa" transfers/s)" -v a="$(field "$atf" transfers/s)" \
    -v sg="$(awk '{t += $1; n++} END {print t / n}' "$tmp/sign")" \
    -v rss="$rss" 'BEGIN {
	w = wt / ws; d = dt / ds; c = cp / cs
	printf "sbdd warm %.1f transfers/s, dnsmasq %.1f\n", w, d
	printf "ratio sbdd/dnsmasq = %.2f (target >= 1.5)\n", w / d
	printf "ratio sbdd/tftpd-hpa = %.1f (target >= 50)\n", w / h
	printf "ratio sbdd/atftpd = %.1f\n", w / a
	printf "sbdd peak RSS = %.1f MiB (target < 64)\n", rss / 1024
	printf "cold: %.1f signed configs/s vs bare RSA-2048 %.1f sign/s: " \
	    "ratio %.2f (target >= 0.80)\n", c, sg, c / sg
}'
