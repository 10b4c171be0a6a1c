#!/usr/bin/env bash
# scripts/test-under-load.sh - the integration suite once more with a CPU hog on every core.
#
# A functional test asserts behaviour, never a speed (issue 44): this stage proves it by running
# `meson test --suite integration` while stress-ng (Debian's, installed by
# scripts/install-deps.sh --test) keeps one CPU worker busy on every core at normal priority.
# The suite must pass. The hog is stopped however this script ends (a trap on EXIT, INT and
# TERM kills its whole process group), and it stops by itself after HOG_MAX_S seconds should
# the trap never run (the script killed with SIGKILL).
#
#   scripts/test-under-load.sh [BUILD_DIR] [meson test arguments...]
#   BUILD_DIR defaults to build (README command 2's); extra arguments go to meson test, e.g.
#   scripts/test-under-load.sh build sequence vision
#
# Environment: LOAD_WORKERS (default: nproc), LOAD_TIMEOUT_MULTIPLIER (default 3: each test's
# own timeout, times this; a loaded machine runs a test about twice as long).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [[ $# -gt 0 && -d "$1" ]]; then
    build=$1
    shift
fi
workers=${LOAD_WORKERS:-$(nproc)}
mult=${LOAD_TIMEOUT_MULTIPLIER:-3}
HOG_MAX_S=${HOG_MAX_S:-5400}

command -v stress-ng >/dev/null || {
    echo "test-under-load: stress-ng is missing (scripts/install-deps.sh --test installs it)" >&2
    exit 1
}
[[ -f "$build/build.ninja" ]] || {
    echo "test-under-load: $build is not a meson build directory (run scripts/run-tests.sh)" >&2
    exit 1
}

# its own session (setsid), so that the trap can kill stress-ng and every worker it forked
setsid stress-ng --cpu "$workers" --cpu-method all --timeout "${HOG_MAX_S}s" --quiet 2>/dev/null &
hog=$!
suite=
stop_all() {
    set +e # every step runs, whatever the one before returned
    if [[ -n "$suite" ]]; then
        kill -TERM "$suite" 2>/dev/null
        wait "$suite" 2>/dev/null
    fi
    # stress-ng's parent can linger after a TERM: KILL the whole group after a short grace
    kill -TERM -- "-$hog" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 -- "-$hog" 2>/dev/null || break
        sleep 0.5
    done
    kill -KILL -- "-$hog" 2>/dev/null || true
    wait "$hog" 2>/dev/null || true
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

sleep 1
kill -0 "$hog" 2>/dev/null || { echo "test-under-load: stress-ng did not start" >&2; exit 1; }
echo "test-under-load: stress-ng --cpu $workers (pid $hog) on $(nproc) cores;" \
    "meson test --suite integration --timeout-multiplier $mult $*"
start=$(date +%s)
# in the background, so that a TERM or INT runs the traps at once (bash defers them while a
# foreground command runs)
meson test -C "$build" --print-errorlogs --num-processes 2 --timeout-multiplier "$mult" \
    --suite integration "$@" &
suite=$!
rc=0
wait "$suite" || rc=$?
suite=
echo "test-under-load: $(( $(date +%s) - start )) s under load, load average" \
    "$(cut -d' ' -f1-3 /proc/loadavg), meson test exit $rc"
exit "$rc"
