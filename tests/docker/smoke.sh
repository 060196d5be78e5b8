#!/usr/bin/env bash
# smoke.sh -- builds the movie_recs image (docker/Dockerfile) on a PostgreSQL base image and
# checks it end to end.
#
# Usage: tests/docker/smoke.sh [PG_MAJOR]      (15 or 17; default 17)
#
#   1. builds the image (and, for PostgreSQL 17, the `test` target: make installcheck inside
#      the build), printing the build times;
#   2. runs it with a password, a named volume and MOVIE_RECS_DEMO=1, waits until healthy and
#      prints the seconds from `run` to the first answered recommend_movies();
#   3. over TCP with the password: the extension and the demo model, loading other demo data,
#      training, recommending; a wrong password is refused; the server does not run as root;
#   4. restarts the container: the trained model is still active and gives the same answer;
#   5. a bad MOVIE_RECS_DEMO value stops the first start with a message;
#   6. the image has no compiler and no server headers, and adds only the extension's files and
#      the init scripts to the base;
#   7. prints the sizes of the base and of the image, and as its last line the bytes the image
#      adds over the base. It fails above 2 MB (2000000 bytes) added.
#
# Environment:
#   SHARED_DIR  directory with tools/container-engine and tools/postgres-image.sh
#               (default: the shared/ directory beside the clone)
#   ENGINE      container command (default: see engine.sh)
#   BASE_IMAGE  base image (default: tools/postgres-image.sh's, else postgres:N-bookworm)
#   INSTALLCHECK  1 to build the test target, 0 not to (default: 1 for PG 17, 0 otherwise)
# Exit status: 0 passed, 1 failed, 77 no usable container engine.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO_ROOT"
# shellcheck source=tests/docker/engine.sh
source "$REPO_ROOT/tests/docker/engine.sh"

PG_MAJOR=${1:-${PG_MAJOR:-17}}
[[ "$PG_MAJOR" =~ ^[0-9]+$ ]] || { echo "usage: $0 [PG_MAJOR]" >&2; exit 2; }
if [[ -z "${INSTALLCHECK:-}" ]]; then
    INSTALLCHECK=0
    [[ "$PG_MAJOR" == 17 ]] && INSTALLCHECK=1
fi
MAX_ADDED_BYTES=2000000
PASSWORD=smoke-secret-$RANDOM$RANDOM
DB=smoke

if ! docker_find_engine; then
    echo "skipped: no container engine ($ENGINE_MISSING)"
    exit 77
fi
PSQL=${PG_BIN:+$PG_BIN/}psql
command -v "$PSQL" >/dev/null 2>&1 || PSQL=psql
command -v "$PSQL" >/dev/null 2>&1 || { echo "smoke: psql is needed on this machine" >&2; exit 1; }

tools=$(docker_shared_dir)/tools
if [[ -z "${BASE_IMAGE:-}" ]]; then
    if [[ -x "$tools/postgres-image.sh" ]]; then
        BASE_IMAGE=$(PG_MAJOR=$PG_MAJOR "$tools/postgres-image.sh")
    else
        BASE_IMAGE=postgres:$PG_MAJOR-bookworm
    fi
fi
VERSION=$(sed -n "s/^default_version *= *'\(.*\)'.*/\1/p" movie_recs.control)
REVISION=$(git rev-parse HEAD 2>/dev/null || true)
SOURCE_URL=$(git config --get remote.origin.url 2>/dev/null || true)

# Names unique to this run: several work trees may run the test at once.
IMAGE=localhost/movie_recs-smoke:pg$PG_MAJOR-$$
NAME=movie_recs_smoke_pg${PG_MAJOR}_$$
VOLUME=${NAME}_data
WORK=$(mktemp -d)
TEST_IID=$WORK/test.iid

