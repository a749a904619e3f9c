# CLI tests of build/show/decrypt enc (FORMATS.md section 6).  Sourced by
# tests/cli/run.sh with $SBDCTL, $T and the helpers of lib.sh.  Variables
# are prefixed enc_ so they do not collide with other t_*.sh files.

enc_cnf=$T/SEP001122334455.cnf.xml
enc_file=$enc_cnf.enc.sgn
enc_sgn=$enc_cnf.sgn

# A certificate and key: with sbdctl if it can, else with openssl.
enc_mkcert() {	# CERT KEY CN [ec]
	if [ "${4:-}" = ec ]; then
		"$SBDCTL" cert create -o "$1" --key-out "$2" --cn "$3" \
		    --ec P-256 >/dev/null 2>&1 ||
		    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$2" -out "$1" -subj "/CN=$3" -days 30 \
		    >/dev/null 2>&1
	else
		"$SBDCTL" cert create -o "$1" --key-out "$2" --cn "$3" \
		    >/dev/null 2>&1 ||
		    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$2" \
		    -out "$1" -subj "/CN=$3" -days 30 >/dev/null 2>&1
	fi
}

enc_mkcert "$T/tftp.pem" "$T/tftp.key" cucm-tftp
enc_mkcert "$T/dev.pem" "$T/dev.key" SEP001122334455
enc_mkcert "$T/dev2.pem" "$T/dev2.key" SEP001122334466
enc_mkcert "$T/ec.pem" "$T/ec.key" SEP0011223344EC ec
expect_true "enc: test certificates exist" test -s "$T/tftp.pem" \
    -a -s "$T/dev.key" -a -s "$T/dev2.key" -a -s "$T/ec.pem"

cat >"$enc_cnf" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<device xsi:type="axl:XIPPhone" ctiid="94">
  <fullConfig>true</fullConfig>
  <deviceProtocol>SIP</deviceProtocol>
  <sshUserId>admin</sshUserId>
  <sshPassword>s3cret-pw</sshPassword>
  <ipAddressMode>0</ipAddressMode>
  <loadInformation>sip88xx.14-1-1-0001-136</loadInformation>
  <capfAuthMode>0</capfAuthMode>
  <capfList>
    <capf>
      <phonePort>3804</phonePort>
      <processNodeName>cucm1.example.com</processNodeName>
    </capf>
  </capfList>
</device>
EOF
cp "$enc_cnf" "$T/orig.xml"
# 0x0D padding to a whole AES block: 1..16 bytes (FORMATS.md 6.3).
enc_xlen=$(wc -c <"$enc_cnf")
enc_xpad=$((16 - enc_xlen % 16))

# ---- build ---------------------------------------------------------------

run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --key "$T/tftp.key" --device-cert "$T/dev.pem" --timestamp 1700000000
expect_rc "enc build: exit 0" 0
expect_true "enc build: writes .enc.sgn" test -s "$enc_file"
expect_true "enc build: writes the short .sgn" test -s "$enc_sgn"
expect_same "enc build: keeps the plaintext unchanged" "$enc_cnf" \
    "$T/orig.xml"

mkdir "$T/outdir"
run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --key "$T/tftp.key" --device-cert "$T/dev.pem" -d "$T/outdir" \
    --hash sha512
expect_rc "enc build -d: exit 0" 0
expect_true "enc build -d: both files in OUTDIR" test -s \
    "$T/outdir/SEP001122334455.cnf.xml.enc.sgn" -a -s \
    "$T/outdir/SEP001122334455.cnf.xml.sgn"

# ---- show ----------------------------------------------------------------

run "$SBDCTL" show enc "$enc_file"
expect_rc "enc show: exit 0" 0
expect_out "enc show: version 2.0" "Version:              2.0"
expect_out "enc show: FILENAME" \
    "Filename:             SEP001122334455.cnf.xml.enc.sgn"
expect_out "enc show: timestamp in UTC" \
    "Timestamp:            2023-11-14 22:13:20 UTC"
