#!/usr/bin/env bash
# demo.sh -- build and install movie_recs, start a throwaway PostgreSQL 15
# server, load the demo data, train the clusters and show recommendations.
#
# Usage: scripts/demo.sh [--keep]
#   --keep   leave the server running afterwards and print how to connect
#
# Environment: PG_CONFIG (default: PostgreSQL 15's pg_config), JOBS (default 2),
# PGTMP_PORT (first port tried, default 54329).
set -euo pipefail

usage() {
    sed -n '2,10s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}

KEEP=0
for arg in "$@"; do
    case "$arg" in
        --keep) KEEP=1 ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            echo "demo.sh: unknown argument '$arg'" >&2
            usage >&2
            exit 2
            ;;
    esac
done

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
JOBS=${JOBS:-2}

heading() {
    printf '\n==> %s\n' "$*"
}

heading "Install dependencies"
bash "$REPO_ROOT/scripts/install-deps.sh"

# shellcheck source=scripts/build-lib.sh
source "$REPO_ROOT/scripts/build-lib.sh"
resolve_pg_config

heading "Build and install the extension"
make -j"$JOBS" PG_CONFIG="$PG_CONFIG"
make_install PG_CONFIG="$PG_CONFIG"

heading "Start a throwaway PostgreSQL server"
# shellcheck source=scripts/pg-tmp.sh
source "$REPO_ROOT/scripts/pg-tmp.sh"
pgtmp_start # installs a trap that stops the server when this script exits

heading "Run the demo"
rc=0
psql -X -v ON_ERROR_STOP=1 -P pager=off --echo-queries <<'SQL' || rc=$?
\echo '--- 1. Create the extension'
CREATE EXTENSION movie_recs;

\echo '--- 2. Load the demo data set'
SELECT * FROM movie_recs.load_demo_data();

\echo '--- 3. Train the k-means movie clusters'
SELECT * FROM train_movie_clusters();

\echo '--- 4. Top 5 recommendations for users 1, 2 and 3'
SELECT u AS user_id, r.*, m.title
FROM unnest(ARRAY[1, 2, 3]) AS u
CROSS JOIN LATERAL recommend_movies(u, 5) AS r
JOIN movies AS m USING (movie_id)
ORDER BY u, r.rank;

\echo '--- 5. Size of each cluster of the active model'
SELECT cluster_id, size
FROM movie_recs.centroids
WHERE model_id = (SELECT model_id FROM movie_recs.models WHERE active)
ORDER BY cluster_id;
SQL

if ((rc != 0)); then
    echo "demo.sh: the demo queries failed (psql exit status $rc)" >&2
    if [[ -s "${PGTMP_LOG:-}" ]]; then
        echo "--- last 30 lines of the server log ($PGTMP_LOG) ---" >&2
        tail -n 30 "$PGTMP_LOG" >&2 || true
    fi
fi

if ((KEEP)); then
    dir=$PGTMP_DIR
    pgtmp_keep
    cat <<EOF

The server is still running (demo data loaded in database "postgres").
Connect with:
    export PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=postgres PGDATABASE=postgres
    psql
or over TCP:
    psql -h 127.0.0.1 -p $PGPORT -U postgres postgres
Stop it and remove its files with:
    $REPO_ROOT/scripts/pg-tmp.sh stop $dir
EOF
else
    heading "Stop the server"
    pgtmp_stop
fi

exit "$rc"
