#!/usr/bin/env bash
# tests/sanitize/run.sh -- memory errors and undefined behaviour:
#   1. the core and its unit tests built with clang, -fsanitize=address,undefined
#      (-DMOVIE_RECS_SANITIZE=address,undefined -DMOVIE_RECS_FUZZ=ON, in build/fuzz), then ctest;
#   2. the libFuzzer target tests/fuzz/fuzz_matrix_kmeans.cpp (same build) for FUZZ_SECONDS
#      (default 60) from the seed corpus tests/fuzz/corpus/;
#   3. the extension built with gcc's AddressSanitizer and UndefinedBehaviorSanitizer
#      (make SANITIZE=1, in build/sanitize-ext) and installed into a private copy of PostgreSQL
#      (scripts/private-pg.sh), a server of its own started with libasan preloaded, the
#      regression suite (make installcheck) against it, and its sanitizer logs checked empty.
# Any finding aborts the process that makes it and fails this script. Exits 77 only when clang
# or libFuzzer is missing (scripts/install-deps.sh installs them).
set -euo pipefail
REPO_ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$REPO_ROOT"
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
JOBS=${JOBS:-2}
start=$SECONDS
say() { printf 'sanitize: %s\n' "$*"; }

CXX_CLANG=$(command -v clang++ || command -v clang++-14 || true)
if [[ -z "$CXX_CLANG" ]]; then
    say "SKIP: clang++ not found (apt-get install clang; scripts/install-deps.sh does it)"
    exit 77
fi
if [[ ! -e "$("$CXX_CLANG" -print-file-name=libclang_rt.fuzzer-x86_64.a)" ]] &&
    [[ ! -e "$("$CXX_CLANG" -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a" ]]; then
    say "SKIP: libFuzzer not found (libclang-rt-14-dev; scripts/install-deps.sh installs it)"
    exit 77
fi

# ---- 1. unit tests under ASan + UBSan ----------------------------------------------------------
say "building the core, its unit tests and the fuzz target with clang (build/fuzz)"
CXX=$CXX_CLANG cmake -S . -B build/fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
    -DMOVIE_RECS_SANITIZE=address,undefined -DMOVIE_RECS_FUZZ=ON -DMOVIE_RECS_WERROR=ON >/dev/null
cmake --build build/fuzz -j"$JOBS" --target movie_recs_unit_tests fuzz_matrix_kmeans
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# The loader's unit tests (tests/loader/) are not built here: only the core's.
ctest --test-dir build/fuzz --output-on-failure --no-tests=error \
    -E '^movielens_load_unit_tests_NOT_BUILT$' | tail -n 3
say "unit tests passed under AddressSanitizer and UndefinedBehaviorSanitizer"

