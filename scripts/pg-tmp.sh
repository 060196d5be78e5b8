#!/usr/bin/env bash
# pg-tmp.sh -- start and stop a throwaway PostgreSQL 15 cluster.
#
# As a library (bash):
#     source scripts/pg-tmp.sh
#     pgtmp_start            # starts the server, exports PG* variables, sets traps
#     psql -c 'select 1'
#     pgtmp_stop             # stops the server and removes its directory
#
# As a command:
#     scripts/pg-tmp.sh start          # start; print `export ...` lines on stdout and
#                                      # leave the server running:
#                                      #   eval "$(scripts/pg-tmp.sh start)"
#     scripts/pg-tmp.sh stop [DIR]     # stop the server in DIR (default: $PGTMP_DIR)
#     scripts/pg-tmp.sh run CMD [ARG]  # start, run CMD with the variables set, stop;
#                                      # exits with CMD's status
#
# Environment read:
#     PGTMP_PORT   first TCP port to try (default 54329); the next free one is used
#                  if it is taken
#     PG_BIN       directory holding initdb/pg_ctl/...; otherwise derived from
#                  $PG_CONFIG, /usr/lib/postgresql/15/bin/pg_config or pg_config
#                  on PATH, falling back to /usr/lib/postgresql/15/bin
#     PGTMP_EXTRA_CONF  lines appended to postgresql.conf before the server starts
#                  (e.g. shared_preload_libraries = 'pg_cron'); later lines win
#
# Environment exported by pgtmp_start:
#     PGTMP_DIR    the temporary directory (also the unix socket directory)
#     PGTMP_DATA   the data directory ($PGTMP_DIR/data)
#     PGTMP_LOG    the server log ($PGTMP_DIR/server.log)
#     PG_BIN       the PostgreSQL bin directory (also put first on PATH)
#     PGHOST=$PGTMP_DIR PGPORT=<port> PGUSER=postgres PGDATABASE=postgres
#
# The server listens on the unix socket in $PGTMP_DIR and on 127.0.0.1:$PGPORT,
# with trust authentication.  When run as root the server runs as the OS user
# `postgres` (runuser); otherwise as the current user.
#
# pgtmp_start installs EXIT/INT/TERM traps that call pgtmp_stop, so a failing
# script still stops its server.  A script that needs its own EXIT trap should
# call pgtmp_stop from it.  pgtmp_keep removes the traps (server keeps running).
#
# The functions do not rely on `set -e` and work with or without `set -u`.

PGTMP_DEFAULT_PORT=54329
PGTMP_DEFAULT_BIN=/usr/lib/postgresql/15/bin

# The directory of the server started by *this* shell.  Deliberately not
# exported: a child process (e.g. a test script) may start its own server.
_PGTMP_OWNED_DIR=${_PGTMP_OWNED_DIR:-}

_pgtmp_log() { printf 'pg-tmp: %s\n' "$*" >&2; }

# Prints the PostgreSQL bin directory to use.
_pgtmp_bindir() {
    local pgc="" dir=""
    if [[ -n "${PG_BIN:-}" && -x "${PG_BIN}/initdb" ]]; then
        printf '%s\n' "$PG_BIN"
        return 0
    fi
    if [[ -n "${PG_CONFIG:-}" ]] && command -v "$PG_CONFIG" >/dev/null 2>&1; then
        pgc=$PG_CONFIG
    elif [[ -x "$PGTMP_DEFAULT_BIN/pg_config" ]]; then
        pgc=$PGTMP_DEFAULT_BIN/pg_config
    elif command -v pg_config >/dev/null 2>&1; then
        pgc=pg_config
    fi
    if [[ -n "$pgc" ]]; then
        dir=$("$pgc" --bindir 2>/dev/null) || dir=""
    fi
    if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
        dir=$PGTMP_DEFAULT_BIN
    fi
    printf '%s\n' "$dir"
}

