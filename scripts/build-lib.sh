# shellcheck shell=bash
# build-lib.sh: helpers shared by scripts/test.sh and scripts/demo.sh (source it).
#   resolve_pg_config        sets and exports PG_CONFIG (PostgreSQL 15's unless already set)
#   make_install [ARGS...]   `make install` against $PG_CONFIG, through sudo when a non-root user
#                            cannot write PostgreSQL's installation directories

resolve_pg_config() {
    if [[ -z "${PG_CONFIG:-}" ]]; then
        if [[ -x /usr/lib/postgresql/15/bin/pg_config ]]; then
            PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
        else
            PG_CONFIG=$(command -v pg_config || echo pg_config)
        fi
    fi
    export PG_CONFIG
}

make_install() {
    local sharedir pkglibdir
    sharedir=$("$PG_CONFIG" --sharedir)
    pkglibdir=$("$PG_CONFIG" --pkglibdir)
    if [[ "$(id -u)" -eq 0 || (-w "$sharedir/extension" && -w "$pkglibdir") ]]; then
        make install PG_CONFIG="$PG_CONFIG" "$@"
    elif command -v sudo >/dev/null 2>&1; then
        echo "$sharedir/extension or $pkglibdir is not writable; using sudo for make install"
        sudo make install PG_CONFIG="$PG_CONFIG" "$@"
    else
        echo "error: cannot write $sharedir/extension or $pkglibdir and sudo is not available;" >&2
        echo "       run 'make install PG_CONFIG=$PG_CONFIG' as root, or run this script as root" >&2
        return 1
    fi
}
