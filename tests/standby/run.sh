#!/usr/bin/env bash
# tests/standby/run.sh -- serving recommendations from a hot standby (README "Scaling out").
#
# Starts its own primary and a streaming standby on this machine from the PostgreSQL of
# $PG_CONFIG (or $PG_BIN): two data directories in one temporary directory, two ports, the
# standby made with `pg_basebackup -R` (and a replication slot), nothing installed on the standby
# beyond the extension files the installation already has. Then:
#   1. trains on the primary, waits until the standby has replayed it (pg_current_wal_lsn() on
#      the primary <= pg_last_wal_replay_lsn() on the standby) and compares the complete
#      recommendations of every user (and of a user the model does not know, and of users folded
#      in from ratings added after training) on both servers;
#   2. opens long-lived sessions on the standby (psql reading from a fifo) that serve the model,
#      then retrains and activates a new model on the primary, activates the old one again with
#      activate_model() and goes back with rollback_model(); after each change has been replayed,
#      the SAME sessions (same backend pid, no reconnection) must serve exactly what the primary
#      serves;
#   3. every read-only function and view gives on the standby what it gives on the primary;
#   4. every writing function fails on the standby with SQLSTATE 25006 and a hint to run it on
#      the primary.
# Prints `ok`/`not ok` lines and a summary; exits 1 on any failure, 77 when it cannot run here
# (no pg_basebackup, or running as root without an OS user postgres).
set -uo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
USERS=${STANDBY_USERS:-600}
MOVIES=${STANDBY_MOVIES:-200}
SESSIONS=3

# ---- where PostgreSQL is ------------------------------------------------------------------
bindir=${PG_BIN:-}
if [[ -z "$bindir" || ! -x "$bindir/initdb" ]]; then
    bindir=$("${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}" --bindir 2>/dev/null) || bindir=""
fi
for tool in initdb pg_ctl pg_basebackup psql pg_isready; do
    if [[ ! -x "$bindir/$tool" ]]; then
        echo "SKIP: $tool not found in '${bindir:-?}' (set PG_CONFIG)"
        exit 77
    fi
