#!/usr/bin/env bash
# Fault e: the ratings table altered (a column's type changed, a column dropped or renamed) or
# dropped between two calls. recommend_movies() (in the session that has the model cached and in
# a new one) and train_movie_clusters() fail with the SQLSTATE of the change, never XX000 and
# never a crash, and recommend_movies() says the relation changed since training; a compatible
# change keeps both working. Once the table is restored both work again, with the same answers.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=faults_alter
faults_setup
trap 'rm -rf "$work"; dropdb --if-exists "$db"' EXIT
createdb "$db" || exit 1
q -d "$db" <<'SQL' >/dev/null || exit 1
SET client_min_messages = warning;
CREATE EXTENSION movie_recs;
SELECT count(*) FROM movie_recs.load_demo_data(users => 2000, movies => 500, seed => 7);
SELECT model_id FROM train_movie_clusters(k => 5, seed => 1);
CREATE TABLE ratings_backup AS SELECT * FROM ratings;
SQL
answers_before=$(answers "$db" 50)
restore="DROP TABLE ratings; CREATE TABLE ratings AS SELECT * FROM ratings_backup; CREATE INDEX ON ratings (user_id);"

# fault NAME CHANGE RESTORE RECOMMEND_SQLSTATE TRAIN_SQLSTATE
fault() {
    local name=$1 change=$2 undo=$3 want_rec=$4 want_train=$5 out=$work/$1
    psql -X -q -At -d "$db" -v VERBOSITY=verbose >"$out" 2>&1 <<SQL
SELECT 'warm:' || count(*) FROM recommend_movies(42, 10);
$change
SELECT count(*) FROM recommend_movies(42, 10);
\echo recommend (cached):sqlstate::SQLSTATE
\c
SELECT count(*) FROM recommend_movies(42, 10);
\echo recommend (new session):sqlstate::SQLSTATE
SELECT k FROM train_movie_clusters(k => 5, max_iterations => 3, activate => false);
\echo train:sqlstate::SQLSTATE
$undo
SQL
    echo "$name:"
    grep -E '^(ERROR|HINT|[a-z ()]+:sqlstate:)' "$out" | sed 's/^/  /'
    check "$name: recommend_movies() in the session that cached the model: $want_rec" \
        grep -q "^recommend (cached):sqlstate:$want_rec\$" "$out"
    check "$name: recommend_movies() in a new session: $want_rec" \
        grep -q "^recommend (new session):sqlstate:$want_rec\$" "$out"
    check "$name: train_movie_clusters(): $want_train" grep -q "^train:sqlstate:$want_train\$" "$out"
    if [[ "$want_rec" != 00000 ]]; then
        check "$name: recommend_movies() says the relation changed since training" \
            test "$(grep -c '^HINT:  Relation "public.ratings" changed after the active movie_recs model was trained on it' "$out")" -eq 2
    fi
    check "$name: the table is restored" test "$(q -d "$db" -c "SELECT count(*) = (SELECT count(*) FROM ratings_backup) FROM ratings")" = t
}

fault "rating column type changed to text" \
    "ALTER TABLE ratings ALTER COLUMN rating TYPE text USING 'r' || rating;" "$restore" 22P02 42804
fault "movie column type changed to text" \
    "ALTER TABLE ratings ALTER COLUMN movie_id TYPE text USING 'm' || movie_id;" "$restore" 22P02 42804
fault "user column type changed to text" \
    "ALTER TABLE ratings ALTER COLUMN user_id TYPE text;" "$restore" 42883 42804
fault "rating column dropped" "ALTER TABLE ratings DROP COLUMN rating;" "$restore" 42703 42703
fault "movie column renamed" "ALTER TABLE ratings RENAME COLUMN movie_id TO film_id;" "$restore" 42703 42703
fault "table renamed" "ALTER TABLE ratings RENAME TO ratings_renamed;" \
    "ALTER TABLE ratings_renamed RENAME TO ratings;" 42P01 42P01
