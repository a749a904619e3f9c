# CLI tests of cert create/show/export-p12/import-p12.  Sourced by
# tests/cli/run.sh with $SBDCTL, $T and the helpers of lib.sh.  Variables
# are prefixed cert_ so they do not collide with other t_*.sh files.
# openssl(1) is the independent peer: it reads what we write and writes
# what we read.

cert_mode() {	# FILE -> octal mode
	stat -c %a "$1"
}

cert_subject() {	# FILE -> openssl's RFC 2253 subject
	openssl x509 -in "$1" -noout -subject -nameopt RFC2253 2>/dev/null
}

# ---- help and usage ---------------------------------------------------------

for cert_v in create show export-p12 import-p12; do
	run "$SBDCTL" cert "$cert_v" --help
	expect_rc "cert $cert_v --help exits 0" 0
	expect_out "cert $cert_v --help prints usage" \
	    "usage: sbdctl cert $cert_v"
done

run "$SBDCTL" cert create --cn x
expect_rc "create without -o: usage" 2
expect_err "create without -o: message" "-o CERT.pem is required"

run "$SBDCTL" cert create -o "$T/x.pem" --role pbx --host h
expect_rc "create unknown role: usage" 2
expect_err "create unknown role: message" "unknown role: pbx"

run "$SBDCTL" cert create -o "$T/x.pem"
expect_rc "create without CN: usage" 2
expect_err "create without CN: message" "--cn is required"

run "$SBDCTL" cert create -o "$T/x.pem" --role itlrecovery
expect_rc "create role without host: usage" 2
expect_err "create role without host: message" "--role itlrecovery needs --host"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --rsa 2048 --ec P-256
expect_rc "create --rsa with --ec: usage" 2
expect_err "create --rsa with --ec: message" "exclude each other"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --ec P-192
expect_rc "create bad curve: usage" 2
expect_err "create bad curve: message" "bad --ec: P-192"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --rsa 256
expect_rc "create bad --rsa: usage" 2
expect_err "create bad --rsa: message" "bad --rsa: 256"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --days 0
expect_rc "create --days 0: usage" 2
expect_err "create --days 0: message" "bad --days: 0"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --profile web
expect_rc "create bad profile: usage" 2
expect_err "create bad profile: message" "unknown profile: web"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --c USA
expect_rc "create bad country: usage" 2
expect_err "create bad country: message" "bad --c: USA"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --bogus
expect_rc "create unknown option: usage" 2
expect_err "create unknown option: message" "--bogus"

run "$SBDCTL" cert create -o "$T/x.pem" --cn x --ca-key "$T/k.pem"
expect_rc "create --ca-key without --ca: usage" 2
expect_err "create --ca-key without --ca: message" "--ca-key needs --ca"

run "$SBDCTL" cert create -o "$T/x.pem" --cn
expect_rc "create option without argument: usage" 2
expect_err "create option without argument: message" \
    "option --cn needs an argument"
expect_true "create usage errors wrote nothing" test ! -e "$T/x.pem"

# ---- create -----------------------------------------------------------------

# One PEM holding certificate then key, 0600 (certutils convention).
run "$SBDCTL" cert create -o "$T/cm.pem" --role callmanager \
    --host test10pub.joemar2.lab --ou tac --o cisco --l rtp --st nc --c US
expect_rc "create callmanager" 0
expect_true "create prints nothing without -v" test ! -s "$T/out"
expect_true "create combined file is 0600" test "$(cert_mode "$T/cm.pem")" = 600
expect_true "create combined file: certificate first" \
    sh -c 'head -1 "$1" | grep -q "BEGIN CERTIFICATE"' - "$T/cm.pem"
expect_true "create combined file: key follows" \
    openssl pkey -in "$T/cm.pem" -noout
expect_true "openssl reads the subject in CN..C DER order" test \
    "$(cert_subject "$T/cm.pem")" = \
    "subject=C=US,ST=nc,L=rtp,O=cisco,OU=tac,CN=test10pub.joemar2.lab"
expect_true "callmanager: RSA 2048" sh -c \
    'openssl x509 -in "$1" -noout -text | grep -q "Public-Key: (2048 bit)"' \
    - "$T/cm.pem"
expect_true "callmanager: serverAuth, clientAuth, IPSec end system" sh -c \
    'openssl x509 -in "$1" -noout -ext extendedKeyUsage |
    tr -d "\n" | grep -q "Server Auth.*Client Auth.*IPSec End System"' \
    - "$T/cm.pem"