# _pgtmp_as_owner DIR CMD [ARG...]: run CMD inside DIR as the owner of the
# cluster in DIR (runuser when we are root and the owner is not).
_pgtmp_as_owner() {
    local dir=$1 owner
    shift
    owner=$(stat -c %U "$dir" 2>/dev/null) || owner=""
    if [[ "$(id -u)" -eq 0 && -n "$owner" && "$owner" != "root" ]]; then
        (cd "$dir" && runuser -u "$owner" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

# _pgtmp_port_busy PORT: succeeds when something accepts connections on
# 127.0.0.1:PORT.
_pgtmp_port_busy() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# _pgtmp_meta DIR KEY: prints KEY's value from DIR/.pgtmp.
_pgtmp_meta() {
    sed -n "s/^$2=//p" "$1/.pgtmp" 2>/dev/null | head -n 1
}

# _pgtmp_show_logs DIR NAME...: print the tail of each non-empty DIR/NAME.
_pgtmp_show_logs() {
    local dir=$1 f
    shift
    for f in "$@"; do
        f=$dir/$f
        if [[ -s "$f" ]]; then
            _pgtmp_log "---- tail of $f ----"
            tail -n 50 "$f" >&2
        fi
    done
}

_pgtmp_trap_exit() {
    local rc=$?
    pgtmp_stop
    exit "$rc"
}

pgtmp_start() {
    if [[ -n "$_PGTMP_OWNED_DIR" ]]; then
        _pgtmp_log "a server is already running in $_PGTMP_OWNED_DIR"
        return 1
    fi

    local bindir parent dir port tries=0 max_tries=50 i
    bindir=$(_pgtmp_bindir)
    if [[ ! -x "$bindir/initdb" || ! -x "$bindir/pg_ctl" ]]; then
        _pgtmp_log "initdb/pg_ctl not found in $bindir (is postgresql-15 installed?)"
        return 1
    fi

    # As root the server runs as `postgres`, which must reach the directory:
    # use /tmp rather than a possibly private $TMPDIR.  Keep the path short:
    # unix socket paths are limited to ~100 bytes.
    if [[ "$(id -u)" -eq 0 ]]; then
        parent=/tmp
        if ! id -u postgres >/dev/null 2>&1; then
            _pgtmp_log "running as root but there is no OS user 'postgres' (install postgresql-15)"
            return 1
        fi
    else
        parent=${TMPDIR:-/tmp}
    fi
    dir=$(mktemp -d "$parent/pgtmp.XXXXXX") || {
        _pgtmp_log "mktemp -d failed in $parent"
        return 1
    }
    # 0755 so that other local users (e.g. a test dropping privileges) can
    # reach the socket; the data directory itself stays 0700.
    chmod 0755 "$dir"
    printf 'PG_BIN=%s\n' "$bindir" >"$dir/.pgtmp"
    if [[ "$(id -u)" -eq 0 ]]; then
        chown -R postgres:postgres "$dir" || {
            rm -rf -- "$dir"
            return 1
        }
    fi

    # From here on, failures clean up through pgtmp_stop (and the traps).
    _PGTMP_OWNED_DIR=$dir
    trap _pgtmp_trap_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM

    if ! _pgtmp_as_owner "$dir" "$bindir/initdb" -D "$dir/data" -A trust -U postgres \
        --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1; then
        _pgtmp_log "initdb failed"
        _pgtmp_show_logs "$dir" initdb.log
        pgtmp_stop
        return 1
    fi

    cat >>"$dir/data/postgresql.conf" <<CONF

# ---- added by scripts/pg-tmp.sh (throwaway test cluster) ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
max_connections = 100
shared_buffers = 64MB
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
log_checkpoints = off
log_line_prefix = '%m [%p] %q%u@%d '
lc_messages = 'C'
CONF
    if [[ -n "${PGTMP_EXTRA_CONF:-}" ]]; then
        printf '\n# ---- PGTMP_EXTRA_CONF ----\n%s\n' "$PGTMP_EXTRA_CONF" >>"$dir/data/postgresql.conf"
    fi

    port=${PGTMP_PORT:-$PGTMP_DEFAULT_PORT}
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65535)); then
        _pgtmp_log "invalid PGTMP_PORT '$port'"
        pgtmp_stop
        return 1
    fi

    while :; do
        while _pgtmp_port_busy "$port"; do
            tries=$((tries + 1))
            if ((tries >= max_tries || port >= 65535)); then
                _pgtmp_log "no free port found (last tried $port)"
                pgtmp_stop
                return 1
            fi
            port=$((port + 1))
        done
        if _pgtmp_as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" \
            -o "-p $port" -w -t 60 start >"$dir/pg_ctl.log" 2>&1; then
            break
        fi
        # Lost a race for the port: keep the log aside and try the next port.
        if grep -qE 'could not (bind|create listen socket)|already in use' \
            "$dir/server.log" 2>/dev/null && ((tries + 1 < max_tries && port < 65535)); then
            _pgtmp_log "port $port is taken; trying $((port + 1))"
            mv -f "$dir/server.log" "$dir/server.log.port$port"
            tries=$((tries + 1))
            port=$((port + 1))
            continue
        fi
        _pgtmp_log "server failed to start (port $port, directory $dir)"
        _pgtmp_show_logs "$dir" pg_ctl.log server.log
        pgtmp_stop
        return 1
    done
    printf 'PGPORT=%s\n' "$port" >>"$dir/.pgtmp"

    i=0
    until "$bindir/pg_isready" -q -h "$dir" -p "$port" -U postgres -d postgres; do
        i=$((i + 1))
        if ((i >= 60)); then
            _pgtmp_log "server did not become ready within 30s"
            _pgtmp_show_logs "$dir" pg_ctl.log server.log
            pgtmp_stop
            return 1
        fi
        sleep 0.5
    done

    # Variables that would make libpq go elsewhere.
    unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGPASSWORD PGPASSFILE PGOPTIONS
    export PGTMP_DIR=$dir
    export PGTMP_DATA=$dir/data
    export PGTMP_LOG=$dir/server.log
    export PG_BIN=$bindir
    export PGHOST=$dir
    export PGPORT=$port
    export PGUSER=postgres
    export PGDATABASE=postgres
    case ":$PATH:" in
        *":$bindir:"*) ;;
        *) export PATH="$bindir:$PATH" ;;
    esac
    _pgtmp_log "server running: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER (log: $PGTMP_LOG)"
    return 0
}

