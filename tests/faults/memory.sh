#!/usr/bin/env bash
# Fault d: maintenance_work_mem too small for the data. Two limits: one the ratings alone exceed
# while they are read, and one the training's estimate (matrix, centroids, threads) exceeds once
# the matrix is built. Each gives SQLSTATE 53200 with a hint naming maintenance_work_mem, no
# crash (same postmaster, the session goes on, no process terminated by a signal), and leaves the
# catalog unchanged; the amount the second hint suggests is enough to train.
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=$FAULTS_DB
faults_setup
psql -X -q -At -d "$db" -v VERBOSITY=verbose >"$work/out" 2>&1 <<'SQL'
SELECT 'pid:' || pg_backend_pid();
SET maintenance_work_mem = '1MB';
SELECT model_id FROM train_movie_clusters(k => 20, max_iterations => 3);
\echo reading:sqlstate::LAST_ERROR_SQLSTATE
SET maintenance_work_mem = '32MB';
SELECT model_id FROM train_movie_clusters(k => 200, max_iterations => 3);
\echo estimate:sqlstate::LAST_ERROR_SQLSTATE
SELECT 'pid:' || pg_backend_pid();
SQL
sed 's/^/  /' "$work/out"

# section NAME: the output lines of the statement before the marker NAME.
section() { awk -v m="$1:" 'index($0, m) == 1 { print; exit } { print }' "$work/out" | tac | awk 'NR > 1 && /^[a-z]+:sqlstate:/ { exit } { print }' | tac; }
for phase in reading estimate; do
    s=$(section "$phase")
    check "$phase: SQLSTATE 53200" grep -q "^$phase:sqlstate:53200\$" <<<"$s"
    check "$phase: the message says what is needed and what maintenance_work_mem is" \
        grep -q -E '^ERROR:  53200: training needs .* of memory but maintenance_work_mem is ' <<<"$s"
    check "$phase: the hint names the setting" grep -q -E "^HINT: .*SET maintenance_work_mem = '[0-9]+[kM]B'" <<<"$s"
done
check "the session survived both errors (same backend)" \
    test "$(grep -c '^pid:' "$work/out")" -eq 2 -a "$(grep '^pid:' "$work/out" | sort -u | wc -l)" -eq 1
no_crash
check "the catalog is unchanged" equal "$(catalog_state_checked "$db")" "$state_before"

# The estimate's hint is enough.
setting=$(section estimate | sed -n "s/^HINT: .*SET maintenance_work_mem = '\([0-9]*[kM]B\)'.*/\1/p")
echo "the estimate's hint suggests $setting"
check "with maintenance_work_mem = '$setting' (the hint's amount) the training succeeds" \
    equal "$(q -d "$db" -c "SET maintenance_work_mem = '$setting'" -c "SELECT k FROM train_movie_clusters(k => 200, max_iterations => 3, activate => false)")" 200
exit $((CHECKS_FAILED != 0))
