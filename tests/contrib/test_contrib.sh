#!/usr/bin/env bash
# The scheduling files in contrib/ work as written: the systemd units pass
# `systemd-analyze verify` (with their paths pointed at the built binary in
# a temporary copy), the timers fire when the docs say and catch up
# (Persistent=true), every crontab line parses and, run by sh as cron
# would, appends to its log, and logrotate rotates those logs. Parts whose
# tool is missing (systemd-analyze, logrotate) are skipped with a note.
. "$(dirname "$0")/../cli/lib.sh"

CONTRIB=$(cd "$(dirname "$0")/../../contrib" && pwd)
HOME_DIR=$TEST_TMP/home # stands for /opt/iocm
mkdir -p "$HOME_DIR/build" "$HOME_DIR/data" "$HOME_DIR/logs"
ln -s "$IOCM" "$HOME_DIR/build/iocm"
printf 'DATABASE_URL=sqlite:data/iocm.db\nREPORT_ENABLED=false\n' >"$HOME_DIR/.env"
unset IOCM_ENV_FILE

# --- systemd -------------------------------------------------------------
UNITS=$TEST_TMP/units
mkdir -p "$UNITS"
for f in "$CONTRIB"/systemd/*; do
    sed -e "s#/opt/iocm/build/iocm#$IOCM#g" -e "s#/opt/iocm#$HOME_DIR#g" \
        "$f" >"$UNITS/$(basename "$f")"
done
check '[[ $(ls "$UNITS" | wc -l) -ge 6 ]]' "contrib/systemd has the service and timer units"

if command -v systemd-analyze >/dev/null; then
    # Each unit on its own, the template through its instances; a warning
    # counts as a failure too.
    for unit in iocm.service iocm-expire.service iocm-expire.timer \
        iocm-report@daily.service iocm-report@weekly.service \
        iocm-report-daily.timer iocm-report-weekly.timer; do
        out=$(cd "$UNITS" && systemd-analyze verify --man=no "./$unit" 2>&1)
        rc=$?
        STATUS=$rc OUT=$out ERR=""
        check '[[ $rc -eq 0 && -z $out ]]' "systemd-analyze verify $unit"
    done
    # A unit that is wrong is caught: the check can fail.
    sed 's#^ExecStart=.*#ExecStart=/nonexistent/iocm expire#' \
        "$UNITS/iocm-expire.service" >"$UNITS/broken.service"
    check '! (cd "$UNITS" && systemd-analyze verify --man=no ./broken.service >/dev/null 2>&1)' \
        "verify refuses a unit whose binary does not exist"
    rm "$UNITS/broken.service"

    # next_elapse SPEC: the first time the calendar spec fires after
    # 2026-12-04 (a Friday), in UTC.
    next_elapse() {
        TZ=UTC systemd-analyze calendar --base-time='2026-12-04 12:00:00 UTC' \
            "$1" 2>/dev/null | sed -n 's/^ *Next elapse: //p'
    }
    calendar_of() { sed -n 's/^OnCalendar=//p' "$UNITS/$1"; }
    check '[[ $(next_elapse "$(calendar_of iocm-report-daily.timer)") == "Sat 2026-12-05 08:00:00 UTC" ]]' \
        "the daily report timer fires every day at 08:00"
    check '[[ $(next_elapse "$(calendar_of iocm-report-weekly.timer)") == "Mon 2026-12-07 08:00:00 UTC" ]]' \
        "the weekly report timer fires on Mondays at 08:00"
    check '[[ $(next_elapse "$(calendar_of iocm-expire.timer)") == "Sat 2026-12-05 02:00:00 UTC" ]]' \
        "the expiry timer fires every night at 02:00"
else
    echo "note: systemd-analyze not found; unit verification skipped"
fi
for t in "$UNITS"/*.timer; do
    check 'grep -qx "Persistent=true" "$t"' "$(basename "$t") catches up missed runs (Persistent=true)"
    unit=$(sed -n 's/^Unit=//p' "$t")
    check '[[ -e $UNITS/$unit || -e $UNITS/${unit%%@*}@.service ]]' \
        "$(basename "$t") starts a unit that exists ($unit)"
done

# The command of every service is one iocm knows: run it with --help.
# (iocm serve arrives with the web server; until then iocm.service is
# only checked by systemd-analyze above.)
services=(iocm-expire.service iocm-report@.service)
if "$IOCM" --help | grep -qE '^  serve '; then
    services+=(iocm.service)
else
    echo "note: this iocm has no serve command yet; iocm.service's command not run"
fi
for svc in "${services[@]}"; do
    for inst in daily weekly; do
        cmd=$(sed -n 's/^ExecStart=//p' "$UNITS/$svc")
        cmd=${cmd//%i/$inst}
        read -r -a argv <<<"$cmd"
        out=$("${argv[@]}" --help 2>&1)
        rc=$?
        STATUS=$rc OUT=$out ERR=""
        check '[[ $rc -eq 0 && $out == usage:* ]]' "$svc runs a real command: ${argv[*]:1}"
        [[ $svc == *@* ]] || break
    done
done

# --- cron ------------------------------------------------------------------
CRONTAB=$CONTRIB/cron/iocm.crontab
# Validates the five time fields of every job line with the ranges cron
# has; prints "minute hour dom month dow<TAB>command" per job.
JOBS=$(/usr/bin/python3 - "$CRONTAB" <<'EOF'
import re, sys

RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
NAMES = {3: "jan feb mar apr may jun jul aug sep oct nov dec".split(),
         4: "sun mon tue wed thu fri sat".split()}

def value(s, i):
    if i in NAMES and s.lower() in NAMES[i]:
        return NAMES[i].index(s.lower()) + (1 if i == 3 else 0)
    if not s.isdigit():
        raise ValueError(s)
    v = int(s)
    lo, hi = RANGES[i]
    if not lo <= v <= hi:
        raise ValueError(s)
    return v

def check(field, i):
    for item in field.split(","):
        base, _, step = item.partition("/")
        if step and (not step.isdigit() or int(step) == 0):
            raise ValueError(item)
        if base == "*":
            continue
        lo, _, hi = base.partition("-")
        if hi and value(lo, i) > value(hi, i):
            raise ValueError(item)
        value(lo, i)

ok = True
for n, line in enumerate(open(sys.argv[1]), 1):
    line = line.strip()
    if not line or line.startswith("#"):
        continue
    if re.match(r"^[A-Za-z_][A-Za-z0-9_]*\s*=", line):
        continue
    fields = line.split(None, 5)
    try:
        if len(fields) < 6:
            raise ValueError("fewer than six fields")
        for i in range(5):
            check(fields[i], i)
    except ValueError as e:
        print(f"line {n}: bad schedule: {e}", file=sys.stderr)
        ok = False
        continue
    print(" ".join(fields[:5]) + "\t" + fields[5])
sys.exit(0 if ok else 1)
EOF
)
rc=$?
STATUS=$rc OUT=$JOBS ERR=""
check '[[ $rc -eq 0 ]]' "every crontab line parses"
job() { printf '%s\n' "$JOBS" | awk -F '\t' -v s="$1" '$1 == s { print $2 }' | grep -F -- "$2"; }
check '[[ -n $(job "0 8 * * *" "report send daily") ]]' "the daily report runs every day at 08:00"
check '[[ -n $(job "0 8 * * 1" "report send weekly") ]]' "the weekly report runs on Mondays at 08:00"
check '[[ -n $(job "0 2 * * *" " expire") ]]' "expiry runs every night at 02:00"
check '[[ $(printf "%s\n" "$JOBS" | grep -c ">> logs/.*\.log 2>&1$") -eq $(printf "%s\n" "$JOBS" | grep -c .) ]]' \
    "every job appends its output, errors too, to a log under logs/"
check 'grep -q "^IOCM_HOME=" "$CRONTAB"' "the crontab sets IOCM_HOME"

# Each job as cron runs it: sh -c with the crontab's variables, IOCM_HOME
# pointed at the temporary install.
while IFS=$'\t' read -r when cmd; do
    [[ -n $cmd ]] || continue
    check 'sh -n -c "$cmd"' "the command of '$when' is valid sh"
    out=$(cd / && env -i PATH=/usr/bin:/bin IOCM_HOME="$HOME_DIR" \
        IOCM_NOW=2026-12-07T08:00:00Z sh -c "$cmd" 2>&1)
    rc=$?
    STATUS=$rc OUT=$out ERR=""
    check '[[ $rc -eq 0 && -z $out ]]' "the job '$when' runs, its output in the log only"
done <<<"$JOBS"
check 'grep -q "reports are disabled" "$HOME_DIR/logs/daily_report.log"' "the daily job logged to logs/daily_report.log"
check 'grep -q "reports are disabled" "$HOME_DIR/logs/weekly_report.log"' "the weekly job logged to logs/weekly_report.log"
check 'grep -q "expired 0 indicators" "$HOME_DIR/logs/expire.log"' "the expiry job logged to logs/expire.log"
check '[[ -s $HOME_DIR/data/iocm.db ]]' "the jobs used the install's database"

# --- logrotate ----------------------------------------------------------------
if command -v logrotate >/dev/null || [[ -x /usr/sbin/logrotate ]]; then
    LOGROTATE=$(command -v logrotate || echo /usr/sbin/logrotate)
    sed -e "s#/opt/iocm#$HOME_DIR#g" \
        -e "s#create 0640 iocm iocm#create 0640 $(id -un) $(id -gn)#" \
        "$CONTRIB/logrotate/iocm" >"$TEST_TMP/logrotate.conf"
    chmod 644 "$TEST_TMP/logrotate.conf"
    out=$("$LOGROTATE" -f -s "$TEST_TMP/logrotate.state" "$TEST_TMP/logrotate.conf" 2>&1)
    rc=$?
    STATUS=$rc OUT=$out ERR=""
    check '[[ $rc -eq 0 && $out != *error* ]]' "logrotate accepts the config"
    check '[[ -s $HOME_DIR/logs/daily_report.log.1 ]]' "the daily log was rotated (delaycompress keeps .1 plain)"
    check '[[ -e $HOME_DIR/logs/daily_report.log && ! -s $HOME_DIR/logs/daily_report.log ]]' "a new empty log was created"
    check '[[ $(stat -c %a "$HOME_DIR/logs/daily_report.log") == 640 ]]' "the new log is 0640"
else
    echo "note: logrotate not found; the rotation check skipped"
fi

finish
