#!/bin/sh
# make run: the main job until the daemon exists.  Creates a demo cluster's
# certificates in ./var (kept across runs), builds the publisher's ITL the
# way SPEC.md describes it and prints `sbdctl show itl` of it.
set -eu
: "${SBDCTL:?}"
VAR=${VAR:-var}
HOST=${HOST:-sbd-pub.opensbd.test}
PKI=$VAR/pki
TFTP=$VAR/tftp

mkdir -p "$PKI" "$TFTP"
chmod 700 "$PKI"

cert() {	# ROLE FILE
	if [ ! -s "$PKI/$2" ]; then
		"$SBDCTL" cert create --role "$1" --host "$HOST" -o "$PKI/$2"
		echo "created $PKI/$2"
	fi
}
cert callmanager CallManager.pem
cert tvs TVS.pem
cert capf CAPF.pem
cert itlrecovery ITLRecovery.pem

# The cluster security password protects ITLRecovery.p12 (seed 001).
if [ ! -s "$PKI/security-password" ]; then
	umask 077
	od -An -N12 -tx1 /dev/urandom | tr -d ' \n' >"$PKI/security-password"
	umask 022
fi
if [ ! -s "$PKI/ITLRecovery.p12" ]; then
	"$SBDCTL" cert export-p12 --cert "$PKI/ITLRecovery.pem" \
	    --password-file "$PKI/security-password" -o "$PKI/ITLRecovery.p12"
	echo "created $PKI/ITLRecovery.p12 (password in $PKI/security-password)"
fi

# The ITL: signer, this node's TFTP certificate, TVS, CAPF, ITLRecovery.
"$SBDCTL" build itl -o "$TFTP/ITLFile.tlv" --signer "$PKI/CallManager.pem" \
    --record "TFTP:$PKI/CallManager.pem" --record "TVS:$PKI/TVS.pem" \
    --record "CAPF:$PKI/CAPF.pem" --record "SAST:$PKI/ITLRecovery.pem"

echo "admin:show itl"
"$SBDCTL" show itl "$TFTP/ITLFile.tlv"
echo
echo "Demo cluster in $VAR: certificates in $PKI, ITL in $TFTP/ITLFile.tlv."
echo "The node daemon (sbdd) is not written yet; until it is, serve"
echo "$TFTP with any TFTP server and point a phone's option 150 at it."
