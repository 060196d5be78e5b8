#!/usr/bin/env bash
# Fault f: pg_cancel_backend() and statement_timeout while the training is still READING the
# ratings, with the worker thread that collects the rows (core::RatingPipeline) running next to
# the backend's scan. The error leaves through read_ratings()'s PG_CATCH, which stops and joins
# the worker before it goes on. Each case checks that the stop struck during the reading, from the
# session's own progress lines (DEBUG2): it saw a "reading ratings, N rows" line, no line with
# the relation's row count (the last reading line, written once the scan has ended; the count is
# made not a multiple of the 8,192-row batches, at which the lines during the scan are written) and
# no line of a later phase. A stop that missed the reading is reported and retried, then fails.
# Then: SQLSTATE 57014, nothing written to the catalog, the worker gone (one thread left in the
# backend), the backend's memory given back, the same session trains at once, and no crash.
#   1. pg_cancel_backend() during the direct heap scan of a plain table of about 4M rows: a loop in
#      another session reads pg_stat_activity every millisecond and, in the statement that first
#      sees "reading ratings, N rows" with N > 0, reads the backend's thread count from /proc and
#      cancels it.
#   2. statement_timeout during the read by query (a view, which the direct scan does not read)
#      of a view that sleeps 4 ms on some rows: reading it takes over 6 s (demo data of 20,000
#      users), the timeout is 1 s (then 2 s, 4 s if it struck before the reading).
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=$FAULTS_DB
faults_setup
ATTEMPTS=3
MAX_RSS_GROWTH_KB=16384  # as in cancel.sh: far below what reading these rows takes

q -d "$db" <<'SQL' >/dev/null || exit 1
CREATE UNLOGGED TABLE faults_reading AS
    SELECT user_id + g::bigint * 1000000000 AS user_id, movie_id, rating
      FROM ratings, generate_series(0, 3) g;
INSERT INTO faults_reading SELECT -1, 1, 3 WHERE (SELECT count(*) % 8192 = 0 FROM faults_reading);
CREATE FUNCTION faults_pause(seconds float8) RETURNS boolean
    LANGUAGE sql VOLATILE AS 'SELECT true FROM pg_sleep(seconds)';
CREATE VIEW faults_slow_ratings AS
    SELECT user_id, movie_id, rating FROM ratings WHERE user_id % 500 <> 7 OR faults_pause(0.004);
SQL
trap 'q -d "$db" -c "DROP VIEW faults_slow_ratings; DROP FUNCTION faults_pause(float8); DROP TABLE faults_reading" >/dev/null; rm -rf "$work"' EXIT
table_rows=$(q -d "$db" -c "SELECT count(*) FROM faults_reading")
view_rows=$(q -d "$db" -c "SELECT count(*) FROM ratings")
slow_rows=$(q -d "$db" -c "SELECT count(*) FROM ratings WHERE user_id % 500 = 7")
echo "faults_reading: $table_rows rows; faults_slow_ratings: $view_rows rows, $slow_rows of them sleep 4 ms"

session_start faults_cancel_reading || exit 1
pid=$SESSION_BACKEND
send "SET maintenance_work_mem = '1GB';" "SET movie_recs.max_threads = 2;" \
     "SELECT 'ready:' || count(*) FROM recommend_movies(1, 10);"
expect '^ready:' || exit 1
anon_before=$(status_kb "$pid" RssAnon)

threads_of() { awk '$1 == "Threads:" { print $2 }' "/proc/$1/status"; }

# struck_while_reading ROWS: the session's lines in $REPLY_LINES show a reading that did not end
# (ROWS: what the relation holds) and no later phase.
struck_while_reading() {
    grep -q -E "reading ratings, [0-9]+ rows" <<<"$REPLY_LINES" &&
        ! grep -q -E "reading ratings, $1 rows|training phase|building the rating matrix" <<<"$REPLY_LINES"
}

# train_until_end TRAINING: the statement in the session at DEBUG2, then the end marker.
train_until_end() {
    send "SET client_min_messages = debug2;" "$1;" "RESET client_min_messages;" \
         "SELECT 'end:' || extract(epoch FROM clock_timestamp());"
    expect '^end:'
}

