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
    libssl-dev
    # tests: SMTP server, PostgreSQL, TLS test CA, MIME parsing, valgrind
    python3-aiosmtpd postgresql openssl valgrind tzdata jq dnsmasq-base
    nodejs
    # tests/contrib: systemd-analyze verifies the units and computes the
    # timers' next runs (systemd), logrotate runs contrib/logrotate/iocm
    systemd logrotate
)

# The STIX 2.1 schema validator used by the tests (ajv, from npm).
install_js() {
    if ! command -v npm >/dev/null; then
        "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null
    fi
    if [[ ! -d tests/js/node_modules ]]; then
        echo "install-deps: installing the test validator (npm ci in tests/js)" >&2
        (cd tests/js && npm ci --no-audit --no-fund --loglevel=error)
    fi
}

cd "$(dirname "$0")/.."
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
    sudo_cmd=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
        missing+=("$p")
    fi
done

if ((${#missing[@]} == 0)); then
    install_js
    exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_js
