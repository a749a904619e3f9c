# Helpers of the scenario suite, sourced by tests/scenarios/run.sh after
# tests/cli/lib.sh and tests/integration/lib.sh, whose run, expect_*,
# ok/nok, wait_until, free_ports, track and cleanup they use.  A cluster
# here is several nodes on 127.0.0.x sharing one store, each node its own
# sbdd on ports fixed in the store (phones learn TVS and CAPF addresses
# from their configuration, which is built from the store).  Names that
# start with an underscore are internal.
#
# Clusters and nodes
#   make_cluster DIR NAME NODE1[:ADDR] NODE2[:ADDR[:SERVICES]]...
#                       cluster NAME in DIR: NODE1 the publisher (tftp,
#                       tvs and capf on ADDR, default 127.0.0.1), each
#                       further node a subscriber (the Nth on 127.0.0.N
#                       unless ADDR; SERVICES default tftp,tvs,capf).
#                       Each node gets four free ports, distinct from all
#                       handed out before in this run, recorded in the
#                       store; the security password is in DIR.pw; one
#                       test per node; returns 1 when a step fails
#   node_port DIR NODE tftp|http|tvs|capf
#   node_addr DIR NODE  print the node's port or address from the store
#   start_node DIR NODE [SBDD-OPTS]
#                       start sbdd -n NODE -f on the store's ports, with
#                       short timers (lifetime 20 s, TLS idle 5 s and
#                       total 20 s, CAPF step 10 s; sbdd's own are 120,
#                       10, 60 and 120 s) and max_per_client=1000 for
#                       fleets; SBDD-OPTS (-o key=value) come after and
#                       win.  Waits at most 10 s for run/ports; sets
#                       NODE_PID_<node> (node names must differ within a
#                       scenario; characters other than letters, digits
#                       and _ become _); log in DIR.NODE.log; counts a
#                       test that it listens on the store's ports
#   stop_node DIR NODE  SIGTERM, then at most 10 s; counts a test that
#                       it exited 0
#   node_counter DIR NODE KEY
#                       print a counter of the node's `sbdctl stats`
#   expect_node_counter NAME DIR NODE KEY OP N
#                       the counter satisfies "OP N" (-eq, -ge ...)
#                       within 3 s
#   node_itl DIR NODE   print the path of the ITL the node serves
#   itl_has ITL ROLE CERT
#                       ITL has a record of function ROLE (SAST, TFTP,
#                       TVS, CAPF ... as `show itl --json` names them;
#                       any: of any function) holding certificate CERT
#                       (PEM)
#   file_sha1 FILE, cert_sha1 CERT
#                       the SHA-1 of a file, of a certificate's DER
#   not CMD...          CMD fails (for expect_true and wait_until)
#   tftp_get DIR NODE NAME OUT
#                       fetch NAME from the node's TFTP (at most 10 s);
#                       the client's messages in $T/tftp.out
#
# Phones (phone I of PREFIX, six hex digits, has MAC PREFIX + I as six
# more hex digits, as sbdphone fleet numbers them from PREFIX000000; its
# state directory is BASE/SEP<MAC>, so a later boot is a reboot)
#   phone_mac PREFIX I  print phone I's MAC
#   add_phones DIR PREFIX COUNT PROFILE TVSNODE...
#                       register COUNT phones (one CSV import) with
#                       profile auth(enticated), encrypted or non-secure
#                       and the CallManager group TVSNODE... (at most
#                       three); an encrypted phone also gets a pending
#                       CAPF install (null authentication, RSA 2048),
#                       which capf_install then runs; one test per step
#   boot_fleet DIR BASE NODE PREFIX COUNT [SBDPHONE-OPTS]
#                       boot COUNT phones against NODE, eight at a time
#                       (sbdphone fleet, at most 50 s); output in $T/out
#   expect_fleet_ok NAME
#                       the last boot_fleet exited 0, every phone ok
#   boot_phone DIR BASE NODE MAC [SBDPHONE-OPTS]
#                       boot one phone (created on first use) against
#                       NODE, at most 30 s; output in $T/out, status $rc
#   capf_install NAME BASE PREFIX COUNT
#                       one CAPF session per phone (at most 20 s each)
#                       with the CAPF server of its configuration, so
#                       the phones must have booted once; counts a test
#                       that each ended with reason 1 (update
#                       certificate) and an LSC
#   phone_status_has BASE MAC REGEX
#                       `sbdphone status` of the phone matches REGEX (ERE)
#   phones_status_have BASE PREFIX COUNT REGEX
#                       the same for every phone of PREFIX
#   phones_itl_is BASE PREFIX COUNT FILE
#                       every phone's installed ITL is FILE, byte for byte
#   devices_have DIR PREFIX COUNT KEY VALUE
#                       every phone's `device show --json` has the string
#                       KEY equal to VALUE (for wait_until: the store
#                       takes sbdd's per-device notes once a second)
# On failure the last four (and capf_install) leave the MAC of the first
# phone that failed in $BAD_PHONE.
#   expect_phones NAME CMD...
#                       expect_true for those four: CMD succeeds, else
#                       the failure names $BAD_PHONE
#
# Every wait is bounded: each client runs under timeout(1) (a fleet 50 s,
# a phone's boot 30 s, a CAPF session 20 s, a TFTP fetch 10 s) and each
# poll under wait_until.