expect_true "callmanager: CA:FALSE" sh -c \
    'openssl x509 -in "$1" -noout -ext basicConstraints | grep -q CA:FALSE' \
    - "$T/cm.pem"

# Separate key file: key 0600, certificate 0644; -v prints the paths.
run "$SBDCTL" cert create -o "$T/itlr.pem" --key-out "$T/itlr.key" \
    --role itlrecovery --host test10pub --not-before 1700000000 -v
expect_rc "create itlrecovery" 0
expect_out "create -v prints the certificate path" "$T/itlr.pem"
expect_out "create -v prints the key path" "$T/itlr.key"
expect_true "create --key-out: key is 0600" \
    test "$(cert_mode "$T/itlr.key")" = 600
expect_true "create --key-out: certificate is 0644" \
    test "$(cert_mode "$T/itlr.pem")" = 644
expect_true "create --key-out: no key in the certificate file" sh -c \
    '! grep -q PRIVATE "$1"' - "$T/itlr.pem"
expect_true "itlrecovery CN" test "$(cert_subject "$T/itlr.pem")" = \
    "subject=CN=ITLRECOVERY_test10pub"
expect_true "itlrecovery: five years to the second" sh -c '
    openssl x509 -in "$1" -noout -startdate -enddate >"$2"
    grep -qx "notBefore=Nov 14 22:13:20 2023 GMT" "$2" &&
    grep -qx "notAfter=Nov 12 22:13:20 2028 GMT" "$2"' - "$T/itlr.pem" \
    "$T/dates"
expect_true "itlrecovery: a CA" sh -c \
    'openssl x509 -in "$1" -noout -ext basicConstraints | grep -q CA:TRUE' \
    - "$T/itlr.pem"

run "$SBDCTL" cert create -o "$T/capf.pem" --role capf --host test10pub \
    --ec P-256
expect_rc "create capf (EC)" 0
cert_capf=$(printf %s test10pub | openssl sha1 -r | cut -c1-8)
expect_true "capf CN is CAPF- and 8 hex of SHA-1(host)" \
    test "$(cert_subject "$T/capf.pem")" = "subject=CN=CAPF-$cert_capf"

# Issued by a CA whose key shares its file; and by one with a key file.
run "$SBDCTL" cert create -o "$T/dev.pem" --key-out "$T/dev.key" \
    --role device --host SEP001122334455 --ca "$T/capf.pem" \
    --dns sep001122334455.example
expect_rc "create device issued by CAPF" 0
expect_true "openssl verifies the device certificate against CAPF" \
    openssl verify -CAfile "$T/capf.pem" "$T/dev.pem"
expect_true "device: issuer is the CAPF subject" sh -c \
    'openssl x509 -in "$1" -noout -issuer -nameopt RFC2253 |
    grep -qx "issuer=CN=CAPF-$2"' - "$T/dev.pem" "$cert_capf"
expect_true "device: subjectAltName DNS" sh -c \
    'openssl x509 -in "$1" -noout -ext subjectAltName |
    grep -q "DNS:sep001122334455.example"' - "$T/dev.pem"
run "$SBDCTL" cert create -o "$T/tvs.pem" --role tvs --host tvs1 \
    --ca "$T/itlr.pem" --ca-key "$T/itlr.key" --days 30
expect_rc "create with --ca and --ca-key" 0
expect_true "openssl verifies a certificate issued by --ca/--ca-key" \
    openssl verify -CAfile "$T/itlr.pem" "$T/tvs.pem"

# CA errors name the file.
run "$SBDCTL" cert create -o "$T/y.pem" --cn y --ca "$T/itlr.pem"
expect_rc "--ca without --ca-key and no key in the CA file" 1
expect_err "--ca without key: message names the file" \
    "$T/itlr.pem: cannot load private key"
run "$SBDCTL" cert create -o "$T/y.pem" --cn y --ca "$T/missing.pem" \
    --ca-key "$T/itlr.key"
expect_rc "unreadable --ca file" 1
expect_err "unreadable --ca file: message names it" \
    "$T/missing.pem: cannot load certificate"
run "$SBDCTL" cert create -o "$T/y.pem" --cn y --ca "$T/itlr.pem" \
    --ca-key "$T/dev.key"
expect_rc "--ca-key not matching --ca" 1
expect_err "--ca-key mismatch: message names the files" \
    "$T/dev.key: private key does not match certificate $T/itlr.pem"
