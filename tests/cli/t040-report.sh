#!/usr/bin/env bash
# iocm report show against a fixture built only through the command line,
# with IOCM_NOW moved step by step over three weeks: every number and every
# list of the daily and weekly JSON, checked against values worked out by
# hand below (DESIGN.md section 6), each edge case included; then the HTML,
# text and eml renderings of the same data: sections, the TLP ceiling,
# defanging, inline styles only, subjects in REPORT_TIMEZONE.
. "$(dirname "$0")/lib.sh"

unset REPORT_MAX_TLP REPORT_TIMEZONE REPORT_DEFANG TEMPLATE_DIR PUBLIC_URL \
    DAILY_REPORT_RECIPIENTS WEEKLY_REPORT_RECIPIENTS MAIL_DEFAULT_SENDER \
    IOC_DEFAULT_TTL_DAYS IOC_AUTO_EXPIRE_ENABLED GEOIP_DB_PATH ASN_DB_PATH \
    ENRICH_DNS_SERVER ENRICH_DNS_CACHE_DAYS || true

offline_enrichment
cat >>"$IOCM_ENV_FILE" <<ENV
DAILY_REPORT_RECIPIENTS=soc@example.org
WEEKLY_REPORT_RECIPIENTS=ciso@example.org
MAIL_DEFAULT_SENDER=IOC Manager <iocm@example.org>
ENV

# The reports' reference time T: Friday 4 December 2026, 08:00 UTC.
#   daily  D = [2026-12-03T08:00Z, 2026-12-04T08:00Z)
#   weekly W = [2026-11-27T08:00Z, 2026-12-04T08:00Z)
#   before P = [2026-11-20T08:00Z, 2026-11-27T08:00Z)
AT=2026-12-04T08:00:00Z
T=$(date -u -d "$AT" +%s)
M=60
H=3600
D=86400
# iso OFFSET: T + OFFSET seconds in ISO 8601.
iso() { date -u -d "@$((T + $1))" +%Y-%m-%dT%H:%M:%SZ; }
# at OFFSET ARGS...: runs iocm with the clock at T + OFFSET; it must work.
at() {
    local when
    when=$(iso "$1")
    shift
    IOCM_NOW=$when run "$@"
    ASSERT_WHAT="iocm $* at $when should succeed"
    assert test "$STATUS" -eq 0
    ASSERT_WHAT="iocm $* at $when: no sanitizer report"
    assert lacks "$ERR" "runtime error"
}
# add OFFSET USER VALUE [options]: ioc add as USER ("-" for the system).
add() {
    local off=$1 user=$2 value=$3
    shift 3
    if [[ $user == - ]]; then
        at "$off" ioc add "$value" "$@"
    else
        at "$off" ioc add "$value" --user "$user" "$@"
    fi
}
# enrich OFFSET VALUE PROVIDER OUTCOME: one lookup, whose outcome
# (succeeded, failed or not_applicable) is checked.
enrich() {
    at "$1" enrich "$2" --provider "$3" --json
    json_eq ".$4" '1'
    json_eq '.succeeded + .failed + .not_applicable' '1'
}

SHA512=9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043
SHA256_W=2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae
SHA256_D=fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9
SSDEEP='3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C'

# --- Users (30 days before T; their audit events fall in no window) ---
RUN_STDIN=$'admin password long\n' at $((-30 * D)) init --admin-password-stdin
for u in alice:analyst:--reviewer bob:analyst:--reviewer \
    carol:analyst:--reviewer dave:analyst: vic:viewer:; do
    IFS=: read -r name role flag <<<"$u"
    RUN_STDIN="password of $name"$'\n' at $((-30 * D)) user add "$name" \
        --role "$role" ${flag:+"$flag"}
done

# --- The fixture. #N is the indicator's id (ids follow this order). ---
# Three weeks ago (before P):
add $((-20 * D)) alice 192.0.2.10 --severity high --tlp GREEN \
    --source honeypot --expires-at "$(iso $((2 * D)))"             #1 expires T+2d
add $((-19 * D)) bob old-c2.example --severity critical --tlp AMBER \
    --source urlhaus --expires-at "$(iso $((6 * D)))"              #2 expires T+6d
add $((-19 * D)) bob 'hxxp://exactly-now[.]example/x' --severity medium \
    --source urlhaus --expires-at "$AT"                            #3 expires at T
add $((-18 * D)) bob "$SHA512" --severity low --tlp RED \
    --source partner --expires-at "$(iso $((1 * D)))"              #4 RED, T+1d
add $((-18 * D)) alice 89.160.20.112 --severity medium \
    --source honeypot --expires-at "$(iso $((-2 * H)))"            #5 lapsed T-2h
enrich $((-17 * D)) 89.160.20.112 geoip succeeded
add $((-17 * D)) alice 192.0.2.99 --severity low \
    --expires-at "$(iso $((7 * D + 1)))"                           #6 T+7d+1s
add $((-16 * D)) alice 198.51.100.0/24 --severity medium --tlp CLEAR \
    --no-expiry                                                    #7
add $((-15 * D)) - 'http://old-phish.example/login' --severity medium \
    --source MISP --expires-at "$(iso $((7 * D)))"                 #8 T+7d exactly
add $((-20 * D)) bob lapsed-expired.example --severity low \
    --expires-at "$(iso $((-5 * D)))"                              #9 T-5d
