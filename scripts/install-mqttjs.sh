#!/usr/bin/env bash
# scripts/install-mqttjs.sh - install MQTT.js, the third-party MQTT client of the integration
# tests (tests/integration/mqttjs: the npm package mqtt, pinned in package.json and
# package-lock.json), into tests/integration/mqttjs/node_modules (idempotent).
# Installs node and npm with apt-get when missing (lib-node.sh: as root, or through sudo), then
# runs `npm ci` unless node_modules already holds the pinned mqtt. Prints nothing when there is
# nothing to do; works from any directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="$root/tests/integration/mqttjs"

# shellcheck source=lib-node.sh
source "$root/scripts/lib-node.sh"
need_node install-mqttjs

# The mqtt version package.json pins, and the one in node_modules (empty when none).
want=$(node -e 'console.log(require(process.argv[1]).dependencies.mqtt)' "$dir/package.json")
have=$(node -e 'console.log(require(process.argv[1]).version)' \
           "$dir/node_modules/mqtt/package.json" 2>/dev/null || true)
[[ -n "$want" && "$want" == "$have" ]] && exit 0

echo "install-mqttjs: npm ci in tests/integration/mqttjs (mqtt $want)" >&2
npm ci --prefix "$dir" --no-audit --no-fund >&2