run "$SBDCTL" cert create -o "$T/y.pem" --cn y --ca "$T/cm.pem"
expect_rc "--ca that is not a CA" 1
expect_err "--ca not a CA: message" "$T/cm.pem: not a CA certificate"
cert_long=$(printf '%070d' 0)
run "$SBDCTL" cert create -o "$T/y.pem" --cn "$cert_long"
expect_rc "CN over 64 characters" 1
expect_err "CN over 64 characters: message names the output" \
    "$T/y.pem: cannot create certificate: invalid argument"
run "$SBDCTL" cert create -o "$T/nodir/y.pem" --cn y
expect_rc "unwritable output" 1
expect_err "unwritable output: message names it" \
    "$T/nodir/y.pem: cannot write"
expect_true "failed creates wrote nothing" test ! -e "$T/y.pem"

# ---- show -------------------------------------------------------------------

run "$SBDCTL" cert show "$T/cm.pem"
expect_rc "show" 0
expect_out "show: subject in certutils format" \
    "Subject:     CN=test10pub.joemar2.lab,OU=tac,O=cisco,L=rtp,ST=nc,C=US"
expect_out "show: key" "Key:         RSA 2048 bits"
expect_out "show: private key present" "Private key: yes"
cert_fp=$(openssl x509 -in "$T/cm.pem" -noout -fingerprint -sha256 |
    cut -d= -f2)
expect_out "show: SHA-256 fingerprint agrees with openssl" \
    "SHA-256:     $cert_fp"
cert_fp=$(openssl x509 -in "$T/cm.pem" -noout -fingerprint -sha1 |
    cut -d= -f2)
expect_out "show: SHA-1 fingerprint agrees with openssl" \
    "SHA-1:       $cert_fp"
cert_md5=$(openssl x509 -in "$T/cm.pem" -outform DER | openssl md5 -r |
    cut -c1-32)
expect_out "show: certHash is the MD5 of the DER" "certHash:    $cert_md5 (MD5)"
cert_ser=$(openssl x509 -in "$T/cm.pem" -noout -serial | cut -d= -f2 |
    sed 's/^00//; s/../&:/g; s/:$//')
expect_out "show: serial agrees with openssl" "Serial:      $cert_ser"

run "$SBDCTL" cert show "$T/itlr.pem"
expect_out "show: no private key" "Private key: no"
expect_out "show: not before in UTC" "Not before:  2023-11-14 22:13:20 UTC"
expect_out "show: not after" "Not after:   2028-11-12 22:13:20 UTC"
expect_out "show: CA" "CA:          yes"

run "$SBDCTL" cert show --json "$T/capf.pem"
expect_rc "show --json" 0
expect_out "show --json: curve" '"curve": "P-256"'
expect_out "show --json: subject" "\"subject\": \"CN=CAPF-$cert_capf\""
expect_out "show --json: private key" '"private_key": true'
expect_true "show --json is valid JSON" python3 -c \
    'import json,sys; json.load(open(sys.argv[1]))' "$T/out"

openssl x509 -in "$T/cm.pem" -outform DER -out "$T/cm.der" 2>/dev/null
run "$SBDCTL" cert show "$T/cm.der"
expect_rc "show reads DER" 0
expect_out "show DER: subject" "Subject:     CN=test10pub.joemar2.lab"

run "$SBDCTL" cert show "$T/missing.pem"
expect_rc "show missing file" 1
expect_err "show missing file: message names it" "$T/missing.pem"
printf 'not a certificate\n' >"$T/junk.pem"
run "$SBDCTL" cert show "$T/junk.pem"
expect_rc "show junk" 1
expect_err "show junk: message names it" \
    "$T/junk.pem: cannot load certificate"
run "$SBDCTL" cert show
expect_rc "show without FILE: usage" 2
expect_err "show without FILE: message" "expected one FILE"

# ---- export-p12 -------------------------------------------------------------

printf 'cluster-s3cret\n' >"$T/pw"
run "$SBDCTL" cert export-p12 --cert "$T/itlr.pem" --key "$T/itlr.key" \
    -o "$T/itlr.p12" --password-file "$T/pw" --name ITLRecovery
expect_rc "export-p12" 0
expect_true "export-p12 output is 0600" test "$(cert_mode "$T/itlr.p12")" = 600
expect_true "openssl reads our p12 (certificate)" sh -c \
    'openssl pkcs12 -in "$1" -passin pass:cluster-s3cret -nokeys |
    openssl x509 -noout -subject -nameopt RFC2253 |
    grep -qx "subject=CN=ITLRECOVERY_test10pub"' - "$T/itlr.p12"
