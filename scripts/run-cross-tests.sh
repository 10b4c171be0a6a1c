#!/usr/bin/env bash
# scripts/run-cross-tests.sh [aarch64|armhf]... - build the engine for ARM with the Debian
# cross compilers (cross/*.ini) and run its kernel and model tests under qemu-user:
#   aarch64 with qemu's default CPU (has the dot product: level neondot),
#   aarch64 as a Cortex-A53 (no dot product: level neon),
#   armhf   (32-bit, armv7 NEON: level neon).
# Each run also checks that the dispatch picked that level (EDGE_TEST_EXPECT_ISA).
# The daemon is not cross-built (-Ddaemon=disabled): it has no ARM-specific code.
#   scripts/run-cross-tests.sh --build-only [aarch64|armhf]...  builds and stops (CI builds early)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --cross
build_only=false
if [[ ${1:-} == --build-only ]]; then
    build_only=true
    shift
fi
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(aarch64 armhf)
shared=${EDGE_SHARED_DIR:-$PWD/../shared}
export OPENBLAS_NUM_THREADS=1
# the float sweeps of the scalar reference against libm (tests/kernels/test_f32.c) visit every
# 997th bit pattern, not every 97th: 5 s under qemu instead of 47, still thousands a binade
export EDGE_TEST_SWEEP_STEP=997
unit_tests=(sparse_kernels sparse_f32 int4 move fuse_pw chain)
suites=(kernels models ops)

# Under qemu every shared and generated model runs at the level under test, with two
# intra-op threads and through the op drivers with the portable C kernels
# (EDGE_TEST_CONFIGS; the other x86 levels do not exist there).
# The two lists of a level run at once (the first ends on its longest kernel test alone, 40-110 s
# under qemu, with a core idle), the second's output printed after the first's.
run() { # BUILD_DIR EXPECTED_LEVEL CONFIGS [QEMU_CPU]
    local dir=$1 level=$2 configs=$3 cpu=${4:-} log pid rc=0 rc2=0
    echo "== $dir: kernel and model tests under qemu${cpu:+ -cpu $cpu}, expecting level $level"
    log=$(mktemp /tmp/edged-cross.XXXXXX)
    # issue 48: the sparse (int8, float32) and INT4 kernels against the reference at every level the
    # CPU runs (unit tests, 0.05 s natively); the moves (the tiled transpose's 16x16 byte blocks
    # are unrolled, which compiles differently for ARM: 13 s under qemu); issue 46: the depthwise
    # and pointwise pair in one task (fuse_pw) against the unfused reference, and the row chains of
    # depthwise layers on 2 to 4 threads (chain) against one thread
    env ${cpu:+QEMU_CPU=$cpu} meson test -C "$dir" --no-rebuild --print-errorlogs \
        --logbase testlog-units --num-processes 2 --timeout-multiplier 4 \
        "${unit_tests[@]}" >"$log" 2>&1 &
    pid=$!
    env ${cpu:+QEMU_CPU=$cpu} EDGE_TEST_EXPECT_ISA="$level" EDGE_TEST_CONFIGS="$configs" \
        meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 \
        --timeout-multiplier 4 "${suites[@]/#/--suite=}" || rc=$?
    wait "$pid" || rc2=$?
    cat "$log"
    rm -f "$log"
    [[ $rc -eq 0 && $rc2 -eq 0 ]]
}

for t in "${targets[@]}"; do
    case "$t" in
    aarch64) cross=cross/aarch64-linux-gnu.ini dir=build-aarch64 ;;
    armhf) cross=cross/arm-linux-gnueabihf.ini dir=build-armhf ;;
    *) echo "usage: scripts/run-cross-tests.sh [--build-only] [aarch64|armhf]..." >&2; exit 2 ;;
    esac
    [[ -d $dir ]] || meson setup "$dir" --cross-file "$cross" -Ddaemon=disabled -Dtests=enabled \
        -Dwerror=true -Dshared_dir="$shared" >/dev/null
    # only what the runs below execute (the tests' own executables): the back ends' plugins and
    # the client are not run under qemu, and were a third of the build
    mapfile -t exes < <(meson introspect "$dir" --tests | python3 -c '
import json, os, sys
names, suites = set(sys.argv[2].split()), set(sys.argv[3].split())
for t in json.load(sys.stdin):
    if t["name"] in names or suites & {s.split(":")[-1] for s in t["suite"]}:
        print(os.path.relpath(t["cmd"][0], sys.argv[1]))' "$dir" "${unit_tests[*]}" "${suites[*]}")
    ninja -C "$dir" "${exes[@]}"
    $build_only && continue
    if [[ $t == aarch64 ]]; then
        run "$dir" neondot "neondot,best, 2 threads,portable C,portable C, 3 threads"
        run "$dir" neon "neon,portable C" cortex-a53
    else
        run "$dir" neon "neon,best, 2 threads,portable C,portable C, 3 threads"
    fi
done
