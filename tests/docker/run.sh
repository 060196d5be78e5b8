#!/usr/bin/env bash
# run.sh -- the image smoke test (tests/docker/smoke.sh) as a suite of scripts/test.sh.
#
# PostgreSQL 17 always: it is the image's default and the project's PostgreSQL 17 coverage (the
# regression suite runs inside its build). PostgreSQL 15 next, when the PostgreSQL 17 run took at
# most half of DOCKER_SMOKE_BUDGET: a run costs about the same for either major, so a slow 17 run
# means a cold machine, where 15 would double the time. Measured on 2 busy cores: with the base
# images, layer cache and ccache in place a run takes about 45 s (both: 85 s); cold (base image,
# packages, full compile) about 6 minutes for 17, and 15 is then left out.
#
# Environment:
#   DOCKER_SMOKE_BUDGET  seconds for the whole suite (default 480; scripts/test.sh stops a suite
#                        after TEST_SCRIPT_TIMEOUT = 900 s)
#   DOCKER_SMOKE_MAJORS  the majors to run, in order, regardless of time (e.g. "17 15")
#   DOCKER_SMOKE_SKIP    set to 1 to skip the suite (for example on a development machine where
#                        another build is using the container engine); CI leaves it unset
#   SHARED_DIR, ENGINE, ...  see smoke.sh
# Exit status: 0 passed, 1 failed, 77 skipped (no container engine).
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export REPO_ROOT
# shellcheck source=tests/docker/engine.sh
source "$REPO_ROOT/tests/docker/engine.sh"

if [[ "${DOCKER_SMOKE_SKIP:-0}" == 1 ]]; then
    echo "skipped: DOCKER_SMOKE_SKIP=1"
    exit 77
fi
if ! docker_find_engine; then
    echo "skipped: no container engine ($ENGINE_MISSING)"
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

budget=${DOCKER_SMOKE_BUDGET:-480}
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