expect_out "enc show: key size of an RSA-2048 device" \
    "Key size:             2048"
expect_out "enc show: key algorithm 1" "Key algorithm:        1"
expect_out "enc show: wrapped key length" "Wrapped key:          256 bytes"
expect_out "enc show: SHA-1 plaintext hash" "Plaintext hash:       SHA-1 "
expect_out "enc show: pad count" "Pad count:            $enc_xpad"
expect_out "enc show: ciphertext length" \
    "Ciphertext:           $((enc_xlen + enc_xpad)) bytes"

run "$SBDCTL" show enc --json "$T/outdir/SEP001122334455.cnf.xml.enc.sgn"
expect_rc "enc show --json: exit 0" 0
expect_out "enc show --json: version" '"version": "2.0"'
expect_out "enc show --json: pad count" "\"pad_count\": $enc_xpad"
expect_out "enc show --json: key size" '"key_size": 2048'
expect_out "enc show --json: SHA-512 plaintext hash" \
    '"plaintext_hash_algorithm": "SHA-512"'
expect_out "enc show --json: ciphertext length" \
    "\"ciphertext_length\": $((enc_xlen + enc_xpad))"

run "$SBDCTL" show enc --help
expect_rc "enc show --help: exit 0" 0
expect_out "enc show --help: usage on stdout" "usage: sbdctl show enc"

# ---- decrypt -------------------------------------------------------------

run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/dev.key" \
    --cert "$T/tftp.pem" -o "$T/plain.xml"
expect_rc "enc decrypt --cert: exit 0" 0
expect_same "enc decrypt: byte-identical plaintext" "$T/plain.xml" \
    "$T/orig.xml"
expect_true "enc decrypt -o: mode 0600" \
    test "$(stat -c %a "$T/plain.xml")" = 600

run "$SBDCTL" decrypt enc "$T/outdir/SEP001122334455.cnf.xml.enc.sgn" \
    --device-key "$T/dev.key"
expect_rc "enc decrypt to stdout (SHA-512): exit 0" 0
expect_same "enc decrypt to stdout: byte-identical" "$T/out" "$T/orig.xml"

# --tl: the signer must be a TFTP record of a trust list that verifies.
enc_mkcert "$T/sast.pem" "$T/sast.key" ITLRECOVERY_cucm1
if "$SBDCTL" build itl -o "$T/ITLFile.tlv" --signer "$T/sast.pem" \
    --key "$T/sast.key" --record "tftp:$T/tftp.pem" >/dev/null 2>&1 &&
    "$SBDCTL" build itl -o "$T/ITLccm.tlv" --signer "$T/sast.pem" \
    --key "$T/sast.key" --record "ccm:$T/tftp.pem" >/dev/null 2>&1; then
	run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/dev.key" \
	    --tl "$T/ITLFile.tlv" -o "$T/plain2.xml"
	expect_rc "enc decrypt --tl: exit 0" 0
	expect_same "enc decrypt --tl: byte-identical" "$T/plain2.xml" \
	    "$T/orig.xml"
	run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/dev.key" \
	    --tl "$T/ITLccm.tlv"
	expect_rc "enc decrypt --tl without a TFTP record: exit 1" 1
	expect_err "enc decrypt --tl without a TFTP record: message" \
	    "signer is not a TFTP or CCM+TFTP record"
else
	echo "# skipped: sbdctl build itl unavailable, --tl not tested"
fi

run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/dev.key" \
    --cert "$T/dev.pem"
expect_rc "enc decrypt --cert of another signer: exit 1" 1
expect_err "enc decrypt --cert of another signer: message" \
    "not signed by $T/dev.pem"

run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/dev2.key"
expect_rc "enc decrypt, wrong device key: exit 1" 1
expect_err "enc decrypt, wrong device key: names the file" "$enc_file: "
expect_true "enc decrypt, wrong device key: no plaintext" \
    test ! -s "$T/out"