# pgtmp_stop [DIR]: stop the server in DIR (default: the one this shell
# started) and remove DIR.  Safe to call more than once.
pgtmp_stop() {
    local dir=${1:-$_PGTMP_OWNED_DIR} bindir pid i
    if [[ -z "$dir" ]]; then
        return 0
    fi
    if [[ ! -d "$dir" ]]; then
        [[ "$dir" == "$_PGTMP_OWNED_DIR" ]] && _PGTMP_OWNED_DIR=""
        return 0
    fi
    if [[ ! -f "$dir/.pgtmp" ]]; then
        _pgtmp_log "refusing to remove $dir: not a pg-tmp directory (no .pgtmp marker)"
        return 1
    fi
    bindir=$(_pgtmp_meta "$dir" PG_BIN)
    [[ -n "$bindir" ]] || bindir=$(_pgtmp_bindir)

    if [[ -f "$dir/data/postmaster.pid" ]]; then
        if ! _pgtmp_as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 \
            stop >/dev/null 2>&1; then
            _pgtmp_log "pg_ctl stop -m fast failed; trying immediate shutdown"
            _pgtmp_as_owner "$dir" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 \
                stop >/dev/null 2>&1 || true
        fi
        if [[ -f "$dir/data/postmaster.pid" ]]; then
            pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || pid=""
            if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
                _pgtmp_log "killing postmaster $pid"
                kill -KILL "$pid" 2>/dev/null || true
                i=0
                while kill -0 "$pid" 2>/dev/null && ((i < 50)); do
                    sleep 0.1
                    i=$((i + 1))
                done
            fi
        fi
    fi
    rm -rf -- "$dir"
    if [[ "$dir" == "$_PGTMP_OWNED_DIR" ]]; then
        _PGTMP_OWNED_DIR=""
        unset PGTMP_DIR PGTMP_DATA PGTMP_LOG
        trap - EXIT INT TERM
    fi
    _pgtmp_log "server stopped, $dir removed"
    return 0
}

# pgtmp_keep: forget the server started by this shell and drop the traps, so
# it keeps running after the shell exits (stop it with `pg-tmp.sh stop DIR`).
pgtmp_keep() {
    _PGTMP_OWNED_DIR=""
    trap - EXIT INT TERM
}

_pgtmp_main() {
    set -uo pipefail
    local cmd=${1:-}
    [[ $# -gt 0 ]] && shift
    case "$cmd" in
        start)
            pgtmp_start || return 1
            local dir=$PGTMP_DIR
            pgtmp_keep
            printf 'export PGTMP_DIR=%q PGTMP_DATA=%q PGTMP_LOG=%q PG_BIN=%q\n' \
                "$dir" "$dir/data" "$dir/server.log" "$PG_BIN"
            printf 'export PGHOST=%q PGPORT=%q PGUSER=postgres PGDATABASE=postgres\n' \
                "$PGHOST" "$PGPORT"
            _pgtmp_log "left running; stop with: $0 stop $dir"
            ;;
        stop)
            local dir=${1:-${PGTMP_DIR:-}}
            if [[ -z "$dir" ]]; then
                _pgtmp_log "usage: $0 stop DIR   (or set PGTMP_DIR)"
                return 2
            fi
            pgtmp_stop "$dir"
            ;;
        run)
            if [[ $# -eq 0 ]]; then
                _pgtmp_log "usage: $0 run CMD [ARG...]"
                return 2
            fi
            pgtmp_start || return 1
            local rc=0
            "$@" || rc=$?
            pgtmp_stop
            return "$rc"
            ;;
        *)
            printf 'usage: %s start | stop [DIR] | run CMD [ARG...]\n' "$0" >&2
            return 2
            ;;
    esac
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    _pgtmp_main "$@"
    exit $?
fi
