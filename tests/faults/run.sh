#!/usr/bin/env bash
# tests/faults/run.sh -- faults during training and serving, each an automated check:
#   a. kill.sh     the training backend killed with SIGKILL mid-training (crash recovery)
#   b. cancel.sh   pg_cancel_backend() and statement_timeout mid-training
#   c. restart.sh  pg_ctl restart -m fast while 16 pgbench clients call recommend_movies()
#   d. memory.sh   maintenance_work_mem too small for the data
#   e. altered.sh  the ratings table altered or dropped between two calls
#   f. cancel_reading.sh  pg_cancel_backend() and statement_timeout while the ratings are read
# Starts its own server (scripts/pg-tmp.sh, as OS user postgres when run as root; stopped and
# removed on exit): a crash and a restart must not hit the server of scripts/test.sh. Prints one
# "ok"/"not ok" line per check and a summary; exits 1 when a check failed.
set -uo pipefail

REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
HERE=$REPO_ROOT/tests/faults
cd "$REPO_ROOT" || exit 1
export FAULTS_DB=faults FAULTS_USERS=${FAULTS_USERS:-20000} FAULTS_MOVIES=${FAULTS_MOVIES:-3000}

# shellcheck source=scripts/pg-tmp.sh
source "$REPO_ROOT/scripts/pg-tmp.sh"
# Our own server, whatever the caller's PG* variables say.
unset PGHOST PGPORT PGDATABASE PGOPTIONS
export PGTMP_EXTRA_CONF="log_line_prefix = '%m [%p] app=%a '"
pgtmp_start || exit 1
OUT=$(mktemp)
trap 'pgtmp_stop; rm -f "$OUT"' EXIT
export PGTMP_DIR PGTMP_DATA PGTMP_LOG PG_BIN

echo "== setup: $FAULTS_USERS users, $FAULTS_MOVIES movies, an active model"
createdb "$FAULTS_DB" || exit 1
psql -X -q -At -v ON_ERROR_STOP=1 -d "$FAULTS_DB" <<SQL >/dev/null || exit 1
SET client_min_messages = warning;
CREATE EXTENSION movie_recs;
SELECT count(*) FROM movie_recs.load_demo_data(users => $FAULTS_USERS, movies => $FAULTS_MOVIES, seed => 7);
SELECT model_id FROM train_movie_clusters(k => 20, seed => 1);
SQL

# FAULTS_ONLY="kill.sh cancel.sh": run only these.
read -r -a scripts <<<"${FAULTS_ONLY:-kill.sh cancel.sh restart.sh memory.sh altered.sh cancel_reading.sh}"
failed_scripts=()
for s in "${scripts[@]}"; do
    echo "== $s"
    bash "$HERE/$s" 2>&1 | tee -a "$OUT"
    rc=${PIPESTATUS[0]}
    if ((rc != 0)); then
        failed_scripts+=("$s (exit status $rc)")
    fi
    # Each fault leaves the server up for the next one.
    if ! up=$(psql -X -At -d postgres -c 'SELECT 1' 2>&1); then
        echo "not ok - the server is up after $s: $up" | tee -a "$OUT"
        break
    fi
done

passed=$(grep -c '^ok - ' "$OUT")
failed=$(grep -c '^not ok - ' "$OUT")
echo "faults: $passed passed, $failed failed"
if ((failed != 0 || ${#failed_scripts[@]} != 0)); then
    printf 'failing: %s\n' "${failed_scripts[@]}"
    exit 1
fi
exit 0