run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/ec.key"
expect_rc "enc decrypt, EC key: exit 1" 1
expect_err "enc decrypt, EC key: message" "not an RSA private key"

# ---- the short .sgn (FORMATS.md 6.1) -------------------------------------

enc_hash=$(openssl x509 -in "$T/dev.pem" -outform DER | md5sum | cut -c1-32)
if run "$SBDCTL" strip sgn -o "$T/short.xml" "$enc_sgn" && [ "$rc" = 0 ]
then
	:
else
	# FORMATS.md 5.2: the payload starts at HEADER_LENGTH (offset 8).
	enc_hl=$(od -An -tu1 -j8 -N2 "$enc_sgn" | awk '{print $1 * 256 + $2}')
	tail -c +$((enc_hl + 1)) "$enc_sgn" >"$T/short.xml"
fi
cp "$T/short.xml" "$T/out"
expect_out "enc short .sgn: encrConfig true" "<encrConfig>true</encrConfig>"
expect_out "enc short .sgn: fullConfig false" "<fullConfig>false</fullConfig>"
expect_out "enc short .sgn: certHash is MD5 of the device DER" \
    "<certHash>$enc_hash</certHash>"
expect_out "enc short .sgn: keeps loadInformation" \
    "<loadInformation>sip88xx.14-1-1-0001-136</loadInformation>"
expect_out "enc short .sgn: keeps capfList" \
    "<processNodeName>cucm1.example.com</processNodeName>"
expect_true "enc short .sgn: drops the secrets" \
    sh -c "! grep -q -e s3cret -e sshUserId -e deviceProtocol '$T/short.xml'"
expect_true "enc short .sgn: XML declaration first" \
    sh -c "head -1 '$T/short.xml' | grep -qx '<?xml version=\"1.0\" encoding=\"UTF-8\"?>'"
run "$SBDCTL" verify sgn --cert "$T/tftp.pem" "$enc_sgn"
expect_rc "enc short .sgn: verifies against the signer" 0
run "$SBDCTL" show sgn --json "$enc_sgn"
expect_out "enc short .sgn: FILENAME" \
    '"filename": "SEP001122334455.cnf.xml.sgn"'
expect_out "enc short .sgn: header version 1.0" '"version": "1.0"'

# ---- independent check with the openssl CLI (FORMATS.md 6.3, 2.3) --------

run "$SBDCTL" show enc --json "$enc_file"
# The offset of the element with tag $1 in the JSON element list.
enc_off() {
	awk -v t="$1" '/"offset":/ { o = $2; sub(",", "", o) }
	    $0 ~ "\"tag\": " t "," { print o; exit }' "$T/out"
}
enc_keyoff=$(enc_off 25)
enc_sigoff=$(enc_off 12)
run "$SBDCTL" show enc "$enc_file"
enc_iv=$(sed -n 's/^IV: *//p' "$T/out")
enc_hl=$(sed -n 's/^Header length: *//p' "$T/out")
enc_pad=$(sed -n 's/^Pad count: *//p' "$T/out")
tail -c +$((enc_keyoff + 4)) "$enc_file" | head -c 256 >"$T/wrapped.bin"
enc_aes=$(openssl pkeyutl -decrypt -inkey "$T/dev.key" \
    -pkeyopt rsa_padding_mode:pkcs1 -in "$T/wrapped.bin" 2>/dev/null |
    od -An -tx1 | tr -d ' \n')
tail -c +$((enc_hl + 1)) "$enc_file" >"$T/ct.bin"
openssl enc -d -aes-128-cbc -nopad -K "$enc_aes" -iv "$enc_iv" \
    -in "$T/ct.bin" -out "$T/padded.bin" 2>/dev/null
enc_len=$(wc -c <"$T/padded.bin")
head -c $((enc_len - enc_pad)) "$T/padded.bin" >"$T/ossl.xml"
expect_same "enc openssl: unwrap + AES-128-CBC give the plaintext" \
    "$T/ossl.xml" "$T/orig.xml"
