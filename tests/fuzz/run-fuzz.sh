#!/usr/bin/env bash
# tests/fuzz/run-fuzz.sh [SECONDS] - build the libFuzzer harnesses with clang (library
# instrumented, ASan+UBSan) and fuzz the model loader and interpreter for SECONDS
# (default 60), seeded with every shared model and operator vector, then the
# inference request parser (HTTP bodies, MQTT payloads) for half as long, seeded with
# tests/fuzz/requests, and the HTTP content codings (gzip, deflate, the header values) for a
# quarter as long, and the custom operators' FlexBuffer options (tests/fuzz/flexbuf seeds) for
# a quarter as long. A crash leaves its input in build-fuzz/artifacts/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shared=${EDGE_SHARED_DIR:-../shared}
[[ -d build-fuzz ]] || CC=clang meson setup build-fuzz -Db_sanitize=address,undefined \
    -Db_lundef=false -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
ninja -C build-fuzz tests/fuzz_model tests/fuzz_request tests/fuzz_http_codec tests/fuzz_flexbuf \
    >/dev/null
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
for d in "$shared"/models/*/ "$shared"/ops/*/; do
    [[ -f "$d/model.tflite" ]] && cp "$d/model.tflite" "$corpus/$(basename "$d").tflite"
done
mkdir -p build-fuzz/artifacts
echo "fuzzing the model loader for ${secs}s over $(ls "$corpus" | wc -l) seed files"
build-fuzz/tests/fuzz_model -max_total_time="$secs" -max_len=400000 -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ \
    "$corpus" 2>&1 | grep -E "^(Done|stat::number_of_executed_units|stat::new_units|==[0-9]+==ERROR|SUMMARY|artifact)" || true
if ls build-fuzz/artifacts/* >/dev/null 2>&1; then
    echo "fuzz_model found a failing input: build-fuzz/artifacts/" >&2
    exit 1
fi
rcorpus=$(mktemp -d)
trap 'rm -rf "$corpus" "$rcorpus"' EXIT
cp tests/fuzz/requests/* "$rcorpus/"
echo "fuzzing the request parser for $((secs / 2))s"
EDGE_FUZZ_MODEL="$shared/models/hello_world_int8/model.tflite" build-fuzz/tests/fuzz_request \
    -max_total_time=$((secs / 2)) -max_len=65536 -timeout=10 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "$rcorpus" 2>&1 |
    grep -E "^(Done|stat::number_of_executed_units|stat::new_units|==[0-9]+==ERROR|SUMMARY|artifact)" || true
if ls build-fuzz/artifacts/* >/dev/null 2>&1; then
    echo "fuzz_request found a failing input: build-fuzz/artifacts/" >&2
    exit 1
fi
hcorpus=$(mktemp -d)
trap 'rm -rf "$corpus" "$rcorpus" "$hcorpus"' EXIT
printf '\x00gzip, identity' >"$hcorpus/cenc"
printf '\x01gzip;q=0.5, *;q=0' >"$hcorpus/aenc"
{ printf '\x02'; printf '{"inputs":[]}' | gzip -c; } >"$hcorpus/gzip"
echo "fuzzing the HTTP content codings for $((secs / 4))s"
build-fuzz/tests/fuzz_http_codec -max_total_time=$((secs / 4)) -max_len=65536 -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "$hcorpus" 2>&1 |
    grep -E "^(Done|stat::number_of_executed_units|stat::new_units|==[0-9]+==ERROR|SUMMARY|artifact)" || true
if ls build-fuzz/artifacts/* >/dev/null 2>&1; then
    echo "fuzz_http_codec found a failing input: build-fuzz/artifacts/" >&2
    exit 1
fi
fcorpus=$(mktemp -d)
trap 'rm -rf "$corpus" "$rcorpus" "$hcorpus" "$fcorpus"' EXIT
cp tests/fuzz/flexbuf/* "$fcorpus/"
echo "fuzzing the FlexBuffer options reader for $((secs / 4))s"
build-fuzz/tests/fuzz_flexbuf -max_total_time=$((secs / 4)) -max_len=4096 -timeout=10 \
    -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "$fcorpus" 2>&1 |
    grep -E "^(Done|stat::number_of_executed_units|stat::new_units|==[0-9]+==ERROR|SUMMARY|artifact)" || true
if ls build-fuzz/artifacts/* >/dev/null 2>&1; then
    echo "fuzz_flexbuf found a failing input: build-fuzz/artifacts/" >&2
    exit 1
fi
