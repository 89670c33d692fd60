#!/usr/bin/env bash
# Builds the sample dataset shown in docs/reports.md (three weeks of a small
# SOC's indicators, users, reviews and enrichment lookups) through the iocm
# command line with IOCM_NOW, then renders both HTML reports at AT.
#
#   tests/data/report/sample.sh IOCM DIR
#
# DIR receives sample.db, daily.html, weekly.html (and daily.txt,
# weekly.txt). Screenshots: chromium --headless --no-sandbox --disable-gpu
# --screenshot=docs/img/daily.png --window-size=760,1960 DIR/daily.html
set -euo pipefail

if (($# != 2)); then
    echo "usage: sample.sh IOCM DIR" >&2
    exit 2
fi
iocm=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
mkdir -p "$2"
dir=$(cd "$2" && pwd)
rm -f "$dir"/sample.db*
cd "$dir"
export DATABASE_URL="sqlite:$dir/sample.db"
# An empty .env of its own: the footer names it as "where to change
# recipients", as it would for a team.
: >"$dir/.env"
export IOCM_ENV_FILE=.env
export REPORT_TIMEZONE=Europe/Paris
export REPORT_MAX_TLP=AMBER
export PUBLIC_URL=https://iocm.soc.example.org

# The reports' reference time: Friday 4 December 2026, 08:00 in Paris.
at=$(date -u -d 2026-12-04T07:00:00Z +%s)
when() { date -u -d "@$((at - $1))" +%Y-%m-%dT%H:%M:%SZ; }
H=3600
D=86400

IOCM_NOW=$(when $((30 * D))) "$iocm" init --admin-password-stdin \
    <<<'sample admin password' >/dev/null
for u in alice:analyst bob:analyst carol:analyst dave:analyst; do
    printf 'sample password for %s\n' "${u%%:*}" |
        IOCM_NOW=$(when $((30 * D))) "$iocm" user add "${u%%:*}" \
            --role "${u#*:}" --reviewer >/dev/null
done

# add AGO USER VALUE [ioc add options...]
add() {
    local ago=$1 user=$2 value=$3
    shift 3
    IOCM_NOW=$(when "$ago") "$iocm" ioc add "$value" --user "$user" "$@" \
        >/dev/null
}

# Three weeks ago and older: some expire in the coming week (the default
# expiry is 30 days).
add $((25 * D)) alice 'hxxp://invoice-portal[.]example/dl/inv_2026_11.zip' \
    --severity high --source URLhaus
add $((26 * D)) bob 203.0.113.77 --severity medium --source 'honeypot'
add $((24 * D)) carol 'e5b6f2a1c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7' \
    --type sha256 --severity critical --source 'internal sandbox'
add $((27 * D)) bob 198.51.100.23 --severity high --tlp RED --source partner
add $((28 * D)) alice cdn-update.example.net --severity medium --source 'MISP community'

# Last week.
add $((13 * D)) alice secure-docs-share.example --severity high --source 'phishing reports'
add $((12 * D)) bob 192.0.2.101 --severity medium --source honeypot
add $((11 * D)) carol 5f4dcc3b5aa765d61d8327deb882cf99 --type md5 --severity low \
    --source 'internal sandbox'
add $((10 * D)) alice payroll-update@hr-notice.example --severity medium \
    --source 'phishing reports'
add $((9 * D)) bob CVE-2026-21412 --severity high --tlp CLEAR --source vendor
add $((8 * D)) carol 198.51.100.0/24 --severity low --source ''
add $((12 * D)) carol tracking-pixel.example --severity low --source URLhaus
add $((9 * D)) alice vpn-gateway-login.example --severity medium --status draft

# This week, before the last day.
add $((6 * D)) alice 'hxxps://drive-share.example/s/9f3k2/Q4_report.docm' \
    --severity critical --source 'phishing reports'
add $((6 * D)) bob 2001:db8:4f2a::1337 --severity high --tlp GREEN --source honeypot
add $((5 * D)) carol AS64511 --severity medium --source 'MISP community'
add $((5 * D)) bob update-check.example --severity high --source URLhaus
add $((4 * D)) alice 'Quarterly_Results_Q4.pdf.exe' --type filename --severity high \
    --source 'internal sandbox'
add $((4 * D)) carol 'da39a3ee5e6b4b0d3255bfef95601890afd80709' --severity medium \
    --tlp AMBER+STRICT --source partner
add $((3 * D)) bob 203.0.113.200 --severity medium --source ''
add $((3 * D)) alice cloud-sync-auth.example --severity critical --status review \
    --source 'phishing reports'
add $((2 * D)) carol '96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrw1QmA+4uy1I0G4HYuL8N3TzS8Qs+qWXLcMSx' \
    --type ssdeep --severity low --source 'internal sandbox'
add $((2 * D)) bob 'hxxp://198.51.100.45:8080/gate.php' --severity high --source honeypot
add $((2 * D)) alice mx-relay.example --severity low --tlp GREEN --source 'MISP community'

# The last 24 hours.
add $((1 * H)) alice 'hxxps://login-microsoftonline.support-portal[.]example/owa/auth.php?client=outlook&session=7f3a9' \
    --severity critical --source 'phishing reports'
add $((2 * H)) bob 192.0.2.66 --severity high --tlp RED --source partner
add $((3 * H)) carol '3b4c1f0e9d8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c' \
    --type sha256 --severity critical --source 'internal sandbox'
add $((4 * H)) alice billing@secure-payments.example --severity high --source 'phishing reports'
add $((5 * H)) bob 203.0.113.14 --severity medium --tlp GREEN --source honeypot
add $((7 * H)) carol files-cdn.example --severity medium --source URLhaus
add $((9 * H)) alice 'hxxp://files-cdn[.]example/load/stage2.bin' --severity high \
    --source URLhaus
add $((11 * H)) bob CVE-2026-30144 --severity critical --tlp CLEAR --source vendor
add $((13 * H)) carol 198.51.100.128/25 --severity low --tlp CLEAR --source ''
add $((15 * H)) alice 'e99a18c428cb38d5f260853678922e03' --type md5 --severity medium \
    --source 'internal sandbox'
add $((18 * H)) bob AS64500 --severity low --tlp GREEN --source 'MISP community'
add $((20 * H)) alice staging-api.example --severity medium --status draft

# Reviews and edits by people who add nothing themselves.
IOCM_NOW=$(when $((3 * D))) "$iocm" ioc update vpn-gateway-login.example \
    --status active --user carol >/dev/null
IOCM_NOW=$(when $((2 * D))) "$iocm" ioc update update-check.example \
    --severity critical --user dave >/dev/null
IOCM_NOW=$(when $((30 * H))) "$iocm" ioc update tracking-pixel.example \
    --status archived --user dave >/dev/null
IOCM_NOW=$(when $((6 * H))) "$iocm" ioc update files-cdn.example \
    --add-tag stage1 --user dave >/dev/null

# Enrichment lookups, written as the enrichment job records them; then the
# maintained counts are brought in step with the enriched flags, and the
# hourly attempt counts (enrich_hourly) with the attempts.
sqlite3 "$dir/sample.db" <<SQL
INSERT INTO enrich_attempts (ioc_id, provider, at, outcome)
SELECT id, 'whois', created_at + 60,
       CASE WHEN id % 5 = 0 THEN 'failure'
            WHEN type IN ('md5', 'sha1', 'sha256', 'ssdeep', 'cve')
            THEN 'not_applicable' ELSE 'success' END
FROM iocs WHERE status <> 0;
INSERT INTO enrich_attempts (ioc_id, provider, at, outcome)
SELECT id, 'sandbox', created_at + 120,
       CASE WHEN id % 3 = 0 THEN 'failure' ELSE 'success' END
FROM iocs WHERE type IN ('md5', 'sha256');
INSERT INTO enrich_results (ioc_id, provider, fetched_at, result)
SELECT DISTINCT ioc_id, provider, at, '{}' FROM enrich_attempts
WHERE outcome = 'success';
UPDATE iocs SET is_enriched = 1
WHERE id IN (SELECT ioc_id FROM enrich_attempts WHERE outcome = 'success');
DELETE FROM ioc_counts;
INSERT INTO ioc_counts (type, status, is_enriched, n)
SELECT type, status, is_enriched, COUNT(*) FROM iocs
GROUP BY type, status, is_enriched;
DELETE FROM enrich_hourly;
INSERT INTO enrich_hourly (hour, outcome, n)
SELECT at / 3600, outcome, COUNT(*) FROM enrich_attempts
GROUP BY at / 3600, outcome;
SQL

for kind in daily weekly; do
    for fmt in html text; do
        ext=$fmt
        [[ $fmt == text ]] && ext=txt
        IOCM_NOW=$(when 0) "$iocm" report show "$kind" --format "$fmt" \
            --at "$(when 0)" -o "$dir/$kind.$ext"
    done
done
