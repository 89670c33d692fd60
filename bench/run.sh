#!/usr/bin/env bash
# The benchmark at scale (issue 9): prints the machine, then for each size N
# the import throughput (text and CSV through `iocm import`, and sqlite3's own
# .import as the reference), the daily and weekly report times (JSON and
# HTML), `iocm ioc show VALUE` latency, the peak memory of each and the
# database sizes. Every figure is a whole process, timed from this script;
# nothing is asserted.
#
#   bench/run.sh [SIZES...]          default: 100000 1000000 10000000
#
# Environment:
#   BENCH_DIR          datasets and scratch databases (default bench/.work,
#                      ignored by git); generated data is cached there
#   BENCH_BUILD        the optimised build folder (default build-bench,
#                      set up here with -Dbuildtype=release when missing)
#   BENCH_ONLY         comma list of parts: import,reports,lookup (default all)
#   BENCH_RUNS         timed runs of each report and lookup (default 20)
#   BENCH_WARMUP       untimed runs first (default 2); they give peak memory
#   BENCH_IMPORT_RUNS  runs of each import (default 3 up to 1M, 1 above)
#   BENCH_NOW          the generated store's "now" and the reports' --at
#                      (default 2026-12-01T08:00:00Z)
#   BENCH_SEED         the generator's seed (default 1)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${BENCH_BUILD:-$root/build-bench}
work=${BENCH_DIR:-$root/bench/.work}
only=${BENCH_ONLY:-import,reports,lookup}
runs=${BENCH_RUNS:-20}
warmup=${BENCH_WARMUP:-2}
now=${BENCH_NOW:-2026-12-01T08:00:00Z}
seed=${BENCH_SEED:-1}
sizes=("$@")
[[ ${#sizes[@]} -gt 0 ]] || sizes=(100000 1000000 10000000)

die() {
    echo "bench: $*" >&2
    exit 1
}

# Bad arguments exit 2, like iocm's usage errors.
usage_error() {
    echo "bench: $*" >&2
    echo "usage: bench/run.sh [SIZES...]   (default 100000 1000000 10000000)" >&2
    exit 2
}

for n in "${sizes[@]}"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || usage_error "size '$n' is not a positive integer"
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || usage_error "BENCH_RUNS '$runs' is not a positive integer"
[[ $warmup =~ ^[1-9][0-9]*$ ]] || usage_error "BENCH_WARMUP '$warmup' must be at least 1"
for part in ${only//,/ }; do
    [[ $part == import || $part == reports || $part == lookup ]] ||
        usage_error "BENCH_ONLY part '$part' is not import, reports or lookup"
done
for cmd in sqlite3 meson ninja python3; do
    command -v "$cmd" >/dev/null || die "'$cmd' is not installed"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed (Debian package 'time')"

wants() { [[ ",$only," == *",$1,"* ]]; }

# ---- the optimised build ----------------------------------------------------

if [[ ! -f $build/build.ninja ]]; then
    echo "bench: setting up $build (release)" >&2
    meson setup "$build" "$root" -Dbuildtype=release >"$work.setup.log" 2>&1 ||
        die "meson setup failed; see $work.setup.log"
    rm -f "$work.setup.log"
fi
mkdir -p "$work"
ninja -C "$build" iocm bench/bench_gen >"$work/build.log" 2>&1 ||
    die "the build failed; see $work/build.log"
iocm=$build/iocm
gen=$build/bench/bench_gen
buildtype=$(meson introspect --buildoptions "$build" | python3 -c '
import json, sys
o = {x["name"]: x["value"] for x in json.load(sys.stdin)}
print("%s, -O%s, debug %s, b_ndebug %s" % (o["buildtype"], o["optimization"],
      "on" if o["debug"] else "off", o["b_ndebug"]))')

# ---- the machine --------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fs=$(findmnt -n -o SOURCE,FSTYPE -T "$work" | awk '{ print $2 " on " $1 }')
dev=$(findmnt -n -o SOURCE -T "$work")
rot=/sys/block/$(basename "$dev")/queue/rotational
media=""
[[ -r $rot ]] && media=$([[ $(cat "$rot") == 1 ]] && echo ", reported rotational" || echo ", reported not rotational")
commit=$(git -C "$root" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[[ -z $(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null) ]] ||
    commit="$commit (with uncommitted changes in the work tree)"

echo "iocm benchmark, $(date -u +%FT%TZ)"
echo "cpu:       $cpu, $(nproc) cores"
echo "memory:    $ram"
echo "disk:      $fs$media ($work)"
echo "kernel:    $(uname -sr)"
echo "compiler:  $(cc --version | head -1)"
echo "sqlite:    library $(sqlite3 :memory: 'SELECT sqlite_version()'), built against $(pkg-config --modversion sqlite3 2>/dev/null || echo '?')"
echo "iocm:      $("$iocm" --version), commit $commit"
echo "build:     $build ($buildtype)"
echo "load:      $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; other work on the machine skews figures)"
echo "method:    whole processes timed by this script (bash \$EPOCHREALTIME around"
echo "           fork+exec+wait); peak memory is the largest max RSS that"
echo "           /usr/bin/time -f %M reports for the untimed warm-up runs; the"
echo "           page cache is warm (nothing is dropped); generated data in $work"

# ---- helpers -------------------------------------------------------------------

tmp=$(mktemp -d "$work/run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# One run of a command, stdout to $tmp/out; sets $wall_ms. Dies, with the
# command's stderr, when it fails.
timed() {
    local t0 t1 rc=0
    t0=$EPOCHREALTIME
    "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    t1=$EPOCHREALTIME
    if ((rc != 0)); then
        echo "bench: '$*' failed with status $rc:" >&2
        head -5 "$tmp/err" >&2
        exit 1
    fi
    wall_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
}

# One run under /usr/bin/time; sets $rss_kb and $wall_ms.
measured() {
    local rc=0 t0 t1
    t0=$EPOCHREALTIME
    /usr/bin/time -f %M -o "$tmp/rss" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
    t1=$EPOCHREALTIME
    if ((rc != 0)); then
        echo "bench: '$*' failed with status $rc:" >&2
        head -5 "$tmp/err" >&2
        exit 1
    fi
    rss_kb=$(tail -1 "$tmp/rss")
    wall_ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", (b - a) * 1000 }')
}

# min median max of the numbers on stdin, one a line.
stats() {
    sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%10.2f %10.2f %10.2f", v[1], m, v[NR] }'
}

# Warm-up runs (measured for peak memory), then $runs timed runs of the
# command (5 when a warm-up took over a second); prints one row: label,
# runs, min/median/max ms, peak MB, output bytes.
series() {
    local label=$1 peak=0 slow=0 n=$runs i
    shift
    for ((i = 0; i < warmup; i++)); do
        measured "$@"
        ((rss_kb > peak)) && peak=$rss_kb
        awk -v m="$wall_ms" 'BEGIN { exit !(m > 1000) }' && slow=1
    done
    ((slow && n > 5)) && n=5
    : >"$tmp/walls"
    for ((i = 0; i < n; i++)); do
        timed "$@"
        echo "$wall_ms" >>"$tmp/walls"
    done
    printf "  %-28s %4d %s %9.1f %10d\n" "$label" "$n" "$(stats <"$tmp/walls")" \
        "$(awk -v k="$peak" 'BEGIN { print k / 1024 }')" "$(wc -c <"$tmp/out")"
}

series_header() {
    printf "  %-28s %4s %10s %10s %10s %9s %10s\n" "command" "runs" "min" \
        "median" "max" "peak MB" "out bytes"
}

db_bytes() {
    local total=0 f
    for f in "$1" "$1-wal" "$1-shm"; do
        [[ -f $f ]] && total=$((total + $(stat -c %s "$f")))
    done
    echo "$total"
}

mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
thousands() { sed -e ':a' -e 's/\B[0-9]\{3\}\>/,&/' -e 'ta' <<<"$1"; }

# iocm reads only the environment, not a .env from the work tree; the
# database is set per step (DATABASE_URL).
export IOCM_ENV_FILE=/dev/null IOCM_NOW=$now

# The cache key: the generator's source, the schema, the SQLite driver (its
# pragmas shape the file: page size), the seed and "now". Data generated
# under another key is removed when a new key is used.
key=$(cat "$root/bench/bench_gen.c" "$root/src/db/db_schema.c" \
    "$root/src/db/db_sqlite.c" |
    { sha256sum; echo "$seed $now"; } | sha256sum | cut -c1-12)
data=$work/data-$key
for old in "$work"/data-*; do
    [[ -d $old && $old != "$data" ]] || continue
    echo "bench: removing data generated by an older generator: $old" >&2
    rm -rf "$old"
done
mkdir -p "$data"

# Generates FILE with `bench_gen KIND FILE N ...` unless cached.
generate() {
    local kind=$1 file=$2 n=$3 t0
    [[ -f $file ]] && return 0
    t0=$EPOCHREALTIME
    rm -f "$file.part" "$file.part-wal" "$file.part-shm"
    if [[ $kind == db ]]; then
        "$gen" db "sqlite:$file.part" "$n" --seed "$seed" --now "$now" \
            2>"$tmp/gen.err" || { tr '\r' '\n' <"$tmp/gen.err" | tail -3 >&2; die "bench_gen db $n failed"; }
    else
        "$gen" "$kind" "$file.part" "$n" --seed "$seed" 2>"$tmp/gen.err" ||
            { cat "$tmp/gen.err" >&2; die "bench_gen $kind $n failed"; }
    fi
    mv "$file.part" "$file"
    printf "  generated %-40s in %7.1f s\n" "$(basename "$file")" \
        "$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
}

# ---- floors: what any whole process costs here -------------------------------

echo
echo "== process floor (after $warmup warm-ups; ms) =="
series_header
series "/bin/true" /bin/true
series "iocm --version" "$iocm" --version
# Start, configuration, open, migration check and an empty report.
export DATABASE_URL=sqlite:$tmp/empty.db
"$iocm" init </dev/null >/dev/null 2>&1 || die "iocm init of an empty store failed"
series "report daily json, empty db" "$iocm" report show daily --format json --at "$now"

# ---- per size ------------------------------------------------------------------

for n in "${sizes[@]}"; do
    echo
    echo "== $(thousands "$n") indicators (load average $(cut -d' ' -f1-3 /proc/loadavg)) =="
    import_runs=${BENCH_IMPORT_RUNS:-$((n <= 1000000 ? 3 : 1))}

    if wants import; then
        generate text "$data/text-$n.txt" "$n"
        generate csv "$data/csv-$n.csv" "$n"
        generate rows "$data/rows-$n.csv" "$n"
        echo "import into a fresh SQLite database, whole process, best of $import_runs"
        printf "  %-34s %10s %9s %12s %9s %9s\n" "what" "rows" "wall s" "IOCs/s" "peak MB" "DB MB"
        dbfile=$tmp/import.db
        export DATABASE_URL=sqlite:$dbfile
        notes=()
        for kind in text csv ref; do
            best="" best_rss=0 best_size=0 rows=0 summary=""
            for ((i = 0; i < import_runs; i++)); do
                rm -f "$dbfile" "$dbfile-wal" "$dbfile-shm"
                if [[ $kind == ref ]]; then
                    # sqlite3's own .import of the same (type, value) rows
                    # into a table with a unique index, with the pragmas
                    # iocm's SQLite driver sets.
                    cat >"$tmp/ref.sql" <<EOF
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
PRAGMA cache_size = -262144;
CREATE TABLE iocs (type TEXT NOT NULL, value TEXT NOT NULL);
CREATE UNIQUE INDEX iocs_type_value ON iocs (type, value);
.mode csv
.import '$data/rows-$n.csv' iocs
EOF
                    measured sqlite3 "$dbfile" -init "$tmp/ref.sql" .quit
                    rows=$(sqlite3 "$dbfile" 'SELECT count(*) FROM iocs')
                    label="sqlite3 .import rows (reference)"
                else
                    file=$data/text-$n.txt
                    [[ $kind == csv ]] && file=$data/csv-$n.csv
                    measured "$iocm" import "$file" --format "$kind"
                    rows=$(sed -n 's/.*: \([0-9]*\) added.*/\1/p' "$tmp/out")
                    label="iocm import $kind"
                    summary=$(sed -n 's/.*): //p' "$tmp/out")
                fi
                if [[ -z $best ]] || awk -v a="$wall_ms" -v b="$best" 'BEGIN { exit !(a < b) }'; then
                    best=$wall_ms best_rss=$rss_kb best_size=$(db_bytes "$dbfile")
                fi
            done
            rm -f "$dbfile" "$dbfile-wal" "$dbfile-shm"
            printf "  %-34s %10d %9.2f %12s %9.1f %9s\n" "$label" "${rows:-0}" \
                "$(awk -v m="$best" 'BEGIN { print m / 1000 }')" \
                "$(thousands "$(awk -v r="${rows:-0}" -v m="$best" 'BEGIN { printf "%d", r / (m / 1000) }')")" \
                "$(awk -v k="$best_rss" 'BEGIN { print k / 1024 }')" "$(mb "$best_size")"
            [[ ${rows:-0} == "$n" ]] || notes+=("$label stored ${rows:-0} of $n rows${summary:+: $summary}")
        done
        for note in "${notes[@]}"; do
            echo "  note: $note"
        done
    fi

    if wants reports || wants lookup; then
        store=$data/store-$n.db
        generate db "$store" "$n"
        export DATABASE_URL=sqlite:$store
        counts=$(sqlite3 -readonly "$store" "SELECT
            (SELECT count(*) FROM iocs),
            (SELECT count(*) FROM iocs WHERE created_at >= unixepoch('$now') - 86400),
            (SELECT count(*) FROM audit_events),
            (SELECT count(*) FROM enrich_attempts),
            (SELECT count(*) FROM users)" | tr '|' ' ')
        read -r c_iocs c_day c_audit c_att c_users <<<"$counts"
        echo "store: bench_gen db (written straight into the store), now $now:"
        echo "  $c_iocs indicators ($c_day created in the last 24 h), $c_audit audit events,"
        echo "  $c_att enrichment attempts, $c_users users; $(mb "$(db_bytes "$store")") MB on disk"
    fi

    if wants reports; then
        echo "reports at $now, whole process (after $warmup warm-ups; ms)"
        series_header
        for kind in daily weekly; do
            for format in json html; do
                series "report show $kind $format" \
                    "$iocm" report show "$kind" --format "$format" --at "$now"
            done
        done
    fi

    if wants lookup; then
        # Five values spread over the store, by id.
        mapfile -t values < <(sqlite3 -readonly "$store" \
            "SELECT value FROM iocs WHERE id IN (1, $n / 4, $n / 2, 3 * $n / 4, $n) ORDER BY id")
        echo "lookup by value, whole process (${#values[@]} values, after $warmup warm-ups each; ms)"
        series_header
        : >"$tmp/all"
        for v in "${values[@]}"; do
            series "ioc show ${v:0:19}" "$iocm" ioc show "$v"
            cat "$tmp/walls" >>"$tmp/all"
        done
        printf "  %-28s %4d %s\n" "all values" "$(wc -l <"$tmp/all")" "$(stats <"$tmp/all")"
    fi
done
