#!/usr/bin/env bash
# run.sh -- the image smoke test (tests/docker/smoke.sh) as a suite of scripts/test.sh.
#
# PostgreSQL 17 always: it is the image's default and the project's PostgreSQL 17 coverage (the
# regression suite runs inside its build). PostgreSQL 15 next, when the PostgreSQL 17 run left
# room in the time budget: a run costs about the same for either major, so 15 runs when 17 took
# at most half of DOCKER_SMOKE_BUDGET. A cold machine (base images and builds from scratch)
# takes about 7 minutes for 17 and skips 15; with the images and build caches in place each run
# takes about 1 to 2 minutes and both run.
#
# Environment:
#   DOCKER_SMOKE_BUDGET  seconds for the whole suite (default 600; scripts/test.sh stops a suite
#                        after TEST_SCRIPT_TIMEOUT = 900 s)
#   DOCKER_SMOKE_MAJORS  the majors to run, in order, regardless of time (e.g. "17 15")
#   SHARED_DIR, ENGINE, ...  see smoke.sh
# Exit status: 0 passed, 1 failed, 77 skipped (no container engine).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT
# shellcheck source=tests/docker/engine.sh
source "$REPO_ROOT/tests/docker/engine.sh"

if ! ENGINE=$(docker_find_engine); then
    echo "skipped: no container engine"
    exit 77
fi
export ENGINE
smoke=$REPO_ROOT/tests/docker/smoke.sh

if [[ -n "${DOCKER_SMOKE_MAJORS:-}" ]]; then
    for major in $DOCKER_SMOKE_MAJORS; do
        bash "$smoke" "$major"
    done
    exit 0
fi

budget=${DOCKER_SMOKE_BUDGET:-600}
start=$SECONDS
bash "$smoke" 17
took=$((SECONDS - start))
echo
if ((2 * took <= budget)); then
    echo "run.sh: PostgreSQL 17 took ${took} s of a ${budget} s budget; running PostgreSQL 15"
    bash "$smoke" 15
else
    echo "run.sh: PostgreSQL 15 not run: PostgreSQL 17 took ${took} s, more than half of the" \
        "${budget} s budget (a cold machine). DOCKER_SMOKE_MAJORS=\"17 15\" runs both."
fi
