#!/bin/sh
# TVS and fleet benchmarks against one sbdd on 127.0.0.1.
#
#  1. TVS VERIFY requests per second with a new TLS connection per request
#     and with many per connection, as ratios to the bare signing rate of
#     the TVS key measured in the same run (bench/tvs_bench.c).
#  2. A fleet boot: FLEET phones (sbdphone fleet), FLEET_C at once, each
#     installing the ITL and its signed configuration; p50/p99 boot time.
#
#   N=2000 THREADS=8 FLEET=10000 FLEET_C=200 sh bench/tvs_bench.sh
#
# Traffic stays on 127.0.0.0/8.
set -eu
: "${SBDCTL:?}" "${SBDD:?}" "${SBDPHONE:?}" "${BENCH:?}"
N=${N:-2000}
THREADS=${THREADS:-8}
FLEET=${FLEET:-10000}
FLEET_C=${FLEET_C:-200}
MACBASE=002000000000

tmp=$(mktemp -d /tmp/sbdtvs.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# A TCP port no socket uses, for the store (phones read it from their
# configuration, so sbdd must listen where the store says), below the
# kernel's ephemeral range (32768 up) so no client connection takes it.
free_port() {
	p=$((20000 + ($$ * 7 + $1 * 101) % 11000))
	while [ -n "$(ss -Htan "sport = :$p")" ]; do
		p=$((20000 + (p - 20000 + 13) % 11000))
	done
	echo "$p"
}
TVS_PORT=$(free_port 0)
CAPF_PORT=$(free_port 1)

D=$tmp/data
printf 'bench-password\n' >"$tmp/pw"
"$SBDCTL" cluster init -d "$D" --name bench --node pub --addr 127.0.0.1 \
    --tvs-port "$TVS_PORT" --capf-port "$CAPF_PORT" \
    --password-file "$tmp/pw" >/dev/null
{
	echo "mac,model,profile,tvs,description"
	i=0
	while [ $i -lt "$FLEET" ]; do
		printf '%012X,CP-8845,authenticated,pub,\n' \
		    $((0x$MACBASE + i))
		i=$((i + 1))
	done
} >"$tmp/devices.csv"
"$SBDCTL" device add -d "$D" --csv "$tmp/devices.csv" >/dev/null

"$SBDD" -d "$D" -n pub -f -o tftp_port=0 -o http_port=0 \
    -o tvs_port="$TVS_PORT" -o capf_port=off -o tls_max_per_client=100000 \
    -o tls_max_conns=100000 -o max_per_client=100000 \
    2>"$tmp/sbdd.log" &
pid=$!
i=0
while ! grep -q '^tftp [1-9]' "$D/nodes/pub/run/ports" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || { echo "sbdd did not start"; cat "$tmp/sbdd.log";
	    exit 1; }
	sleep 0.1
done
TFTP_PORT=$(sed -n 's/^tftp //p' "$D/nodes/pub/run/ports")
HTTP_PORT=$(sed -n 's/^http //p' "$D/nodes/pub/run/ports")

# sbdd's CPU time in clock ticks (user + system).
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}

echo "== TVS: $N requests, $THREADS client threads"
"$BENCH/tvs_bench" -p "$TVS_PORT" -k "$D/nodes/pub/pki/TVS.pem" \
    -c "$D/nodes/pub/pki/CallManager.pem" -n "$N" -t "$THREADS"

# The clients share the machine with sbdd: its own CPU time per fresh
# request, against one signature, is the ratio with the client taken out.
echo "== TVS: sbdd's CPU time per fresh request"
t0=$(cpu_ticks)
"$BENCH/tvs_bench" -f -p "$TVS_PORT" -k "$D/nodes/pub/pki/TVS.pem" \
    -c "$D/nodes/pub/pki/CallManager.pem" -n "$N" -t "$THREADS" \
    >"$tmp/fresh.txt"
t1=$(cpu_ticks)
sed -n 's/^bare signing with the TVS key: \([0-9]*\).*/\1/p' \
    "$tmp/fresh.txt" >"$tmp/bare"
awk -v ticks=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v n="$N" \
    -v bare="$(cat "$tmp/bare")" 'END {
	ms = ticks / hz * 1000 / n
	printf "sbdd CPU per fresh request: %.3f ms; one signature: %.3f ms\n",
	    ms, 1000 / bare
	printf "ratio signature/sbdd-CPU-per-fresh-request = %.2f\n",
	    (1000 / bare) / ms
}' </dev/null

# The peer: OpenSSL's own server with the same key, and sbdd, each handed
# full handshakes by `openssl s_time -new` for 8 s; the server's CPU time
# per handshake.
echo "== TLS handshakes (openssl s_time -new): server CPU per handshake"
PEER_PORT=$(free_port 2)
openssl s_server -quiet -accept "$PEER_PORT" \
    -cert "$D/nodes/pub/pki/TVS.pem" -key "$D/nodes/pub/pki/TVS.pem" \
    >/dev/null 2>&1 &
peer=$!
sleep 1
hs_cpu() {	# NAME PID PORT
	_t0=$(awk '{ print $14 + $15 }' "/proc/$2/stat")
	_n=$(timeout 30 openssl s_time -connect "127.0.0.1:$3" -new -time 8 \
	    2>/dev/null | sed -n 's/^\([0-9]*\) connections in [0-9.]* real.*/\1/p')
	_t1=$(awk '{ print $14 + $15 }' "/proc/$2/stat")
	awk -v n="${_n:-0}" -v t=$((_t1 - _t0)) -v hz="$(getconf CLK_TCK)" \
	    -v name="$1" 'END { if (n > 0) printf "%s: %d handshakes, " \
	    "%.3f ms CPU each\n", name, n, t / hz * 1000 / n }' </dev/null
}
hs_cpu "openssl s_server" "$peer" "$PEER_PORT" | tee "$tmp/peer.txt"
hs_cpu "sbdd TVS" "$pid" "$TVS_PORT" | tee "$tmp/sbdd.txt"
kill "$peer" 2>/dev/null || true
awk '/CPU each/ { v[FILENAME] = $(NF - 3) } END {
	p = v[ARGV[1]]; s = v[ARGV[2]]
	if (p > 0 && s > 0)
		printf "ratio s_server-CPU/sbdd-CPU per handshake = %.2f " \
		    "(1: as cheap as OpenSSL'"'"'s own server)\n", p / s
}' "$tmp/peer.txt" "$tmp/sbdd.txt"

echo "== fleet: $FLEET phones, $FLEET_C at once"
"$SBDPHONE" fleet --count "$FLEET" --concurrency "$FLEET_C" \
    --tftp "127.0.0.1:$TFTP_PORT" --http-port "$HTTP_PORT" \
    --mac-base "$MACBASE" --dir "$tmp/phones"
echo "sbdd peak RSS: $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")"