expect_true "enc openssl: the pad bytes are 0x0D" test \
    "$(tail -c "$enc_pad" "$T/padded.bin" | od -An -tx1 | tr -d ' \n')" = \
    "$(printf '0d%.0s' $(seq "$enc_pad"))"
# Signature: everything but the SIGNATURE TLV (3 + 256 bytes).
head -c "$enc_sigoff" "$enc_file" >"$T/signed.bin"
tail -c +$((enc_sigoff + 3 + 256 + 1)) "$enc_file" >>"$T/signed.bin"
tail -c +$((enc_sigoff + 4)) "$enc_file" | head -c 256 >"$T/sig.bin"
openssl x509 -in "$T/tftp.pem" -pubkey -noout >"$T/tftp.pub"
expect_true "enc openssl: RSA-SHA1 signature over header and ciphertext" \
    openssl dgst -sha1 -verify "$T/tftp.pub" -signature "$T/sig.bin" \
    "$T/signed.bin"

# ---- corrupted files -----------------------------------------------------

# Flip one ciphertext byte: the hash fails, or the signature with --cert.
cp "$enc_file" "$T/flip.enc.sgn"
flip_byte "$T/flip.enc.sgn" $((enc_hl + 20))
run "$SBDCTL" decrypt enc "$T/flip.enc.sgn" --device-key "$T/dev.key"
expect_rc "enc decrypt, flipped ciphertext: exit 1" 1
expect_err "enc decrypt, flipped ciphertext: message" \
    "$T/flip.enc.sgn: plaintext hash mismatch"
run "$SBDCTL" decrypt enc "$T/flip.enc.sgn" --device-key "$T/dev.key" \
    --cert "$T/tftp.pem"
expect_rc "enc decrypt --cert, flipped ciphertext: exit 1" 1
expect_err "enc decrypt --cert, flipped ciphertext: message" \
    "signature verification failed"

head -c 100 "$enc_file" >"$T/trunc.enc.sgn"
run "$SBDCTL" show enc "$T/trunc.enc.sgn"
expect_rc "enc show, truncated: exit 1" 1
expect_err "enc show, truncated: names file and offset" \
    "$T/trunc.enc.sgn: offset "

# Trailing garbage that is not a whole AES block.
cp "$enc_file" "$T/trail.enc.sgn"
printf 'xyz' >>"$T/trail.enc.sgn"
run "$SBDCTL" show enc "$T/trail.enc.sgn"
expect_rc "enc show, trailing garbage: exit 1" 1
expect_err "enc show, trailing garbage: offset of the ciphertext" \
    "offset $enc_hl: "

# Header version 1.2 is a trust list's, not an .enc.sgn's.
cp "$enc_file" "$T/ver.enc.sgn"
printf '\001\002' | dd of="$T/ver.enc.sgn" bs=1 seek=3 conv=notrunc \
    2>/dev/null
run "$SBDCTL" decrypt enc "$T/ver.enc.sgn" --device-key "$T/dev.key"
expect_rc "enc decrypt, version 1.2: exit 1" 1
expect_err "enc decrypt, version 1.2: message" \
    "offset 0: unsupported version: header version 1.2"

run "$SBDCTL" show enc "$enc_sgn"
expect_rc "enc show of a plain .sgn: exit 1" 1
expect_err "enc show of a plain .sgn: message" "offset 0: unsupported version"

run "$SBDCTL" show enc "$T/missing.enc.sgn"
expect_rc "enc show, missing file: exit 1" 1
expect_err "enc show, missing file: names it" "$T/missing.enc.sgn"

# ---- build refusals ------------------------------------------------------

run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --key "$T/tftp.key" --device-cert "$T/ec.pem" -d "$T/outdir"
expect_rc "enc build, EC device: exit 1" 1
expect_err "enc build, EC device: message" "device key is EC"

cp "$enc_cnf" "$T/SEP001122334455.xml"
run "$SBDCTL" build enc "$T/SEP001122334455.xml" --signer "$T/tftp.pem" \
    --key "$T/tftp.key" --device-cert "$T/dev.pem"