_sc_ports=""		# every port make_cluster handed out in this run
_sc_salt=40
BAD_PHONE=""

# A node name as part of a shell variable name.
_sc_var() {
	printf '%s' "$1" | tr -c 'A-Za-z0-9_' '_'
}

_sc_taken() {	# FIRST COUNT: does the range hold a port handed out before?
	for _stp in $_sc_ports; do
		[ "$_stp" -ge "$1" ] && [ "$_stp" -lt $(($1 + $2)) ] && return 0
	done
	return 1
}

# Set _sc_first to the first of COUNT free ports that no cluster of this
# run holds: free_ports sees only bound sockets, and a cluster's ports are
# bound only when its nodes start.
_sc_alloc() {	# COUNT
	_sat=0
	while [ $_sat -lt 50 ]; do
		_sc_salt=$((_sc_salt + 1))
		_sc_first=$(free_ports "$1" "$_sc_salt") || return 1
		if ! _sc_taken "$_sc_first" "$1"; then
			_saj=0
			while [ $_saj -lt "$1" ]; do
				_sc_ports="$_sc_ports $((_sc_first + _saj))"
				_saj=$((_saj + 1))
			done
			return 0
		fi
		_sat=$((_sat + 1))
	done
	return 1
}

make_cluster() {
	_mcd=$1
	_mcname=$2
	shift 2
	if ! _sc_alloc $((4 * $#)); then
		nok "cluster $_mcname: no $((4 * $#)) free ports"
		return 1
	fi
	_mcport=$_sc_first
	_mcn=1
	mkdir -p "$_mcd"
	printf 'scenario-%s-pw\n' "$_mcname" >"$_mcd.pw"
	for _mcspec in "$@"; do
		_mcnode=${_mcspec%%:*}
		_mcaddr=127.0.0.$_mcn
		_mcsvc=tftp,tvs,capf
		case $_mcspec in
		*:*)
			_mcrest=${_mcspec#*:}
			[ -n "${_mcrest%%:*}" ] && _mcaddr=${_mcrest%%:*}
			case $_mcrest in
			*:*)	_mcsvc=${_mcrest#*:} ;;
			esac
			;;
		esac
		if [ $_mcn -eq 1 ]; then
			if [ "$_mcsvc" != tftp,tvs,capf ]; then
				nok "cluster $_mcname: the publisher runs every service"
				return 1
			fi
			run "$SBDCTL" cluster init -d "$_mcd" --name "$_mcname" \
			    --node "$_mcnode" --addr "$_mcaddr" \
			    --password-file "$_mcd.pw" --tftp-port "$_mcport" \
			    --http-port $((_mcport + 1)) \
			    --tvs-port $((_mcport + 2)) \
			    --capf-port $((_mcport + 3))
			expect_rc "cluster $_mcname: publisher $_mcnode on $_mcaddr" 0
		else
			run "$SBDCTL" node add -d "$_mcd" --name "$_mcnode" \
			    --addr "$_mcaddr" --services "$_mcsvc" \
			    --tftp-port "$_mcport" --http-port $((_mcport + 1)) \
			    --tvs-port $((_mcport + 2)) \
			    --capf-port $((_mcport + 3))
			expect_rc "cluster $_mcname: node $_mcnode on $_mcaddr ($_mcsvc)" 0
		fi
		[ "$rc" = 0 ] || return 1
		_mcport=$((_mcport + 4))
		_mcn=$((_mcn + 1))
	done
}

# A field of the node's object in `sbdctl node list --json`.
_node_field() {	# DIR NODE KEY
	"$SBDCTL" node list -d "$1" --json 2>/dev/null | tr -d ' \n' |
	    tr '}' '\n' | grep "\"name\":\"$2\"," |
	    sed -n "s/.*\"$3\":\"*\([^,\"]*\).*/\1/p"
}

node_port() {
	_node_field "$1" "$2" "$3_port"
}

node_addr() {
	_node_field "$1" "$2" addr
}

node_itl() {
	echo "$1/nodes/$2/tftp/ITLFile.tlv"
}

# Every service the node runs listens on the port the store gives it.
_sc_on_store_ports() {	# DIR NODE
	for _sok in tftp http tvs capf; do
		_sop=$(sed -n "s/^$_sok \([0-9]*\)$/\1/p" \
		    "$1/nodes/$2/run/ports")
		[ -n "$_sop" ] || return 1
		[ "$_sop" = 0 ] && continue
		[ "$_sop" = "$(node_port "$1" "$2" "$_sok")" ] || return 1
	done
}

start_node() {
	_snd=$1
	_snn=$2
	shift 2
	rm -f "$_snd/nodes/$_snn/run/ports"
	"$SBDD" -d "$_snd" -n "$_snn" -f -o lifetime=20 -o tls_idle=5 \
	    -o tls_total=20 -o capf_step=10 -o max_per_client=1000 "$@" \
	    2>>"$_snd.$_snn.log" &
	_snpid=$!
	track "$_snpid"
	eval "NODE_PID_$(_sc_var "$_snn")=$_snpid"
	if wait_until 10 _ports_ready "$_snd/nodes/$_snn/run/ports" &&
	    _sc_on_store_ports "$_snd" "$_snn"; then
		ok "node $_snn ready on its ports $(tr '\n' ' ' \
		    <"$_snd/nodes/$_snn/run/ports")"
	else
		nok "node $_snn ready on the store's ports in 10 s"
		sed -n '1,15s/^/  | /p' "$_snd.$_snn.log"
	fi
}

stop_node() {
	_stv=NODE_PID_$(_sc_var "$2")
	eval "_stpid=\${$_stv:-}"
	if [ -z "$_stpid" ]; then
		nok "node $2 stops: it was never started"
		return
	fi
	kill -TERM "$_stpid" 2>/dev/null
	if wait_until 10 _dead "$_stpid"; then
		wait "$_stpid"
		_strc=$?
	else
		kill -KILL "$_stpid" 2>/dev/null
		wait "$_stpid"
		_strc="still running after 10 s"
	fi
	eval "$_stv="
	if [ "$_strc" = 0 ]; then
		ok "node $2 exits 0 on SIGTERM"
	else
		nok "node $2 exits 0 on SIGTERM (exit $_strc)"
		tail -n 15 "$1.$2.log" | sed 's/^/  | /'
	fi
}

node_counter() {
	"$SBDCTL" stats -d "$1" --node "$2" --json 2>/dev/null |
	    sed -n "s/.*\"$3\": *\([0-9][0-9]*\).*/\1/p"
}

_sc_counter_is() {	# DIR NODE KEY OP N
	_scv=$(node_counter "$1" "$2" "$3")
	[ -n "$_scv" ] && test "$_scv" "$4" "$5"
}

expect_node_counter() {
	if wait_until 3 _sc_counter_is "$2" "$3" "$4" "$5" "$6"; then
		ok "$1"
	else
		nok "$1 ($3 $4 is ${_scv:-missing}, want $5 $6)"
	fi
}

file_sha1() {
	sha1sum "$1" | cut -c1-40
}

cert_sha1() {
	openssl x509 -in "$1" -outform DER 2>/dev/null | sha1sum | cut -c1-40
}

itl_has() {	# ITL ROLE CERT
	_ihs=$(cert_sha1 "$3")
	_ihr=$2
	[ "$_ihr" = any ] && _ihr='[^"]*'
	"$SBDCTL" show itl --json "$1" 2>/dev/null | tr -d ' \n' |
	    tr '}' '\n' | grep "\"role_name\":\"$_ihr\"," |
	    grep -q "\"certificate_sha1\":\"$_ihs\""
}

not() {
	! "$@"
}

tftp_get() {	# DIR NODE NAME OUT
	rm -f "$4"
	timeout 10 tftp "$(node_addr "$1" "$2")" "$(node_port "$1" "$2" tftp)" \
	    -m binary -c get "$3" "$4" >"$T/tftp.out" 2>&1
}

phone_mac() {
	printf '%s%06X\n' "$1" "$2"
}

add_phones() {	# DIR PREFIX COUNT PROFILE TVSNODE...
	_apd=$1
	_app=$2
	_apc=$3
	_apf=$4
	shift 4
	[ "$_apf" = auth ] && _apf=authenticated
	_aptvs=$(printf '%s' "$*" | tr ' ' ';')
	{
		echo "mac,model,profile,tvs,description"
		_apj=0
		while [ $_apj -lt "$_apc" ]; do
			printf '%s,CP-8845,%s,%s,scenario phone %d\n' \
			    "$(phone_mac "$_app" $_apj)" "$_apf" "$_aptvs" $_apj
			_apj=$((_apj + 1))
		done
	} >"$T/phones-$_app.csv"
	run "$SBDCTL" device add -d "$_apd" --csv "$T/phones-$_app.csv"
	expect_rc "phones: $_apc $_apf phones ${_app}xxxxxx, TVS $*" 0
	[ "$_apf" = encrypted ] || return 0
	BAD_PHONE=""
	_apj=0
	while [ $_apj -lt "$_apc" ]; do
		_apm=$(phone_mac "$_app" $_apj)
		"$SBDCTL" device capf -d "$_apd" "$_apm" --op install \
		    --auth null --key rsa:2048 >/dev/null 2>&1 ||
		    BAD_PHONE="${BAD_PHONE:-$_apm}"
		_apj=$((_apj + 1))
	done
	if [ -z "$BAD_PHONE" ]; then
		ok "phones: a CAPF install pending for each of ${_app}xxxxxx"
	else
		nok "phones: a CAPF install pending for each (not $BAD_PHONE)"
	fi
}

boot_fleet() {	# DIR BASE NODE PREFIX COUNT [SBDPHONE-OPTS]
	_bfd=$1
	_bfb=$2
	_bfn=$3
	_bfp=$4
	FLEET_COUNT=$5
	shift 5
	_bfc=$FLEET_COUNT
	[ "$_bfc" -gt 8 ] && _bfc=8
	run timeout 50 "$SBDPHONE" fleet --count "$FLEET_COUNT" \
	    --concurrency "$_bfc" --dir "$_bfb" --mac-base "${_bfp}000000" \
	    --tftp "$(node_addr "$_bfd" "$_bfn"):$(node_port "$_bfd" "$_bfn" tftp)" \
	    --http-port "$(node_port "$_bfd" "$_bfn" http)" --timeout 1000 "$@"
}

expect_fleet_ok() {
	if [ "$rc" = 0 ] && grep -q "^  succeeded: $FLEET_COUNT$" "$T/out"
	then
		ok "$1"
	else
		nok "$1 (exit $rc)"
		sed -n '1,15s/^/  | /p' "$T/out" "$T/err"
	fi
}

boot_phone() {	# DIR BASE NODE MAC [SBDPHONE-OPTS]
	_bpd=$1
	_bpb=$2
	_bpn=$3
	_bpm=$4
	shift 4
	if [ ! -d "$_bpb/SEP$_bpm" ]; then
		mkdir -p "$_bpb"
		"$SBDPHONE" init "$_bpb/SEP$_bpm" --mac "$_bpm" >/dev/null
	fi
	run timeout 30 "$SBDPHONE" boot "$_bpb/SEP$_bpm" \
	    --tftp "$(node_addr "$_bpd" "$_bpn"):$(node_port "$_bpd" "$_bpn" tftp)" \
	    --http-port "$(node_port "$_bpd" "$_bpn" http)" --timeout 1000 "$@"
}

capf_install() {	# NAME BASE PREFIX COUNT
	BAD_PHONE=""
	_cij=0
	while [ $_cij -lt "$4" ]; do
		_cim=$(phone_mac "$3" $_cij)
		timeout 20 "$SBDPHONE" capf "$2/SEP$_cim" >"$T/capf.out" 2>&1 &&
		    grep -q 'reason 1 ' "$T/capf.out" &&
		    test -s "$2/SEP$_cim/lsc.pem" ||
		    BAD_PHONE="${BAD_PHONE:-$_cim}"
		_cij=$((_cij + 1))
	done
	if [ -z "$BAD_PHONE" ]; then
		ok "$1"
	else
		nok "$1 (not SEP$BAD_PHONE)"
	fi
}

phone_status_has() {	# BASE MAC REGEX
	"$SBDPHONE" status "$1/SEP$2" 2>/dev/null | grep -Eq -- "$3"
}

phones_status_have() {	# BASE PREFIX COUNT REGEX
	BAD_PHONE=""
	_psj=0
	while [ $_psj -lt "$3" ]; do
		_psm=$(phone_mac "$2" $_psj)
		phone_status_has "$1" "$_psm" "$4" ||
		    { BAD_PHONE=$_psm; return 1; }
		_psj=$((_psj + 1))
	done
}

phones_itl_is() {	# BASE PREFIX COUNT FILE
	BAD_PHONE=""
	_pij=0
	while [ $_pij -lt "$3" ]; do
		_pim=$(phone_mac "$2" $_pij)
		cmp -s "$1/SEP$_pim/itl.tlv" "$4" ||
		    { BAD_PHONE=$_pim; return 1; }
		_pij=$((_pij + 1))
	done
}

devices_have() {	# DIR PREFIX COUNT KEY VALUE
	BAD_PHONE=""
	_dhj=0
	while [ $_dhj -lt "$3" ]; do
		_dhm=$(phone_mac "$2" $_dhj)
		"$SBDCTL" device show -d "$1" --json "$_dhm" 2>/dev/null |
		    grep -q "\"$4\": \"$5\"" || { BAD_PHONE=$_dhm; return 1; }
		_dhj=$((_dhj + 1))
	done
}

expect_phones() {
	_epn=$1
	shift
	BAD_PHONE=""
	if "$@"; then
		ok "$_epn"
	else
		nok "$_epn (first failing phone: SEP${BAD_PHONE:-?})"
	fi
}

# Helpers of scenarios 2, 3, 4, 6, 8 and 9: certificates in the store,
# phones reset through the reset hook (its standard input, one SEP<MAC>
# a line, appended to a file: the documented channel), and the boot of
# the phones a hook was given.
#
#   active_cert DIR NODE ROLE
#                       print the path of the node's active certificate
#                       of ROLE (CallManager, TVS, CAPF, ITLRecovery)
#   set_clock N         the cluster's test clock (SBD_TEST_CLOCK, which
#                       the caller exports as $T/clock) N seconds ahead
#   hook_to DIR FILE    make the cluster's reset hook append the device
#                       names it is given to FILE; counts a test
#   phone_names PREFIX COUNT
#                       print SEP<MAC> of each phone of PREFIX, in order
#   boot_listed DIR BASE NODE FILE [SBDPHONE-OPTS]
#                       boot, one after another, each phone FILE names
#                       (at most 30 s each); "SEP<MAC> RESULT" a line in
#                       $T/booted, each boot's output in
#                       $T/boot.SEP<MAC>; returns 1 when one was not ok
#   booted_count RESULT print how many boots of the last boot_listed
#                       ended RESULT
#   booted_say TEXT     the output of every boot of the last boot_listed
#                       holds TEXT (fixed string); $BAD_PHONE as above
#   phones_status_lack BASE PREFIX COUNT REGEX
#                       no phone's `sbdphone status` matches REGEX

active_cert() {	# DIR NODE ROLE
	_acp=$(sqlite3 -readonly -cmd '.timeout 5000' "$1/store.db" \
	    "SELECT cert_path FROM cert WHERE node = '$2' AND role = '$3'
	    AND active = 1" 2>/dev/null)
	[ -n "$_acp" ] && echo "$1/$_acp"
}

set_clock() {
	echo "$1" >"$T/clock"
}

hook_to() {	# DIR FILE
	run "$SBDCTL" param set -d "$1" reset_hook "cat >>'$2'"
	expect_rc "reset hook: names appended to $(basename "$2")" 0
}

phone_names() {	# PREFIX COUNT
	_pnj=0
	while [ $_pnj -lt "$2" ]; do
		echo "SEP$(phone_mac "$1" $_pnj)"
		_pnj=$((_pnj + 1))
	done
}

boot_listed() {	# DIR BASE NODE FILE [SBDPHONE-OPTS]
	_bld=$1
	_blb=$2
	_bln=$3
	_blf=$4
	shift 4
	: >"$T/booted"
	_blrc=0
	for _blname in $(cat "$_blf"); do
		boot_phone "$_bld" "$_blb" "$_bln" "${_blname#SEP}" "$@"
		cat "$T/out" "$T/err" >"$T/boot.$_blname"
		_blres=$(sed -n "1s/^$_blname boot: \([a-z-]*\) .*/\1/p" \
		    "$T/out")
		echo "$_blname ${_blres:-none}" >>"$T/booted"
		[ "$_blres" = ok ] || _blrc=1
	done
	return $_blrc
}

booted_count() {	# RESULT
	grep -c " $1\$" "$T/booted"
}

booted_say() {	# TEXT
	BAD_PHONE=""
	for _bsn in $(cut -d' ' -f1 "$T/booted"); do
		grep -qF -- "$1" "$T/boot.$_bsn" ||
		    { BAD_PHONE=${_bsn#SEP}; return 1; }
	done
	[ -s "$T/booted" ]
}

phones_status_lack() {	# BASE PREFIX COUNT REGEX
	BAD_PHONE=""
	_plj=0
	while [ $_plj -lt "$3" ]; do
		_plm=$(phone_mac "$2" $_plj)
		"$SBDPHONE" status "$1/SEP$_plm" >"$T/status.out" 2>&1 ||
		    { BAD_PHONE=$_plm; return 1; }
		grep -Eq -- "$4" "$T/status.out" &&
		    { BAD_PHONE=$_plm; return 1; }
		_plj=$((_plj + 1))
	done
}

# Helpers of scenario 5: a node renamed by `sbdctl set network hostname`,
# whose sbdd starts again under the new name, the same process.
#
#   renamed_node DIR OLD NEW
#                       the sbdd that start_node started as OLD is NEW
#                       now: within 10 s its log (DIR.OLD.log) says "node
#                       NEW ready", and the same pid runs, with -n NEW
#                       last on its command line, itself listening (ss)
#                       on every port the store gives NEW (the run files
#                       that moved with DATA/nodes/OLD prove nothing);
#                       the pid goes from NODE_PID_<OLD> to
#                       NODE_PID_<NEW>, DIR.NEW.log links to the log (for
#                       stop_node); counts a test
#   cert_cn CERT        print the CN of the certificate's subject

# Process PID has the node's TFTP (UDP), HTTP, TVS and CAPF ports, those
# the store gives it, open.
_sc_listens() {	# DIR NODE PID
	for _slk in tftp:u http:t tvs:t capf:t; do
		_slp=$(node_port "$1" "$2" "${_slk%:*}")
		[ -n "$_slp" ] || return 1
		[ "$_slp" = 0 ] && continue
		ss -Hln"${_slk#*:}"p "sport = :$_slp" 2>/dev/null |
		    grep -q "pid=$3," || return 1
	done
}

_sc_renamed() {	# DIR OLD NEW PID
	grep -q "sbdd\[$3\]: node $3 ready on" "$1.$2.log" 2>/dev/null &&
	    alive "$4" &&
	    tr '\0' ' ' <"/proc/$4/cmdline" | grep -q -- " -n $3 \$" &&
	    _sc_listens "$1" "$3" "$4"
}

renamed_node() {	# DIR OLD NEW
	_rnv=NODE_PID_$(_sc_var "$2")
	eval "_rnpid=\${$_rnv:-}"
	if [ -z "$_rnpid" ]; then
		nok "node $2 is $3 now: it was never started"
		return
	fi
	if wait_until 10 _sc_renamed "$1" "$2" "$3" "$_rnpid"; then
		ok "node $2 is $3 now: pid $_rnpid, listening on its ports"
	else
		nok "node $2 is $3 now, the same pid $_rnpid, in 10 s"
		tail -n 15 "$1.$2.log" | sed 's/^/  | /'
	fi
	eval "$_rnv="
	eval "NODE_PID_$(_sc_var "$3")=$_rnpid"
	ln -sf "$(basename "$1.$2.log")" "$1.$3.log"
}

cert_cn() {
	openssl x509 -in "$1" -noout -subject -nameopt multiline 2>/dev/null |
	    sed -n 's/^ *commonName *= *//p'
}
