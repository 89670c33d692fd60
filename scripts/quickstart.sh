#!/usr/bin/env bash
# The README's first command: build, create the embedded SQLite database,
# import the bundled sample indicators and print today's daily report.
set -euo pipefail
cd "$(dirname "$0")/.."

iocm=./build/iocm
if [[ ! -f .env ]]; then
    cp .env.example .env
    chmod 600 .env
    echo "quickstart: created .env from .env.example (edit it for mail)"
fi

"$iocm" init
"$iocm" import examples/sample-iocs.csv --source quickstart
"$iocm" import examples/sample-report.txt --source threat-bulletin
echo
# The window of a report ends at its reference time, excluded; the sample
# was stored this very second, so report as of one minute from now.
"$iocm" report show daily --format text --at "$(date -u -d "+1 min" +%FT%TZ)"
