#!/usr/bin/env bash
# tests/cron/run.sh -- the README's recipe for nightly retraining with pg_cron (Debian package
# postgresql-15-cron), on a server of its own that preloads pg_cron:
#   - pg_cron lives in database postgres; the job runs train_if_stale() in database shop;
#   - the job is scheduled with cron.schedule_in_database() and its row checked;
#   - the job's command is run the way pg_cron runs it (its database and user) while the data
#     changes: fresh -> nothing, 10% new ratings -> retrained, statistics reset -> retrained;
#   - a copy of the job scheduled every minute is run by pg_cron itself, and its run is checked
#     in cron.job_run_details and in the model catalog.
# Exits 77 (skip) when pg_cron is not installed and cannot be (not root).
set -euo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$REPO_ROOT"
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}

# pg_cron: installed by scripts/install-deps.sh (as root); a private installation made by
# scripts/private-pg.sh picks it up when that script runs again.
pkglibdir=$("$PG_CONFIG" --pkglibdir)
if [[ ! -f "$pkglibdir/pg_cron.so" && "$(id -u)" -eq 0 ]]; then
    bash "$REPO_ROOT/scripts/install-deps.sh"
    case "$pkglibdir" in
        */usr/lib/postgresql/*) [[ "$pkglibdir" == /usr/lib/* ]] ||
            "$REPO_ROOT/scripts/private-pg.sh" "${pkglibdir%%/usr/lib/postgresql/*}" >/dev/null ;;
    esac
fi
if [[ ! -f "$pkglibdir/pg_cron.so" ]]; then
    echo "SKIP: pg_cron is not installed in $pkglibdir (install postgresql-15-cron as root)"
    exit 77
fi

# shellcheck source=scripts/pg-tmp.sh
source "$REPO_ROOT/scripts/pg-tmp.sh"
export PGTMP_EXTRA_CONF="shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.host = '127.0.0.1'"
pgtmp_start
export PGOPTIONS='-c client_min_messages=warning'

status=0
check() {  # check DESCRIPTION ACTUAL EXPECTED
    if [[ "$2" == "$3" ]]; then
        echo "ok: $1"
    else
        echo "FAILED: $1: got '$2', expected '$3'"
        status=1
    fi
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

echo "== the application database: ratings and a model"
createdb shop
q -d shop <<'SQL'
CREATE EXTENSION movie_recs;
SELECT * FROM movie_recs.load_demo_data(users => 2000, movies => 500, seed => 3);
SELECT model_id FROM train_movie_clusters(k => 10);
SQL

echo "== pg_cron in database postgres, the nightly job in database shop"
q -d postgres <<'SQL'
CREATE EXTENSION pg_cron;
SELECT cron.schedule_in_database(
    'movie_recs-nightly', '30 3 * * *',
    $$SELECT * FROM movie_recs.train_if_stale(max_age => '1 day', min_changed_fraction => 0.05)$$,
    'shop');
SQL
check "the job is scheduled in database shop at 03:30 as the scheduling user" \
    "$(q -d postgres -c "SELECT format('%s|%s|%s|%s', schedule, database, username, active) FROM cron.job WHERE jobname = 'movie_recs-nightly'")" \
    "30 3 * * *|shop|postgres|t"

# The job's command, as pg_cron runs it: in its database, as its user.
run_job() {
    local db user command
    db=$(q -d postgres -c "SELECT database FROM cron.job WHERE jobname = 'movie_recs-nightly'")
    user=$(q -d postgres -c "SELECT username FROM cron.job WHERE jobname = 'movie_recs-nightly'")
    command=$(q -d postgres -c "SELECT command FROM cron.job WHERE jobname = 'movie_recs-nightly'")
    q -d "$db" -U "$user" -F ' | ' -c "$command"
}
models() { q -d shop -c "SELECT count(*) FROM movie_recs.models"; }

out=$(run_job)
echo "  $out"
check "fresh model: the job does nothing" "$(cut -d' ' -f1 <<<"$out")" "f"
check "no new model" "$(models)" 1

q -d shop -c "INSERT INTO ratings SELECT user_id, movie_id + 1000, rating, rated_at FROM ratings WHERE user_id % 10 = 0"
out=$(run_job)   # the inserting session has ended: its statistics are flushed
echo "  $out"
check "10% new ratings: the job retrains" "$(cut -d' ' -f1 <<<"$out")" "t"
check "a second model, active" "$(q -d shop -c "SELECT count(*) || ' ' || max(model_id) FILTER (WHERE active) FROM movie_recs.models")" "2 2"
out=$(run_job)
echo "  $out"
check "right after: fresh again" "$(cut -d' ' -f1 <<<"$out")" "f"

q -d shop -c "SELECT pg_stat_reset_single_table_counters('ratings'::regclass)" >/dev/null
out=$(run_job)
echo "  $out"
check "statistics reset: changes unknown, the job retrains" "$(cut -d' ' -f1 <<<"$out")" "t"
case "$out" in
    *"were reset since model 2 was trained"*) echo "ok: the reason says the statistics were reset" ;;
    *) echo "FAILED: the reason does not mention the reset"; status=1 ;;
esac
out=$(run_job)
check "then fresh again" "$(cut -d' ' -f1 <<<"$out")" "f"

echo "== pg_cron runs a copy of the job every minute (waiting for the next minute)"
q -d postgres <<'SQL'
SELECT cron.schedule_in_database(
    'movie_recs-every-minute', '* * * * *',
    $$SELECT * FROM movie_recs.train_if_stale(max_age => '0 seconds', min_changed_fraction => 0.05)$$,
    'shop');
SQL
before=$(models)
result=""
for _ in $(seq 150); do
    result=$(q -d postgres -c "SELECT status || ' | ' || coalesce(return_message, '') FROM cron.job_run_details d
                                 JOIN cron.job j USING (jobid)
                                WHERE j.jobname = 'movie_recs-every-minute' AND d.status IN ('succeeded', 'failed')
                                ORDER BY d.runid LIMIT 1")
    [[ -n "$result" ]] && break
    sleep 1
done
q -d postgres -c "SELECT cron.unschedule('movie_recs-every-minute')" >/dev/null
echo "  cron.job_run_details: ${result:-no run within 150 s}"
check "pg_cron ran the job and it succeeded" "${result%% |*}" "succeeded"
check "the job trained a model" "$(models)" "$((before + 1))"
check "recorded as an activation by training, by the job's user" \
    "$(q -d shop -c "SELECT action || ' ' || activated_by FROM movie_recs.activations ORDER BY activation_id DESC LIMIT 1")" \
    "train postgres"
check "recommendations come from it" \
    "$(q -d shop -c "SELECT count(*) FROM recommend_movies(10, 5)")" 5

exit "$status"