# stopped_while_reading HOW ROWS: the checks after a stop; the session's lines in $REPLY_LINES.
stopped_while_reading() {
    local how=$1 anon
    echo "$how: the session's last progress line: $(grep -o -E 'reading ratings, [0-9]+ rows' <<<"$REPLY_LINES" | tail -n 1)"
    check "$how: it struck while reading ($2 rows to read; no later phase)" struck_while_reading "$2"
    check "$how: SQLSTATE 57014" grep -q '^ERROR:  57014' <<<"$REPLY_LINES"
    check "$how: nothing written to the catalog" equal "$(catalog_state_checked "$db")" "$state_before"
    check "$how: the worker thread is gone (threads of the backend)" equal "$(threads_of "$pid")" 1
    anon=$(status_kb "$pid" RssAnon)
    check "$how: the backend's own memory is back (RssAnon grew $((anon - anon_before)) kB, bound $MAX_RSS_GROWTH_KB kB)" \
        test $((anon - anon_before)) -lt "$MAX_RSS_GROWTH_KB"
    send "SELECT 'trained:' || k FROM train_movie_clusters(k => 20, seed => 3, activate => false);"
    check "$how: the same session trains successfully right after" expect '^trained:20$'
    state_before=$(catalog_state_checked "$db")
}

# 1. pg_cancel_backend() during the direct heap scan.
WATCH="DO \$\$
DECLARE
    seen text;
    threads text;
    cancelled boolean;
    deadline timestamptz := clock_timestamp() + interval '120 s';
BEGIN
    WHILE clock_timestamp() < deadline LOOP
        PERFORM pg_stat_clear_snapshot();  -- else the first snapshot is read again and again
        SELECT query INTO seen FROM pg_stat_activity
         WHERE pid = $pid AND query ~ '^movie_recs training: reading ratings, [1-9]';
        IF seen IS NOT NULL THEN
            threads := substring(pg_read_file('/proc/$pid/status') FROM 'Threads:\s*(\d+)');
            cancelled := pg_cancel_backend($pid);
            RAISE NOTICE 'seen:% threads, cancelled %: %', threads, cancelled, split_part(seen, ' | ', 1);
            RETURN;
        END IF;
        PERFORM pg_sleep(0.001);
    END LOOP;
    RAISE NOTICE 'seen:nothing';
END \$\$"
for attempt in $(seq "$ATTEMPTS"); do
    PGAPPNAME=faults_reading_watch psql -X -q -At -d postgres -c "$WATCH" >"$work/watch" 2>&1 &
    watcher=$!
    wait_for_sql postgres "EXISTS (SELECT FROM pg_stat_activity WHERE application_name = 'faults_reading_watch' AND state = 'active')" ||
        { echo "the watching session did not start"; exit 1; }
    train_until_end "SELECT model_id FROM train_movie_clusters('faults_reading', k => 20, seed => 5, activate => false)" || exit 1
    wait "$watcher"
    seen=$(sed -n 's/^NOTICE:  seen://p' "$work/watch")
    echo "cancel: attempt $attempt: the watcher saw: ${seen:-$(cat "$work/watch")}"
    struck_while_reading "$table_rows" && break
    echo "cancel: it missed the reading (a busy machine?); the session printed:"
    grep -E 'ERROR|reading ratings|training phase' <<<"$REPLY_LINES" | sed 's/^/    /'
    state_before=$(catalog_state_checked "$db")  # a missed cancel may have written a model
done
check "cancel: the watcher saw the reading with rows read and cancelled it" \
    grep -q -E '^[0-9]+ threads, cancelled t: movie_recs training: reading ratings, [1-9]' <<<"$seen"
check "cancel: the worker thread ran when the cancel was sent (2 threads)" \
    grep -q -E '^2 threads' <<<"$seen"
stopped_while_reading cancel "$table_rows"

# 2. statement_timeout during the read by query of the slow view.
timeout=1
for attempt in $(seq "$ATTEMPTS"); do
    send "SET statement_timeout = '${timeout}s';"
    # While the timeout has not struck: the worker thread runs next to the read.
    (
        most=1
        for ((i = 0; i < 100 && most < 2; i++)); do
            n=$(threads_of "$pid")
            ((n > most)) && most=$n
            sleep 0.02
        done
        echo "$most" >"$work/threads"
    ) &
    watcher=$!
    train_until_end "SELECT model_id FROM train_movie_clusters('faults_slow_ratings', k => 20, seed => 5, activate => false)" || exit 1
    wait "$watcher"
    most=$(cat "$work/threads")
    send "RESET statement_timeout;"
    echo "statement_timeout: attempt $attempt with ${timeout} s; most threads seen during the read: $most"
    struck_while_reading "$view_rows" && break
    echo "statement_timeout: it missed the reading (a busy machine?); the session printed:"
    grep -E 'ERROR|reading ratings|training phase' <<<"$REPLY_LINES" | sed 's/^/    /'
    state_before=$(catalog_state_checked "$db")
    timeout=$((timeout * 2))
done
check "statement_timeout: the worker thread ran during the read (2 threads)" equal "$most" 2
stopped_while_reading statement_timeout "$view_rows"

session_end
no_crash
exit $((CHECKS_FAILED != 0))