add $((-16 * D)) bob fp-candidate.example --severity medium \
    --tlp GREEN                                                    #10 FP at -2d

# Last week, P:
add $((-14 * D)) alice 'https://evil.example/a' --severity high \
    --source urlhaus                                               #11 P's start
add $((-13 * D)) bob phish@evil.example --severity medium --tlp GREEN \
    --source 'phishing reports'                                    #12
add $((-12 * D)) alice 5f4dcc3b5aa765d61d8327deb882cf99 --severity high \
    --source 'internal sandbox'                                    #13
add $((-11 * D)) bob 2001:db8::bad --severity medium --tlp AMBER+STRICT \
    --source honeypot                                              #14
add $((-10 * D)) alice CVE-2026-1111 --severity medium --tlp CLEAR \
    --source vendor                                                #15
add $((-9 * D)) alice draft-last-week.example --severity high \
    --status draft                                                 #16 draft
add $((-9 * D)) dave dropper.js --type filename --severity low \
    --source vendor                                                #17 a draft
add $((-8 * D)) bob da39a3ee5e6b4b0d3255bfef95601890afd80709 \
    --severity medium --source 'internal sandbox'                  #18
add $((-7 * D - 1)) alice last-second.example --severity low \
    --tlp GREEN --source urlhaus                                   #19 P's end

# This week, W, before D:
add $((-7 * D)) bob "$SHA256_W" --severity critical \
    --source 'internal sandbox'                                    #20 W's start
add $((-6 * D)) alice 81.2.69.142 --severity high --tlp GREEN \
    --source honeypot                                              #21
enrich $((-6 * D + M)) 81.2.69.142 geoip succeeded
at $((-6 * D + H)) ioc submit dropper.js --user dave               # #17 review
add $((-5 * D)) bob quiet-drop.example --severity medium           #22 no source
enrich $((-5 * D + M)) quiet-drop.example dns failed
add $((-5 * D)) alice AS64500 --severity low --tlp CLEAR --source '' #23
at $((-5 * D + H)) ioc approve dropper.js --user carol             # #17 active
add $((-4 * D)) bob "$SSDEEP" --type ssdeep --severity medium \
    --source 'internal sandbox'                                    #24
enrich $((-4 * D + M)) "$SSDEEP" geoip not_applicable
at $((-4 * D + H)) expire --json                                   # expires #9
json_eq '.expired.total' '1'
add $((-3 * D)) alice 'http://lapsed-new.example/payload' --severity high \
    --source urlhaus --expires-at "$(iso $((-1 * H)))"             #25 lapsed T-1h
add $((-3 * D)) alice delete-me.example --severity medium          #26
at $((-3 * D + 2 * H)) ioc update old-c2.example --add-tag c2 --user carol
RUN_STDIN=$'password of erin\n' at $((-3 * D + 3 * H)) user add erin \
    --role viewer --user admin
add $((-2 * D)) bob exfil@badmail.example --severity critical --tlp RED \
    --source partner                                               #27
add $((-2 * D)) alice 203.0.113.50 --severity medium --status draft #28 draft
at $((-2 * D + 30 * M)) ioc delete delete-me.example --user alice  # #26 gone
at $((-2 * D + H)) ioc false-positive fp-candidate.example --user carol
RUN_STDIN=$'new password of vic\n' at $((-2 * D + 2 * H)) user passwd vic \
    --user vic
add $((-25 * H)) - 356a192b7913b04c54574d18c28d46e6395428ab --severity low \
    --tlp CLEAR --source feed                                      #29 system

# The last day, D:
add $((-24 * H)) alice 1.128.0.1 --severity high \
    --source honeypot                                              #30 D's start
enrich $((-23 * H)) 1.128.0.1 asn succeeded
at $((-20 * H)) user token create vic --name script --user vic
add $((-20 * H)) bob 'hxxps://login.evil-bank[.]example/owa?x=1' \
    --severity critical --source 'phishing reports' --confidence 90 \
    --tags phishing,o365                                           #31
add $((-16 * H)) alice critical-red.example --severity critical --tlp RED \
    --source partner                                               #32 RED
add $((-12 * H)) bob "$SHA256_D" --severity high --tlp AMBER+STRICT \
    --source 'internal sandbox'                                    #33 A+S
add $((-10 * H)) alice 2001:480::1 --severity medium --tlp GREEN \
    --source honeypot                                              #34
enrich $((-9 * H)) 2001:480::1 geoip succeeded
add $((-8 * H)) alice CVE-2026-2222 --severity low --tlp CLEAR      #35
add $((-6 * H)) dave ceo@spoofed.example --severity high --status review \
    --source 'phishing reports'                                    #36 review
add $((-4 * H)) alice invoice.pdf.exe --type filename --severity critical \
    --tlp GREEN --source vendor                                    #37
add $((-3 * H)) dave draft-today.example --severity critical        #38 draft
add $((-2 * H)) alice archived-today.example --severity high --tlp CLEAR \
    --source urlhaus                                               #39
enrich $((-90 * M)) critical-red.example dns failed
at $((-1 * H)) ioc archive archived-today.example --user carol     # #39 archived
add $((-30 * M)) alice e99a18c428cb38d5f260853678922e03 --severity low \
    --source 'internal sandbox'                                    #40
enrich $((-29 * M)) e99a18c428cb38d5f260853678922e03 geoip not_applicable
add -1 bob 203.0.113.0/24 --severity low --source honeypot         #41 newest

