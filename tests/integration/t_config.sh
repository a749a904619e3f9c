# sbdd's settings: a config file with comments and blanks, -o overriding
# it, and bad settings refused with the file and line (exit 2, nothing
# started).  Sourced by run.sh.

D=$T/conf
make_node "$D"
printf '# a comment\n\naddr = 127.0.0.2\n  max_retries =3\nrexmit_ms= 250\nhttp_port = off\n' \
    >"$T/good.conf"
printf 'tftp_port=0\nno_such_key = 1\n' >"$T/bad.conf"

run "$SBDD" -d "$D" -n pub -f -c "$T/bad.conf"
expect_rc "config: an unknown key is a usage error" 2
expect_err "config: ... naming the file and line" "bad.conf:2: bad setting"
run "$SBDD" -d "$D" -n pub -f -o rexmit_ms=5
expect_rc "config: a value out of range is a usage error" 2
expect_err "config: ... naming the setting" 'bad setting "rexmit_ms=5"'
run "$SBDD" -d "$D" -n nosuchnode -f -o tftp_port=0
expect_rc "config: an unknown node fails start-up" 1
expect_err "config: ... saying so" "node nosuchnode: not in the cluster store"
run "$SBDD" -n pub -f
expect_rc "config: -d is required" 2

# The file's addr is used; -o http_port=0 (from start_sbdd) beats its off.
start_sbdd "$D" -c "$T/good.conf"
echo hello >"$D/nodes/pub/tftp/hello.txt"
rm -f "$T/h"
timeout 10 tftp 127.0.0.2 "$TFTP_PORT" -m binary -c get hello.txt "$T/h" \
    >/dev/null 2>&1
expect_same "config: the file's addr = 127.0.0.2 is where sbdd listens" \
    "$T/h" "$D/nodes/pub/tftp/hello.txt"
expect_true "config: -o http_port=0 overrides the file's off" \
    [ "$HTTP_PORT" -gt 0 ]
stop_sbdd "config: sbdd exits 0"
