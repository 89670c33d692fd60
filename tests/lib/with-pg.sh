#!/usr/bin/env bash
# Runs CMD with IOCM_TEST_PG_URL naming the database of a throw-away
# PostgreSQL server (tests/lib/pg.sh), then stops the server and removes
# it, whatever CMD does. Exits with CMD's status.
#
#   tests/lib/with-pg.sh CMD [ARG...]
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if (($# == 0)); then
    echo "usage: with-pg.sh CMD [ARG...]" >&2
    exit 2
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/iocm-pg.XXXXXX") || exit 1
trap '"$here/pg.sh" stop "$dir"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
url=$("$here/pg.sh" start "$dir") || exit 1
IOCM_TEST_PG_URL=$url "$@"
exit $?
