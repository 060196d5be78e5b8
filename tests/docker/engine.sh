# shellcheck shell=bash
# engine.sh -- sourced by tests/docker/run.sh and smoke.sh: finds a usable container engine.
#
# docker_find_engine sets ENGINE to the command to call (docker or podman) and succeeds, or sets
# ENGINE_MISSING to the reason none is usable and fails. In order:
#   1. $ENGINE, when set;
#   2. $SHARED_DIR/tools/container-engine (default SHARED_DIR: the shared/ directory beside the
#      clone), which makes podman usable on the CI machines (it may apt-install it);
#   3. docker or podman on PATH, when `info` answers.

docker_shared_dir() {
    printf '%s\n' "${SHARED_DIR:-$REPO_ROOT/../shared}"
}

docker_find_engine() {
    local tool e why
    [[ -n "${ENGINE:-}" ]] && return 0
    tool=$(docker_shared_dir)/tools/container-engine
    if [[ -x "$tool" ]]; then
        if e=$("$tool" 2>/dev/null) && [[ -n "$e" ]] && "$e" info >/dev/null 2>&1; then
            ENGINE=$e
            return 0
        fi
        why="$tool failed"
    else
        why="no $tool"
    fi
    for e in docker podman; do
        if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
            ENGINE=$e
            return 0
        fi
    done
    # shellcheck disable=SC2034 # read by the scripts that source this file
    ENGINE_MISSING="$why; neither docker nor podman on PATH answers 'info'"
    return 1
}