# After T: a report about T must see none of this.
add $((30 * M)) alice after-report.example --severity critical \
    --source urlhaus --expires-in 3                                #42
enrich $((31 * M)) after-report.example dns failed
at $((40 * M)) ioc update 198.51.100.0/24 --add-tag late --user carol

# The ids above are the ones the database gave (#26 is gone).
checks=$((checks + 1))
ids=$(sql "SELECT group_concat(id || ' ' || value, ', ') FROM iocs WHERE id IN (1, 25, 26, 27, 41, 42)")
[[ $ids == "1 192.0.2.10, 25 http://lapsed-new.example/payload, 27 exfil@badmail.example, 41 203.0.113.0/24, 42 after-report.example" ]] ||
    fail "the fixture's ids do not follow the script: $ids"

# --- Checking helpers ------------------------------------------------------
# jeq FILTER JSON: jq FILTER over $OUT equals JSON. Numbers compare as
# numbers, so 10.0 and 10 are equal whichever way this jq prints them.
jeq() {
    local got
    checks=$((checks + 1))
    got=$(printf '%s' "$OUT" | jq -c --argjson want "$2" \
        "($1) as \$got | if \$got == \$want then true else [\$got] end" 2>&1)
    if [[ $got != true ]]; then
        fail "jq '$1' gave '${got:0:700}', expected '$2'"
    fi
}
# report KIND [FORMAT]: the report about T, made an hour after T.
LATER=$(iso $H)
report() {
    IOCM_NOW=$LATER run report show "$1" --format "${2:-json}" --at "$AT"
    ASSERT_WHAT="report show $1 --format ${2:-json} should succeed"
    assert test "$STATUS" -eq 0
    expect_no_err
}
# An item as a tuple, to compare lists of items in one line.
ITEM='[.id, .type, .value, .severity, .tlp, .source, .status, .created_by, .created_at, .expires_at]'

# --- The daily report, D = [T-24h, T) --------------------------------------
report daily
jeq 'keys_unsorted' '["kind","generated_at","window","tlp","new_iocs","high_severity","active_total","enrichment","type_distribution"]'
jeq '.kind' '"daily"'
# generated_at is now (T+1h); the window ends at --at.
jeq '.generated_at' '"2026-12-04T09:00:00Z"'
jeq '.window' '{"start":"2026-12-03T08:00:00Z","end":"2026-12-04T08:00:00Z"}'
# New: created in D, not a draft: #30 (created exactly at D's start) to
# #41 (one second before T), without the draft #38; #36 (in review) and
# #39 (archived since) count. #42 came after T. 11 in all.
jeq '.new_iocs.total' '11'
# Listed newest first, without #33 (AMBER+STRICT) and #32 (RED), which are
# above REPORT_MAX_TLP (AMBER by default).
jeq '[.new_iocs.items[] | '"$ITEM"']' '[
  [41,"cidr","203.0.113.0/24","low","AMBER","honeypot","active","bob","2026-12-04T07:59:59Z","2027-03-04T07:59:59Z"],
  [40,"md5","e99a18c428cb38d5f260853678922e03","low","AMBER","internal sandbox","active","alice","2026-12-04T07:30:00Z",null],
  [39,"domain","archived-today.example","high","CLEAR","urlhaus","archived","alice","2026-12-04T06:00:00Z","2027-03-04T06:00:00Z"],
  [37,"filename","invoice.pdf.exe","critical","GREEN","vendor","active","alice","2026-12-04T04:00:00Z","2027-12-04T04:00:00Z"],
  [36,"email","ceo@spoofed.example","high","AMBER","phishing reports","review","dave","2026-12-04T02:00:00Z","2027-06-02T02:00:00Z"],
  [35,"cve","CVE-2026-2222","low","CLEAR","","active","alice","2026-12-04T00:00:00Z",null],
  [34,"ipv6","2001:480::1","medium","GREEN","honeypot","active","alice","2026-12-03T22:00:00Z","2027-01-02T22:00:00Z"],
  [31,"url","https://login.evil-bank.example/owa?x=1","critical","AMBER","phishing reports","active","bob","2026-12-03T12:00:00Z","2027-01-02T12:00:00Z"],
  [30,"ipv4","1.128.0.1","high","AMBER","honeypot","active","alice","2026-12-03T08:00:00Z","2027-01-02T08:00:00Z"]]'
