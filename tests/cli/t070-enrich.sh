#!/usr/bin/env bash
# iocm enrich with the real MaxMind test databases, and ioc show's display
# of the stored results.
. "$(dirname "$0")/lib.sh"

offline_enrichment

run init
expect_status 0
run ioc add 81.2.69.142
run ioc add 1.128.0.1
run ioc add 2001:480::1
run ioc add evil.example
run ioc add 44d88612fea8a8f36de82e1278abb02f

# The JSON source data of the test databases says 81.2.69.142 is in
# London, GB, and 1.128.0.1 is in AS1221, Telstra.
run enrich 81.2.69.142 --provider geoip --json
expect_status 0
json_eq '.succeeded' '1'
run ioc show 81.2.69.142 --json
json_eq '.enrichment.geoip.result.country.iso_code' '"GB"'
json_eq '.enrichment.geoip.result.city' '"London"'
json_eq '.enrichment.geoip.fetched_at' '"2026-12-04T08:00:00Z"'
run enrich 1.128.0.1 --provider asn --json
json_eq '.succeeded' '1'
run ioc show 1.128.0.1 --json
json_eq '.enrichment.asn.result.asn' '1221'
json_eq '.enrichment.asn.result.organization' '"Telstra Pty Ltd"'
run ioc show 1.128.0.1
expect_out "enrichment asn (fetched 2026-12-04T08:00:00Z)"
expect_out "Telstra"

# A provider asked for a type it does not handle records not_applicable.
run enrich 44d88612fea8a8f36de82e1278abb02f --provider geoip --json
expect_status 0
json_eq '.not_applicable' '1'

# A DNS server that does not answer is a failure, recorded.
run enrich evil.example --provider dns --json
expect_status 0
json_eq '.failed' '1'
check '[[ $(sql "SELECT outcome FROM enrich_attempts a JOIN iocs i ON i.id = a.ioc_id WHERE i.value = '"'"'evil.example'"'"'") == failure ]]' "dns failure recorded"

# A fresh result is not fetched again; --force fetches it.
run enrich 81.2.69.142 --provider geoip --json
json_eq '.cached' '1'
json_eq '.succeeded' '0'
run enrich 81.2.69.142 --provider geoip --force --json
json_eq '.succeeded' '1'

# Pending: active indicators without a fresh result for a provider: the
# two other addresses (2001:480::1 is in the test database too).
run enrich --pending --provider geoip --json
expect_status 0
json_eq '.succeeded' '2'
json_eq '.indicators' '2'
check '[[ $(sql "SELECT COUNT(*) FROM enrich_attempts WHERE provider = '"'"'geoip'"'"' AND outcome = '"'"'success'"'"'") -eq 4 ]]' "four geoip successes recorded"

# Providers without a key are skipped with a note, not failed.
run enrich 81.2.69.142 --provider virustotal
expect_status 0
expect_out "virustotal: skipped: no API key"
check '[[ $(sql "SELECT COUNT(*) FROM enrich_attempts WHERE provider = '"'"'virustotal'"'"'") -eq 0 ]]' "skipped provider not recorded"

# Usage errors.
run enrich --provider nosuch 81.2.69.142
expect_status 2
expect_err "unknown provider 'nosuch'"
run enrich
expect_status 2
run enrich 203.0.113.250
expect_status 1
expect_err "no indicator '203.0.113.250'"

# The daily report counts the attempts of its window: not_applicable does
# not count; 4 geoip + 1 asn successes and 1 dns failure. Coverage: 3 of
# the 5 active indicators have a success (the hash and the domain not).
run report show daily --format json --at 2026-12-04T09:00:00Z
expect_status 0
json_eq '.enrichment.attempted' '6'
json_eq '.enrichment.succeeded' '5'
json_eq '.enrichment.success_rate' '83.3'
json_eq '.enrichment.coverage' '60'

finish
