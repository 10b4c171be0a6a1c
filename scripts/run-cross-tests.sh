#!/usr/bin/env bash
# scripts/run-cross-tests.sh [aarch64|armhf]... - build the engine for ARM with the Debian
# cross compilers (cross/*.ini) and run its kernel and model tests under qemu-user:
#   aarch64 with qemu's default CPU (has the dot product: level neondot),
#   aarch64 as a Cortex-A53 (no dot product: level neon),
#   armhf   (32-bit, armv7 NEON: level neon).
# Each run also checks that the dispatch picked that level (EDGE_TEST_EXPECT_ISA).
# The daemon is not cross-built (-Ddaemon=disabled): it has no ARM-specific code.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --cross
targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(aarch64 armhf)
shared=${EDGE_SHARED_DIR:-$PWD/../shared}
export OPENBLAS_NUM_THREADS=1

# Under qemu the shared int8 models run at the level under test (EDGE_TEST_CONFIGS), the
# generated models 10 per operator (EDGE_GEN_CASES) at every level and driver configuration.
# What is the same C code on every architecture runs fully on x86 only: the scalar
# level, intra-op threads (also under TSan) and the legacy uint8 models, which always run
# the reference kernels (EDGE_MODELS_FILTER).
run() { # BUILD_DIR EXPECTED_LEVEL CONFIGS [QEMU_CPU]
    local dir=$1 level=$2 configs=$3 cpu=${4:-}
    echo "== $dir: kernel and model tests under qemu${cpu:+ -cpu $cpu}, expecting level $level"
    env ${cpu:+QEMU_CPU=$cpu} EDGE_TEST_EXPECT_ISA="$level" EDGE_TEST_CONFIGS="$configs" \
        EDGE_GEN_CASES=10 EDGE_MODELS_FILTER='!quant_u8' \
        meson test -C "$dir" --print-errorlogs --num-processes 2 --timeout-multiplier 4 \
        --suite kernels --suite models --suite ops
}

for t in "${targets[@]}"; do
    case "$t" in
    aarch64) cross=cross/aarch64-linux-gnu.ini dir=build-aarch64 ;;
    armhf) cross=cross/arm-linux-gnueabihf.ini dir=build-armhf ;;
    *) echo "usage: scripts/run-cross-tests.sh [aarch64|armhf]..." >&2; exit 2 ;;
    esac
    [[ -d $dir ]] || meson setup "$dir" --cross-file "$cross" -Ddaemon=disabled -Dtests=enabled \
        -Dwerror=true -Dshared_dir="$shared" >/dev/null
    ninja -C "$dir"
    if [[ $t == aarch64 ]]; then
        run "$dir" neondot neondot
        run "$dir" neon neon cortex-a53
    else
        run "$dir" neon neon
    fi
done