# (Expiries by the default TTLs: cidr and domain 90 days, email 180,
# filename 365, ipv4, ipv6 and url 30, hashes and CVEs never.)
jeq '[.new_iocs.items[] | .confidence]' '[50,50,50,50,50,50,50,90,50]'
# (#31's tags, given as phishing,o365, are kept sorted.)
jeq '[.new_iocs.items[] | .tags]' '[[],[],[],[],[],[],[],["o365","phishing"],[]]'
# High and critical among the new: #30 #31 #32 #33 #36 #37 #39 = 7 (the
# critical draft #38 is not new). Listed critical first (#37 then #31,
# newest first; #32 is RED), then high (#39 #36 #30; #33 is AMBER+STRICT).
jeq '.high_severity.total' '7'
jeq '[.high_severity.items[] | [.id, .severity]]' '[[37,"critical"],[31,"critical"],[39,"high"],[36,"high"],[30,"high"]]'
# Withheld: the distinct IOCs left out, #32 and #33; the label is that of
# the most restrictive listed item (#30, #31, #36, #40, #41 are AMBER).
jeq '.tlp' '{"max":"AMBER","withheld":2,"label":"AMBER"}'
# Active at T: status active and not past expiry. Of the 42 indicators,
# not active are: #3 (expires exactly at T), #5 (expired at T-2h) and #25
# (at T-1h), which `iocm expire` has not touched yet; #9 (expired by it);
# #10 (false positive) and #39 (archived); the drafts #16 #28 #38; #36 in
# review; #26 deleted; #42 created after T. 42 - 12 = 30.
jeq '.active_total' '30'
# Enrichment in D: asn on #30 and geoip on #34 succeeded, dns on #32
# failed; geoip on the md5 #40 could not apply and does not count: 2 of 3.
# Coverage: of the 30 active, #21, #30 and #34 have a success (#5 has one
# too, but has lapsed): 3/30 = 10.0%.
jeq '.enrichment' '{"attempted":3,"succeeded":2,"success_rate":66.7,"coverage":10.0}'
# The 30 active by type, count descending then type name, percent of 30:
# domain #2 #19 #22 #32; ipv4 #1 #6 #21 #30; url #8 #11 #31; cidr #7 #41;
# cve #15 #35; email #12 #27; filename #17 #37; ipv6 #14 #34; md5 #13
# #40; sha1 #18 #29; sha256 #20 #33; asn #23; sha512 #4; ssdeep #24.
jeq '.type_distribution' '[
  {"type":"domain","count":4,"percent":13.3},{"type":"ipv4","count":4,"percent":13.3},
  {"type":"url","count":3,"percent":10.0},{"type":"cidr","count":2,"percent":6.7},
  {"type":"cve","count":2,"percent":6.7},{"type":"email","count":2,"percent":6.7},
  {"type":"filename","count":2,"percent":6.7},{"type":"ipv6","count":2,"percent":6.7},
  {"type":"md5","count":2,"percent":6.7},{"type":"sha1","count":2,"percent":6.7},
  {"type":"sha256","count":2,"percent":6.7},{"type":"asn","count":1,"percent":3.3},
  {"type":"sha512","count":1,"percent":3.3},{"type":"ssdeep","count":1,"percent":3.3}]'
DAILY_JSON=$OUT

# --- The weekly report, W = [T-7d, T) and P = [T-14d, T-7d) ----------------
report weekly
jeq 'keys_unsorted' '["kind","generated_at","window","tlp","new_iocs","active_total","severity_trends","top_types","top_sources","user_activity","expiring","enrichment"]'
jeq '.kind' '"weekly"'
jeq '.generated_at' '"2026-12-04T09:00:00Z"'
jeq '.window' '{"start":"2026-11-27T08:00:00Z","end":"2026-12-04T08:00:00Z"}'
# New this week: #20 (exactly at W's start) to #29, without the draft #28
# and the deleted #26: 8; and the 11 of the daily report: 19. Last week:
# #11 (exactly at P's start) to #19 (one second before W), without the
# draft #16; #17 was a draft then but is active now: 8. (19-8)/8 = 137.5%.
jeq '.new_iocs' '{"this_week":19,"last_week":8,"change_percent":137.5}'
jeq '.active_total' '30'
# By severity, this week / last week:
#   critical #20 #27 #31 #32 #37 = 5 / none: no percentage, null
#   high     #21 #25 #30 #33 #36 #39 = 6 / #11 #13 = 2: +200.0%
#   medium   #22 #24 #34 = 3 / #12 #14 #15 #18 = 4: -25.0%
#   low      #23 #29 #35 #40 #41 = 5 / #17 #19 = 2: +150.0%
jeq '.severity_trends' '[
  {"severity":"critical","this_week":5,"last_week":0,"change":null},
  {"severity":"high","this_week":6,"last_week":2,"change":200.0},
  {"severity":"medium","this_week":3,"last_week":4,"change":-25.0},
  {"severity":"low","this_week":5,"last_week":2,"change":150.0}]'
# Types of the 19: domain #22 #32 #39 = 3 (15.8%); email #27 #36, ipv4 #21
# #30, sha256 #20 #33, url #25 #31 = 2 each (10.5%); asn, cidr, cve,
# filename, ipv6, md5, sha1, ssdeep 1 each (5.3%): the top 10 cuts md5,
# sha1 and ssdeep, last by name among the ones.
jeq '.top_types' '[
  {"type":"domain","count":3,"percent":15.8},{"type":"email","count":2,"percent":10.5},
  {"type":"ipv4","count":2,"percent":10.5},{"type":"sha256","count":2,"percent":10.5},
  {"type":"url","count":2,"percent":10.5},{"type":"asn","count":1,"percent":5.3},
  {"type":"cidr","count":1,"percent":5.3},{"type":"cve","count":1,"percent":5.3},
  {"type":"filename","count":1,"percent":5.3},{"type":"ipv6","count":1,"percent":5.3}]'
# Sources of the 19: honeypot #21 #30 #34 #41 and internal sandbox #20
# #24 #33 #40 = 4 (21.1%); empty source #22 #23 #35 = 3, as unknown
# (15.8%); partner #27 #32, phishing reports #31 #36, urlhaus #25 #39 = 2
# (10.5%); feed #29, vendor #37 = 1 (5.3%).
jeq '.top_sources' '[
  {"source":"honeypot","count":4,"percent":21.1},{"source":"internal sandbox","count":4,"percent":21.1},
  {"source":"unknown","count":3,"percent":15.8},{"source":"partner","count":2,"percent":10.5},
  {"source":"phishing reports","count":2,"percent":10.5},{"source":"urlhaus","count":2,"percent":10.5},
  {"source":"feed","count":1,"percent":5.3},{"source":"vendor","count":1,"percent":5.3}]'