done
if [[ "$(id -u)" -eq 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    echo "SKIP: running as root but there is no OS user postgres to run the servers"
    exit 77
fi

# ---- bookkeeping --------------------------------------------------------------------------
PASS=0
FAIL=0
ok() {
    PASS=$((PASS + 1))
    echo "ok $((PASS + FAIL)) - $*"
}
not_ok() {
    FAIL=$((FAIL + 1))
    echo "not ok $((PASS + FAIL)) - $*"
}
indent() { sed 's/^/#   /'; }
# check NAME GOT EXPECTED
check() {
    if [[ "$2" == "$3" ]]; then
        ok "$1"
    else
        not_ok "$1"
        printf '#   got:      %s\n#   expected: %s\n' "$2" "$3"
    fi
}

# ---- servers ------------------------------------------------------------------------------
WORK=$(mktemp -d /tmp/pgstandby.XXXXXX)
chmod 0755 "$WORK"
as_pg() {
    if [[ "$(id -u)" -eq 0 ]]; then
        (cd "$WORK" && runuser -u postgres -- "$@")
    else
        (cd "$WORK" && "$@")
    fi
}
if [[ "$(id -u)" -eq 0 ]]; then
    chown postgres:postgres "$WORK"
fi
mkdir_pg() {
    as_pg mkdir -m 0755 "$1"
}

SESSION_PIDS=()
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
    local rc=$? pid dir
    for pid in "${SESSION_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for dir in "$WORK/standby" "$WORK/primary"; do
        if [[ -f "$dir/data/postmaster.pid" ]]; then
            as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        fi
    done
    rm -rf -- "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# The first free port from $1 up.
free_port() {
    local p=$1
    while port_busy "$p"; do p=$((p + 1)); done
    echo "$p"
}

show_logs() {
    local f
    for f in "$WORK"/primary/server.log "$WORK"/standby/server.log; do
        if [[ -s "$f" ]]; then
            echo "# ---- last lines of $f ----"
            tail -n 30 "$f" | sed 's/^/# /'
        fi
    done
}
die() {
    not_ok "$*"
    show_logs
    echo "# $PASS passed, $FAIL failed (stopped early)"
    exit 1
}

# start_server NAME PORT: start the cluster in $WORK/NAME/data on the first free port from PORT
# (another server may take a port between the check and the start: then the next one is tried);
# sets STARTED_PORT.
start_server() {
    local port=$2 tries
    for ((tries = 0; tries < 20; tries++)); do
        port=$(free_port "$port")
        if as_pg "$bindir/pg_ctl" -D "$WORK/$1/data" -l "$WORK/$1/server.log" -o "-p $port" \
            -w -t 60 start >/dev/null 2>&1; then
            STARTED_PORT=$port
            return 0
        fi
        grep -qE 'could not (bind|create listen socket)|already in use' "$WORK/$1/server.log" \
            || return 1
        port=$((port + 1))
    done
    return 1
}

# Settings of both servers (the standby inherits the primary's postgresql.conf through the base
# backup and overrides its own socket directory). The replication settings are PostgreSQL 15's
# defaults, written out because the recipe needs them.
mkdir_pg "$WORK/primary"
as_pg "$bindir/initdb" -D "$WORK/primary/data" -A trust -U postgres --no-sync -E UTF8 \
    --locale=C >"$WORK/initdb.log" 2>&1 || die "initdb of the primary"
as_pg tee -a "$WORK/primary/data/postgresql.conf" >/dev/null <<CONF
# ---- tests/standby/run.sh ----
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK/primary'
max_connections = 30
shared_buffers = 32MB
fsync = off
lc_messages = 'C'
# the primary: WAL for replicas, senders for the standby and for pg_basebackup
wal_level = replica
max_wal_senders = 4
max_replication_slots = 4
# the standby: serve queries while replaying, tell the primary which rows it still reads
hot_standby = on
hot_standby_feedback = on
CONF
start_server primary $((${PGPORT:-54329} + 1)) || die "the primary does not start"
PRIMARY_PORT=$STARTED_PORT
P=(-X -q -At -v ON_ERROR_STOP=1 -h "$WORK/primary" -p "$PRIMARY_PORT" -U postgres -d postgres)
qp() { "$bindir/psql" "${P[@]}" -c "$1"; }

# The extension exists before the base backup; everything else reaches the standby by WAL.
qp "CREATE EXTENSION movie_recs; CREATE ROLE app LOGIN IN ROLE movie_recs_reader;" \
    || die "CREATE EXTENSION movie_recs on the primary"

mkdir_pg "$WORK/standby"
as_pg "$bindir/pg_basebackup" -h "$WORK/primary" -p "$PRIMARY_PORT" -U postgres \
    -D "$WORK/standby/data" -R -X stream -C -S movie_recs_standby -c fast \
    >"$WORK/basebackup.log" 2>&1 || { cat "$WORK/basebackup.log"; die "pg_basebackup -R"; }
as_pg tee -a "$WORK/standby/data/postgresql.conf" >/dev/null <<CONF
unix_socket_directories = '$WORK/standby'
CONF
start_server standby $((PRIMARY_PORT + 1)) || die "the standby does not start"
STANDBY_PORT=$STARTED_PORT
S=(-X -q -At -v ON_ERROR_STOP=1 -h "$WORK/standby" -p "$STANDBY_PORT" -U postgres -d postgres)
qs() { "$bindir/psql" "${S[@]}" -c "$1"; }
echo "# primary on port $PRIMARY_PORT, standby on port $STANDBY_PORT ($("$bindir/postgres" --version))"

# wait_replay: until the standby has replayed everything the primary has written so far.
wait_replay() {
    local lsn i
    lsn=$(qp "SELECT pg_current_wal_lsn()") || return 1
    for ((i = 0; i < 600; i++)); do
        if [[ "$(qs "SELECT pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn" 2>/dev/null)" == t ]]; then
            return 0
        fi
        sleep 0.1
    done
    echo "# standby did not replay up to $lsn within 60 s"
    return 1
}

check "the standby is in recovery, the primary is not" \
    "$(qs "SELECT pg_is_in_recovery()")/$(qp "SELECT pg_is_in_recovery()")" "t/f"
wait_replay || die "replay"
check "the standby streams from the primary (pg_stat_replication, pg_stat_wal_receiver)" \
    "$(qp "SELECT state || '/' || coalesce(slot_name, '-') FROM pg_stat_replication r
             LEFT JOIN pg_replication_slots s ON s.active_pid = r.pid")/$(qs "SELECT status FROM pg_stat_wal_receiver")" \
    "streaming/movie_recs_standby/streaming"

# ---- 1. train on the primary, identical recommendations on the standby ---------------------
qp "SELECT count(*) FROM movie_recs.load_demo_data(users => $USERS, movies => $MOVIES, seed => 7);
    GRANT SELECT ON ratings, movies TO app;
    SELECT count(*) FROM train_movie_clusters(k => 6, seed => 1);" >/dev/null \
    || die "demo data and the first training on the primary"
# Ratings added after training: these users are folded in at call time.
qp "INSERT INTO ratings (user_id, movie_id, rating, rated_at)
    SELECT u, m, 5, now() FROM generate_series(1, 40) u, generate_series(1, 15) m
     WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = u AND r.movie_id = m)" \
    || die "new ratings on the primary"
wait_replay || die "replay of the first model"

# Every user's complete top 10 (user USERS + 1 has no ratings), as one digest plus counts.
RECS="WITH x AS (SELECT u, r.* FROM generate_series(1, $((USERS + 1))) u, LATERAL recommend_movies(u, 10) r)
      SELECT count(*) || ' rows, ' || count(DISTINCT u) || ' users, sources '
             || (SELECT string_agg(DISTINCT source, '+' ORDER BY source) FROM x) || ', md5 '
             || md5(string_agg(format('%s:%s:%s:%s:%s', u, movie_id, score, rank, source), ',' ORDER BY u, rank))
        FROM x"
ACTIVE="SELECT model_id FROM movie_recs.models WHERE active"

model1=$(qp "$ACTIVE")
recs1=$(qp "$RECS")
echo "# model $model1 on the primary: $recs1"
check "the standby serves model $model1 with identical recommendations for all $((USERS + 1)) users" \
    "$(qs "$ACTIVE"): $(qs "$RECS")" "$model1: $recs1"
case "$recs1" in
    *"$((USERS + 1)) users, sources cluster+fold_in+popular"*) ok "the comparison covers trained, folded-in and unknown users" ;;
    *) not_ok "the comparison covers trained, folded-in and unknown users (got: $recs1)" ;;