cleanup() {
    set +e
    "$ENGINE" rm -f "$NAME" >/dev/null 2>&1
    "$ENGINE" volume rm -f "$VOLUME" >/dev/null 2>&1
    # --no-prune keeps the untagged parent images: they are the layer cache of the next build.
    "$ENGINE" rmi --no-prune "$IMAGE" >/dev/null 2>&1
    [[ -s "$TEST_IID" ]] && "$ENGINE" rmi --no-prune "$(cat "$TEST_IID")" >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say() { printf '\n==> %s\n' "$*"; }
ok() { printf 'ok    %s\n' "$*"; }
fail() {
    printf 'FAIL  %s\n' "$*" >&2
    if "$ENGINE" container inspect "$NAME" >/dev/null 2>&1; then
        echo "--- last 40 lines of the container log ---" >&2
        "$ENGINE" logs "$NAME" 2>&1 | tail -n 40 >&2
    fi
    exit 1
}
# expect WHAT GOT WANT
expect() {
    if [[ "$2" == "$3" ]]; then ok "$1: $2"; else fail "$1: got '$2', expected '$3'"; fi
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# q [psql args...]: psql over TCP with the password, unaligned, tuples only.
PORT=
q() {
    PGPASSWORD=$PASSWORD PGCONNECT_TIMEOUT=5 "$PSQL" -X -qAt -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PORT" -U postgres -d "$DB" "$@"
}

# build ARGS...: the image build with this run's arguments; output in $WORK/build.log, the
# number of steps taken from the layer cache in CACHED.
build() {
    local extra=() rc=0
    [[ "$(basename "$ENGINE")" == podman ]] && extra=(--format docker) # keeps HEALTHCHECK
    [[ "$(basename "$ENGINE")" == docker ]] && extra=(--progress=plain)
    "$ENGINE" build "${extra[@]}" -f docker/Dockerfile \
        --build-arg PG_MAJOR="$PG_MAJOR" --build-arg BASE_IMAGE="$BASE_IMAGE" \
        --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
        --build-arg SOURCE_URL="$SOURCE_URL" --build-arg WERROR=1 "$@" . >"$WORK/build.log" 2>&1 ||
        rc=$?
    CACHED=$(grep -cE -- '--> Using cache|CACHED' "$WORK/build.log" || true)
    return "$rc"
}

healthy() {
    if [[ "$(basename "$ENGINE")" == podman ]]; then
        # Podman runs health checks from systemd timers; without systemd, run one now.
        "$ENGINE" healthcheck run "$NAME" >/dev/null 2>&1
    else
        [[ "$("$ENGINE" inspect -f '{{.State.Health.Status}}' "$NAME" 2>/dev/null)" == healthy ]]
    fi
}

# wait_healthy T0: waits until the container is healthy (300 s at most), reading its port.
# Sets FIRST_ANSWER to the seconds from T0 to the first answered recommend_movies(1, 10).
wait_healthy() {
    local t0=$1 deadline=$((SECONDS + 300))
    FIRST_ANSWER=
    PORT=
    while :; do
        [[ "$("$ENGINE" inspect -f '{{.State.Running}}' "$NAME" 2>/dev/null)" == true ]] ||
            fail "the container stopped"
        if [[ -z "$PORT" ]]; then
            PORT=$("$ENGINE" port "$NAME" 5432/tcp 2>/dev/null | head -n 1 | sed 's/.*://')
        fi
        if [[ -n "$PORT" && -z "$FIRST_ANSWER" ]] &&
            q -c 'SELECT count(*) FROM recommend_movies(1, 10)' >/dev/null 2>&1; then
            FIRST_ANSWER=$(since "$t0")
        fi
        if healthy; then
            READY=$(since "$t0")
            break
        fi
        ((SECONDS < deadline)) || fail "not healthy after 300 s"
        sleep 0.5
    done
}

printf 'movie_recs image smoke test: PostgreSQL %s on %s, engine %s\n' \
    "$PG_MAJOR" "$BASE_IMAGE" "$ENGINE"

say "1. Build"
t=$EPOCHREALTIME
build -t "$IMAGE" || { tail -n 60 "$WORK/build.log"; fail "image build (log above)"; }
ok "image built in $(since "$t") s ($CACHED steps from the layer cache)"
if ((INSTALLCHECK)); then
    t=$EPOCHREALTIME
    if ! build --target test --iidfile "$TEST_IID"; then
        tail -n 80 "$WORK/build.log"
        fail "regression suite in the build (--target test; log above)"
    fi
    grep -E '(^|[[:space:]])(ok|not ok) +[0-9]+ |tests? (passed|failed)' "$WORK/build.log" ||
        echo "      (layer cache: the suite passed before on the same sources and base image)"
    ok "make installcheck on PostgreSQL $PG_MAJOR passed in the build ($(since "$t") s)"
fi

say "2. First start with MOVIE_RECS_DEMO=1"
"$ENGINE" volume create "$VOLUME" >/dev/null
t0=$EPOCHREALTIME
"$ENGINE" run -d --name "$NAME" -e POSTGRES_PASSWORD="$PASSWORD" -e POSTGRES_DB="$DB" \
    -e MOVIE_RECS_DEMO=1 -v "$VOLUME:/var/lib/postgresql/data" -p 127.0.0.1::5432 \
    "$IMAGE" >"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; fail "$ENGINE run"; }
wait_healthy "$t0"
# Healthy means initialisation is over: the demo model must answer now.
q -c 'SELECT count(*) FROM recommend_movies(1, 10)' >/dev/null ||
    fail "healthy, but recommend_movies() does not answer"
[[ -n "$FIRST_ANSWER" ]] || FIRST_ANSWER=$(since "$t0")
ok "healthy ${READY} s after run, port 127.0.0.1:$PORT"
ok "first recommend_movies() answered ${FIRST_ANSWER} s after run (demo data loaded and trained)"

say "3. Over TCP with the password"
expect "extension version" "$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'movie_recs'")" "$VERSION"
expect "extension only in POSTGRES_DB, not in postgres" \
    "$(q -d postgres -c "SELECT count(*) FROM pg_extension WHERE extname = 'movie_recs'")" 0
expect "demo model: active model, its table, rows" \
    "$(q -c "SELECT model_id, source_table, users FROM movie_recs.models WHERE active")" "1|ratings|2000"
expect "load demo data into schema smoke_check" "$(q -c 'CREATE SCHEMA smoke_check' -c \
    "SELECT users, movies FROM movie_recs.load_demo_data(users => 300, movies => 200, seed => 7,
                                                         target_schema => 'smoke_check')")" "300|200"
expect "train on it: model_id, k, users" "$(q -c \
    "SELECT model_id, k, users FROM train_movie_clusters('smoke_check.ratings', k => 5)")" "2|5|300"
expect "recommend for user 3: rows, ranks 1..n in order, movies already rated" "$(q -c "
    SELECT count(*), count(*) FILTER (WHERE r.rank = r.ord),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM smoke_check.ratings s
                                           WHERE s.user_id = 3 AND s.movie_id = r.movie_id))
      FROM recommend_movies(3, 10) WITH ORDINALITY AS r(movie_id, score, rank, source, ord)")" "10|10|0"
