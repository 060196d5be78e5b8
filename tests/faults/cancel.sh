#!/usr/bin/env bash
# Fault b: pg_cancel_backend() and statement_timeout in the middle of k-means. Each stops the
# training with SQLSTATE 57014 within a second (the delay is measured on the server's clock and
# printed), writes nothing, leaves the session able to train at once, and gives back the memory
# the training took (VmRSS of the backend before and after, from /proc/PID/status).
set -uo pipefail
# shellcheck source=tests/faults/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
db=$FAULTS_DB
# Margins: the delay is asserted with a generous bound (a busy machine), the memory with a bound
# far below what one training takes (the peak growth is printed next to it).
MAX_DELAY_SECONDS=5
MAX_RSS_GROWTH_KB=16384

session_start faults_cancel || exit 1
pid=$SESSION_BACKEND
send "SET maintenance_work_mem = '1GB';" "SET movie_recs.progress = on;" \
     "SELECT 'cached:' || count(*) FROM recommend_movies(1, 10);"
expect '^cached:' || exit 1
state_before=$(catalog_state_checked "$db")
rss_before=$(status_kb "$pid" VmRSS)
anon_before=$(status_kb "$pid" RssAnon)
echo "backend $pid (library loaded, model cached): VmRSS ${rss_before} kB (RssAnon ${anon_before} kB, RssShmem $(status_kb "$pid" RssShmem) kB), VmHWM $(status_kb "$pid" VmHWM) kB"

# stopped_training HOW: checks one stopped training whose output is in $REPLY_LINES, with the
# stop at server time $2 and the end of the statement at $3 (epoch seconds).
stopped_training() {
    local how=$1 delay rss hwm
    delay=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.3f", b - a }')
    echo "$how: 57014 after $delay s; k-means iterations before it: $(grep -c 'k-means iteration' <<<"$SEEN_LINES$REPLY_LINES")"
    # The cancel strikes after a k-means progress line (so mid-k-means by construction); the
    # timeout strikes wherever the training is at that moment on this machine (reported above).
    if [[ "$how" == cancel ]]; then
        check "$how: the training was in k-means when stopped" grep -q 'k-means iteration' <<<"$SEEN_LINES$REPLY_LINES"
    fi
    check "$how: SQLSTATE 57014" grep -q '^ERROR:  57014' <<<"$REPLY_LINES"
    check "$how: stopped within $MAX_DELAY_SECONDS s (measured $delay s)" \
        awk -v d="$delay" -v m="$MAX_DELAY_SECONDS" 'BEGIN { exit !(d >= 0 && d < m) }'
    check "$how: nothing written to the catalog" equal "$(catalog_state_checked "$db")" "$state_before"
    rss=$(status_kb "$pid" VmRSS)
    hwm=$(status_kb "$pid" VmHWM)
    anon=$(status_kb "$pid" RssAnon)
    echo "$how: VmRSS before ${rss_before} kB, peak (VmHWM) ${hwm} kB, after ${rss} kB; private memory (RssAnon) before ${anon_before} kB, after ${anon} kB; shared buffers mapped (RssShmem) after $(status_kb "$pid" RssShmem) kB"
    # VmRSS also counts the shared buffers the backend has touched (RssShmem: the ratings read,
    # up to shared_buffers), which are not its own memory; RssAnon is.
    check "$how: the backend's own memory is back (RssAnon grew $((anon - anon_before)) kB, bound $MAX_RSS_GROWTH_KB kB)" \
        test $((anon - anon_before)) -lt "$MAX_RSS_GROWTH_KB"
    check "$how: the training had taken memory (its peak VmHWM $((hwm - rss_before)) kB above the start, more than the bound)" \
        test $((hwm - rss_before)) -gt "$MAX_RSS_GROWTH_KB"
}

# trains_again HOW: the same session trains successfully right after (not activated: the model
# served stays the same for the other fault scripts).
trains_again() {
    send "SELECT 'trained:' || k FROM train_movie_clusters(k => 20, seed => 3, activate => false);"
    check "$1: the same session trains successfully right after" expect '^trained:20$'
    echo "$1: after the successful training VmRSS $(status_kb "$pid" VmRSS) kB, RssAnon $(status_kb "$pid" RssAnon) kB"
    state_before=$(catalog_state_checked "$db")
}

