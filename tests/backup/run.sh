#!/usr/bin/env bash
# tests/backup/run.sh -- pg_dump and pg_restore keep the models: the catalog tables are extension
# configuration tables, so their rows and the identity sequences are dumped. A database with two
# models (one active, an activation history) is dumped and restored into a new database; the
# restored one serves the same recommendations, rolls back to the same model and numbers new
# models after the restored ones. Runs against the server of scripts/test.sh (PGHOST, PGPORT).
set -euo pipefail
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
export PGOPTIONS='-c client_min_messages=warning'
src=movie_recs_backup_src
dst=movie_recs_backup_dst
work=$(mktemp -d)
trap 'dropdb --if-exists $src; dropdb --if-exists $dst; rm -rf "$work"' EXIT
dropdb --if-exists $src
dropdb --if-exists $dst
createdb $src
q -d $src <<'SQL'
CREATE EXTENSION movie_recs;
SELECT count(*) FROM movie_recs.load_demo_data(users => 400, movies => 120, seed => 5);
SELECT model_id FROM train_movie_clusters(k => 4, seed => 1);
SELECT model_id FROM train_movie_clusters(k => 6, seed => 2);
SQL
recs="SELECT string_agg(format('%s:%s:%s', u, r.movie_id, r.score), ',' ORDER BY u, r.rank) FROM generate_series(1, 401) u, LATERAL recommend_movies(u, 5) r"
catalog="SELECT (SELECT count(*) FROM movie_recs.models) || '/' || (SELECT count(*) FROM movie_recs.assignments) || '/' || (SELECT count(*) FROM movie_recs.cluster_movies) || '/' || (SELECT string_agg(format('%s:%s:%s', model_id, action, previous_model_id), ' ' ORDER BY activation_id) FROM movie_recs.activations)"

pg_dump -Fc -d $src -f "$work/db.dump"
createdb $dst
pg_restore -d $dst "$work/db.dump"

status=0
check() {
    if [[ "$2" == "$3" ]]; then echo "ok: $1"; else echo "FAILED: $1: got '$2', expected '$3'"; status=1; fi
}
check "the catalog is restored (models/assignments/lists/history)" "$(q -d $dst -c "$catalog")" "$(q -d $src -c "$catalog")"
check "the restored database serves the same recommendations" "$(q -d $dst -c "$recs")" "$(q -d $src -c "$recs")"
check "rollback_model() returns to model 1" "$(q -d $dst -c "SELECT active_model_id FROM movie_recs.rollback_model()")" 1
check "a new model is numbered after the restored ones" "$(q -d $dst -c "SELECT model_id FROM train_movie_clusters(k => 3)")" 3
exit "$status"
