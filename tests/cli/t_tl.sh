# CLI: build, show, verify and resign trust lists.  Sourced by run.sh.

# Golden files: show itl of the public ITLs, byte for byte.
for f in freepbx-2rec csptech-5rec; do
	cp "$DATA/public/itl-$f.tlv" "$T/ITLFile.tlv"
	touch -d @1700000000 "$T/ITLFile.tlv"
	run "$SBDCTL" show itl "$T/ITLFile.tlv"
	expect_rc "show itl $f exits 0" 0
	expect_same "show itl $f matches golden" "$T/out" \
	    "$DATA/golden/show-itl-$f.txt"
	run "$SBDCTL" verify itl "$T/ITLFile.tlv"
	expect_rc "verify itl $f" 0
	expect_out "verify itl $f names signer" "signed by CN=SAST,O=SAST,OU=SAST"
	run "$SBDCTL" show itl --json "$T/ITLFile.tlv"
	expect_true "show itl --json $f is valid JSON" \
	    python3 -m json.tool "$T/out"
	expect_out "show itl --json $f verified" '"verified": true'
done

# A demo cluster's certificates.
"$SBDCTL" cert create --role callmanager --host pub.example -o "$T/cm.pem"
"$SBDCTL" cert create --role tvs --host pub.example -o "$T/tvs.pem"
"$SBDCTL" cert create --role capf --host pub.example -o "$T/capf.pem"
"$SBDCTL" cert create --role itlrecovery --host pub.example -o "$T/rec.pem"
"$SBDCTL" cert create --cn other -o "$T/other.pem"

run "$SBDCTL" build itl -o "$T/ITLSEP001122334455.tlv" --signer "$T/cm.pem" \
    --record "TFTP:$T/cm.pem" --record "TVS:$T/tvs.pem,dns=pub.example" \
    --record "CAPF:$T/capf.pem,ip=127.0.0.1" --record "SAST:$T/rec.pem" \
    --timestamp 1700000000
expect_rc "build itl" 0
run "$SBDCTL" show itl "$T/ITLSEP001122334455.tlv"
expect_rc "show built itl" 0
expect_out "built itl: FILENAME is the generic name" "14	FILENAME	12	"
expect_out "built itl: signer record" "This etoken was used to sign the ITL file."
expect_out "built itl: ITLRecovery record" "This etoken was not used to sign the ITL file."
expect_out "built itl: TVS record" "4	FUNCTION	2	TVS"
expect_out "built itl: dns name" "2	DNSNAME	12	pub.example"
expect_out "built itl: ip address" "10	IPADDRESS	4	127.0.0.1"
expect_out "built itl: verified" "The ITL file was verified successfully."
expect_true "openssl agrees on the signer subject" sh -c \
    "openssl x509 -in '$T/cm.pem' -noout -subject | grep -q 'CN *= *pub.example'"

# Verification against a given certificate.
run "$SBDCTL" verify itl --cert "$T/cm.pem" "$T/ITLSEP001122334455.tlv"
expect_rc "verify itl --cert signer" 0
run "$SBDCTL" verify itl --cert "$T/other.pem" "$T/ITLSEP001122334455.tlv"
expect_rc "verify itl --cert other fails" 1
expect_err "verify itl --cert other message" "ITL verification failed"

# Re-sign with ITLRecovery: verifies, signed by the recovery record.
run "$SBDCTL" resign itl -o "$T/reset.tlv" --signer "$T/rec.pem" \
    "$T/ITLSEP001122334455.tlv"
expect_rc "resign itl" 0
run "$SBDCTL" show itl "$T/reset.tlv"
expect_out "resigned: signer is ITLRecovery" "4	SIGNERNAME	27	CN=ITLRECOVERY_pub.example"
expect_out "resigned: verified" "The ITL file was verified successfully."
run "$SBDCTL" verify itl --cert "$T/cm.pem" "$T/reset.tlv"
expect_rc "resigned: old key no longer verifies" 1
run "$SBDCTL" resign itl -o "$T/bad.tlv" --signer "$T/other.pem" \
    "$T/ITLSEP001122334455.tlv"
