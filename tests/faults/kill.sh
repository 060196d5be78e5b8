#!/usr/bin/env bash
# Fault a: the training backend is killed with SIGKILL in the middle of k-means. The postmaster
# resets every backend and runs crash recovery; afterwards the previously active model serves the
# same recommendations and the catalog holds exactly the rows it held before (no partial model,
# no row naming a model that does not exist).
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=$FAULTS_DB
faults_setup
model_before=$(active_model "$db")
answers_before=$(answers "$db" 300)
echo "before: model $model_before active; $state_before"

PGAPPNAME=faults_kill psql -X -q -At -d "$db" \
    -c "SET maintenance_work_mem = '1GB'" -c "SET movie_recs.progress = on" \
    -c "$LONG_TRAINING" >"$work/out" 2>&1 &
client=$!
check "the training is in k-means (progress NOTICE)" wait_for_file "$work/out" 'k-means iteration'
# One query finds the running training's backend, and the kill follows at once: the training
# converges within a second or two here, so no time is spent between its k-means line and the kill.
pid=$(q -d postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'faults_kill' AND state = 'active' AND query ~ 'train_movie_clusters'")
check "pg_stat_activity shows the training running" test -n "$pid"
echo "killing backend $pid with SIGKILL after $(grep -c 'k-means iteration' "$work/out") k-means iterations"
kill -KILL "$pid"
wait "$client"
check "the killed training's client lost its connection" \
    grep -q -E 'server closed the connection|connection to server was lost|terminat' "$work/out"
check "the server logs the backend's death by signal 9" \
    wait_for_log "$offset" "server process \(PID $pid\) was terminated by signal 9"
check "the server ran crash recovery" \
    wait_for_log "$offset" 'all server processes terminated; reinitializing'
check "the server accepts queries again" wait_ready
check "crash recovery ran (automatic recovery in progress)" \
    wait_for_log "$offset" 'not properly shut down; automatic recovery in progress'
check "the postmaster survived ($pm_before)" equal "$(postmaster_pid)" "$pm_before"

state_after=$(catalog_state_checked "$db")
echo "after:  model $(active_model "$db") active; $state_after"
check "the catalog holds the same rows as before (no partial model)" equal "$state_after" "$state_before"
check "no catalog row names a model that does not exist" equal "${state_after##*orphans=}" 0
check "the previously active model is active ($model_before)" equal "$(active_model "$db")" "$model_before"
check "it serves the same recommendations as before (300 users)" \
    equal "$(answers "$db" 300)" "$answers_before"
check "a training after recovery succeeds (the training lock was released)" \
    equal "$(q -d "$db" -c "SELECT k FROM train_movie_clusters(k => 5, max_iterations => 3, activate => false)")" 5
exit $((CHECKS_FAILED != 0))
