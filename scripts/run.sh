#!/usr/bin/env bash
# The README's two commands: `bash scripts/run.sh demo` and `bash scripts/run.sh test`.
# Each sets the machine up first (scripts/setup.sh), so a fresh clone needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:-}
case "$what" in
  demo) bash scripts/setup.sh && pnpm --silent --filter @bridge/dspy-sdk run start ;;
  test) bash scripts/setup.sh && bash scripts/test.sh ;;
  *) echo "usage: bash scripts/run.sh demo|test" >&2; exit 2 ;;
esac
