#!/usr/bin/env bash
# tests/leaf_reads/run.sh: recommend_movies() reads a user's ratings from the index's leaf pages
# (src/pg/btree_read.cpp) while other sessions insert, update and delete that user's ratings:
# the leaf pages split, items move right, entries die. In one snapshot the leaf read must give
# what the index access method gives (movie_recs.leaf_reads = off) for the same user: the same
# recommendations with the same scores and the same user_cluster() distances.
#
# Run by scripts/test.sh with the server's PG* variables exported. Creates and drops its own
# database. LEAF_READS_SECONDS (default 20): how long the writers and the checkers run.
# Prints one "ok"/"not ok" line per check; exits 1 when a check failed.
set -uo pipefail

db=movie_recs_leaf_reads_test
seconds=${LEAF_READS_SECONDS:-20}
# shellcheck source=tests/lib/check.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/check.sh"
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$db" "$@"; }

psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"; psql -X -q -d postgres -c "DROP DATABASE IF EXISTS '"$db"' WITH (FORCE)" >/dev/null 2>&1' EXIT

# 2000 demo users plus 40 busy ones (1000-1500 ratings each, several leaf pages), then the model.
sql -c "SET client_min_messages = warning" -c "CREATE EXTENSION movie_recs" \
    -c "CREATE TABLE ratings AS SELECT user_id, movie_id, rating FROM movie_recs.demo_ratings(2000, 400, 11)" \
    -c "INSERT INTO ratings SELECT 100000 + u, m, (u + m) % 10 / 2.0 + 0.5
          FROM generate_series(1, 40) u, generate_series(1, 400) m, generate_series(1, 3 + u % 2) c" \
    -c "CREATE INDEX ratings_user_movie_rating ON ratings (user_id, movie_id, rating)" \
    -c "VACUUM ANALYZE ratings" \
    -c "SELECT count(*) FROM train_movie_clusters('ratings', k => 6)" >/dev/null || exit 1

# One snapshot, both reads: the differences between the leaf read and the index scan for user u
# (recommendations with scores, then user_cluster() distances), as a count.
sql <<'SQL' || exit 1
CREATE FUNCTION differences(u bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    d bigint;
BEGIN
    CREATE TEMP TABLE leaf ON COMMIT DROP AS
        SELECT 'r' AS what, r.movie_id AS item, r.score AS value, r.source FROM recommend_movies(u, 1000) r
        UNION ALL
        SELECT 'c', c.cluster_id, c.distance, c.source FROM movie_recs.user_cluster(u) c;
    SET LOCAL movie_recs.leaf_reads = off;
    CREATE TEMP TABLE scan ON COMMIT DROP AS
        SELECT 'r' AS what, r.movie_id AS item, r.score AS value, r.source FROM recommend_movies(u, 1000) r
        UNION ALL
        SELECT 'c', c.cluster_id, c.distance, c.source FROM movie_recs.user_cluster(u) c;
    SET LOCAL movie_recs.leaf_reads = on;
    SELECT count(*) INTO d FROM ((TABLE leaf EXCEPT ALL TABLE scan)
                                 UNION ALL (TABLE scan EXCEPT ALL TABLE leaf)) x;
    RETURN d;
END $$;
CREATE TABLE results (u bigint, differences bigint, rows bigint);
SQL

cat >"$work/writer.sql" <<'SQL'
\set u 100001 + :client_id + 3 * random(0, 12)
\set m random(1, 4000)
\set r random(1, 10)
BEGIN;
INSERT INTO ratings SELECT :u, :m + i, :r / 2.0 FROM generate_series(0, 9) i;
DELETE FROM ratings WHERE ctid IN (SELECT ctid FROM ratings WHERE user_id = :u AND movie_id = :m % 400 + 1 LIMIT 2);
UPDATE ratings SET rating = 5.5 - rating WHERE user_id = :u AND movie_id = (:m + 7) % 400 + 1;
COMMIT;
SQL
cat >"$work/checker.sql" <<'SQL'
\set u random(100001, 100040)
BEGIN ISOLATION LEVEL REPEATABLE READ;
INSERT INTO results SELECT :u, differences(:u), (SELECT count(*) FROM ratings WHERE user_id = :u);
COMMIT;
SQL

# Each writer client has its own users (no row is written by two sessions: no lock waits).
before=$(sql -c "SELECT pg_relation_size('ratings_user_movie_rating') / 8192")
pgbench -n -c 3 -j 1 -T "$seconds" -f "$work/writer.sql" "$db" >"$work/writer.out" 2>&1 &
writer=$!
pgbench -n -c 3 -j 1 -T "$seconds" -f "$work/checker.sql" "$db" >"$work/checker.out" 2>&1
checker_rc=$?
wait "$writer"
writer_rc=$?

check "writers ran without a failed transaction ($(grep -o 'number of transactions actually processed: [0-9]*' "$work/writer.out"))" \
    test "$writer_rc" -eq 0 -a "$(grep -c 'number of failed transactions: 0 ' "$work/writer.out")" -eq 1
check "checkers ran without an error ($(grep -o 'number of transactions actually processed: [0-9]*' "$work/checker.out"))" \
    test "$checker_rc" -eq 0 -a "$(grep -c 'number of failed transactions: 0 ' "$work/checker.out")" -eq 1
read -r checks differing grown <<<"$(sql -F ' ' -c "SELECT count(*), count(*) FILTER (WHERE differences > 0),
    (SELECT count(*) FROM ratings WHERE user_id > 100000) - 40 * 1400 FROM results")"
echo "# $checks checks of a busy user in one snapshot; the busy users' ratings grew by $grown rows"
check "every check compared a user (at least 100 checks)" test "${checks:-0}" -ge 100
check "the leaf read and the index scan agreed in every check ($differing differed)" \
    test "${differing:-1}" -eq 0
# The writers must have split leaf pages while the checkers ran (the index only grows by splits).
after=$(sql -c "SELECT pg_relation_size('ratings_user_movie_rating') / 8192")
check "the index grew from $before to $after pages while the checkers read it" \
    test "${after:-0}" -gt "${before:-0}" -a "${grown:-0}" -gt 1000
exit $((CHECKS_FAILED != 0))