esac

# ---- 2. long-lived sessions on the standby follow activations --------------------------------
declare -a SESSION_IN SESSION_OUT
# open_session I: psql on the standby as role app, reading commands from a fifo.
open_session() {
    local i=$1 in=$WORK/session$1.in out=$WORK/session$1.out fdw fdr
    mkfifo "$in" "$out"
    "$bindir/psql" -X -q -At -h "$WORK/standby" -p "$STANDBY_PORT" -U app -d postgres \
        <"$in" >"$out" 2>&1 &
    SESSION_PIDS+=($!)
    exec {fdw}>"$in"
    exec {fdr}<"$out"
    SESSION_IN[i]=$fdw
    SESSION_OUT[i]=$fdr
}
# in_session I SQL: run SQL (one statement, one result row) in session I and print the row.
in_session() {
    local line result=""
    printf '%s;\nSELECT %s;\n' "$2" "'#end#'" >&"${SESSION_IN[$1]}"
    while IFS= read -r -t 120 line <&"${SESSION_OUT[$1]}"; do
        [[ "$line" == "#end#" ]] && break
        result+=${result:+$'\n'}$line
    done
    printf '%s\n' "$result"
}

declare -a PIDS
for ((i = 1; i <= SESSIONS; i++)); do
    open_session "$i"
    PIDS[i]=$(in_session "$i" "SELECT pg_backend_pid()")
    check "standby session $i (pid ${PIDS[i]}, role app) serves model $model1" \
        "$(in_session "$i" "$ACTIVE"): $(in_session "$i" "$RECS")" "$model1: $recs1"
