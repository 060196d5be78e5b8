#!/usr/bin/env bash
# tests/concurrency/run.sh -- recommend_movies() under load while models are retrained.
#
# pgbench runs 16 clients calling recommend_movies() (each response recorded, in a table of the
# client's own, with the model that was active in the same snapshot) for CONCURRENCY_SECONDS
# (default 60) in total while trainings run back to back the whole time:
#   1. a plain training;
#   2. a training in an open transaction, during which a second session tries to train (it must
#      fail at once with 55P03 naming the first) and a third session trains with wait => true
#      (it must wait, then run as soon as 2 commits: that is training 3);
#   4... plain trainings, each with another seed, started until CONCURRENCY_SECONDS have passed.
# The clients ask for CONCURRENCY_SERVED_USERS (default 3000) known users and 100 unknown ones, so
# that the answers of every model can be recomputed in reasonable time.
# Then it checks:
#   - pgbench: zero failed transactions, every transaction recorded a response, and pgbench ran
#     for CONCURRENCY_SECONDS while trainings ran;
#   - every response is complete (10 movies) and came from a complete model: for every model that
#     served, the model is activated again afterwards and every recorded response is compared
#     with recommend_movies() from that model (movie ids and scores, exactly);
#   - every model that was active during the run served, and the models differ (so a response
#     from a half-written or wrong model could not pass unnoticed);
#   - recommend_movies() never waited for a lock: with log_lock_waits and deadlock_timeout = 10ms
#     the server logs every lock wait over 10 ms; none comes from pgbench, while the training
#     that waited is logged (the detector works).
# Runs its own server (scripts/pg-tmp.sh) and prints the figures.
set -euo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$REPO_ROOT"
USERS=${CONCURRENCY_USERS:-12000}
MOVIES=${CONCURRENCY_MOVIES:-2000}
SECONDS_UNDER_LOAD=${CONCURRENCY_SECONDS:-60}
SERVED=${CONCURRENCY_SERVED_USERS:-3000}
CLIENTS=16
CHUNK_SECONDS=5

# shellcheck source=scripts/pg-tmp.sh
source "$REPO_ROOT/scripts/pg-tmp.sh"
export PGTMP_EXTRA_CONF="log_lock_waits = on
deadlock_timeout = '10ms'
log_line_prefix = '%m [%p] app=%a '
max_connections = 60"
pgtmp_start
WORK=$(mktemp -d)
trap 'pgtmp_stop; rm -rf "$WORK"' EXIT
export PGDATABASE=concurrency PGOPTIONS='-c client_min_messages=warning'
createdb concurrency

fail() {
    echo "FAIL: $*"
    exit 1
}
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }

echo "== setup: $USERS users, $MOVIES movies, an initial model"
q <<SQL
CREATE EXTENSION movie_recs;
SELECT * FROM movie_recs.load_demo_data(users => $USERS, movies => $MOVIES, seed => 7);
SELECT model_id FROM train_movie_clusters(k => 20, seed => 1);
-- One table per pgbench client, so that recording the responses makes no client wait for
-- another (relation extension locks); the view served has them all.
CREATE TABLE served_template (
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    user_id   bigint NOT NULL,
    model_id  bigint,
    movie_ids bigint[] NOT NULL,
    scores    double precision[] NOT NULL);
SELECT format('CREATE TABLE served_%s (LIKE served_template INCLUDING DEFAULTS)', c) FROM generate_series(0, $CLIENTS - 1) c \gexec
SELECT 'CREATE VIEW served AS ' || string_agg(format('SELECT * FROM served_%s', c), ' UNION ALL ') FROM generate_series(0, $CLIENTS - 1) c \gexec
SQL
initial=$(q -c "SELECT model_id FROM movie_recs.models WHERE active")

# One transaction per call: the response and the active model in one snapshot. Users beyond
# $USERS are unknown to the models (they get the popular list).
cat >"$WORK/recs.sql" <<SQL
\set uid random($((USERS - SERVED + 1)), $((USERS + 100)))
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO served_:client_id (user_id, model_id, movie_ids, scores)
SELECT :uid, (SELECT model_id FROM movie_recs.models WHERE active),
       coalesce(array_agg(r.movie_id ORDER BY r.rank), '{}'),
       coalesce(array_agg(r.score ORDER BY r.rank), '{}')
  FROM recommend_movies(:uid, 10) r;
COMMIT;
SQL

