#!/usr/bin/env bash
# The whole test suite: unit, contract (sled and PostgreSQL), and end-to-end tests against a
# real `cohub serve` process. Makes sure PostgreSQL is there first: a test that needs it fails
# without it (it never skips), here, in CI and anywhere else.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-postgres.sh
export COHUB_TEST_DATABASE_URL="${COHUB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"
# The end-to-end tests start the real binary; build it first so they find it.
cargo build --bin cohub
cargo test --workspace --all-features --no-fail-fast "$@"