before=$(q -c "SELECT string_agg(movie_id::text, ',' ORDER BY rank) FROM recommend_movies(3, 10)")
err=$(PASSWORD=wrong-$PASSWORD q -c 'SELECT 1' 2>&1) && fail "a wrong password was accepted"
[[ "$err" == *"password authentication failed"* ]] || fail "wrong password: unexpected error: $err"
ok "a wrong password is refused (password authentication failed)"
expect "the server (PID 1) runs as" "$("$ENGINE" exec "$NAME" stat -c %U /proc/1)" postgres

say "4. Restart"
t0=$EPOCHREALTIME
"$ENGINE" restart "$NAME" >"$WORK/run.log" 2>&1 || { cat "$WORK/run.log"; fail "$ENGINE restart"; }
wait_healthy "$t0"
ok "healthy again ${READY} s after restart"
expect "active model after restart, models in all" \
    "$(q -c "SELECT max(model_id) FILTER (WHERE active), count(*) FROM movie_recs.models")" "2|2"
expect "same recommendations after restart" \
    "$(q -c "SELECT string_agg(movie_id::text, ',' ORDER BY rank) FROM recommend_movies(3, 10)")" \
    "$before"

say "5. A bad MOVIE_RECS_DEMO value"
if "$ENGINE" run --rm --no-healthcheck -e POSTGRES_PASSWORD="$PASSWORD" \
    -e MOVIE_RECS_DEMO=maybe "$IMAGE" >"$WORK/bad.log" 2>&1; then
    fail "the first start succeeded with MOVIE_RECS_DEMO=maybe"