# The audit log in W (the users' creation was 30 days ago; #19's creation
# one second before W; the update and #42 after T):
#   alice  12 ioc.create (#21 #23 #25 #26 #28 #30 #32 #34 #35 #37 #39
#          #40), 1 ioc.delete (#26); created 10 (not the draft #28 nor
#          the deleted #26)
#   bob    7 ioc.create (#20 #22 #24 #27 #31 #33 #41); created 7
#   carol  ioc.approve (#17), ioc.update (#2), ioc.false_positive (#10),
#          ioc.archive (#39): 4 actions and no IOC created
#   dave   ioc.submit (#17), 2 ioc.create (#36, and the draft #38);
#          created 1 (#17 was created last week)
#   system ioc.create (#29), ioc.expire (#9); created 1
#   vic    user.passwd, token.create: a viewer, no IOC
#   admin  user.create (erin)
# 7 users, 32 actions; by actions, then name (system before vic).
jeq '.user_activity' '{"active_users":7,"total_actions":32,"users":[
  {"username":"alice","actions":13,"iocs_created":10,"by_action":{"ioc.create":12,"ioc.delete":1}},
  {"username":"bob","actions":7,"iocs_created":7,"by_action":{"ioc.create":7}},
  {"username":"carol","actions":4,"iocs_created":0,"by_action":{"ioc.approve":1,"ioc.archive":1,"ioc.false_positive":1,"ioc.update":1}},
  {"username":"dave","actions":3,"iocs_created":1,"by_action":{"ioc.create":2,"ioc.submit":1}},
  {"username":"system","actions":2,"iocs_created":1,"by_action":{"ioc.create":1,"ioc.expire":1}},
  {"username":"vic","actions":2,"iocs_created":0,"by_action":{"token.create":1,"user.passwd":1}},
  {"username":"admin","actions":1,"iocs_created":0,"by_action":{"user.create":1}}]}'
# Expiring in (T, T+7d]: #4 (T+1d, RED), #1 (T+2d), #2 (T+6d), #8
# (T+7d exactly): 4. Not #3 (expires at T), #6 (T+7d+1s), nor #42, which
# expires at T+3d but was created after T. #4 is withheld.
jeq '.expiring.total' '4'
jeq '[.expiring.items[] | '"$ITEM"' + [.tags]]' '[
  [1,"ipv4","192.0.2.10","high","GREEN","honeypot","active","alice","2026-11-14T08:00:00Z","2026-12-06T08:00:00Z",[]],
  [2,"domain","old-c2.example","critical","AMBER","urlhaus","active","bob","2026-11-15T08:00:00Z","2026-12-10T08:00:00Z",["c2"]],
  [8,"url","http://old-phish.example/login","medium","AMBER","MISP","active","system","2026-11-19T08:00:00Z","2026-12-11T08:00:00Z",[]]]'
jeq '.tlp' '{"max":"AMBER","withheld":1,"label":"AMBER"}'
# Lookups in W: geoip #21, asn #30, geoip #34 succeeded; dns #22 and #32
# failed; geoip on the ssdeep #24 and the md5 #40 do not count: 3 of 5.
jeq '.enrichment' '{"attempted":5,"succeeded":3,"success_rate":60.0,"coverage":10.0}'
WEEKLY_JSON=$OUT

# --- The TLP ceiling: what is listed, withheld and labelled ----------------
# GREEN: of the new, #39 #35 (CLEAR) and #37 #34 (GREEN) stay; the other
# 7 are withheld; the high list keeps #37 (critical) and #39. Weekly:
# only #1 (GREEN) of the expiring; #2, #4, #8 are withheld.
REPORT_MAX_TLP=GREEN report daily
jeq '[.new_iocs.total, .high_severity.total, .active_total]' '[11,7,30]'
jeq '[.new_iocs.items[].id]' '[39,37,35,34]'
jeq '[.high_severity.items[].id]' '[37,39]'
jeq '.tlp' '{"max":"GREEN","withheld":7,"label":"GREEN"}'
REPORT_MAX_TLP=GREEN report weekly
jeq '[.expiring.total, [.expiring.items[].id]]' '[4,[1]]'
jeq '.tlp' '{"max":"GREEN","withheld":3,"label":"GREEN"}'
# AMBER+STRICT lists #33 (the label) and withholds only #32; the weekly
# lists the same three as under AMBER, so its label stays AMBER.
REPORT_MAX_TLP=AMBER+STRICT report daily
jeq '[.new_iocs.items[].id]' '[41,40,39,37,36,35,34,33,31,30]'
jeq '[.high_severity.items[].id]' '[37,31,39,36,33,30]'
jeq '.tlp' '{"max":"AMBER+STRICT","withheld":1,"label":"AMBER+STRICT"}'
REPORT_MAX_TLP=AMBER+STRICT report weekly
jeq '[.expiring.items[].id]' '[1,2,8]'
jeq '.tlp' '{"max":"AMBER+STRICT","withheld":1,"label":"AMBER"}'
# RED lists everything: all 11 new, critical #37 #32 #31 then high #39
# #36 #33 #30; the expiring #4 first (T+1d).
REPORT_MAX_TLP=RED report daily
jeq '[.new_iocs.items[].id]' '[41,40,39,37,36,35,34,33,32,31,30]'
jeq '[.high_severity.items[].id]' '[37,32,31,39,36,33,30]'
jeq '.tlp' '{"max":"RED","withheld":0,"label":"RED"}'
REPORT_MAX_TLP=RED report weekly
jeq '[.expiring.items[].id]' '[4,1,2,8]'
jeq '.tlp' '{"max":"RED","withheld":0,"label":"RED"}'
# CLEAR: the weekly lists nothing, so its label is CLEAR; 4 withheld.
REPORT_MAX_TLP=CLEAR report weekly
jeq '.expiring' '{"total":4,"items":[]}'
jeq '.tlp' '{"max":"CLEAR","withheld":4,"label":"CLEAR"}'
REPORT_MAX_TLP=CLEAR report daily
jeq '[[.new_iocs.items[].id], [.high_severity.items[].id]]' '[[39,35],[39]]'
jeq '.tlp' '{"max":"CLEAR","withheld":9,"label":"CLEAR"}'

