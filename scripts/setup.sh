#!/usr/bin/env bash
# Sets up everything Bridge's development needs on a fresh machine, idempotently:
# pnpm (pinned), uv (from PyPI), the worker's Python dev environment (python/.venv,
# locked by python/uv.lock), the Node dependencies (locked by pnpm-lock.yaml), a build,
# and the DSPy example's environment (from its manifest, locked by dspy.bridge.lock).
set -euo pipefail
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
cd "$(dirname "$0")/.."

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
# Network steps get three tries: a dropped connection to a registry should not fail a run.
retry() {
  local attempt
  for attempt in 1 2 3; do
    "$@" && return 0
    [ "$attempt" = 3 ] || { log "retrying in $((attempt * 5)) s: $*"; sleep $((attempt * 5)); }
  done
  return 1
}

PNPM_VERSION=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  log "installing pnpm $PNPM_VERSION"
  retry npm install --global --no-fund --no-audit "pnpm@$PNPM_VERSION" >/dev/null
fi

if ! command -v uv >/dev/null 2>&1; then
  log "installing uv from PyPI"
  retry python3 -m pip install --quiet --disable-pip-version-check uv
fi

# Never let uv download a Python build: use an interpreter already on the machine.
export UV_PYTHON_DOWNLOADS=never
log "syncing the Python dev environment (python/.venv)"
retry uv sync --quiet --project python --frozen --python python3

log "installing Node dependencies"
retry pnpm install --frozen-lockfile --reporter=silent

log "building packages"
pnpm run -s build >/dev/null

# The DSPy example's environment comes from its manifest, through Bridge itself.
log "building the DSPy example's environment (apps/dspy-sdk/dspy.bridge.yaml)"
node packages/cli/bin/bridge.js env sync --frozen --manifest apps/dspy-sdk/dspy.bridge.yaml >/dev/null
log "ready"
