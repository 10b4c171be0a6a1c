#!/usr/bin/env bash
# scripts/install-mqttjs.sh - install MQTT.js, the third-party MQTT client of the integration
# tests (tests/integration/mqttjs: the npm package mqtt, pinned in package.json and
# package-lock.json), into tests/integration/mqttjs/node_modules (idempotent).
# Installs node and npm with apt-get when missing (as root, through sudo when not root), then
# runs `npm ci` unless node_modules already holds the pinned mqtt. Prints nothing when there is
# nothing to do; works from any directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/tests/integration/mqttjs"

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [[ ${#missing[@]} -gt 0 ]]; then
    as_root=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null ||
            { echo "install-mqttjs: run as root or install sudo" >&2; exit 1; }
        as_root=(sudo)
    fi
    echo "install-mqttjs: installing ${missing[*]}" >&2
    "${as_root[@]}" apt-get update -qq
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The mqtt version package.json pins, and the one in node_modules (empty when none).
want=$(node -e 'console.log(require(process.argv[1]).dependencies.mqtt)' "$dir/package.json")
have=$(node -e 'console.log(require(process.argv[1]).version)' \
           "$dir/node_modules/mqtt/package.json" 2>/dev/null || true)
[[ -n "$want" && "$want" == "$have" ]] && exit 0

echo "install-mqttjs: npm ci in tests/integration/mqttjs (mqtt $want)" >&2
npm ci --prefix "$dir" --no-audit --no-fund >&2