# --- HTML and text: sections, figures, TLP, defanging ----------------------
# has TEXT NEEDLE... / lacks TEXT NEEDLE...: a rendering holds (or not)
# each needle; WHAT names the rendering in failures.
has_all() {
    local text=$1 needle
    shift
    for needle in "$@"; do
        checks=$((checks + 1))
        [[ $text == *"$needle"* ]] || fail "$WHAT lacks '$needle'"
    done
}
lacks_all() {
    local text=$1 needle
    shift
    for needle in "$@"; do
        checks=$((checks + 1))
        [[ $text != *"$needle"* ]] || fail "$WHAT shows '$needle'"
    done
}
# has_line TEXT REGEX: a line of TEXT matches the extended REGEX.
has_line() {
    checks=$((checks + 1))
    grep -Eq -- "$2" <<<"$1" || fail "$WHAT has no line matching '$2'"
}
# Mail-client safe: styles inline only, no scripts.
inline_only() {
    checks=$((checks + 1))
    if grep -Eiq '<style|<script|<link|[[:space:]]class=' <<<"$1"; then
        fail "$WHAT has a stylesheet, script or class: $(grep -Eio '<style|<script|<link|[[:space:]]class=' <<<"$1" | head -n 1)"
    fi
    has_all "$1" 'style="'
}

# Values never shown under AMBER, in any form: #32 (RED), #33
# (AMBER+STRICT), #4 (RED), #27 (RED), and #42 (after T).
WITHHELD=(critical-red "$SHA256_D" "$SHA512" badmail after-report TLP:RED
    AMBER+STRICT)