fault "table dropped" "DROP TABLE ratings;" \
    "${restore#DROP TABLE ratings; }" 42P01 42P01
fault "table replaced by a view without the columns" \
    "DROP TABLE ratings; CREATE VIEW ratings AS SELECT user_id FROM ratings_backup;" \
    "DROP VIEW ratings; ${restore#DROP TABLE ratings; }" 42703 42703
fault "table replaced by a composite type" \
    "DROP TABLE ratings; CREATE TYPE ratings AS (user_id bigint);" \
    "DROP TYPE ratings; ${restore#DROP TABLE ratings; }" 42809 42809
fault "user column type changed to integer (compatible)" \
    "ALTER TABLE ratings ALTER COLUMN user_id TYPE integer;" "$restore" 00000 00000

# concurrent NAME CHANGE RESTORE RECOMMEND_SQLSTATE: a session that has the model cached calls
# recommend_movies() while another holds the change uncommitted; the change commits once the call
# waits for the table's lock (after it looked the table up by name).
concurrent() {
    local name=$1 change=$2 undo=$3 want_rec=$4 out=$work/concurrent-$1 relid
    relid=$(q -d "$db" -c "SELECT 'ratings'::regclass::oid")
    cat >"$work/changer.sql" <<SQL
BEGIN;
$change
DO \$\$ BEGIN
    FOR i IN 1..1200 LOOP
        EXIT WHEN EXISTS (SELECT FROM pg_locks WHERE relation = $relid AND NOT granted);
        PERFORM pg_sleep(0.05);
    END LOOP;
END \$\$;
COMMIT;
SQL
    local holds="SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'faults_changer' AND l.relation = $relid AND l.mode = 'AccessExclusiveLock' AND l.granted"
    psql -X -q -At -d "$db" -v VERBOSITY=verbose >"$out" 2>&1 <<SQL
SELECT 'warm:' || count(*) FROM recommend_movies(42, 10);
\! (PGAPPNAME=faults_changer psql -X -q -At -d "$db" -f "$work/changer.sql" >"$out.changer" 2>&1 &)
\! for i in \$(seq 600); do [ "\$(psql -X -At -d "$db" -c "$holds")" = 1 ] && break; sleep 0.1; done
SELECT count(*) FROM recommend_movies(42, 10);
\echo recommend (waited):sqlstate::SQLSTATE
SQL
    poll test "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'faults_changer'")" = 0
    echo "$name, committed while recommend_movies() waited for the table:"
    grep -E '^(ERROR|HINT|[a-z ()]+:sqlstate:)' "$out" | sed 's/^/  /'
    check "$name while recommend_movies() waited: $want_rec" grep -q "^recommend (waited):sqlstate:$want_rec\$" "$out"
    q -d "$db" -c "$undo" >/dev/null
    check "$name while recommend_movies() waited: the table is restored" test "$(q -d "$db" -c "SELECT count(*) = (SELECT count(*) FROM ratings_backup) FROM ratings")" = t
}

concurrent "table dropped" "DROP TABLE ratings;" "${restore#DROP TABLE ratings; }" 42P01
concurrent "movie column renamed" "ALTER TABLE ratings RENAME COLUMN movie_id TO film_id;" \
    "ALTER TABLE ratings RENAME COLUMN film_id TO movie_id;" 42703

# shellcheck disable=SC2016
check "no error was XX000 (internal)" eval '! grep -q -E "^ERROR:  XX|:sqlstate:XX" "$work"/*'
no_crash
check "after the restores recommend_movies() gives the same answers as before (50 users)" \
    equal "$(answers "$db" 50)" "$answers_before"
check "after the restores train_movie_clusters() succeeds" \
    equal "$(q -d "$db" -c "SELECT k FROM train_movie_clusters(k => 5, max_iterations => 3)")" 5
exit $((CHECKS_FAILED != 0))
