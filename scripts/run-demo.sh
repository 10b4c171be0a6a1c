#!/usr/bin/env bash
# scripts/run-demo.sh - README command 1: install, build, and run the demo model.
# Generates a small int8 model that reads an 8x8 picture of a digit, shows the
# picture, and prints edgectl's answer (the top classes with their scores).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
[[ -d build ]] || meson setup build >/dev/null
ninja -C build >/dev/null
./build/tools/edge-mkmodel demo build/demo >/dev/null
digit=${1:-7}
echo "input (build/demo/digits-$digit.bin):"
od -An -v -tx1 -w8 "build/demo/digits-$digit.bin" | sed 's/ 80/  ./g; s/ 7f/  #/g'
echo "edgectl run build/demo/digits.tflite --input build/demo/digits-$digit.bin --top 3:"
./build/client/edgectl run build/demo/digits.tflite --input "build/demo/digits-$digit.bin" \
    --labels build/demo/digits.labels --top 3