# The daily report's listed values that defang, raw and defanged. Hashes,
# CVEs and file names have nothing to defang.
DAILY_RAW=(203.0.113.0/24 archived-today.example ceo@spoofed.example
    2001:480::1 https://login.evil-bank.example/owa 1.128.0.1)
DAILY_DEFANGED=('203[.]0[.]113[.]0/24' 'archived-today[.]example'
    'ceo[@]spoofed[.]example' '2001[:]480[:][:]1'
    'hxxps://login[.]evil-bank[.]example/owa' '1[.]128[.]0[.]1')
WEEKLY_RAW=(192.0.2.10 old-c2.example http://old-phish.example/login)
WEEKLY_DEFANGED=('192[.]0[.]2[.]10' 'old-c2[.]example'
    'hxxp://old-phish[.]example/login')

report daily html
DAILY_HTML=$OUT
WHAT="daily HTML"
has_all "$OUT" '<title>[TLP:AMBER] IOC Manager daily report — 2026-12-04</title>' \
    '>TLP:AMBER</td>' '#FFC000' '>Daily report<' '>New IOCs</span>' \
    '>High and critical</span>' '>Active IOCs by type</span>' \
    '>Enrichment</span>' '2 indicators above TLP:AMBER withheld' \
    'Showing 9 of 11.' 'Showing 5 of 7.' '>66.7%<' '>10.0%<' \
    'REPORT_TIMEZONE' 'DAILY_REPORT_RECIPIENTS' \
    'title="hxxps://login[.]evil-bank[.]example/owa?x=1"' \
    "${DAILY_DEFANGED[@]}" invoice.pdf.exe CVE-2026-2222
lacks_all "$OUT" "${WITHHELD[@]}" "${DAILY_RAW[@]}" http:// https:// '{{'
inline_only "$OUT"

report daily text
DAILY_TEXT=$OUT
WHAT="daily text"
has_all "$OUT" 'TLP:AMBER' 'IOC Manager Daily report' \
    'Friday, 4 December 2026, 3 Dec 08:00 – 4 Dec 08:00 (UTC)' \
    'Note: 2 indicators above TLP:AMBER withheld' 'SUMMARY' \
    'NEW IOCS (11)' 'Showing 9 of 11.' 'HIGH AND CRITICAL (7)' \
    'Showing 5 of 7.' 'ACTIVE IOCS BY TYPE (30)' 'ENRICHMENT' \
    'Attempts 3, succeeded 2, failed 1: success rate 66.7%.' \
    'Active IOCs with a successful enrichment: 10.0%.' \
    "${DAILY_DEFANGED[@]}"
lacks_all "$OUT" "${WITHHELD[@]}" "${DAILY_RAW[@]}" http:// https:// '<td' '&amp;'
has_line "$OUT" '^ +New IOCs +11 +in the last 24 hours$'
has_line "$OUT" '^ +Active IOCs +30 +at report time$'
has_line "$OUT" '^ +High / critical +7 +new in the last 24 hours$'
has_line "$OUT" '^ +Enrichment +66\.7% +2 of 3 lookups succeeded$'
has_line "$OUT" '^ +41 +4 Dec 07:59 +low +cidr +AMBER +203\[\.\]0\[\.\]113\[\.\]0/24 +honeypot$'
has_line "$OUT" '^ +35 +4 Dec 00:00 +low +cve +CLEAR +CVE-2026-2222 +unknown$'
has_line "$OUT" '^ +31 +3 Dec 12:00 +critical +url +AMBER +hxxps://login\[\.\]evil-bank\[\.\]example/owa'
has_line "$OUT" '^ +domain +(█)+ +4 +13\.3%$'
has_line "$OUT" '^ +ssdeep +(█)+ +1 +3\.3%$'

report weekly html
WHAT="weekly HTML"
has_all "$OUT" '<title>[TLP:AMBER] IOC Manager weekly report — week of 2026-11-27</title>' \
    '>TLP:AMBER</td>' '>Weekly report<' 'Week of 27 November 2026' \
    '>Severity trends</span>' '>Top IOC types</span>' '>Top sources</span>' \
    '>User activity</span>' '>Expiring in the next 7 days</span>' \
    '>Enrichment</span>' '1 indicator above TLP:AMBER withheld' \
    '19 against 8' '▲ +137.5%' '▲ +200.0%' '▼ −25.0%' '▲ +150.0%' \
    '>new</td>' '>unknown</td>' '>vic</td>' '>carol</td>' \
    '7 active users, 32 actions' 'Showing 3 of 4.' 'WEEKLY_REPORT_RECIPIENTS' \
    "${WEEKLY_DEFANGED[@]}"
lacks_all "$OUT" "${WITHHELD[@]}" "${WEEKLY_RAW[@]}" http:// https:// '{{'
inline_only "$OUT"

report weekly text
WHAT="weekly text"
has_all "$OUT" 'TLP:AMBER' 'IOC Manager Weekly report' 'SEVERITY TRENDS' \
    'TOP IOC TYPES' 'TOP SOURCES' 'USER ACTIVITY' \
    'EXPIRING IN THE NEXT 7 DAYS (4)' 'Showing 3 of 4.' 'ENRICHMENT' \
    'Note: 1 indicator above TLP:AMBER withheld' \
    'this week and the week before: 19 against 8, ▲ +137.5%.' \
    '7 active users, 32 actions in the audit log this week.' \
    'Attempts 5, succeeded 3, failed 2: success rate 60.0%.' \
    "${WEEKLY_DEFANGED[@]}"
lacks_all "$OUT" "${WITHHELD[@]}" "${WEEKLY_RAW[@]}" http:// https:// '<td'
# A change from zero reads "new", not a percentage.
has_line "$OUT" '^ +critical +5 +0 +new +(█)+$'
has_line "$OUT" '^ +high +6 +2 +▲ \+200\.0% +(█)+$'
has_line "$OUT" '^ +medium +3 +4 +▼ −25\.0% +(█)+$'
has_line "$OUT" '^ +low +5 +2 +▲ \+150\.0% +(█)+$'
has_line "$OUT" '^ +New IOCs +19 +this week \(▲ \+137\.5% vs last week\)$'
# High and critical: 5 + 6 = 11 this week, 0 + 2 = 2 last week: +450.0%.
has_line "$OUT" '^ +High / critical +11 +new this week \(▲ \+450\.0% vs last week\)$'
has_line "$OUT" '^ +unknown +(█)+ +3 +15\.8%$'
has_line "$OUT" '^ +vic +2 +0 +token\.create 1, user\.passwd 1$'
has_line "$OUT" '^ +carol +4 +0 +ioc\.approve 1, ioc\.archive 1, ioc\.false_positive 1, ioc\.update 1$'
has_line "$OUT" '^ +1 +6 Dec 08:00 +in 2d +high +ipv4 +GREEN +192\[\.\]0\[\.\]2\[\.\]10$'
has_line "$OUT" '^ +8 +11 Dec 08:00 +in 7d +medium +url +AMBER +hxxp://old-phish\[\.\]example/login$'

# REPORT_DEFANG=false shows the values as stored, and only those.
for kind in daily weekly; do
    for fmt in html text; do
        REPORT_DEFANG=false report $kind $fmt
        WHAT="$kind $fmt without defanging"
        if [[ $kind == daily ]]; then
            has_all "$OUT" "${DAILY_RAW[@]}"
        else
            has_all "$OUT" "${WEEKLY_RAW[@]}"
        fi
        lacks_all "$OUT" "${WITHHELD[@]}" '[.]' '[@]' '[:]' hxxp \
            'Indicator values are defanged'
    done
done
WHAT="daily HTML without defanging"
REPORT_DEFANG=false report daily html
has_all "$OUT" 'title="https://login.evil-bank.example/owa?x=1"'

# --- eml: the whole message, RFC 5322, multipart/alternative ---------------
# parse_eml FILE: Python's email package reads FILE into $MSG (JSON).
MSG=""
parse_eml() {
    MSG=$(/usr/bin/python3 "$IOCM_SOURCE_ROOT/tests/smtp/check_message.py" "$1" 2>&1)
}
msg_eq() {
    local got
    got=$(printf '%s' "$MSG" | jq -c "$1" 2>&1)
    checks=$((checks + 1))
    [[ $got == "$2" ]] || fail "$WHAT: jq '$1' gave '${got:0:300}', expected '$2'"
}
# crlf_only FILE: every line of FILE ends with CR LF.
crlf_only() {
    checks=$((checks + 1))
    [[ $(LC_ALL=C grep -c $'\r$' "$1") -eq $(wc -l <"$1") ]] ||
        fail "$WHAT has a line without CR LF"
}

IOCM_NOW=$LATER run report show daily --format eml --at "$AT" \
    -o "$TEST_TMP/daily.eml"
expect_status 0
WHAT="daily eml"
parse_eml "$TEST_TMP/daily.eml"
msg_eq '.content_type' '"multipart/alternative"'
msg_eq '[.parts[] | [.content_type, .charset]]' '[["text/plain","utf-8"],["text/html","utf-8"]]'
msg_eq '.defects' '[]'
msg_eq '.header_names | sort' '["Content-Type","Date","From","MIME-Version","Message-ID","Subject","To"]'
msg_eq '.headers.Subject' '"[TLP:AMBER] IOC Manager daily report — 2026-12-04"'
msg_eq '.headers.From' '"IOC Manager <iocm@example.org>"'
msg_eq '.headers.To' '"soc@example.org"'
msg_eq '.headers.Date' '"Fri, 04 Dec 2026 09:00:00 +0000"'
msg_eq '.headers["MIME-Version"]' '"1.0"'
msg_eq '.headers["Message-ID"] | test("^<[^<>@ ]+@[^<>@ ]+>$")' 'true'
# The two parts are the text and HTML renderings themselves.
msg_eq ".parts[0].body == $(jq -Rs . <<<"$DAILY_TEXT")" 'true'
msg_eq ".parts[1].body == $(jq -Rs . <<<"$DAILY_HTML")" 'true'
crlf_only "$TEST_TMP/daily.eml"
# The subject is not ASCII (the em dash): RFC 2047 encoded words.
check 'grep -q "^Subject: =?UTF-8?" "$TEST_TMP/daily.eml"' \
    "daily eml: the subject is RFC 2047 encoded"
lacks_all "$(cat "$TEST_TMP/daily.eml")" critical-red badmail 1.128.0.1

# --- REPORT_TIMEZONE: dates people read, not the model ----------------------
# T is 3 December, 22:00 in Honolulu (UTC-10): the daily report is dated
# the 3rd and the week starts on 26 November there.
export REPORT_TIMEZONE=Pacific/Honolulu
report daily
checks=$((checks + 1))
[[ $OUT == "$DAILY_JSON" ]] || fail "the JSON model depends on REPORT_TIMEZONE"
report weekly
checks=$((checks + 1))
[[ $OUT == "$WEEKLY_JSON" ]] || fail "the JSON model depends on REPORT_TIMEZONE"
report daily html
WHAT="daily HTML in Honolulu"
has_all "$OUT" '<title>[TLP:AMBER] IOC Manager daily report — 2026-12-03</title>' \
    '(UTC-10:00)' 'Pacific/Honolulu'
report daily text
WHAT="daily text in Honolulu"
has_all "$OUT" 'Thursday, 3 December 2026, 2 Dec 22:00 – 3 Dec 22:00 (Pacific/Honolulu)'
has_line "$OUT" '^ +41 +3 Dec 21:59 +low +cidr '
IOCM_NOW=$LATER run report show weekly --format eml --at "$AT" \
    -o "$TEST_TMP/weekly.eml"
expect_status 0
WHAT="weekly eml in Honolulu"
parse_eml "$TEST_TMP/weekly.eml"
msg_eq '.content_type' '"multipart/alternative"'
msg_eq '[.parts[].content_type]' '["text/plain","text/html"]'
msg_eq '.defects' '[]'
msg_eq '.headers.Subject' '"[TLP:AMBER] IOC Manager weekly report — week of 2026-11-26"'
msg_eq '.headers.To' '"ciso@example.org"'
msg_eq '.parts[0].body | contains("Week of 26 November 2026")' 'true'
crlf_only "$TEST_TMP/weekly.eml"
# The label of the subject follows the ceiling: AMBER+STRICT lists #33.
REPORT_MAX_TLP=AMBER+STRICT report daily html
WHAT="daily HTML under AMBER+STRICT"
has_all "$OUT" '<title>[TLP:AMBER+STRICT] IOC Manager daily report — 2026-12-03</title>'
unset REPORT_TIMEZONE

# --- iocm expire changes no figure: lapsed was never active ---------------
# At T+1h it expires #3 (at T), #5 (T-2h) and #25 (T-1h), and nothing
# else; the reports about T stay exactly as they were.
at $H expire --json
json_eq '.expired.total' '3'
report daily
checks=$((checks + 1))
[[ $OUT == "$DAILY_JSON" ]] || fail "the daily report changed once iocm expire ran"
report weekly
checks=$((checks + 1))
[[ $OUT == "$WEEKLY_JSON" ]] || fail "the weekly report changed once iocm expire ran"

finish
