#!/usr/bin/env bash
# Installs the Debian packages iocm needs to build and test, and nothing
# when they are all present already. Safe to run again at any time.
set -euo pipefail

packages=(
    # build
    build-essential clang meson ninja-build pkg-config clang-format
    # libraries
    libsqlite3-dev sqlite3 libpq-dev libcurl4-openssl-dev libmicrohttpd-dev
    libjansson-dev libsodium-dev libmaxminddb-dev libidn2-dev libcmocka-dev
    # tests: SMTP server, PostgreSQL, TLS test CA, MIME parsing, valgrind
    python3-aiosmtpd postgresql openssl valgrind tzdata jq dnsmasq-base
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
