# shellcheck shell=bash
# engine.sh -- sourced by tests/docker/run.sh and smoke.sh: finds a usable container engine.
#
# docker_find_engine prints the command to call (docker or podman) and succeeds, or prints why
# none is usable on stderr and fails. In order:
#   1. $ENGINE, when set;
#   2. $SHARED_DIR/tools/container-engine (default SHARED_DIR: the shared/ directory beside the
#      clone), which makes podman usable on the CI machines (it may apt-install it);
#   3. docker or podman on PATH, when `info` answers.

docker_shared_dir() {
    printf '%s\n' "${SHARED_DIR:-$REPO_ROOT/../shared}"
}

docker_find_engine() {
    local tool e
    if [[ -n "${ENGINE:-}" ]]; then
        printf '%s\n' "$ENGINE"
        return 0
    fi
    tool=$(docker_shared_dir)/tools/container-engine
    if [[ -x "$tool" ]]; then
        if e=$("$tool" 2>/dev/null) && [[ -n "$e" ]] && "$e" info >/dev/null 2>&1; then
            printf '%s\n' "$e"
            return 0
        fi
        echo "$tool did not give a working engine" >&2
    fi
    for e in docker podman; do
        if command -v "$e" >/dev/null 2>&1 && "$e" info >/dev/null 2>&1; then
            printf '%s\n' "$e"
            return 0
        fi
    done
    echo "no $tool, and neither docker nor podman answers 'info'" >&2
    return 1
}
