#!/bin/sh
# install-deps.sh - install every Debian 12 package sertel needs to build,
# test and run. Idempotent: packages already present are not touched, and
# apt-get is only called when something is missing. Nothing is fetched
# from anywhere but Debian's archive.
#
# Usage: scripts/install-deps.sh        (as root, or with sudo available)
set -eu

PKGS="
build-essential cmake pkg-config ca-certificates clang-format
openssl libssl-dev
libsqlite3-dev sqlite3
libsodium-dev
libjansson-dev
zlib1g-dev
libp11-dev libengine-pkcs11-openssl softhsm2 opensc
libmicrohttpd-dev
libcurl4-openssl-dev
libqrencode-dev
libpng-dev libjpeg62-turbo-dev libjpeg-turbo-progs
libidn-dev
libarchive-dev
libseccomp-dev
libcmocka-dev
poppler-utils qpdf mupdf-tools libnss3-tools jq util-linux python3 curl xxd
ghostscript strace zbar-tools
locales
"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

# The e2e tests that sign also run under LANG=id_ID.UTF-8 (a decimal comma):
# numbers written into PDFs must not follow the locale.
make_locale() {
    if locale -a 2>/dev/null | grep -qi '^id_ID\.utf-\?8$'; then
        return 0
    fi
    echo "install-deps: generating the locale id_ID.UTF-8"
    $SUDO localedef -i id_ID -f UTF-8 id_ID.UTF-8
}

SUDO=""
if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    fi
    make_locale
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install-deps: missing packages:$missing" >&2
        echo "install-deps: run this script as root (or install sudo) to install them" >&2
        exit 2
    fi
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
make_locale