expect_rc "enc build, name not .cnf.xml: exit 2" 2
expect_err "enc build, name not .cnf.xml: message" \
    "name must be SEP<MAC>.cnf.xml"

mkdir "$T/bad"
printf '<config><a/></config>\n' >"$T/bad/SEP000000000001.cnf.xml"
run "$SBDCTL" build enc "$T/bad/SEP000000000001.cnf.xml" \
    --signer "$T/tftp.pem" --key "$T/tftp.key" --device-cert "$T/dev.pem"
expect_rc "enc build, root not <device>: exit 1" 1
expect_err "enc build, root not <device>: message" \
    "not a phone configuration"

cat >"$T/bad/SEP000000000002.cnf.xml" <<'EOF'
<?xml version="1.0"?>
<!DOCTYPE device [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<device><loadInformation>&x;</loadInformation></device>
EOF
run "$SBDCTL" build enc "$T/bad/SEP000000000002.cnf.xml" \
    --signer "$T/tftp.pem" --key "$T/tftp.key" --device-cert "$T/dev.pem"
expect_rc "enc build, DOCTYPE/XXE: exit 1" 1
expect_err "enc build, DOCTYPE/XXE: message" "a DOCTYPE"
expect_true "enc build, refused: no output files" sh -c \
    "! ls '$T/bad' | grep -q sgn"

run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --key "$T/tftp.key" --device-cert "$T/dev.pem" -d "$T/nonexistent"
expect_rc "enc build, missing OUTDIR: exit 1" 1
expect_err "enc build, missing OUTDIR: message" "cannot write"

run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --key "$T/dev.key" --device-cert "$T/dev.pem"
expect_rc "enc build, key of another certificate: exit 1" 1
expect_err "enc build, key of another certificate: message" \
    "does not match"

# ---- usage errors (exit 2) -----------------------------------------------

run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem"
expect_rc "enc build without --device-cert: exit 2" 2
expect_err "enc build without --device-cert: message" \
    "--device-cert is required"
run "$SBDCTL" build enc "$enc_cnf" --device-cert "$T/dev.pem"
expect_rc "enc build without --signer: exit 2" 2
expect_err "enc build without --signer: message" "--signer is required"
run "$SBDCTL" build enc --signer "$T/tftp.pem" --device-cert "$T/dev.pem"
expect_rc "enc build without a file: exit 2" 2
run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --device-cert "$T/dev.pem" --hash md5
expect_rc "enc build --hash md5: exit 2" 2
expect_err "enc build --hash md5: message" "want sha1 or sha512"
run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --device-cert "$T/dev.pem" --timestamp yesterday
expect_rc "enc build --timestamp junk: exit 2" 2
run "$SBDCTL" build enc "$enc_cnf" --signer "$T/tftp.pem" \
    --device-cert "$T/dev.pem" --frobnicate
expect_rc "enc build unknown option: exit 2" 2
expect_err "enc build unknown option: message" "unknown option --frobnicate"
run "$SBDCTL" build enc --help
expect_rc "enc build --help: exit 0" 0
expect_out "enc build --help: says the plaintext is kept" \
    "plaintext input is kept"
run "$SBDCTL" decrypt enc "$enc_file"
expect_rc "enc decrypt without --device-key: exit 2" 2
expect_err "enc decrypt without --device-key: message" \
    "--device-key is required"
run "$SBDCTL" decrypt enc "$enc_file" --device-key "$T/dev.key" \
    --cert "$T/tftp.pem" --tl "$T/ITLFile.tlv"
expect_rc "enc decrypt --cert and --tl: exit 2" 2
expect_err "enc decrypt --cert and --tl: message" "mutually exclusive"
run "$SBDCTL" show enc
expect_rc "enc show without a file: exit 2" 2
run "$SBDCTL" show enc "$enc_file" "$enc_file"
expect_rc "enc show with two files: exit 2" 2
expect_err "enc show with two files: message" "too many arguments"