expect_rc "resign with a non-member key still writes" 0
expect_err "resign with a non-member key warns" "phones will not accept it"

# Rollback ITL: empty TFTP and TVS records.
run "$SBDCTL" build itl --rollback -o "$T/rollback.tlv" --signer "$T/cm.pem"
expect_rc "build rollback itl" 0
run "$SBDCTL" show itl --json "$T/rollback.tlv"
expect_out "rollback: empty TVS record" '"role_name": "TVS"'
expect_true "rollback: two records without certificates" sh -c \
    "test \$(grep -c certificate_sha1 '$T/out') -eq 1"

# A CTL.
run "$SBDCTL" build ctl -o "$T/CTLFile.tlv" --signer "$T/cm.pem" \
    --record "CCM+TFTP:$T/cm.pem" --record "CAPF:$T/capf.pem" --hash sha512
expect_rc "build ctl" 0
run "$SBDCTL" show ctl "$T/CTLFile.tlv"
expect_out "show ctl uses CTL words" "The CTL file was verified successfully."
expect_out "show ctl: CCM+TFTP" "FUNCTION	2	CCM+TFTP"

# Errors: each names the file and, for parse errors, the offset.
head -c 100 "$DATA/public/itl-freepbx-2rec.tlv" >"$T/trunc.tlv"
run "$SBDCTL" show itl "$T/trunc.tlv"
expect_rc "truncated itl exits 1" 1
expect_err "truncated itl: file and offset" "$T/trunc.tlv: offset 8:"
expect_out "truncated itl: CUCM's words" "Error parsing the ITL file!!"
cp "$DATA/public/itl-freepbx-2rec.tlv" "$T/flip.tlv"
flip_byte "$T/flip.tlv" 3000
run "$SBDCTL" show itl "$T/flip.tlv"
expect_rc "flipped itl exits 1" 1
expect_out "flipped itl: CUCM's words" "Verification of the ITL file failed."
run "$SBDCTL" show itl "$T/missing.tlv"
expect_rc "missing file exits 1" 1
expect_err "missing file named" "$T/missing.tlv: No such file"
run "$SBDCTL" show itl -d "$T/nocluster"
expect_rc "show itl without FILE and without a cluster exits 1" 1
expect_err "show itl without FILE: no cluster named" "$T/nocluster"
run "$SBDCTL" build itl -o "$T/x.tlv"
expect_rc "build without --signer is a usage error" 2
expect_err "build without --signer says so" "--signer are required"
run "$SBDCTL" build itl -o "$T/x.tlv" --signer "$T/cm.pem" --record "BOGUS:$T/cm.pem"
expect_rc "bad role is a usage error" 2
expect_err "bad role named" "bad --record: BOGUS"
run "$SBDCTL" build itl -o "$T/x.tlv" --signer "$T/cm.pem" --record "TVS:$T/nothere.pem"
expect_rc "missing record cert exits 1" 1
expect_err "missing record cert named" "$T/nothere.pem"
expect_true "no partial output on failure" test ! -e "$T/x.tlv"
run "$SBDCTL" build itl -o "$T/x.tlv" --signer "$T/cm.pem" --key "$T/other.pem"
expect_rc "mismatched key exits 1" 1
expect_err "mismatched key message" "does not match certificate"
i=0
set --
while [ $i -lt 50 ]; do
	set -- "$@" --record "TVS:$T/cm.pem"
	i=$((i + 1))
done
run "$SBDCTL" build itl -o "$T/big.tlv" --signer "$T/cm.pem" "$@"
expect_rc "an ITL over 64 KiB is refused" 1
expect_err "over 64 KiB message" "phones refuse lists over 64 KiB"
set --
"$SBDCTL" cert create --cn ectest --ec P-256 -o "$T/ec.pem"
run "$SBDCTL" build itl -o "$T/x.tlv" --signer "$T/ec.pem"
expect_rc "an EC signer is refused" 1
expect_err "EC signer message" "unusable key or certificate"
run "$SBDCTL" frobnicate
expect_rc "unknown verb exits 2" 2
run "$SBDCTL" show xyz
expect_rc "unknown object exits 2" 2
expect_err "unknown object named" "xyz: unknown object"
