#!/usr/bin/env bash
# The whole test suite: installs what is missing, runs every ava test (TAP
# output, kept in .data/test-results.tap) and ends with "N passed, M failed".
# Extra arguments go to ava, e.g. `npm test -- test/unit/dossier.test.ts`.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh || exit 1
mkdir -p .data

npx ava --tap "$@" 2>&1 | tee .data/test-results.tap
status=${PIPESTATUS[0]}

passed=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' .data/test-results.tap | tail -n 1)
failed=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' .data/test-results.tap | tail -n 1)
skipped=$(sed -n 's/^# skip \([0-9][0-9]*\)$/\1/p' .data/test-results.tap | tail -n 1)
passed=${passed:-0}
failed=${failed:-0}
# ava can fail without a failing test (a crashed file, a hook, a time-out):
# the run has still failed, and the count says so.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "# ava exited with status $status"
  failed=1
fi
if [ -n "$skipped" ] && [ "$skipped" -gt 0 ]; then
  echo "# $skipped skipped: they need root (real ownership) or Debian's chromium (the dashboard in a browser); marked # SKIP above"
fi
echo "$passed passed, $failed failed"
exit "$status"
