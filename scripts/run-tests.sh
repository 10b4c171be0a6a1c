#!/usr/bin/env bash
# scripts/run-tests.sh - README command 2: install, build, and pass the whole test suite.
# Shared test data (models, operator vectors) is read from ../shared beside the
# project; tests that need it print SKIP when it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
scripts/install-mqttjs.sh          # MQTT.js, the third-party client of the MQTT tests
EDGE_ORACLE_DIR=$(scripts/install-oracle.sh) # LiteRT.js: TensorFlow Lite for wake_oracle
export EDGE_ORACLE_DIR EDGED_REQUIRE_ORACLE=1 # so that wake_oracle fails rather than skips
export EDGED_REQUIRE_MQTTJS=1      # so that its test fails rather than skips without it
export EDGED_REQUIRE_BROWSER=1     # the status page's test: chromium is installed above
if [[ -d build ]]; then
    meson configure build -Dtests=enabled -Dwerror=true >/dev/null   # e.g. after run-demo.sh
else
    meson setup build -Dtests=enabled -Dwerror=true >/dev/null
fi
ninja -C build
meson test -C build --print-errorlogs --num-processes 2 "$@"
