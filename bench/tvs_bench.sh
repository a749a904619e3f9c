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

# A TCP port nobody listens on, for the store (phones read it from their
# configuration, so sbdd must listen where the store says).
free_port() {
	p=$((20000 + $$ % 20000 + $1))
	while ss -Htln "sport = :$p" | grep -q .; do
		p=$((p + 7))
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

echo "== fleet: $FLEET phones, $FLEET_C at once"
"$SBDPHONE" fleet --count "$FLEET" --concurrency "$FLEET_C" \
    --tftp "127.0.0.1:$TFTP_PORT" --http-port "$HTTP_PORT" \
    --mac-base "$MACBASE" --dir "$tmp/phones"
echo "sbdd peak RSS: $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$pid/status")"
