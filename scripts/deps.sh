#!/bin/sh
# Install the Debian packages opensbd needs to build and test, if any are
# missing.  Quiet and fast when everything is present, so every make target
# that needs the packages can call it.
set -eu

PKGS="build-essential openssh-server pkg-config libssl-dev openssl libxml2-dev libcmocka-dev
clang libclang-rt-14-dev xxd libevent-dev libsqlite3-dev libssh-dev sqlite3
curl tftp-hpa atftp busybox dnsmasq-base iproute2 nftables procps"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
