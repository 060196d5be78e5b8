#!/usr/bin/env bash
# test.sh -- run every test of movie_recs.
#
#   a. install dependencies          (scripts/install-deps.sh; aborts on failure)
#   b. unit tests                    (cmake + ctest in build/cmake)
#   c. build and install extension   (make WERROR=1 && make install)
#   d. start a throwaway server      (scripts/pg-tmp.sh)
#   e. regression tests              (make installcheck)
#   f. pgTAP tests                   (tests/pgtap/*.sql, one fresh database per file)
#   g. other test suites             (every executable tests/*/run.sh, sorted)
#   h. stop the server and print "N passed, N failed"
#
# The summary counts b, e, f and each g script.  A failed step does not stop
# the run; the script exits 1 at the end if anything failed.  When c or d
# fails, the steps that need them (e, f, g) are counted as failed, not run.
# A step that exits with status 77 (f without tests/pgtap/*.sql, or a g
# script that cannot run here) is listed as SKIP and counted in neither
# number of the final line.
#
# Environment:
#   PG_CONFIG            pg_config to build against (default: PostgreSQL 15's)
#   JOBS                 parallel build jobs (default 2)
#   PGTMP_PORT           first port tried for the throwaway server (default 54329)
#   TEST_SCRIPT_TIMEOUT  seconds allowed for each tests/*/run.sh (default 900)
#
# The tests/*/run.sh scripts run from the repository root with the server's
# PGHOST, PGPORT, PGUSER, PGDATABASE, PGTMP_DIR, PGTMP_LOG, PG_BIN as well as
# PG_CONFIG and REPO_ROOT exported.
# The step functions are called indirectly through run_step.
# shellcheck disable=SC2317
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export REPO_ROOT
cd "$REPO_ROOT"

JOBS=${JOBS:-2}
TEST_SCRIPT_TIMEOUT=${TEST_SCRIPT_TIMEOUT:-900}

# shellcheck source=scripts/pg-tmp.sh
source "$REPO_ROOT/scripts/pg-tmp.sh"
# shellcheck source=scripts/build-lib.sh
source "$REPO_ROOT/scripts/build-lib.sh"

heading() {
    printf '\n==> %s\n' "$*"
}

# ---------------------------------------------------------------------------
# Result bookkeeping

PASSED=0
FAILED=0
SUMMARY=()

# record STATUS NAME SECONDS [NOTE] -- STATUS is PASS, FAIL, SKIP, ok or
# FAILED; only PASS and FAIL are counted in the final line (ok/FAILED are
# set-up steps).
record() {
    local status=$1 name=$2 secs=$3 note=${4:-}
    case "$status" in
        PASS) PASSED=$((PASSED + 1)) ;;
        FAIL) FAILED=$((FAILED + 1)) ;;
    esac
    SUMMARY+=("$(printf '  %-6s %-60s %5ss%s' "$status" "$name" "$secs" "${note:+  ($note)}")")
}

# run_step [--setup] NAME FUNC [ARG...] -- run FUNC in a subshell with
# `set -e` in force, record the result and leave FUNC's status in STEP_RC.
# Always returns 0.  Never call it from an `if`, `&&` or `||` context: bash
# would then ignore `set -e` inside FUNC.
STEP_RC=0
run_step() {
    local setup=0 name rc start
    if [[ "$1" == "--setup" ]]; then
        setup=1
        shift
    fi
    name=$1
    shift
    heading "$name"
    start=$SECONDS
    LOG_OFFSET=$(server_log_size)
    # Not in an `if`/`||` context, so `set -e` really applies inside.
    set +e
    (
        set -e
        "$@"
    )
    rc=$?
    set -e
    STEP_RC=$rc
    if ((rc == 77 && !setup)); then
        printf -- '--> %s: skipped\n' "$name"
        record SKIP "$name" $((SECONDS - start))
    elif ((rc == 0)); then
        printf -- '--> %s: passed\n' "$name"
        if ((setup)); then
            record ok "$name" $((SECONDS - start))
        else
            record PASS "$name" $((SECONDS - start))
        fi
    else
        printf -- '--> %s: FAILED (exit status %d)\n' "$name" "$rc"
        if ((setup)); then
            record FAILED "$name" $((SECONDS - start)) "exit status $rc"
        else
            record FAIL "$name" $((SECONDS - start)) "exit status $rc"
            show_server_log_tail
        fi
    fi
    return 0
}

# Size of the server log when the current step started, so that a failing
# step shows only the server messages it caused.
LOG_OFFSET=0

server_log_size() {
    if [[ -n "${PGTMP_LOG:-}" && -f "${PGTMP_LOG}" ]]; then
        stat -c %s "$PGTMP_LOG" 2>/dev/null || echo 0
    else
        echo 0
    fi
}

show_server_log_tail() {
    if [[ -n "${PGTMP_LOG:-}" && -s "${PGTMP_LOG}" ]] &&
        (($(server_log_size) > LOG_OFFSET)); then
        printf -- '--- server log during this step (last 60 lines of %s) ---\n' "$PGTMP_LOG"
        tail -c +"$((LOG_OFFSET + 1))" "$PGTMP_LOG" | tail -n 60 || true
        printf -- '--- end of server log ---\n'
    fi
}

# ---------------------------------------------------------------------------
# Steps

