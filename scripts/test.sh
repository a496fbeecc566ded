#!/usr/bin/env bash
# Every check the project has, in the order a failure is cheapest to read:
# generated code fresh, types, Python tests, TypeScript tests (Node 20), runtime and pool on Node 22 and 24.
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
cd "$(dirname "$0")/.."
export UV_PYTHON_DOWNLOADS=never
# Tests run as in CI wherever this script runs: vitest never writes a snapshot or a
# golden file (a missing one fails), and pytest fails a skipped test (docs/TESTING.md).
export CI=true

echo "== generated code is fresh"
bash scripts/generate-check.sh

echo "== generated SDKs are fresh (from committed API snapshots, without Python)"
node packages/cli/bin/bridge.js generate --check --report --manifest apps/dspy-sdk/dspy.bridge.yaml

echo "== lint and typecheck"
pnpm run -s lint
pnpm run -s typecheck
python/.venv/bin/ruff check python

echo "== Python tests"
python/.venv/bin/pytest -q python/tests

echo "== TypeScript tests (node $(node --version))"
pnpm run -s test

echo "== @bridge/runtime and @bridge/pool on Node 22 and Node 24"
bash scripts/node-versions.sh