trainer() {
    PGAPPNAME=trainer q -c "SELECT 'training 1: model ' || model_id FROM train_movie_clusters(k => 20, seed => 2)"
    # Training 2 holds the training lock until its transaction commits.
    PGAPPNAME=trainer q <<SQL
BEGIN;
SELECT 'training 2: model ' || model_id FROM train_movie_clusters(k => 20, seed => 3);
\o $WORK/holder
SELECT pg_backend_pid();
\o
\! PGAPPNAME=trainer_probe psql -X -q -At -v VERBOSITY=verbose -c "SELECT model_id FROM train_movie_clusters(k => 20, seed => 9)" > $WORK/probe.out 2>&1; echo \$? > $WORK/probe.rc
\! (PGAPPNAME=trainer_wait psql -X -q -At -v ON_ERROR_STOP=1 -c "SELECT 'training 3: model ' || model_id FROM train_movie_clusters(k => 20, seed => 4, wait => true)" > $WORK/waiter.out 2>&1; echo \$? > $WORK/waiter.rc) &
\! for i in \$(seq 600); do [ "\$(psql -X -At -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 1297237315")" = 1 ] && break; sleep 0.1; done
SELECT 'waiting sessions: ' || count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = 1297237315;
COMMIT;
SQL
    for _ in $(seq 6000); do [[ -s "$WORK/waiter.rc" ]] && break; sleep 0.1; done
    cat "$WORK/waiter.out"
    # Back to back until the time under load is over.
    local n=4
    while ((SECONDS < deadline)); do
        PGAPPNAME=trainer q -c "SELECT 'training $n: model ' || model_id FROM train_movie_clusters(k => 20, seed => $((n + 1)))"
        n=$((n + 1))
    done
}

echo "== load: pgbench, $CLIENTS clients, in chunks of ${CHUNK_SECONDS}s for ${SECONDS_UNDER_LOAD}s while trainings run back to back"
deadline=$((SECONDS + SECONDS_UNDER_LOAD))
trainer >"$WORK/trainer.out" 2>&1 &
trainer_pid=$!
chunks=0
pgbench_rc=0
pgbench_seconds=0
run_chunk() {
    local seconds=$1
    chunks=$((chunks + 1))
    pgbench_seconds=$((pgbench_seconds + seconds))
    pgbench -n -c "$CLIENTS" -j 2 -T "$seconds" -f "$WORK/recs.sql" >"$WORK/pgbench.$chunks" 2>&1 || pgbench_rc=$?
}
while kill -0 "$trainer_pid" 2>/dev/null; do
    run_chunk "$CHUNK_SECONDS"
done
wait "$trainer_pid" || fail "the trainer failed: $(cat "$WORK/trainer.out")"
seconds_while_training=$pgbench_seconds
run_chunk 2   # after the last commit: the final model under load
cat "$WORK/trainer.out"
trainings=$(grep -c '^training [0-9]*: model ' "$WORK/trainer.out")

transactions=0
failed=0
for f in "$WORK"/pgbench.*; do
    t=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$f")
    x=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$f")
    [[ -n "$t" && -n "$x" ]] || fail "cannot read the pgbench report $f: $(cat "$f")"
    transactions=$((transactions + t))
    failed=$((failed + x))
done
echo "pgbench: $chunks runs, ${pgbench_seconds}s (${seconds_while_training}s while $trainings trainings ran back to back), $transactions transactions, $failed failed (exit status $pgbench_rc)"
grep -h -E '^(latency average|tps)' "$WORK"/pgbench.* | sort | uniq -c | sed 's/^/  /' | head -20

# ---------------------------------------------------------------------------------------------
echo "== checks"
status=0
check() {  # check DESCRIPTION COMMAND...: runs the command, prints ok/FAILED
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAILED: $what"; status=1; fi
}
equal() { [[ "$1" == "$2" ]] || { echo "  got '$1', expected '$2'"; return 1; }; }

check "pgbench exit status 0" equal "$pgbench_rc" 0
check "pgbench ran ${seconds_while_training}s while trainings ran (at least ${SECONDS_UNDER_LOAD}s)" \
    test "$seconds_while_training" -ge "$SECONDS_UNDER_LOAD"
check "zero failed transactions" equal "$failed" 0
served=$(q -c "SELECT count(*) FROM served")
check "every transaction recorded its response ($served rows)" equal "$served" "$transactions"
check "every response names the model active in its snapshot" \
    equal "$(q -c "SELECT count(*) FROM served WHERE model_id IS NULL")" 0
check "every response has 10 movies" \
    equal "$(q -c "SELECT count(*) FROM served WHERE cardinality(movie_ids) <> 10 OR cardinality(scores) <> 10")" 0

