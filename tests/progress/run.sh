#!/usr/bin/env bash
# tests/progress/run.sh: a training in progress is visible from another session, and cancel and
# statement_timeout stop it, leaving nothing behind.
#
# Run by scripts/test.sh with the server's PG* variables exported. Creates and drops its own
# database. Prints one "ok"/"not ok" line per check; exits 1 when a check failed.
set -uo pipefail

db=movie_recs_progress_test
# shellcheck source=tests/lib/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }
session() { psql -X -q -At -d "$db"; }  # reads statements from stdin, goes on after errors

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" || exit 1
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '"$db"' WITH (FORCE)" >/dev/null 2>&1' EXIT
sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION movie_recs" \
    -c "CREATE TABLE ratings AS SELECT user_id, movie_id, rating FROM movie_recs.demo_ratings(20000, 3000, 7)" \
    -c "CREATE INDEX ON ratings (user_id)" || exit 1
# A training long enough to be watched: many clusters, no tolerance, a high iteration cap.
long="SELECT model_id FROM train_movie_clusters('ratings', k => 1000, max_iterations => 100000, tolerance => 0)"

# wait_for SQL-condition: polls (up to 120 s) until the query returns t.
wait_for() {
    local i
    for ((i = 0; i < 600; i++)); do
        [[ "$(sql -c "SELECT ($1)::boolean")" == t ]] && return 0
        sleep 0.2
    done
    return 1
}

# 1. Progress seen from another session, then pg_cancel_backend().
out=$(mktemp)
sql -c "SET application_name = 'movie_recs_progress_1'" -c "SET maintenance_work_mem = '1GB'" \
    -c "$long" >"$out" 2>&1 &
trainer=$!
watched="SELECT query FROM pg_stat_activity WHERE application_name = 'movie_recs_progress_1'"
check "pg_stat_activity shows the training's phase and elapsed time" \
    wait_for "EXISTS ($watched AND query ~ '^movie_recs training: .*, [0-9.]+ s elapsed \| SELECT model_id FROM train_movie_clusters')"
check "the phase moves on to k-means" \
    wait_for "EXISTS ($watched AND query ~ '^movie_recs training: k-means')"
check "pg_cancel_backend() is accepted" \
    test "$(sql -c "SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = 'movie_recs_progress_1'")" == t
wait "$trainer"
check "the cancelled training fails with 'canceling statement due to user request'" \
    grep -q "canceling statement due to user request" "$out"

# 2. statement_timeout, in a session that stays open: the statement text comes back.
coproc SESSION { session 2>&1; }
echo "SET application_name = 'movie_recs_progress_2'; SET maintenance_work_mem = '1GB'; SET statement_timeout = '2s';" >&"${SESSION[1]}"
echo "$long;" >&"${SESSION[1]}"
echo "SELECT 'after the timeout';" >&"${SESSION[1]}"
reply=""
while IFS= read -r -t 120 line <&"${SESSION[0]}"; do
    reply+="$line"$'\n'
    [[ "$line" == "after the timeout" ]] && break
done
check "statement_timeout stops the training" grep -q "canceling statement due to statement timeout" <<<"$reply"
check "after the error pg_stat_activity shows the session's own statement again" \
    test "$(sql -c "SELECT query FROM pg_stat_activity WHERE application_name = 'movie_recs_progress_2'")" == "SELECT 'after the timeout';"
echo '\q' >&"${SESSION[1]}"

# 3. Nothing is left behind; a successful training shows its own statement afterwards.
check "no model was written by the stopped trainings" test "$(sql -c "SELECT count(*) FROM movie_recs.models")" == 0
coproc SESSION3 { session 2>&1; }
echo "SET application_name = 'movie_recs_progress_3';" >&"${SESSION3[1]}"
statement="SELECT k FROM train_movie_clusters('ratings', 3, max_iterations => 2);"
echo "$statement" >&"${SESSION3[1]}"
IFS= read -r -t 120 line <&"${SESSION3[0]}"
check "a training after them succeeds" test "$line" == 3
check "once it is done, pg_stat_activity shows its statement, not its progress" \
    test "$(sql -c "SELECT query FROM pg_stat_activity WHERE application_name = 'movie_recs_progress_3'")" == "$statement"
echo '\q' >&"${SESSION3[1]}"
rm -f "$out"
exit $((CHECKS_FAILED != 0))