done

# sessions_serve WHAT: every session, still on its backend, serves what the primary serves now.
sessions_serve() {
    local what=$1 model recs i
    wait_replay || die "replay after $what"
    model=$(qp "$ACTIVE")
    recs=$(qp "$RECS")
    for ((i = 1; i <= SESSIONS; i++)); do
        check "after $what, standby session $i (same pid) serves model $model as the primary does" \
            "$(in_session "$i" "SELECT pg_backend_pid()")/$(in_session "$i" "$ACTIVE"): $(in_session "$i" "$RECS")" \
            "${PIDS[i]}/$model: $recs"
    done
    LAST_RECS=$recs
}

model2=$(qp "SELECT model_id FROM train_movie_clusters(k => 8, seed => 2)") || die "second training"
sessions_serve "training model $model2 on the primary"
recs2=$LAST_RECS
if [[ "$recs2" != "$recs1" ]]; then
    ok "model $model2 recommends differently from model $model1 (the switch is visible)"
else
    not_ok "model $model2 recommends differently from model $model1"
fi
qp "SELECT * FROM movie_recs.activate_model($model1)" >/dev/null || die "activate_model($model1)"
sessions_serve "activate_model($model1)"
check "activate_model($model1) serves model $model1's recommendations again" "$LAST_RECS" "$recs1"
qp "SELECT * FROM movie_recs.rollback_model()" >/dev/null || die "rollback_model()"
sessions_serve "rollback_model()"
check "rollback_model() serves model $model2's recommendations again" "$LAST_RECS" "$recs2"

# ---- 3. every read-only function and view gives the same on the standby ----------------------
qp "CREATE TABLE recs (user_id bigint, movie_id bigint, score double precision, rank integer)" \
    || die "recs table on the primary"