# ---- 2. fuzzing --------------------------------------------------------------------------------
work=$(mktemp -d /tmp/movie_recs-sanitize.XXXXXX)
PG_ROOT=""
cleanup() {
    if [[ -n "${PG_ROOT}" ]]; then rm -rf -- "$PG_ROOT"; fi
    rm -rf -- "$work"
}
trap cleanup EXIT
mkdir -p "$work/corpus"
cp tests/fuzz/corpus/matrix_kmeans/* "$work/corpus/"
say "fuzzing fuzz_matrix_kmeans for ${FUZZ_SECONDS}s"
if ! (cd "$work" && "$REPO_ROOT/build/fuzz/fuzz_matrix_kmeans" -max_total_time="$FUZZ_SECONDS" \
    -print_final_stats=1 -artifact_prefix="$work/" corpus >"$work/fuzz.log" 2>&1); then
    tail -n 60 "$work/fuzz.log"
    for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [[ -e "$f" ]] || continue
        mkdir -p build/fuzz/findings && cp "$f" build/fuzz/findings/
        say "finding kept in build/fuzz/findings/$(basename "$f") (replay: build/fuzz/fuzz_matrix_kmeans FILE)"
    done
    say "FAILED: the fuzzer found a problem"
    exit 1
fi
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/fuzz.log")
say "fuzzer: ${runs} executions in ${FUZZ_SECONDS}s, corpus $(find "$work/corpus" -type f | wc -l) inputs: no finding"

# ---- 3. the extension under ASan + UBSan, regression suite ---------------------------------------
say "building the extension with SANITIZE=1 (build/sanitize-ext)"
ext=build/sanitize-ext
mkdir -p "$ext"
# A copy of the sources (tar keeps their times, so the build is incremental); objects of sources
# that no longer exist are dropped with them.
rm -rf "$ext/sql" "$ext/expected"
find "$ext/src" -name '*.[ch]pp' -delete 2>/dev/null || true
tar -cf - Makefile movie_recs.control src sql expected | tar -C "$ext" -xf -
for o in $(find "$ext/src" -name '*.o' 2>/dev/null); do
    [[ -e "${o%.o}.cpp" ]] || rm -f "$o"
done
PG_ROOT=$(mktemp -d /tmp/movie_recs-asan-pg.XXXXXX)
chmod 755 "$PG_ROOT"
ASAN_PG_CONFIG=$(scripts/private-pg.sh "$PG_ROOT")
make -C "$ext" -j"$JOBS" SANITIZE=1 WERROR=1 PG_CONFIG="$ASAN_PG_CONFIG" >"$work/ext-build.log" 2>&1 ||
    { tail -n 40 "$work/ext-build.log"; exit 1; }
make -C "$ext" install SANITIZE=1 PG_CONFIG="$ASAN_PG_CONFIG" >/dev/null

# The server (run as user postgres) writes any report to $logs/asan.PID or $logs/ubsan.PID.
logs=$work/logs
mkdir -p "$logs"
chmod 1777 "$logs"
gcc -shared -fPIC -O2 -o "$work/asan_shim.so" tests/sanitize/asan_shim.c
chmod 755 "$work" "$work/asan_shim.so"
libasan=$(g++ -print-file-name=libasan.so)
# A port past the one of scripts/test.sh's server.
export PGTMP_PORT=$((${PGPORT:-${PGTMP_PORT:-54329}} + 1))
# The sanitized installation, not the one of scripts/test.sh's server.
export PG_CONFIG=$ASAN_PG_CONFIG
unset PG_BIN
# shellcheck source=scripts/pg-tmp.sh
source scripts/pg-tmp.sh
# detect_leaks=0: PostgreSQL frees its memory by ending the process.
ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:disable_coredump=1:log_path=$logs/asan" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$logs/ubsan" \
    LD_PRELOAD="$libasan:$work/asan_shim.so" pgtmp_start
trap 'pgtmp_stop; cleanup' EXIT
status=0
postmaster=$(head -n 1 "$PGTMP_DATA/postmaster.pid")
if ! grep -q libasan "/proc/$postmaster/maps"; then
    say "FAILED: the server on port $PGPORT runs without libasan"
    exit 1
fi
say "sanitized server on port $PGPORT (libasan loaded in postmaster $postmaster)"
rm -f "$ext/regression.diffs"
if ! make -C "$ext" installcheck PG_CONFIG="$ASAN_PG_CONFIG" >"$work/installcheck.log" 2>&1; then
    cat "$work/installcheck.log"
    [[ -f "$ext/regression.diffs" ]] && head -n 200 "$ext/regression.diffs"
    status=1
else
    grep -E '^(ok|not ok|#)|tests passed' "$work/installcheck.log" | tail -n 12 || true
fi
if grep -qE 'terminated by signal|server process .* was terminated' "$PGTMP_LOG"; then
    say "a backend was terminated:"
    grep -E 'terminated by signal|was terminated' "$PGTMP_LOG" | head -n 5
    status=1
fi
pgtmp_stop
trap cleanup EXIT
reports=$(find "$logs" -type f -size +0 | wc -l)
if ((reports != 0)); then
    say "sanitizer reports:"
    find "$logs" -type f -size +0 -exec head -n 60 {} \;
    status=1
else
    say "no AddressSanitizer or UndefinedBehaviorSanitizer report from the server"
fi
if ((status == 0)); then
    say "regression suite passed against the sanitized extension"
fi
say "done in $((SECONDS - start))s"
exit "$status"
