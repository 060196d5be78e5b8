#!/usr/bin/env bash
# install-deps.sh -- install the Debian 12 packages needed to build, test and
# demo movie_recs.  Idempotent: when every package is already installed it
# does not touch apt at all.  Must run as root when something is missing.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

PACKAGES=(
    build-essential
    cmake
    pkg-config
    postgresql-15
    postgresql-server-dev-15
    libeigen3-dev
    libgtest-dev
    postgresql-15-pgtap
    postgresql-15-cron
    libtap-parser-sourcehandler-pgtap-perl
    libpq-dev
    python3
    python3-numpy
    clang
    libclang-rt-14-dev
)

log() { printf 'install-deps: %s\n' "$*"; }
die() { printf 'install-deps: error: %s\n' "$*" >&2; exit 1; }

command -v dpkg-query >/dev/null 2>&1 ||
    die "dpkg-query not found; this script supports Debian 12 (bookworm) only"

# Prints the packages of "$@" that are not fully installed.
missing_packages() {
    local pkg status
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        if [[ "$status" != "installed" ]]; then
            printf '%s\n' "$pkg"
        fi
    done
}

mapfile -t missing < <(missing_packages "${PACKAGES[@]}")

if ((${#missing[@]} == 0)); then
    log "all ${#PACKAGES[@]} packages already installed; nothing to do"
    exit 0
fi

log "missing packages: ${missing[*]}"

if [[ "$(id -u)" -ne 0 ]]; then
    die "not running as root, cannot install: ${missing[*]}
  run:  sudo $0
  or:   sudo apt-get install -y --no-install-recommends ${missing[*]}"
fi

apt_opts=(-q -o Dpkg::Use-Pty=0)

# apt-get update can fail transiently (mirror sync); retry a few times.
attempt=1
until apt-get "${apt_opts[@]}" update; do
    if ((attempt >= 3)); then
        die "apt-get update failed $attempt times"
    fi
    attempt=$((attempt + 1))
    log "apt-get update failed; retrying in 5s (attempt $attempt of 3)"
    sleep 5
done

apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"

mapfile -t still_missing < <(missing_packages "${PACKAGES[@]}")
if ((${#still_missing[@]} != 0)); then
    die "still not installed after apt-get install: ${still_missing[*]}"
fi

log "installed: ${missing[*]}"