wait_replay || die "replay"
# name|query: the query's output on the standby must equal the primary's.
READS=(
    "recommend_movies()|$RECS"
    "movie_recs.user_cluster()|SELECT md5(string_agg(format('%s:%s', u, c), ',' ORDER BY u, c::text)) FROM generate_series(1, $((USERS + 1))) u, LATERAL movie_recs.user_cluster(u) c"
    "view movie_recs.cluster_top_movies|SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t.cluster_id, t.rank)) FROM movie_recs.cluster_top_movies t"
    "view movie_recs.user_clusters|SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t.user_id)) FROM movie_recs.user_clusters t"
    "view movie_recs.cluster_summary|SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t.cluster_id)) FROM movie_recs.cluster_summary t"
    "movie_recs.cluster_summaries()|SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t.cluster_id)) FROM movie_recs.cluster_summaries('movies', top_n => 3) t"
    "view movie_recs.model_versions|SELECT string_agg(t::text, ',' ORDER BY t.model_id) FROM movie_recs.model_versions t"
    "view movie_recs.running_trainings|SELECT count(*) FROM movie_recs.running_trainings"
    "movie_recs.current_activation()|SELECT (movie_recs.current_activation())::text"
    "catalog tables (every row)|SELECT string_agg(x, ' ') FROM (SELECT 'models:' || md5(string_agg(t::text, ',' ORDER BY t.model_id)) FROM movie_recs.models t UNION ALL SELECT 'assignments:' || md5(string_agg(t::text, ',' ORDER BY t.model_id, t.user_id)) FROM movie_recs.assignments t UNION ALL SELECT 'centroids:' || md5(string_agg(t::text, ',' ORDER BY t.model_id, t.cluster_id)) FROM movie_recs.centroids t UNION ALL SELECT 'cluster_movies:' || md5(string_agg(t::text, ',' ORDER BY t.model_id, t.cluster_id, t.rank)) FROM movie_recs.cluster_movies t UNION ALL SELECT 'popular_movies:' || md5(string_agg(t::text, ',' ORDER BY t.model_id, t.rank)) FROM movie_recs.popular_movies t UNION ALL SELECT 'activations:' || md5(string_agg(t::text, ',' ORDER BY t.activation_id)) FROM movie_recs.activations t) d(x)"
    "evaluate_movie_recommendations()|SELECT string_agg(t::text, ',' ORDER BY t.method) FROM evaluate_movie_recommendations(time_column => 'rated_at', k => 6) t"
    "movie_recs.suggest_k()|SELECT string_agg(t::text, ',' ORDER BY t.k) FROM movie_recs.suggest_k(ks => '{2,6}', time_column => 'rated_at', sample_size => 200) t"
    "movie_recs.demo_ratings(), movie_recs.demo_movies()|SELECT md5(string_agg(r::text, ',' ORDER BY r::text)) || md5(string_agg(m::text, ',' ORDER BY m::text)) FROM movie_recs.demo_ratings(50, 20, 3) r, movie_recs.demo_movies(20, 3) m"
    "movie_recs.check_column() (true on both)|SELECT movie_recs.check_column('ratings', 'rating') IS NULL"
    "movie_recs.source_change_counter() (a count on both: statistics are per server)|SELECT movie_recs.source_change_counter('ratings') >= 0"
)
for entry in "${READS[@]}"; do
    name=${entry%%|*}
    sql=${entry#*|}
    if ! on_primary=$(qp "$sql" 2>&1); then
        not_ok "$name on the primary: $on_primary"
        continue
    fi
    if ! on_standby=$(qs "$sql" 2>&1); then
        not_ok "$name works on the standby"
        indent <<<"$on_standby"
        continue
    fi
    check "$name gives on the standby what it gives on the primary" "$on_standby" "$on_primary"
done

# ---- 4. writing functions fail on the standby with 25006 and a hint ---------------------------
WRITES=(
    "SELECT * FROM train_movie_clusters(k => 3)"
    "SELECT * FROM movie_recs.train_if_stale(max_age => '1 day', min_changed_fraction => 1)"
    "SELECT * FROM movie_recs.activate_model($model1)"
    "SELECT * FROM movie_recs.rollback_model()"
    "SELECT movie_recs.drop_model($model1)"
    "SELECT movie_recs.prune_models(1)"
    "SELECT * FROM movie_recs.materialize_recommendations(5, 'recs')"
    "SELECT * FROM movie_recs.load_demo_data(users => 10, movies => 10, replace => true)"
    "SELECT movie_recs.lock_training()"
    "SELECT * FROM movie_recs.switch_model($model1, 'activate', NULL)"
)
for sql in "${WRITES[@]}"; do
    fn=${sql#SELECT }
    fn=${fn#\* FROM }
    fn=${fn%%(*}
    out=$("$bindir/psql" "${S[@]}" -v VERBOSITY=verbose -c "$sql" 2>&1)
    state=$(sed -n 's/^ERROR:  \([0-9A-Z]\{5\}\): .*/\1/p' <<<"$out" | head -n 1)
    hint=$(sed -n 's/^HINT:  //p' <<<"$out" | head -n 1)
    if [[ "$state" == 25006 && "$hint" == *"$fn()"*primary* ]]; then
        ok "$fn() fails on the standby: $(sed -n 's/^ERROR:  //p' <<<"$out" | head -n 1) / $hint"
    else
        not_ok "$fn() fails on the standby with 25006 and a hint to use the primary"
        indent <<<"$out"
    fi
done
check "the catalog on the standby is unchanged after the refused writes" \
    "$(qs "$ACTIVE"): $(qs "$RECS")" "$model2: $recs2"

# The sessions are still the same backends after everything above.
for ((i = 1; i <= SESSIONS; i++)); do
    printf '\\q\n' >&"${SESSION_IN[i]}"
done
wait "${SESSION_PIDS[@]}" 2>/dev/null
SESSION_PIDS=()

if ((FAIL != 0)); then
    show_logs
fi
echo "# $PASS passed, $FAIL failed"
((FAIL == 0)) || exit 1
exit 0