expect_true "openssl reads our p12 (key matches)" sh -c '
    a=$(openssl pkcs12 -in "$1" -passin pass:cluster-s3cret -nocerts \
        -nodes | openssl pkey -pubout)
    b=$(openssl x509 -in "$2" -noout -pubkey)
    [ -n "$a" ] && [ "$a" = "$b" ]' - "$T/itlr.p12" "$T/itlr.pem"
expect_true "our p12: friendly name" sh -c \
    'openssl pkcs12 -in "$1" -passin pass:cluster-s3cret -info -nokeys \
    2>&1 | grep -q "friendlyName: ITLRecovery"' - "$T/itlr.p12"
expect_true "our p12: AES-256-CBC, HMAC-SHA256" sh -c '
    openssl pkcs12 -in "$1" -passin pass:cluster-s3cret -info -noout \
        >"$2" 2>&1
    grep -q "MAC: sha256" "$2" && grep -q "AES-256-CBC" "$2" &&
    ! grep -qi "rc2\|3des\|des-ede" "$2"' - "$T/itlr.p12" "$T/info"

# The key may share the certificate file; the password may come from env.
CERT_PW=env-pw
export CERT_PW
run "$SBDCTL" cert export-p12 --cert "$T/cm.pem" -o "$T/cm.p12" \
    --password-env CERT_PW
expect_rc "export-p12 from a combined PEM, password from env" 0
expect_true "openssl reads the env-password p12" \
    openssl pkcs12 -in "$T/cm.p12" -passin pass:env-pw -nokeys -noout

run "$SBDCTL" cert export-p12 --cert "$T/itlr.pem" -o "$T/z.p12" \
    --password-file "$T/pw"
expect_rc "export-p12 without a key" 1
expect_err "export-p12 without a key: message names the file" \
    "$T/itlr.pem: cannot load private key"
run "$SBDCTL" cert export-p12 --cert "$T/itlr.pem" --key "$T/dev.key" \
    -o "$T/z.p12" --password-file "$T/pw"
expect_rc "export-p12 mismatched key" 1
expect_err "export-p12 mismatched key: message" \
    "$T/dev.key: private key does not match certificate $T/itlr.pem"
run "$SBDCTL" cert export-p12 --cert "$T/cm.pem" -o "$T/z.p12" \
    --password-file "$T/nopw"
expect_rc "export-p12 missing password file" 1
expect_err "export-p12 missing password file: message names it" "$T/nopw"
: >"$T/emptypw"
printf '\n' >"$T/emptypw"
run "$SBDCTL" cert export-p12 --cert "$T/cm.pem" -o "$T/z.p12" \
    --password-file "$T/emptypw"
expect_rc "export-p12 empty password" 1
expect_err "export-p12 empty password: message" \
    "$T/z.p12: refusing an empty password"
run "$SBDCTL" cert export-p12 --cert "$T/cm.pem" -o "$T/z.p12" \
    </dev/null
expect_rc "export-p12 no password, no terminal" 1
expect_err "export-p12 no password: message" "standard input is not a terminal"
expect_true "failed exports wrote nothing" test ! -e "$T/z.p12"
run "$SBDCTL" cert export-p12 --cert "$T/cm.pem" --password-file "$T/pw"
expect_rc "export-p12 without -o: usage" 2
expect_err "export-p12 without -o: message" "-o OUT.p12 is required"
run "$SBDCTL" cert export-p12 -o "$T/z.p12" --password-file "$T/pw"
expect_rc "export-p12 without --cert: usage" 2
expect_err "export-p12 without --cert: message" "--cert is required"
run "$SBDCTL" cert export-p12 --cert "$T/cm.pem" -o "$T/z.p12" \
    --password-file "$T/pw" --password-env CERT_PW
expect_rc "export-p12 two password sources: usage" 2
expect_err "export-p12 two password sources: message" "exclude each other"

# ---- import-p12 -------------------------------------------------------------

run "$SBDCTL" cert import-p12 "$T/itlr.p12" --cert-out "$T/in.pem" \
    --key-out "$T/in.key" --password-file "$T/pw"
expect_rc "import-p12 our own file" 0
expect_same "import-p12: same certificate" "$T/itlr.pem" "$T/in.pem"
expect_true "import-p12: key is 0600" test "$(cert_mode "$T/in.key")" = 600
expect_true "import-p12: certificate is 0644" \
    test "$(cert_mode "$T/in.pem")" = 644
expect_true "import-p12: same key" sh -c \
    '[ "$(openssl pkey -in "$1" -pubout)" = \
       "$(openssl pkey -in "$2" -pubout)" ]' \
    - "$T/in.key" "$T/itlr.key"