# The probe: failed at once, naming training 2's session.
holder=$(cat "$WORK/holder")
check "the concurrent training failed (exit status)" equal "$(cat "$WORK/probe.rc")" 1
check "with 55P03 'another movie_recs training is running in this database' naming process $holder" \
    grep -q "55P03: another movie_recs training is running in this database" "$WORK/probe.out"
grep -q "Process $holder (role" "$WORK/probe.out" || { echo "FAILED: the error does not name process $holder"; status=1; }
sed 's/^/  /' "$WORK/probe.out"
check "the training with wait => true waited and then succeeded" equal "$(cat "$WORK/waiter.rc")" 0

models=$(q -c "SELECT string_agg(model_id::text, ' ' ORDER BY model_id) FROM movie_recs.models")
check "$((trainings + 1)) models: the initial one and $trainings trainings ($models)" \
    equal "$(q -c "SELECT count(*) FROM movie_recs.models")" $((trainings + 1))
check "the history: each training activated its model in turn" \
    equal "$(q -c "SELECT string_agg(format('%s<-%s', model_id, coalesce(previous_model_id::text, '-')), ' ' ORDER BY activation_id) FROM movie_recs.activations")" \
          "$(q -c "SELECT string_agg(format('%s<-%s', model_id, coalesce(previous::text, '-')), ' ' ORDER BY model_id) FROM (SELECT model_id, lag(model_id) OVER (ORDER BY model_id) AS previous FROM movie_recs.models) m")"
echo "responses per model:"
q -c "SELECT format('  model %s: %s responses, %s to %s', model_id, count(*), min(at)::time, max(at)::time) FROM served GROUP BY model_id ORDER BY model_id"
check "every model that was active during the run served" \
    equal "$(q -c "SELECT count(DISTINCT model_id) FROM served")" $((trainings + 1))

# Every response against the complete model: activate each model in turn and recompute, for the
# users it served and 200 users every model is compared on.
sample="SELECT generate_series($((USERS - SERVED + 1)), $((USERS - SERVED + 200)))"
final=$(q -c "SELECT model_id FROM movie_recs.models WHERE active")
mismatches=0
for m in $(q -c "SELECT DISTINCT model_id FROM served ORDER BY 1"); do
    n=$(q <<SQL
SELECT NULL FROM movie_recs.activate_model($m);
CREATE TABLE expected_$m AS
    SELECT u.user_id, array_agg(r.movie_id ORDER BY r.rank) AS movie_ids, array_agg(r.score ORDER BY r.rank) AS scores
      FROM (SELECT user_id FROM served WHERE model_id = $m UNION $sample) u(user_id),
           LATERAL recommend_movies(u.user_id, 10) r
     GROUP BY u.user_id;
SELECT count(*) FROM served s JOIN expected_$m e USING (user_id)
 WHERE s.model_id = $m AND (s.movie_ids, s.scores) IS DISTINCT FROM (e.movie_ids, e.scores);
SQL
    )
    n=$(echo "$n" | tail -1)
    echo "  model $m: $n responses differ from the complete model"
    mismatches=$((mismatches + n))
done
q -c "SELECT NULL FROM movie_recs.activate_model($final)" >/dev/null
check "every response equals the complete model's answer (0 mismatches)" equal "$mismatches" 0
# The check can tell the models apart: consecutive models answer differently for most users.
prev=""
for m in $(q -c "SELECT model_id FROM movie_recs.models ORDER BY 1"); do
    if [[ -n "$prev" ]]; then
        d=$(q -c "SELECT round(avg(((a.movie_ids, a.scores) IS DISTINCT FROM (b.movie_ids, b.scores))::int), 3)
                    FROM expected_$prev a JOIN expected_$m b USING (user_id) WHERE user_id IN ($sample)")
        check "models $prev and $m answer differently for $d of the users (> 0.5: a wrong model would be caught)" \
            test "$(q -c "SELECT $d > 0.5")" = t
    fi
    prev=$m
done

# Lock waits.
log_waits_pgbench=$(grep -c "app=pgbench.*still waiting for" "$PGTMP_LOG" || true)
log_waits_trainer=$(grep -c "app=trainer_wait.*still waiting for" "$PGTMP_LOG" || true)
check "recommend_movies never waited for a lock over 10 ms (log_lock_waits: $log_waits_pgbench from pgbench)" \
    equal "$log_waits_pgbench" 0
check "the detector works: the training with wait => true was logged waiting ($log_waits_trainer)" \
    test "$log_waits_trainer" -ge 1

echo "concurrency: $transactions transactions, $failed failed, $mismatches mismatches, $served responses from $(q -c "SELECT count(DISTINCT model_id) FROM served") models"
exit "$status"