# reset_peak: VmHWM starts again from the current VmRSS (so each case shows its own peak).
reset_peak() { echo 5 >"/proc/$pid/clear_refs"; }

# 1. pg_cancel_backend() from another session.
reset_peak
send "$LONG_TRAINING;" "SELECT 'end:' || extract(epoch FROM clock_timestamp());"
expect 'k-means iteration' || exit 1
SEEN_LINES=$REPLY_LINES
# One statement sees the training in pg_stat_activity and cancels it: the training converges
# within a second or two here, so no time is spent between its first k-means line and the cancel.
at=$(q -d postgres -c "SELECT extract(epoch FROM clock_timestamp()) || ' ' ||
    EXISTS (SELECT FROM pg_stat_activity WHERE pid = $pid AND state = 'active'
            AND query ~ 'train_movie_clusters') || ' ' || pg_cancel_backend($pid)")
read -r at_epoch at_running at_cancelled <<<"$at"
check "cancel: pg_stat_activity shows the training running" equal "$at_running" true
check "cancel: pg_cancel_backend() accepted" equal "$at_cancelled" true
expect '^end:' || exit 1
end=$(sed -n 's/^end://p' <<<"$REPLY_LINES")
stopped_training cancel "$at_epoch" "$end"
trains_again cancel

# 2. statement_timeout. The timeout must fall inside k-means whatever the machine's speed and
# load, so the same training (not activated) is first run to its end and timed on the server's
# clock; the timeout is a quarter of that (at least 0.3 s). On a machine whose speed varies a lot
# (other work on it), a training may still finish before its timeout: that attempt is reported
# and the next one gets half the timeout (at most 4 attempts; the checks below then fail).
UNACTIVATED_LONG_TRAINING="${LONG_TRAINING%)}, activate => false)"
send "SELECT 'start:' || extract(epoch FROM clock_timestamp());" \
     "$UNACTIVATED_LONG_TRAINING;" "SELECT 'end:' || extract(epoch FROM clock_timestamp());"
expect '^end:' || exit 1
full=$(awk -v s="$(sed -n 's/^start://p' <<<"$REPLY_LINES")" -v e="$(sed -n 's/^end://p' <<<"$REPLY_LINES")" \
    'BEGIN { printf "%.3f", e - s }')
timeout=$(awk -v f="$full" 'BEGIN { t = f / 4; if (t < 0.3) t = 0.3; printf "%.3f", t }')
echo "statement_timeout: the whole training takes $full s here"
for attempt in 1 2 3 4; do
    state_before=$(catalog_state_checked "$db")
    reset_peak
    echo "statement_timeout: attempt $attempt with statement_timeout = $timeout s"
    send "SET statement_timeout = '${timeout}s';" \
         "SELECT 'start:' || extract(epoch FROM clock_timestamp());" \
         "$UNACTIVATED_LONG_TRAINING;" "SELECT 'end:' || extract(epoch FROM clock_timestamp());" \
         "RESET statement_timeout;"
    SEEN_LINES=""
    expect '^end:' || exit 1
    grep -q '^ERROR:  57014' <<<"$REPLY_LINES" && break
    echo "statement_timeout: no 57014 in this attempt (a varying machine?); the session printed:"
    sed 's/^/    /' <<<"$REPLY_LINES"
    timeout=$(awk -v t="$timeout" 'BEGIN { printf "%.3f", t / 2 }')
done
start=$(sed -n 's/^start://p' <<<"$REPLY_LINES")
end=$(sed -n 's/^end://p' <<<"$REPLY_LINES")
stopped_training statement_timeout \
    "$(awk -v s="$start" -v t="$timeout" 'BEGIN { printf "%.6f", s + t }')" "$end"
trains_again statement_timeout

session_end
exit $((CHECKS_FAILED != 0))