run "$SBDCTL" cert import-p12 "$T/itlr.p12" --cert-out "$T/bad.pem" \
    --key-out "$T/bad.key" --password-env CERT_PW
expect_rc "import-p12 wrong password" 1
expect_err "import-p12 wrong password: message" "$T/itlr.p12: wrong password"
expect_true "import-p12 wrong password wrote nothing" \
    test ! -e "$T/bad.pem" -a ! -e "$T/bad.key"

# A peer's file: openssl pkcs12 -export, default (AES) and legacy (RC2-40,
# 3DES, SHA-1 MAC, as OpenSSL 1.x and CUCM-era tools write them).
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/peer.key" \
    -out "$T/peer.pem" -subj "/CN=peer.example/O=Peer" -days 10 \
    >/dev/null 2>&1
openssl pkcs12 -export -in "$T/peer.pem" -inkey "$T/peer.key" \
    -out "$T/peer.p12" -passout pass:peerpw >/dev/null 2>&1
printf 'peerpw\n' >"$T/peerpw"
run "$SBDCTL" cert import-p12 "$T/peer.p12" --cert-out "$T/pi.pem" \
    --key-out "$T/pi.key" --password-file "$T/peerpw"
expect_rc "import-p12 an openssl-made file" 0
expect_true "import-p12 peer: certificate as openssl wrote it" sh -c \
    '[ "$(openssl x509 -in "$1" -outform DER | openssl sha256 -r)" = \
       "$(openssl x509 -in "$2" -outform DER | openssl sha256 -r)" ]' \
    - "$T/pi.pem" "$T/peer.pem"
expect_true "import-p12 peer: key as openssl wrote it" sh -c \
    '[ "$(openssl pkey -in "$1" -pubout)" = \
       "$(openssl pkey -in "$2" -pubout)" ]' \
    - "$T/pi.key" "$T/peer.key"

if openssl pkcs12 -export -legacy -in "$T/peer.pem" -inkey "$T/peer.key" \
    -out "$T/legacy.p12" -passout pass:peerpw >/dev/null 2>&1; then
	run "$SBDCTL" cert import-p12 "$T/legacy.p12" --cert-out "$T/li.pem" \
	    --password-file "$T/peerpw"
	expect_rc "import-p12 a legacy RC2-40/3DES file" 0
	expect_true "import-p12 legacy: one 0600 PEM without --key-out" \
	    test "$(cert_mode "$T/li.pem")" = 600
	expect_true "import-p12 legacy: key in the same file" \
	    openssl pkey -in "$T/li.pem" -noout
fi

openssl pkcs12 -export -nokeys -in "$T/peer.pem" -out "$T/nokey.p12" \
    -passout pass:peerpw >/dev/null 2>&1
run "$SBDCTL" cert import-p12 "$T/nokey.p12" --cert-out "$T/nk.pem" \
    --key-out "$T/nk.key" --password-file "$T/peerpw"
expect_rc "import-p12 without a key" 1
expect_err "import-p12 without a key: message" \
    "$T/nokey.p12: no certificate with its private key"

head -c 300 "$T/itlr.p12" >"$T/trunc.p12"
run "$SBDCTL" cert import-p12 "$T/trunc.p12" --cert-out "$T/t.pem" \
    --key-out "$T/t.key" --password-file "$T/pw"
expect_rc "import-p12 truncated" 1
expect_err "import-p12 truncated: message names it" \
    "$T/trunc.p12: not a usable PKCS#12 file"
run "$SBDCTL" cert import-p12 "$T/cm.pem" --cert-out "$T/t.pem" \
    --key-out "$T/t.key" --password-file "$T/pw"
expect_rc "import-p12 of a PEM file" 1
expect_err "import-p12 of a PEM file: message names it" \
    "$T/cm.pem: not a usable PKCS#12 file"
run "$SBDCTL" cert import-p12 "$T/missing.p12" --cert-out "$T/t.pem" \
    --password-file "$T/pw"
expect_rc "import-p12 missing file" 1
expect_err "import-p12 missing file: message names it" "$T/missing.p12"
run "$SBDCTL" cert import-p12 "$T/itlr.p12" --password-file "$T/pw"
expect_rc "import-p12 without --cert-out: usage" 2
expect_err "import-p12 without --cert-out: message" "--cert-out is required"
run "$SBDCTL" cert import-p12 --cert-out "$T/t.pem" --password-file "$T/pw"
expect_rc "import-p12 without FILE: usage" 2
expect_err "import-p12 without FILE: message" "expected one FILE.p12"
expect_true "failed imports wrote nothing" test ! -e "$T/t.pem"
