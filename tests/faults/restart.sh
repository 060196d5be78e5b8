#!/usr/bin/env bash
# Fault c: `pg_ctl restart -m fast` while 16 pgbench clients call recommend_movies() for random
# users. The clients connected at the restart fail (expected); after it, a new pgbench run of 16
# clients succeeds in every transaction, and every answer (checked inside the transaction) is the
# one the active model gave before the restart, from the same model.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=$FAULTS_DB
CLIENTS=16
USERS=2000
faults_setup

# The answers before the restart, one row per user.
q -d "$db" <<SQL || exit 1
CREATE TABLE faults_expected AS
SELECT u AS user_id, (SELECT model_id FROM movie_recs.models WHERE active) AS model_id,
       array_agg(r.movie_id ORDER BY r.rank) AS movie_ids, array_agg(r.score ORDER BY r.rank) AS scores
  FROM generate_series(1, $USERS) u, LATERAL recommend_movies(u, 10) r
 GROUP BY u;
CREATE UNIQUE INDEX ON faults_expected (user_id);
SQL
model=$(active_model "$db")
echo "model $model active; answers of $USERS users recorded"

# A transaction fails (division by zero) unless the answer and the model are the expected ones.
cat >"$work/recs.sql" <<SQL
\set uid random(1, $USERS)
SELECT 1 / ((SELECT model_id FROM movie_recs.models WHERE active) = e.model_id
            AND (SELECT array_agg(r.movie_id ORDER BY r.rank) FROM recommend_movies(:uid, 10) r) = e.movie_ids
            AND (SELECT array_agg(r.score ORDER BY r.rank) FROM recommend_movies(:uid, 10) r) = e.scores)::int
  FROM faults_expected e WHERE e.user_id = :uid;
SQL

# pgbench_ok REPORT TRANSACTIONS: every transaction processed, none failed.
pgbench_ok() {
    grep -q "^number of transactions actually processed: $2/$2\$" "$1" &&
        grep -q '^number of failed transactions: 0 ' "$1"
}
report() { grep -E '^(number of (transactions actually processed|failed transactions)|tps)' "$1" | sed 's/^/  /'; }

pgbench -n -d "$db" -c "$CLIENTS" -j 2 -t 20 -f "$work/recs.sql" >"$work/before" 2>&1
rc=$?
report "$work/before"
check "before the restart: $CLIENTS clients x 20 calls, all answers as expected" \
    test "$rc" -eq 0 -a -n "$(pgbench_ok "$work/before" $((CLIENTS * 20)) && echo y)"

pgbench -n -d "$db" -c "$CLIENTS" -j 2 -T 60 -f "$work/recs.sql" >"$work/during" 2>&1 &
bench=$!
check "$CLIENTS pgbench clients are connected and calling" wait_for_sql "$db" \
    "(SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench') = $CLIENTS AND (SELECT sum(n_tup_ins + seq_scan + idx_scan) FROM pg_stat_user_tables WHERE relname = 'faults_expected') > 100"
sleep 2
as_owner "$PG_BIN/pg_ctl" -D "$PGTMP_DATA" -l "$PGTMP_LOG" -m fast -w -t 60 restart >"$work/pg_ctl" 2>&1
check "pg_ctl restart -m fast succeeded" test $? -eq 0
wait "$bench"
rc=$?
report "$work/during"
echo "  pgbench exit status at the restart: $rc; $(grep -c -E 'terminating connection|server closed the connection|connection to server .* lost|administrator command' "$work/during") client error lines"
check "the clients connected at the restart failed (expected: pgbench exit status $rc)" test "$rc" -ne 0
check "the server was restarted (new postmaster: $pm_before -> $(postmaster_pid))" test "$(postmaster_pid)" != "$pm_before"
check "the server logged the fast shutdown" wait_for_log "$offset" 'received fast shutdown request'
check "the server accepts queries again" wait_ready

pgbench -n -d "$db" -c "$CLIENTS" -j 2 -t 50 -f "$work/recs.sql" >"$work/after" 2>&1
rc=$?
report "$work/after"
check "after the restart: every client's calls succeed ($CLIENTS clients x 50, 0 failed, pgbench exit status $rc)" \
    test "$rc" -eq 0 -a -n "$(pgbench_ok "$work/after" $((CLIENTS * 50)) && echo y)"
check "after the restart: the same model ($model) serves the same answers" \
    equal "$(q -d "$db" -c "SELECT count(*) FROM faults_expected e, LATERAL (SELECT array_agg(r.movie_id ORDER BY r.rank) AS m, array_agg(r.score ORDER BY r.rank) AS s FROM recommend_movies(e.user_id, 10) r) x WHERE e.model_id = $model AND (x.m, x.s) = (e.movie_ids, e.scores)")" "$USERS"
q -d "$db" -c "DROP TABLE faults_expected"
exit $((CHECKS_FAILED != 0))
