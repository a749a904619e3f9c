# CLI: sign, show, verify and strip .sgn files.  Sourced by run.sh.

for f in fw-BOOT69xx.0-0-0-14.zz fw-BOOT894x.0-0-2-0.bin; do
	run "$SBDCTL" show sgn "$DATA/public/$f.sgn"
	expect_rc "show sgn $f" 0
	expect_same "show sgn $f matches golden" "$T/out" \
	    "$DATA/golden/show-sgn-$f.txt"
	run "$SBDCTL" strip sgn -o "$T/payload" "$DATA/public/$f.sgn"
	expect_rc "strip sgn $f" 0
	expect_true "strip sgn $f gives the payload" sh -c \
	    "tail -c +413 '$DATA/public/$f.sgn' | cmp -s - '$T/payload'"
done

"$SBDCTL" cert create --role callmanager --host tftp.example -o "$T/tftp.pem"
"$SBDCTL" cert create --cn other -o "$T/other.pem"
mkdir -p "$T/tftp/New_Zealand"
printf '<device><fullConfig>true</fullConfig></device>\n' \
    >"$T/tftp/SEP001122334455.cnf.xml"
printf '<tones/>\n' >"$T/tftp/New_Zealand/g3-tones.xml"

run "$SBDCTL" sign --signer "$T/tftp.pem" "$T/tftp/SEP001122334455.cnf.xml"
expect_rc "sign" 0
expect_true "sign writes FILE.sgn" test -s "$T/tftp/SEP001122334455.cnf.xml.sgn"
run "$SBDCTL" show sgn --json "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_out "default FILENAME is basename.sgn" '"filename": "SEP001122334455.cnf.xml.sgn"'
expect_out "signed header version 1.0" '"version": "1.0"'
run "$SBDCTL" verify sgn --cert "$T/tftp.pem" "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "verify sgn --cert" 0
run "$SBDCTL" verify sgn --cert "$T/other.pem" "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "verify sgn with another cert fails" 1
expect_err "another cert: signer not the given certificate" "is not the given certificate"

"$SBDCTL" build itl -o "$T/ITLFile.tlv" --signer "$T/tftp.pem" --record "TFTP:$T/tftp.pem"
run "$SBDCTL" verify sgn --tl "$T/ITLFile.tlv" "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "verify sgn --tl" 0
expect_out "verify sgn --tl names the record" "record 2 of"
run "$SBDCTL" verify sgn --json --tl "$T/ITLFile.tlv" "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "verify sgn --json" 0
expect_out "verify sgn --json: verified" '"verified": true'
expect_out "verify sgn --json: record" '"record": 2'
expect_true "verify sgn --json is valid JSON" python3 -m json.tool "$T/out"
"$SBDCTL" build itl -o "$T/ccm.tlv" --signer "$T/tftp.pem" --record "CCM:$T/tftp.pem"
run "$SBDCTL" verify sgn --tl "$T/ccm.tlv" "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "a CCM-only list does not vouch for files" 1
expect_err "CCM-only message" "not a TFTP or CCM+TFTP record"
run "$SBDCTL" verify sgn --json --tl "$T/ccm.tlv" "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "verify sgn --json failure exits 1" 1
expect_out "verify sgn --json failure" '"verified": false'

run "$SBDCTL" sign --signer "$T/tftp.pem" --hash sha512 \
    --filename New_Zealand/g3-tones.xml.sgn -o "$T/tones.sgn" \
    "$T/tftp/New_Zealand/g3-tones.xml"
expect_rc "sign with a relative FILENAME" 0
run "$SBDCTL" show sgn "$T/tones.sgn"
expect_out "relative FILENAME kept" "14	FILENAME	29	"
run "$SBDCTL" sign --signer "$T/tftp.pem" --filename ../x.sgn "$T/tones.sgn"
expect_rc "FILENAME with .. refused" 2
expect_err "FILENAME with .. message" "must be a relative path"

mv "$T/tftp/SEP001122334455.cnf.xml" "$T/orig.xml"
run "$SBDCTL" strip sgn "$T/tftp/SEP001122334455.cnf.xml.sgn"
expect_rc "strip to the name without .sgn" 0
expect_same "strip gives the original back" "$T/orig.xml" \
    "$T/tftp/SEP001122334455.cnf.xml"
run "$SBDCTL" strip sgn -o - "$T/tones.sgn"
expect_same "strip -o - writes the payload" "$T/out" "$T/tftp/New_Zealand/g3-tones.xml"

# Tampering and errors.
cp "$T/tftp/SEP001122334455.cnf.xml.sgn" "$T/t.sgn"
printf 'X' >>"$T/t.sgn"
run "$SBDCTL" verify sgn --cert "$T/tftp.pem" "$T/t.sgn"
expect_rc "trailing byte breaks the signature" 1
expect_err "trailing byte message" "signature verification failed"
printf '\001\000\002\001\000\002\000\002\002\000' >"$T/short.sgn"
run "$SBDCTL" show sgn "$T/short.sgn"
expect_rc "header length past EOF exits 1" 1
expect_err "header length past EOF: offset" "$T/short.sgn: offset 8:"
run "$SBDCTL" strip sgn "$T/tftp/SEP001122334455.cnf.xml"
expect_rc "strip of a name without .sgn needs -o" 2
run "$SBDCTL" verify sgn "$T/t.sgn"
expect_rc "verify sgn needs --cert or --tl" 2
