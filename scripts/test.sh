#!/usr/bin/env bash
# The whole test suite: unit, contract (sled and PostgreSQL), and end-to-end tests against a
# real `cohub serve` process, over HTTP and in a real browser. Makes sure PostgreSQL, chromium
# and the browser tests' npm packages are there first: a test that needs them fails without
# them (it never skips), here, in CI and anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
export COHUB_TEST_DATABASE_URL="${COHUB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
# The end-to-end tests start the real binary; build it first so they find it.
cargo build --bin cohub
# The browser tests (tests/tests/browser.rs) need chromium and browser/node_modules: they fail,
# never skip, without them.
scripts/ensure-browser.sh
cargo test --workspace --all-features --no-fail-fast "$@"
