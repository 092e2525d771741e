#!/usr/bin/env bash
# Quick start: installs what is missing, builds, and runs the API and the worker
# on their embedded defaults (see scripts/devServer.ts). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --redis-optional
npm run --silent build
exec node --import tsx scripts/devServer.ts