fi
grep -q "MOVIE_RECS_DEMO must be 1 or 0, not 'maybe'" "$WORK/bad.log" ||
    { cat "$WORK/bad.log"; fail "no message about MOVIE_RECS_DEMO"; }
ok "MOVIE_RECS_DEMO=maybe stops the first start: $(grep -o 'movie_recs: MOVIE_RECS_DEMO.*' "$WORK/bad.log")"

say "6. Contents of the image"
# in_image IMAGE SCRIPT: runs the sh SCRIPT in a throwaway container of IMAGE, as root.
in_image() {
    "$ENGINE" run --rm --no-healthcheck --entrypoint sh "$1" -c "$2" 2>"$WORK/in_image.err" ||
        { cat "$WORK/in_image.err" >&2; fail "could not run a shell in $1"; }
}
# Every file and link of an image, sorted.
files='find / -xdev \( -type f -o -type l \) -print | LC_ALL=C sort'
in_image "$BASE_IMAGE" "$files" >"$WORK/base.files"
in_image "$IMAGE" "$files" >"$WORK/image.files"
added=$(LC_ALL=C comm -13 "$WORK/base.files" "$WORK/image.files")
printf '%s\n' "$added" | sed 's/^/      added: /'
unexpected=$(printf '%s\n' "$added" | grep -Ev \
    "^(/usr/lib/postgresql/$PG_MAJOR/lib/movie_recs\.so|/usr/share/postgresql/$PG_MAJOR/extension/movie_recs(\.control|--.*\.sql)|/docker-entrypoint-initdb\.d/[0-9]+_movie_recs.*)$" || true)
[[ -z "$unexpected" ]] || fail "files other than the extension's and the init scripts: $unexpected"
[[ "$added" == *"/lib/movie_recs.so"* ]] || fail "movie_recs.so is not in the image"
ok "the image adds only the extension's files and the init scripts"
# shellcheck disable=SC2016 # expanded in the container
found=$(in_image "$IMAGE" 'for c in g++ gcc cc c++ clang; do command -v "$c" || true; done
                           find / -xdev \( -name postgres.h -o -name pg_config_manual.h \) -print')
[[ -z "$found" ]] || fail "compiler or server headers in the image: $found"
ok "no compiler (g++, gcc, cc, c++, clang) and no PostgreSQL server headers"
labels=$("$ENGINE" image inspect -f \
    '{{index .Config.Labels "org.opencontainers.image.title"}}|{{index .Config.Labels "org.opencontainers.image.version"}}|{{index .Config.Labels "org.opencontainers.image.licenses"}}|{{index .Config.Labels "org.opencontainers.image.source"}}' "$IMAGE")
expect "OCI labels title|version|licenses|source" "$labels" "movie_recs|$VERSION|PostgreSQL|$SOURCE_URL"
[[ "$("$ENGINE" image inspect -f '{{json .Config.Healthcheck}}' "$IMAGE")" == *pg_isready* ]] ||
    fail "no HEALTHCHECK with pg_isready in the image"
ok "HEALTHCHECK runs pg_isready"

say "7. Size"
base_size=$("$ENGINE" image inspect -f '{{.Size}}' "$BASE_IMAGE")
size=$("$ENGINE" image inspect -f '{{.Size}}' "$IMAGE")
added_bytes=$((size - base_size))
printf 'base image  %-40s %12d bytes\n' "$BASE_IMAGE" "$base_size"
printf 'movie_recs  %-40s %12d bytes\n' "PostgreSQL $PG_MAJOR" "$size"
verdict=ok
((added_bytes <= MAX_ADDED_BYTES)) || verdict="FAIL: above $MAX_ADDED_BYTES"
printf 'added over the base (PostgreSQL %s): %d bytes (%s MB) %s\n' "$PG_MAJOR" "$added_bytes" \
    "$(awk -v b="$added_bytes" 'BEGIN { printf "%.2f", b / 1e6 }')" "$verdict"
[[ "$verdict" == ok ]]
