#!/usr/bin/env bash
# Installs what a fresh clone lacks: the npm packages (from package-lock.json)
# and redis-server (with apt-get when running as root; otherwise it says what to install).
# With --redis-optional (the quick start, which can use a Redis that already
# runs), a missing redis-server that cannot be installed is a warning, not an error.
set -euo pipefail
cd "$(dirname "$0")/.."

node -e '
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`Node.js ${process.versions.node} is too old: Moneypenny needs 20.19 or newer.`);
  process.exit(1);
}'

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "Installing npm packages (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing redis-server (apt-get)..." >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "redis-server is not installed, and only root can install it here." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis)." >&2
    if [ "${1:-}" = "--redis-optional" ]; then
      echo "Continuing: a Redis must already answer at REDIS_URL." >&2
    else
      exit 1
    fi
  fi
fi
