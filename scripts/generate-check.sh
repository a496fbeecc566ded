#!/usr/bin/env bash
# Regenerates every generated file (TS protocol stubs, Python protocol stubs) and fails
# if anything differs from what is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
pnpm --filter @bridge/protocol run -s generate
pnpm --filter @bridge/manifest run -s generate >/dev/null
python/.venv/bin/python python/scripts/generate.py
generated="packages/protocol/src/gen python/bridge_worker/_gen packages/manifest/schema"
# shellcheck disable=SC2086
if ! git diff --exit-code --stat -- $generated; then
  echo "generated code is stale: run 'pnpm generate' and 'python/.venv/bin/python python/scripts/generate.py', then commit" >&2
  exit 1
fi
# shellcheck disable=SC2086
untracked=$(git ls-files --others --exclude-standard -- $generated)
if [ -n "$untracked" ]; then
  echo "generated files are not committed:" >&2
  echo "$untracked" >&2
  exit 1
fi
echo "generated code is fresh"
