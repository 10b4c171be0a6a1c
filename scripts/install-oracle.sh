#!/usr/bin/env bash
# scripts/install-oracle.sh - TensorFlow Lite itself (LiteRT.js 2.5.3 from npm, run from Node) for
# the tests that compare edged with it (tests/voice/oww_oracle.mjs: the wake_oracle test).
# Copies ../shared/oracle (or $EDGE_SHARED_DIR/oracle) into tests/voice/oracle (ignored by git)
# and runs its setup.sh there (npm install + its dtype patch) unless that was done already;
# installs nodejs and npm from Debian when missing (lib-node.sh). Prints the folder for
# EDGE_ORACLE_DIR.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
shared=${EDGE_SHARED_DIR:-$root/../shared}
dir="$root/tests/voice/oracle"

# shellcheck source=lib-node.sh
source "$root/scripts/lib-node.sh"
need_node install-oracle

core="$dir/node_modules/@litertjs/core"
if [[ -f "$core/package.json" ]] && grep -q 'ORACLE PATCH' "$core/dist/index.js" &&
    [[ $(node -e 'console.log(require(process.argv[1]).version)' "$core/package.json") == 2.5.3 ]]; then
    echo "$dir"
    exit 0
fi
[[ -f "$shared/oracle/setup.sh" ]] ||
    { echo "install-oracle: $shared/oracle/setup.sh is missing" >&2; exit 1; }
echo "install-oracle: LiteRT.js 2.5.3 into tests/voice/oracle (npm)" >&2
mkdir -p "$dir"
cp -r "$shared/oracle/." "$dir/"
(cd "$dir" && ./setup.sh >&2)
echo "$dir"
