#!/usr/bin/env bash
# Starts and stops a throw-away PostgreSQL server for tests: trust auth,
# TCP on 127.0.0.1 only, no fsync. The whole server lives in DIR.
#
#   tests/lib/pg.sh start DIR   prints postgresql://postgres@127.0.0.1:PORT/iocm_test
#   tests/lib/pg.sh stop DIR    stops the server and removes DIR (safe to repeat)
#
# Finds Debian's server binaries (/usr/lib/postgresql/*/bin, newest first)
# unless PG_BINDIR names them. As root, the server runs as the postgres OS
# user, since PostgreSQL refuses to run as root.
set -euo pipefail

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

usage() {
    echo "usage: pg.sh start|stop DIR" >&2
    exit 2
}

find_bindir() {
    local d
    if [[ -n ${PG_BINDIR-} ]]; then
        echo "$PG_BINDIR"
        return
    fi
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1) || true
    if [[ -n $d && -x $d/initdb ]]; then
        echo "$d"
        return
    fi
    d=$(command -v initdb 2>/dev/null) || die "no PostgreSQL server found: install Debian's postgresql package or set PG_BINDIR"
    dirname "$d"
}

# as_pg CMD...: runs CMD as the user that owns the server.
as_pg() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

is_running() {
    [[ -f $dir/data/postmaster.pid ]] &&
        as_pg "$bindir/pg_ctl" status -D "$dir/data" >/dev/null 2>&1
}

start() {
    local port started=0 try

    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [[ -f $dir/.iocm-pg && -f $dir/url ]] && is_running; then
        cat "$dir/url"
        return
    fi
    if [[ ! -f $dir/.iocm-pg && -n $(ls -A "$dir") ]]; then
        die "'$dir' is not empty"
    fi
    touch "$dir/.iocm-pg"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        runuser -u postgres -- test -w "$dir" ||
            die "the postgres user cannot write '$dir' (is a parent folder private?)"
    fi
    if [[ ! -f $dir/data/PG_VERSION ]]; then
        as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 \
            --no-locale --no-sync >"$dir/initdb.log" 2>&1 ||
            { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    fi
    # A random free port; another process may take it first, so retry.
    for try in $(seq 1 20); do
        port=$((20000 + RANDOM % 40000))
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            continue
        fi
        if as_pg "$bindir/pg_ctl" start -D "$dir/data" -w -t 30 \
            -l "$dir/server.log" \
            -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=20 -c shared_buffers=16MB" \
            >/dev/null 2>&1; then
            started=1
            break
        fi
    done
    if ((started == 0)); then
        cat "$dir/server.log" >&2 || true
        die "the server did not start after $try attempts"
    fi
    # A folder reused after a crash may have the database already.
    "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres iocm_test \
        2>"$dir/createdb.log" ||
        "$bindir/psql" -h 127.0.0.1 -p "$port" -U postgres -d iocm_test \
            -Atqc "SELECT 1" >/dev/null 2>&1 ||
        { cat "$dir/createdb.log" >&2; die "createdb failed"; }
    echo "postgresql://postgres@127.0.0.1:$port/iocm_test" >"$dir/url"
    cat "$dir/url"
}

stop() {
    [[ -d $dir ]] || return 0
    [[ -f $dir/.iocm-pg ]] || die "refusing to remove '$dir': not made by pg.sh start"
    if [[ -f $dir/data/postmaster.pid ]]; then
        as_pg "$bindir/pg_ctl" stop -D "$dir/data" -m immediate -w \
            >/dev/null 2>&1 || true
    fi
    rm -rf -- "$dir"
}

(($# == 2)) || usage
dir=$2
[[ $dir == /* ]] || dir=$PWD/$dir
# The postgres user may not be allowed into the caller's folder.
cd /
bindir=$(find_bindir)
case $1 in
start) start ;;
stop) stop ;;
*) usage ;;
esac
