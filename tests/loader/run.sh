#!/usr/bin/env bash
# tests/loader/run.sh -- tests of movielens-load (src/tools/movielens_load, issue #7).
#
# Run by scripts/test.sh from the repository root with a throwaway server's PGHOST, PGPORT and
# PGUSER exported; run alone, it starts its own server with scripts/pg-tmp.sh. It builds the
# tool and its unit tests with CMake in build/loader, runs the unit tests, then loads the
# hand-made fixtures of every layout (tests/loader/fixtures/) into fresh databases and checks
# the rows, the malformed-input errors and exit codes, --append, --drop, that a failure loads
# nothing, and, when ../shared/data/ml-latest-small exists next to the repository, a full load
# of it. Ends with "N passed, N failed"; exits 1 when a check failed, 77 when it cannot run
# (no cmake, no libpq, no server).
set -uo pipefail

ROOT=${REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
cd "$ROOT" || exit 77
FIX=tests/loader/fixtures
BUILD=${LOADER_BUILD_DIR:-build/loader}
SMALL=${ML_LATEST_SMALL:-$ROOT/../shared/data/ml-latest-small}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/loader-test.XXXXXX") || exit 77
DATABASES=()

PASSED=0
FAILED=0

cleanup() {
    local db
    for db in "${DATABASES[@]}"; do
        dropdb --if-exists "$db" >/dev/null 2>&1 || true
    done
    rm -rf -- "$WORK"
}

ok() {
    PASSED=$((PASSED + 1))
    printf 'ok    %s\n' "$1"
}

not_ok() {
    FAILED=$((FAILED + 1))
    printf 'FAIL  %s\n' "$1"
    shift
    local line
    for line in "$@"; do
        printf '        %s\n' "$line"
    done
}

# check NAME ACTUAL EXPECTED
check() {
    if [[ "$2" == "$3" ]]; then
        ok "$1"
    else
        not_ok "$1" "expected: $3" "actual:   $2"
    fi
}

# check_contains NAME TEXT NEEDLE
check_contains() {
    if [[ "$2" == *"$3"* ]]; then
        ok "$1"
    else
        not_ok "$1" "expected to contain: $3" "actual: $2"
    fi
}

# load DB [ARGS...] DIR: runs the loader on database DB; sets RC, OUT, ERR.
load() {
    local db=$1
    shift
    "$LOADER" --dsn "dbname=$db" "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

# run_loader ARGS...: the loader without a database option; sets RC, OUT, ERR.
run_loader() {
    "$LOADER" "$@" >"$WORK/out" 2>"$WORK/err"
    RC=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
}

# q DB SQL: one query, unaligned, tuples only.
q() {
    psql -X -Atq -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>&1
}

# fresh_db NAME: creates database mlload_NAME (dropping an old one) and sets DB to its name.
fresh_db() {
    DB="mlload_$1"
    dropdb --if-exists "$DB" >/dev/null 2>&1
    DATABASES+=("$DB")
    createdb "$DB"
}

# The sums of the ratings and timestamps of a ratings file, "RATINGSUM|TIMESUM", as SQL prints
# them from the loaded table (rating sum with one decimal).
file_sums() {
    local file=$1 sep=$2 skip=$3
    awk -v skip="$skip" -F "$sep" 'NR > skip && NF { r += $3; t += $4 }
        END { printf "%.1f|%.0f\n", r, t }' "$file"
}

table_sums() {
    q "$1" "SELECT round(sum(rating)::numeric, 1) || '|' || sum(extract(epoch FROM rated_at))::bigint
            FROM ${2:-ratings}"
}

# check_layout NAME DIR RATINGS_FILE SEP SKIP MOVIES: loads DIR into a fresh database and checks
# the counts and the sums against the file. Leaves the database name in DB.
check_layout() {
    local name=$1 dir=$2 file=$3 sep=$4 skip=$5 movies=$6 ratings
    fresh_db "$name" || {
        not_ok "$name: createdb"
        return
    }
    load "$DB" "$dir"
    check "$name: exit status 0" "$RC" 0
    ratings=$(awk -v skip="$skip" 'NR > skip && NF' "$file" | wc -l)
    check "$name: rating count" "$(q "$DB" 'SELECT count(*) FROM ratings')" "$ratings"
    check "$name: movie count" "$(q "$DB" 'SELECT count(*) FROM movies')" "$movies"
    check "$name: rating and timestamp sums match the file" "$(table_sums "$DB")" \
        "$(file_sums "$file" "$sep" "$skip")"
}

# ---------------------------------------------------------------------------------------------
# Set-up: tools, server, build.

for tool in cmake psql createdb dropdb awk; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool not found"
        exit 77
    fi
done
if ! psql -X -Atq -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
    echo "no server reachable through PGHOST/PGPORT; starting one with scripts/pg-tmp.sh"
    # shellcheck source=scripts/pg-tmp.sh
    source scripts/pg-tmp.sh
    pgtmp_start || {
        echo "SKIP: no PostgreSQL server available"
        exit 77
    }
fi
trap 'cleanup; declare -F pgtmp_stop >/dev/null && pgtmp_stop' EXIT

echo "building movielens-load in $BUILD"
if ! cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMOVIE_RECS_WERROR=ON \
    >"$WORK/cmake.log" 2>&1; then
    cat "$WORK/cmake.log"
    not_ok "cmake configure"
    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
    exit 1
fi
if grep -q 'movielens-load is not built' "$WORK/cmake.log"; then
    echo "SKIP: libpq not found (install libpq-dev)"
    exit 77
fi
if cmake --build "$BUILD" --target movielens-load movielens_load_unit_tests -j"${JOBS:-2}" \
    >"$WORK/build.log" 2>&1; then
    ok "build without warnings (-Werror)"
else
    tail -n 60 "$WORK/build.log"
    not_ok "build without warnings (-Werror)"
    printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
    exit 1
fi
LOADER=$BUILD/src/tools/movielens_load/movielens-load

if "$BUILD/movielens_load_unit_tests" --gtest_brief=1 >"$WORK/unit.log" 2>&1; then
    ok "unit tests ($(grep -o '[0-9]* tests from [0-9]* test suites' "$WORK/unit.log" | head -1))"
else
    cat "$WORK/unit.log"
    not_ok "unit tests"
fi

# ---------------------------------------------------------------------------------------------
# Each layout.

check_layout csv "$FIX/csv" "$FIX/csv/ratings.csv" , 1 12
check "csv: quoted title with commas" \
    "$(q "$DB" 'SELECT title FROM movies WHERE movie_id = 3')" "Long Winter, Part II, The (1998)"
check "csv: quoted title with doubled quotes" \
    "$(q "$DB" 'SELECT title FROM movies WHERE movie_id = 4')" 'Midnight "Express" Delivery (2001)'
check "csv: UTF-8 title, year, genres" \
    "$(q "$DB" 'SELECT title, year, genres FROM movies WHERE movie_id = 2')" \
    "Café Noir (1996)|1996|{Crime,Film-Noir}"
check "csv: year range gives the first year" "$(q "$DB" 'SELECT year FROM movies WHERE movie_id = 6')" 1994
check "csv: no year is NULL, no genres is {}" \
    "$(q "$DB" "SELECT year IS NULL, genres = '{}' FROM movies WHERE movie_id = 7")" "t|t"
check "csv: year before a trailing space" "$(q "$DB" 'SELECT year FROM movies WHERE movie_id = 10')" 2005
check "csv: a known rating and its timestamp" \
    "$(q "$DB" "SELECT rating, rated_at = to_timestamp(964982703)
                 FROM ratings WHERE user_id = 1 AND movie_id = 1")" "4|t"
check "csv: primary key and user_id index created" \
    "$(q "$DB" "SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes
                 WHERE tablename IN ('ratings', 'movies')")" \
    "CREATE UNIQUE INDEX movies_pkey ON public.movies USING btree (movie_id); CREATE INDEX ratings_user_id_idx ON public.ratings USING btree (user_id)"
check "csv: column types" \
    "$(q "$DB" "SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attrelid::regclass::text, attnum)
                 FROM pg_attribute WHERE attrelid IN ('ratings'::regclass, 'movies'::regclass) AND attnum > 0")" \
    "movie_id bigint, title text, year integer, genres text[], user_id bigint, movie_id bigint, rating real, rated_at timestamp with time zone"
check "csv: tables analyzed" \
    "$(q "$DB" "SELECT string_agg(relname || '=' || reltuples, ',' ORDER BY relname) FROM pg_class
                 WHERE relname IN ('ratings', 'movies')")" "movies=12,ratings=29"
check_contains "csv: summary on stdout" "$OUT" "loaded 29 ratings into public.ratings and 12 movies into public.movies"
check_contains "csv: progress lines on a non-terminal stderr" "$ERR" "ratings.csv: done, 29 rows (100%)"

check_layout ml-10m "$FIX/ml-10m" "$FIX/ml-10m/ratings.dat" '::' 0 12
check "ml-10m: UTF-8 title and genres" \
    "$(q "$DB" 'SELECT title, year, genres FROM movies WHERE movie_id = 5')" \
    "Señora Luna (1989)|1989|{Drama,Musical}"
check "ml-10m: half-star ratings kept" "$(q "$DB" 'SELECT count(*) > 0 FROM ratings WHERE rating <> floor(rating)')" t

check_layout ml-1m "$FIX/ml-1m" "$FIX/ml-1m/ratings.dat" '::' 0 11
check "ml-1m: Latin-1 titles converted to UTF-8" \
    "$(q "$DB" 'SELECT string_agg(title, $$;$$ ORDER BY movie_id) FROM movies WHERE movie_id IN (2, 5, 8)')" \
    "Café Noir (1996);Señora Luna (1989);Über Alles? (2003)"
check_contains "ml-1m: detected from users.dat" "$OUT" "(ml-1m release)"

check_layout ml-100k "$FIX/ml-100k" "$FIX/ml-100k/u.data" '\t' 0 12
check "ml-100k: Latin-1 title and genre flags" \
    "$(q "$DB" 'SELECT title, year, genres FROM movies WHERE movie_id = 8')" \
    "Über Alles? (2003)|2003|{Documentary,War}"
check "ml-100k: genre names with apostrophes" \
    "$(q "$DB" 'SELECT genres FROM movies WHERE movie_id = 9')" "{Animation,Children's}"
check "ml-100k: the 'unknown' genre flag" \
    "$(q "$DB" 'SELECT year IS NULL, genres FROM movies WHERE movie_id = 7')" "t|{unknown}"

# Text COPY format gives the same rows as binary.
fresh_db text
for layout in csv ml-100k; do
    schema=${layout//-/_}
    q "$DB" "CREATE SCHEMA bin_$schema; CREATE SCHEMA txt_$schema" >/dev/null
    load "$DB" --schema "bin_$schema" "$FIX/$layout"
    rc1=$RC
    load "$DB" --schema "txt_$schema" --format text "$FIX/$layout"
    check "--format text ($layout): exit status 0 for both formats" "$rc1/$RC" "0/0"
    check "--format text ($layout): same rows as binary" \
        "$(q "$DB" "SELECT (SELECT count(*) FROM (TABLE bin_$schema.ratings EXCEPT ALL TABLE txt_$schema.ratings) a)
                  + (SELECT count(*) FROM (TABLE txt_$schema.ratings EXCEPT ALL TABLE bin_$schema.ratings) b)
                  + (SELECT count(*) FROM (TABLE bin_$schema.movies EXCEPT ALL TABLE txt_$schema.movies) c)
                  + (SELECT count(*) FROM (TABLE txt_$schema.movies EXCEPT ALL TABLE bin_$schema.movies) d)
                  || '/' || (SELECT count(*) FROM txt_$schema.ratings)")" \
        "0/$(q "$DB" "SELECT count(*) FROM bin_$schema.ratings")"
done

# ---------------------------------------------------------------------------------------------
# Malformed input: exit 1, FILE:LINE: what, nothing loaded.

fresh_db bad
# expect_bad NAME DIR MESSAGE [ARGS...]
expect_bad() {
    local name=$1 dir=$2 message=$3
    shift 3
    load "$DB" "$@" "$dir"
    check "$name: exit status 1" "$RC" 1
    check_contains "$name: message" "$ERR" "$message"
    check "$name: nothing loaded" \
        "$(q "$DB" "SELECT to_regclass('ratings') IS NULL AND to_regclass('movies') IS NULL")" t
}
expect_bad "wrong column count" "$FIX/bad-columns" \
    "movielens-load: $FIX/bad-columns/ratings.csv:4: expected 4 fields separated by ',' (user id, movie id, rating, timestamp), found 3"
expect_bad "bad number" "$FIX/bad-number" \
    "movielens-load: $FIX/bad-number/u.data:2: field 3 (rating): '4.x' is not a number"
expect_bad "bad UTF-8" "$FIX/bad-utf8" \
    "movielens-load: $FIX/bad-utf8/movies.csv:3: field 2 (title): invalid UTF-8 at byte 4 (0xE9); if the file is Latin-1, use --encoding latin1"
expect_bad "missing file" "$FIX/missing-file" \
    "movielens-load: $FIX/missing-file/movies.csv: file not found (a csv release needs it)"
expect_bad "bad header" "$FIX/bad-header" \
    "movielens-load: $FIX/bad-header/ratings.csv:1: expected the header line 'userId,movieId,rating,timestamp', found 'user,movie,rating,time'"
expect_bad "unterminated quote" "$FIX/bad-quote" \
    "movielens-load: $FIX/bad-quote/movies.csv:3: quoted field not closed before the end of the file"
expect_bad "duplicate movie id" "$FIX/duplicate-movie" \
    "movielens-load: $FIX/duplicate-movie/movies.dat:3: movie id 1 appears twice (first on line 1)"
expect_bad "error on the last line of ratings" "$FIX/late-error" \
    "movielens-load: $FIX/late-error/ratings.csv:31: field 4 (timestamp): '1e9' is not an integer"
expect_bad "not a directory" "$FIX/nowhere" "movielens-load: $FIX/nowhere: not a directory"
mkdir -p "$WORK/empty"
expect_bad "no release in the directory" "$WORK/empty" "no MovieLens release found"
expect_bad "bad option" "$FIX/csv" "movielens-load: unknown option --bogus (try --help)" --bogus
expect_bad "missing schema" "$FIX/csv" "schema nope does not exist" --schema nope
expect_bad "Latin-1 file read as UTF-8 with --encoding" "$FIX/ml-1m" \
    "$FIX/ml-1m/movies.dat:2: field 2 (title): invalid UTF-8" --encoding utf8

# ---------------------------------------------------------------------------------------------
# Existing tables: refuse, --append, --drop; a failure changes nothing.

fresh_db append
load "$DB" "$FIX/csv"
check "first load: exit status 0" "$RC" 0
counts() { q "$DB" 'SELECT (SELECT count(*) FROM ratings) || '"'/'"' || (SELECT count(*) FROM movies)'; }
load "$DB" "$FIX/csv"
check "existing tables without --append: exit status 1" "$RC" 1
check_contains "existing tables without --append: message" "$ERR" \
    "table public.movies already exists; use --append to add to it or --drop to replace it"
check "existing tables without --append: unchanged" "$(counts)" "29/12"
load "$DB" --append "$FIX/csv"
check "--append: exit status 0" "$RC" 0
check "--append: ratings doubled, movies kept once" "$(counts)" "58/12"
check_contains "--append: movies already present reported" "$OUT" "(12 movies already present)"
load "$DB" --append "$FIX/append-more"
check "--append of a new movie: added, the present one kept" "$(counts)" "60/13"
check "--append: the kept movie is unchanged" \
    "$(q "$DB" 'SELECT genres FROM movies WHERE movie_id = 1')" "{Drama,Romance}"
load "$DB" --append "$FIX/late-error"
check "--append with a malformed file: exit status 1" "$RC" 1
check "--append with a malformed file: unchanged" "$(counts)" "60/13"
load "$DB" --drop "$FIX/late-error"
check "--drop with a malformed file: exit status 1" "$RC" 1
check "--drop with a malformed file: old tables kept" "$(counts)" "60/13"
load "$DB" --drop "$FIX/ml-10m"
check "--drop: replaced" "$RC/$(counts)" "0/29/12"
check "--drop: index recreated" \
    "$(q "$DB" "SELECT count(*) FROM pg_indexes WHERE tablename IN ('ratings', 'movies')")" 2

# Names: schema and tables.
q "$DB" 'CREATE SCHEMA "Film Data"' >/dev/null
load "$DB" --schema "Film Data" --ratings-table "Votes" --movies-table titles "$FIX/ml-100k"
check "--schema and table names: exit status 0" "$RC" 0
check "--schema and table names: quoted identifiers" \
    "$(q "$DB" 'SELECT (SELECT count(*) FROM "Film Data"."Votes") || $$/$$ || (SELECT count(*) FROM "Film Data".titles)')" \
    "29/12"

# --append into a table of other column types: binary refuses, text converts.
q "$DB" 'CREATE TABLE conv_ratings (user_id integer, movie_id integer, rating double precision, rated_at timestamptz, note text)' >/dev/null
load "$DB" --append --ratings-table conv_ratings --movies-table conv_movies "$FIX/csv"
check "--append into other types (binary): exit status 1" "$RC" 1
check_contains "--append into other types (binary): message" "$ERR" \
    "column user_id of table public.conv_ratings has type integer, the binary COPY needs bigint (use --format text to let the server convert)"
load "$DB" --append --format text --ratings-table conv_ratings --movies-table conv_movies "$FIX/csv"
check "--append into other types (text): loaded" \
    "$RC/$(q "$DB" 'SELECT count(*) FROM conv_ratings')" "0/29"

# A server-side failure (a CHECK constraint) is exit 2 and loads nothing.
q "$DB" 'CREATE TABLE chk_ratings (user_id bigint, movie_id bigint, rating real CHECK (rating < 5), rated_at timestamptz)' >/dev/null
load "$DB" --append --ratings-table chk_ratings --movies-table chk_movies "$FIX/csv"
check "server error: exit status 2" "$RC" 2
check_contains "server error: message" "$ERR" "violates check constraint"
check "server error: nothing loaded" \
    "$(q "$DB" "SELECT (SELECT count(*) FROM chk_ratings) || '/' || (to_regclass('chk_movies') IS NULL)")" "0/true"

# ---------------------------------------------------------------------------------------------
# Connection, output modes, help.

run_loader --dsn "postgresql://postgres:s3cretPW@127.0.0.1:1/nowhere" "$FIX/csv"
check "connection failure: exit status 2" "$RC" 2
check_contains "connection failure: message" "$ERR" "movielens-load: cannot connect:"
if [[ "$ERR$OUT" == *s3cretPW* ]]; then
    not_ok "connection failure: password not printed" "$ERR"
else
    ok "connection failure: password not printed"
fi
run_loader --dsn "dbname=mlload_does_not_exist" "$FIX/csv"
check "unknown database: exit status 2" "$RC" 2

fresh_db env
PGDATABASE=$DB run_loader --quiet "$FIX/csv"
check "PG* variables and --quiet: exit status 0, no output" "$RC|$OUT|$ERR" "0||"
check "PG* variables: loaded into PGDATABASE" "$(q "$DB" 'SELECT count(*) FROM ratings')" 29

run_loader --dry-run "$FIX/ml-100k"
check "--dry-run: exit status 0" "$RC" 0
check_contains "--dry-run: summary" "$OUT" "checked 29 ratings and 12 movies (ml-100k release)"
run_loader --help
check "--help: exit status 0" "$RC" 0
check_contains "--help: documents the exit status" "$OUT" "2  connection failure or server error"
run_loader
check "no directory: exit status 1" "$RC" 1

# ---------------------------------------------------------------------------------------------
# The real ml-latest-small, when it is next to the repository.

if [[ -f "$SMALL/ratings.csv" && -f "$SMALL/movies.csv" ]]; then
    check_layout ml-latest-small "$SMALL" "$SMALL/ratings.csv" , 1 9742
    check "ml-latest-small: 100836 ratings" "$(q "$DB" 'SELECT count(*) FROM ratings')" 100836
    check "ml-latest-small: Toy Story" \
        "$(q "$DB" 'SELECT title, year, genres FROM movies WHERE movie_id = 1')" \
        "Toy Story (1995)|1995|{Adventure,Animation,Children,Comedy,Fantasy}"
    check "ml-latest-small: user 1 rated movie 1 with 4.0 at 964982703" \
        "$(q "$DB" 'SELECT rating, extract(epoch FROM rated_at) FROM ratings WHERE user_id = 1 AND movie_id = 1')" \
        "4|964982703.000000"
    check "ml-latest-small: quoted title" \
        "$(q "$DB" 'SELECT title FROM movies WHERE movie_id = 11')" "American President, The (1995)"
    check "ml-latest-small: year range and UTF-8" \
        "$(q "$DB" 'SELECT title, year, genres FROM movies WHERE movie_id = 171749')" \
        "Death Note: Desu nôto (2006–2007)|2006|{}"
    check "ml-latest-small: movies without a year" \
        "$(q "$DB" 'SELECT count(*) FROM movies WHERE year IS NULL')" \
        "$(awk 'NR > 1 && $0 !~ /\([0-9][0-9][0-9][0-9]((-|–)([0-9][0-9][0-9][0-9])?)?\) *"?,[^,]*$/' "$SMALL/movies.csv" | wc -l)"
    echo "        ml-latest-small: $(grep -o 'copy [0-9.]* s ([0-9]* rows/s' "$WORK/out"))"
else
    echo "note: $SMALL not found; the full ml-latest-small load is not checked"
fi

printf '%d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
