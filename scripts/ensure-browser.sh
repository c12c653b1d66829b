#!/usr/bin/env bash
# Makes sure the browser tests (tests/tests/browser.rs, specs in browser/) can run: Debian's
# chromium at $CHROMIUM (default /usr/bin/chromium; installed with apt-get if missing, as
# Playwright's own browser downloads are not used) and browser/node_modules installed from the
# committed package-lock.json (`npm ci`, when missing or older than the lock file). Node.js 20
# or later must be there already. Idempotent; prints what it did.
set -euo pipefail
cd "$(dirname "$0")/.."
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-browser: installing chromium with apt-get"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
fi
[ -x "$CHROMIUM" ] || { echo "ensure-browser: no chromium at $CHROMIUM" >&2; exit 1; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "ensure-browser: Node.js 20 or later (node and npm) is needed for the browser tests" >&2
  exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "ensure-browser: Node.js $(node --version) is too old; Playwright needs 20 or later" >&2
  exit 1
fi

# npm writes node_modules/.package-lock.json on every install: older than the lock file means
# the lock changed since (a pull, a version bump).
marker=browser/node_modules/.package-lock.json
if [ ! -e "$marker" ] || [ browser/package-lock.json -nt "$marker" ]; then
  echo "ensure-browser: npm ci in browser/"
  (cd browser && npm ci --no-audit --no-fund)
fi
echo "ensure-browser: chromium at $CHROMIUM, Playwright $(cd browser && node -p 'require("@playwright/test/package.json").version')"
