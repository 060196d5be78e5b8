# tests/lib/check.sh -- the check helper of the shell suites that print TAP-style lines
# (tests/faults, tests/leaf_reads, tests/progress); sourced, never run.
# shellcheck shell=bash

CHECKS_FAILED=0  # how many checks failed so far

# check DESCRIPTION COMMAND...: runs COMMAND and prints "ok - DESCRIPTION" when it succeeds,
# "not ok - DESCRIPTION" (counted in CHECKS_FAILED) when it fails.
check() {
    local what=$1
    shift
    if "$@"; then
        echo "ok - $what"
    else
        echo "not ok - $what"
        CHECKS_FAILED=$((CHECKS_FAILED + 1))
    fi
}