step_unit_tests() {
    cmake -S . -B build/cmake -DCMAKE_BUILD_TYPE=Release -DMOVIE_RECS_WERROR=ON
    cmake --build build/cmake -j"$JOBS"
    ctest --test-dir build/cmake --output-on-failure --no-tests=error
}

step_build_extension() {
    make -j"$JOBS" PG_CONFIG="$PG_CONFIG" WERROR=1
    make_install WERROR=1
}

step_installcheck() {
    local diffs=() f
    rm -f regression.diffs regression.out
    if make installcheck PG_CONFIG="$PG_CONFIG"; then
        return 0
    fi
    mapfile -t diffs < <(find . \( -path ./build -o -path ./.git \) -prune -o \
        -name regression.diffs -type f -print 2>/dev/null | LC_ALL=C sort)
    if ((${#diffs[@]} == 0)); then
        echo "make installcheck failed (no regression.diffs found)"
    fi
    for f in "${diffs[@]}"; do
        printf -- '--- %s (first 2000 lines) ---\n' "$f"
        sed -n '1,2000p' "$f"
        printf -- '--- end of %s ---\n' "$f"
    done
    return 1
}

step_pgtap() {
    local files=() failed=() f db i=0
    if [[ -d tests/pgtap ]]; then
        mapfile -t files < <(find tests/pgtap -maxdepth 1 -type f -name '*.sql' | LC_ALL=C sort)
    fi
    if ((${#files[@]} == 0)); then
        echo "SKIP: no pgTAP tests yet (tests/pgtap/*.sql not found); nothing to run"
        return 77
    fi
    echo "pgTAP files (${#files[@]}): ${files[*]}"
    for f in "${files[@]}"; do
        i=$((i + 1))
        db=$(printf 'pgtap_%03d' "$i")
        printf -- '\n--- %s (database %s) ---\n' "$f" "$db"
        createdb "$db"
        psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c 'CREATE EXTENSION pgtap'
        if ! pg_prove --ext .sql -v -d "$db" "$f"; then
            failed+=("$f")
        fi
        dropdb --if-exists "$db" || true
    done
    if ((${#failed[@]} != 0)); then
        echo "pgTAP failures in: ${failed[*]}"
        return 1
    fi
    echo "all ${#files[@]} pgTAP files passed"
}

step_run_script() {
    local script=$1 rc=0
    timeout --kill-after=30 "$TEST_SCRIPT_TIMEOUT" "./$script" || rc=$?
    if ((rc == 124 || rc == 137)); then
        echo "$script: timed out after ${TEST_SCRIPT_TIMEOUT}s"
    fi
    return "$rc"
}

# ---------------------------------------------------------------------------
# Main

heading "[a] Install dependencies (scripts/install-deps.sh)"
bash "$REPO_ROOT/scripts/install-deps.sh"

resolve_pg_config
echo "PG_CONFIG=$PG_CONFIG ($("$PG_CONFIG" --version 2>/dev/null || echo 'not found'))"

# Test suites of step g, discovered now so that they are counted even when
# the server or the build is not available.
RUN_SCRIPTS=()
for f in tests/*/run.sh; do
    [[ -e "$f" ]] || continue
    if [[ -x "$f" ]]; then
        RUN_SCRIPTS+=("$f")
    else
        echo "WARNING: $f is not executable; not running it (chmod +x to enable)"
    fi
done
if ((${#RUN_SCRIPTS[@]} != 0)); then
    mapfile -t RUN_SCRIPTS < <(printf '%s\n' "${RUN_SCRIPTS[@]}" | LC_ALL=C sort)
fi

run_step "[b] Unit tests (cmake, ctest)" step_unit_tests

ext_ok=0
run_step --setup "[c] Build and install the extension (make, make install)" \
    step_build_extension
if ((STEP_RC == 0)); then
    ext_ok=1
fi

server_ok=0
if ((ext_ok)); then
    heading "[d] Start a throwaway PostgreSQL server (scripts/pg-tmp.sh)"
    start=$SECONDS
    if pgtmp_start; then
        server_ok=1
        record ok "[d] Start a throwaway server" $((SECONDS - start)) "port $PGPORT"
    else
        record FAILED "[d] Start a throwaway server" $((SECONDS - start))
    fi
fi

if ((ext_ok && server_ok)); then
    run_step "[e] Regression tests (make installcheck)" step_installcheck
    run_step "[f] pgTAP tests (pg_prove)" step_pgtap
    if ((${#RUN_SCRIPTS[@]} == 0)); then
        heading "[g] Other test suites (tests/*/run.sh)"
        echo "none found"
    fi
    for s in "${RUN_SCRIPTS[@]}"; do
        run_step "[g] $s" step_run_script "$s"
    done
else
    if ((ext_ok)); then
        reason="server did not start"
    else
        reason="extension build failed"
    fi
    heading "[e-g] Skipping the database tests: $reason"
    record FAIL "[e] Regression tests (make installcheck)" 0 "not run: $reason"
    record FAIL "[f] pgTAP tests (pg_prove)" 0 "not run: $reason"
    for s in "${RUN_SCRIPTS[@]}"; do
        record FAIL "[g] $s" 0 "not run: $reason"
    done
fi

heading "[h] Stop the server"
pgtmp_stop

heading "Summary"
printf '%s\n' "${SUMMARY[@]}"
printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
if ((FAILED != 0)); then
    exit 1
fi
exit 0
