#!/usr/bin/env bash
# Regenerates every generated file (TS protocol stubs, Python protocol stubs) and fails
# if anything differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm --filter @bridge/protocol run -s generate
python/.venv/bin/python python/scripts/generate.py
if ! git diff --exit-code --stat -- packages/protocol/src/gen python/bridge_worker/_gen; then
  echo "generated code is stale: run 'pnpm generate' and 'python/.venv/bin/python python/scripts/generate.py', then commit" >&2
  exit 1
fi
untracked=$(git ls-files --others --exclude-standard -- packages/protocol/src/gen python/bridge_worker/_gen)
if [ -n "$untracked" ]; then
  echo "generated files are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "generated code is fresh"
