#!/usr/bin/env bash
# scripts/run-demo.sh [--once] [DIGIT] - README command 1: install, build, start edged
# with a development config, show one `edgectl infer` answer, keep serving until Ctrl-C.
#   build/dev/edged.conf   the development config (socket in build/dev, log level info)
#   build/dev/models/      the digits demo model, plus ../shared/models when present
# --once stops edged after the answer (CI uses it); DIGIT (0-9, default 7) picks the picture.
set -euo pipefail
cd "$(dirname "$0")/.."
once=0
digit=7
for a in "$@"; do
    case "$a" in
    --once) once=1 ;;
    [0-9]) digit=$a ;;
    *) echo "usage: scripts/run-demo.sh [--once] [DIGIT]" >&2; exit 2 ;;
    esac
done

scripts/install-deps.sh
[[ -d build ]] || meson setup build >/dev/null
ninja -C build >/dev/null

dev=$PWD/build/dev
rm -rf "$dev/models"
mkdir -p "$dev/models"
./build/tools/edge-mkmodel demo build/demo >/dev/null
cp build/demo/digits.tflite "$dev/models/"
shared=${EDGE_SHARED_DIR:-$PWD/../shared}
if [[ -d "$shared/models" ]]; then
    for d in "$shared"/models/*/; do
        [[ -f "$d/model.tflite" ]] && ln -s "$(cd "$d" && pwd)/model.tflite" "$dev/models/$(basename "$d").tflite"
    done
fi
cat > "$dev/edged.conf" <<CONF
# edged development config written by scripts/run-demo.sh (see conf/edged.conf for every option)
[server]
socket = $dev/edged.sock
[models]
repository = $dev/models
[log]
level = info
CONF

./build/daemon/edged --config "$dev/edged.conf" 2> "$dev/edged.log" &
edged_pid=$!
stop() { kill -TERM "$edged_pid" 2>/dev/null || true; wait "$edged_pid" 2>/dev/null; }
trap 'stop; exit 130' INT TERM
trap 'stop' EXIT
edgectl() { ./build/client/edgectl "$1" --socket "$dev/edged.sock" "${@:2}"; }
for _ in $(seq 300); do
    kill -0 "$edged_pid" 2>/dev/null || { cat "$dev/edged.log" >&2; exit 1; }
    grep -q "ready on" "$dev/edged.log" && edgectl status >/dev/null 2>&1 && break
    sleep 0.1
done
grep -E "ready on" "$dev/edged.log" | sed 's/^<[0-9]>//'

echo "input (build/demo/digits-$digit.bin):"
od -An -v -tx1 -w8 "build/demo/digits-$digit.bin" | sed 's/ 80/  ./g; s/ 7f/  #/g'
echo "edgectl infer digits --input build/demo/digits-$digit.bin --top 3:"
edgectl infer digits --input "build/demo/digits-$digit.bin" \
    --labels build/demo/digits.labels --top 3

if [[ $once -eq 1 ]]; then
    trap - EXIT
    kill -TERM "$edged_pid"
    wait "$edged_pid"
    exit $?
fi
echo
echo "edged is serving on $dev/edged.sock (log: $dev/edged.log). Try:"
echo "  build/client/edgectl models --socket $dev/edged.sock"
echo "  curl --unix-socket $dev/edged.sock http://localhost/v2/models/digits"
echo "Ctrl-C stops it."
wait "$edged_pid"
