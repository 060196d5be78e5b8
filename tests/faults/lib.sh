# tests/faults/lib.sh -- helpers shared by the fault scripts (sourced, never run).
# shellcheck shell=bash disable=SC2034,SC2016
#
# The scripts run against the server started by tests/faults/run.sh: PGHOST, PGPORT, PGUSER,
# PGTMP_DIR, PGTMP_DATA, PGTMP_LOG and PG_BIN are exported, and database $FAULTS_DB holds the
# demo ratings and an active model.

# check DESCRIPTION COMMAND...: one "ok"/"not ok" line (failures counted in CHECKS_FAILED).
# shellcheck source=tests/lib/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"

# equal GOT EXPECTED: true when equal; otherwise says what differed.
equal() {
    [[ "$1" == "$2" ]] && return 0
    echo "  got '$1', expected '$2'"
    return 1
}

# q [psql args]: one statement, unaligned, tuples only, stops on error.
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

# as_owner CMD...: runs CMD as the OS user owning the cluster (postgres when we are root).
as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$PGTMP_DIR" && runuser -u postgres -- "$@")
    else
        (cd "$PGTMP_DIR" && "$@")
    fi
}

postmaster_pid() { head -n 1 "$PGTMP_DATA/postmaster.pid" 2>/dev/null; }

log_size() { stat -c %s "$PGTMP_LOG"; }

# log_since OFFSET: the server log written since OFFSET bytes.
log_since() { tail -c +"$(($1 + 1))" "$PGTMP_LOG"; }

# poll CMD...: runs CMD every 0.2 s until it succeeds (up to 120 s).
poll() {
    local i
    for ((i = 0; i < 600; i++)); do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}

sql_true() { [[ "$(psql -X -At -d "$1" -c "SELECT ($2)::boolean" 2>/dev/null)" == t ]]; }

# wait_ready: until the server accepts queries.
wait_ready() { poll sql_true postgres true; }

# wait_for_sql DB CONDITION: until the query returns t.
wait_for_sql() { poll sql_true "$1" "$2"; }

# wait_for_file FILE PATTERN: until FILE has a line matching PATTERN.
wait_for_file() { poll grep -q -E "$2" "$1"; }

# catalog_state DB: row counts of every catalog table, then the rows that name a model that does
# not exist, as one line ("models=1 assignments=20000 ... orphans=0").
catalog_state() {
    q -d "$1" <<'SQL'
SELECT string_agg(format('%s=%s', c.relname,
           (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM movie_recs.%I', c.relname), false, true, '')))[1]),
           ' ' ORDER BY c.relname)
       || ' orphans=' ||
       (SELECT coalesce(sum((xpath('/row/n/text()', query_to_xml(format(
                'SELECT count(*) AS n FROM movie_recs.%I t WHERE NOT EXISTS (SELECT FROM movie_recs.models m WHERE m.model_id = t.model_id)',
                t.relname), false, true, '')))[1]::text::bigint), 0)
          FROM pg_attribute a JOIN pg_class t ON t.oid = a.attrelid
         WHERE t.relnamespace = 'movie_recs'::regnamespace AND t.relkind = 'r' AND t.relname <> 'models'
           AND a.attname = 'model_id' AND NOT a.attisdropped)
  FROM pg_class c
 WHERE c.relnamespace = 'movie_recs'::regnamespace AND c.relkind = 'r';
SQL
}

# catalog_state fails loudly rather than print nothing (an empty state would compare equal).
catalog_state_checked() {
    local s
    if s=$(catalog_state "$1") && [[ "$s" == *orphans=* ]]; then
        echo "$s"
    else
        echo "cannot read the catalog state" >&2
        return 1
    fi
}

active_model() { q -d "$1" -c "SELECT model_id FROM movie_recs.models WHERE active"; }

# answers DB USERS: recommend_movies(u, 10) for u in 1..USERS, one string (ids and scores).
answers() {
    q -d "$1" -c "SELECT md5(string_agg(format('%s:%s:%s', u, r.movie_id, r.score), ',' ORDER BY u, r.rank))
                    FROM generate_series(1, $2) u, LATERAL recommend_movies(u, 10) r"
}

# status_kb PID FIELD: a field of /proc/PID/status in kB (VmRSS, VmHWM).
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }

# A training that runs far longer than any test waits: many clusters, no tolerance.
LONG_TRAINING="SELECT model_id FROM train_movie_clusters(k => 100, tolerance => 0, max_iterations => 100000, seed => 11)"

log_matches() { log_since "$1" | grep -q -E "$2"; }

# wait_for_log OFFSET PATTERN: until the log written since OFFSET matches PATTERN.
wait_for_log() { poll log_matches "$1" "$2"; }

# faults_setup: a work directory $work (removed on exit) and what the checks compare against
# afterwards: $state_before (catalog), $pm_before (postmaster pid), $offset (server log size).
faults_setup() {
    work=$(mktemp -d)
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    state_before=$(catalog_state_checked "$FAULTS_DB")
    pm_before=$(postmaster_pid)
    offset=$(log_size)
}

# no_crash: the postmaster is the same and no process was terminated by a signal since $offset.
no_crash() {
    check "no crash: the same postmaster ($pm_before)" equal "$(postmaster_pid)" "$pm_before"
    check "no crash: no process terminated by a signal" eval '! log_since "$offset" | grep -q "terminated by signal"'
}

# session_start APPNAME: one psql session on $FAULTS_DB kept open for the whole script (psql
# reading statements from the coprocess pipe, its errors in verbose form on the same output);
# sets $SESSION_BACKEND to the pid of its backend.
session_start() {
    coproc SESSION { PGAPPNAME=$1 psql -X -q -At -d "$FAULTS_DB" -v VERBOSITY=verbose 2>&1; }
    send "SELECT 'pid:' || pg_backend_pid();"
    expect '^pid:[0-9]+$' || return 1
    SESSION_BACKEND=${REPLY_LINES##*pid:}
    SESSION_BACKEND=${SESSION_BACKEND%%$'\n'*}
}

# send STATEMENT...: one line each to the session.
send() { printf '%s\n' "$@" >&"${SESSION[1]}"; }

# expect PATTERN: reads the session's output (up to 120 s) until a line matches PATTERN; the lines
# read are kept in $REPLY_LINES.
expect() {
    local line
    REPLY_LINES=""
    while IFS= read -r -t 120 line <&"${SESSION[0]}"; do
        REPLY_LINES+="$line"$'\n'
        [[ "$line" =~ $1 ]] && return 0
    done
    echo "  no line matching '$1' in: $REPLY_LINES"
    return 1
}

# session_end: closes the session and waits for psql.
session_end() {
    send '\q'
    wait "$SESSION_PID" 2>/dev/null
}
