#!/usr/bin/env bash
# tests/fuzz/run-fuzz.sh [SECONDS] - build the libFuzzer harnesses with clang (library
# instrumented, ASan+UBSan) and fuzz the model loader and interpreter for SECONDS
# (default 60), seeded with every shared model and operator vector (and tests/fuzz/sparse's
# sparse models), then the
# inference request parser (HTTP bodies, MQTT payloads) for half as long, seeded with
# tests/fuzz/requests, and the HTTP content codings (gzip, deflate, the header values) for a
# quarter as long, the custom operators' FlexBuffer options (tests/fuzz/flexbuf seeds) for
# a quarter as long, and camera frames (JPEG and PNG decoding and fitting, tests/fuzz/images
# seeds) for a quarter as long, multipart/form-data (tests/fuzz/forms seeds) and the Wyoming event
# reader (tests/fuzz/wyoming seeds) for an eighth as
# long, a model push's parameters (tests/fuzz/push seeds) for an eighth, and the packed-weight cache file's checks (seeded with a valid file) for an eighth. A crash leaves its input in build-fuzz/artifacts/ and fails the script.
#   tests/fuzz/run-fuzz.sh --build-only   builds the harnesses and stops (CI builds them early)
set -euo pipefail
cd "$(dirname "$0")/../.."
build_only=false
if [[ ${1:-} == --build-only ]]; then
    build_only=true
    shift
fi
secs=${1:-60}
shared=${EDGE_SHARED_DIR:-../shared}
# The kernel levels above AVX2 are built uninstrumented (10x faster to compile under clang's
# ASan) and never run: every fuzzer runs with EDGE_ISA=avx2 (the gcc ASan stage runs every
# level's kernels under the sanitizers).
[[ -d build-fuzz ]] || CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
    -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link -Dsanitize_above_avx2=false >/dev/null
export EDGE_ISA=avx2
ninja -C build-fuzz tests/fuzz_model tests/fuzz_request tests/fuzz_http_codec tests/fuzz_flexbuf \
    tests/fuzz_image tests/fuzz_multipart tests/fuzz_pack_cache tests/fuzz_push tests/fuzz_wyoming >/dev/null
$build_only && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p build-fuzz/artifacts

# fuzz NAME SECONDS MAX_LEN WHAT: build-fuzz/tests/NAME over the corpus $work/NAME for SECONDS
# (the environment passes through); a crash leaves its input in build-fuzz/artifacts/ and
# fails the script, and so does an input that runs past 30 s (a hang: libFuzzer's -timeout is
# wall time, and under ASan with CI's other stages beside it a heavy model file took 14 s).
fuzz() {
    local secs=$(($2 < 1 ? 1 : $2)) # libFuzzer's 0 is "forever"
    echo "fuzzing $4 for ${secs}s over $(ls "$work/$1" | wc -l) seed files"
    build-fuzz/tests/"$1" -max_total_time="$secs" -max_len="$3" -timeout=30 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "$work/$1" 2>&1 |
        grep -E "^(Done|stat::number_of_executed_units|stat::new_units|==[0-9]+==ERROR|SUMMARY|artifact)" || true
    if ls build-fuzz/artifacts/* >/dev/null 2>&1; then
        echo "$1 found a failing input: build-fuzz/artifacts/" >&2
        exit 1
    fi
}

mkdir -p "$work"/fuzz_{model,request,http_codec,flexbuf,image,multipart,pack_cache,push,wyoming}
for d in "$shared"/models/*/ "$shared"/ops/*/; do
    [[ -f "$d/model.tflite" ]] && cp "$d/model.tflite" "$work/fuzz_model/$(basename "$d").tflite"
done
cp tests/fuzz/sparse/* "$work/fuzz_model/" # sparse tensors and DENSIFY (robust_sparse.c writes them)
fuzz fuzz_model "$secs" 400000 "the model loader"

cp tests/fuzz/requests/* "$work/fuzz_request/"
EDGE_FUZZ_MODEL="$shared/models/hello_world_int8/model.tflite" \
    fuzz fuzz_request $((secs / 2)) 65536 "the request parser"

printf '\x00gzip, identity' >"$work/fuzz_http_codec/cenc"
printf '\x01gzip;q=0.5, *;q=0' >"$work/fuzz_http_codec/aenc"
{ printf '\x02'; printf '{"inputs":[]}' | gzip -c; } >"$work/fuzz_http_codec/gzip"
fuzz fuzz_http_codec $((secs / 4)) 65536 "the HTTP content codings"

cp tests/fuzz/flexbuf/* "$work/fuzz_flexbuf/"
fuzz fuzz_flexbuf $((secs / 4)) 4096 "the FlexBuffer options reader"

cp tests/fuzz/images/* "$work/fuzz_image/"
fuzz fuzz_image $((secs / 4)) 16384 "the image decoders"

cp tests/fuzz/forms/* "$work/fuzz_multipart/"
fuzz fuzz_multipart $((secs / 8)) 8192 "the multipart/form-data parser"

cp tests/fuzz/push/* "$work/fuzz_push/"
fuzz fuzz_push $((secs / 8)) 8192 "a model push's parameters"

cp tests/fuzz/wyoming/* "$work/fuzz_wyoming/"
fuzz fuzz_wyoming $((secs / 8)) 16384 "the Wyoming event reader"

# the seed: person_detect's own cache file, as libedge writes it (the harness's hash)
EDGE_FUZZ_MODEL="$shared/models/person_detect/model.tflite" build-fuzz/tests/fuzz_pack_cache -runs=1 \
    >/dev/null 2>&1 || true
seed=$(ls -t /tmp/edge-fuzz-pack-*/*.pack 2>/dev/null | head -1)
[[ -n "$seed" ]] && cp "$seed" "$work/fuzz_pack_cache/seed.pack"
rm -rf /tmp/edge-fuzz-pack-*
EDGE_FUZZ_MODEL="$shared/models/person_detect/model.tflite" \
    fuzz fuzz_pack_cache $((secs / 8)) 400000 "the packed-weight cache file's checks"
rm -rf /tmp/edge-fuzz-pack-*
