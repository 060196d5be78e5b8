# bench/lib.sh: helpers shared by the benchmark commands (sourced, not run).
#
# The benchmarks talk to the server the libpq environment names (PGHOST, PGPORT, PGUSER,
# PGDATABASE), e.g. a throwaway one: eval "$(scripts/pg-tmp.sh start)". They need the
# extension installed there (make install) and a role that may create tables and train.
# Benchmark tables live in schema movie_recs_bench: ratings_1m, ratings_5m, ratings_25m, ...

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_BUILD=$BENCH_ROOT/build/bench
BENCH_SCHEMA=movie_recs_bench

bench_die() {
    echo "${BENCH_NAME:-bench}: $*" >&2
    exit 1
}

# psql with no startup file, stop on the first error, unaligned tuples only.
bench_psql() {
    psql -X -q -v ON_ERROR_STOP=1 -At "$@"
}

# Builds the command-line tools (Release) once per run.
bench_build_tools() {
    cmake -S "$BENCH_ROOT" -B "$BENCH_BUILD" -DCMAKE_BUILD_TYPE=Release -DMOVIE_RECS_TESTS=OFF \
        >/dev/null || bench_die "cmake configure failed"
    cmake --build "$BENCH_BUILD" --target "$@" -j2 >/dev/null || bench_die "cmake build failed"
}

# bench_table N: the table holding N generated ratings (25000000 -> movie_recs_bench.ratings_25m).
bench_table() {
    local n=$1
    if ((n % 1000000 == 0)); then
        echo "$BENCH_SCHEMA.ratings_$((n / 1000000))m"
    elif ((n % 1000 == 0)); then
        echo "$BENCH_SCHEMA.ratings_$((n / 1000))k"
    else
        echo "$BENCH_SCHEMA.ratings_$n"
    fi
}

bench_table_exists() {
    [[ "$(bench_psql -c "SELECT to_regclass('$1') IS NOT NULL")" == t ]]
}

# bench_ensure_table N: generates the table of N ratings unless it exists.
bench_ensure_table() {
    local table
    table=$(bench_table "$1")
    if ! bench_table_exists "$table"; then
        echo "# $table does not exist; generating it (bench/generate --ratings $1)"
        "$BENCH_ROOT/bench/generate" --ratings "$1" | sed 's/^/# /'
    fi
}

bench_ensure_extension() {
    bench_psql -c "SET client_min_messages = warning" -c "CREATE EXTENSION IF NOT EXISTS movie_recs" >/dev/null ||
        bench_die "cannot create extension movie_recs (run make install first)"
}

# Wall-clock seconds since the epoch, with nanoseconds.
bench_now() {
    date +%s.%N
}

# bench_elapsed START: seconds since START (from bench_now), 3 decimals.
bench_elapsed() {
    awk -v a="$1" -v b="$(bench_now)" 'BEGIN { printf "%.3f", b - a }'
}

# bench_ratio A B: A / B with 3 significant decimals.
bench_ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "inf"; else printf "%.3f", a / b }'
}

# One line describing the machine and its load, for the record.
bench_machine() {
    local cpu cores mem load
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    cores=$(nproc)
    mem=$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "# machine: $cpu, $cores cores, $mem RAM; load average $load; $(psql -X -At -c 'SHOW server_version' 2>/dev/null | sed 's/^/PostgreSQL /')"
}
