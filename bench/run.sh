#!/usr/bin/env bash
# Benchmarks, run by hand (not a test): starts a release `cohub serve --demo` on a fresh data
# directory, loads it over loopback with wrk, times the CLI with hyperfine, and writes
# bench/RESULTS.md with the machine it ran on. Needs: apt-get install wrk hyperfine.
#   bench/run.sh            # 20 s per wrk run
#   DURATION=60 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20}
CONNECTIONS=${CONNECTIONS:-16}
command -v wrk >/dev/null && command -v hyperfine >/dev/null || {
  echo "bench: needs wrk and hyperfine (apt-get install wrk hyperfine)" >&2; exit 1; }
cargo build --release --bin cohub -q
BIN=${CARGO_TARGET_DIR:-target}/release/cohub
DATA=$(mktemp -d)
OUT=$(mktemp)
trap 'kill $PID 2>/dev/null || true; rm -rf "$DATA" "$OUT"' EXIT

"$BIN" serve --data "$DATA/d" --addr 127.0.0.1:0 --demo --no-rate-limit >"$OUT" 2>&1 &
PID=$!
for _ in $(seq 1 100); do grep -q "listening on" "$OUT" && break; sleep 0.1; done
URL="$(head -1 "$OUT" | sed 's/.*listening on //')/graphql"
export COHUB_TOKEN=$(awk '$1 == "champion" {print $NF}' "$OUT")

run() { # name, script
  echo "== $1" >&2
  wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "bench/$2" "$URL"
}
QUERY=$(run "query: a distribution with its consents" query.lua)
FRAME=$(run "mutation: frame a new problem (new stream each time)" frame.lua)
FEEDBACK=$(run "mutation: feedback on one idea (its stream keeps growing)" feedback.lua)
kill -TERM $PID; wait $PID || true
EVENTS=$("$BIN" export --data "$DATA/d" | wc -l)
time_cli() { # markdown table rows of one hyperfine run
  hyperfine -N --warmup 1 --runs 5 --export-markdown "$DATA/t.md" "$1" >/dev/null 2>&1
  cat "$DATA/t.md"
}
VERIFY=$(time_cli "$BIN verify --data $DATA/d")
EXPORT=$(time_cli "$BIN export --data $DATA/d --out $DATA/x.jsonl")
REBUILD=$(time_cli "$BIN rebuild --data $DATA/d --check")

# bench/scale.sh's section is kept: this script rewrites only its own figures above it.
SCALE=$(sed -n '/^## Scale/,$p' bench/RESULTS.md 2>/dev/null || true)
summary() { grep -E "Requests/sec|Latency  |50%|99%|Non-2xx|errors" <<<"$1" | sed 's/^/    /'; }
{
  echo "# Benchmarks"
  echo
  echo "Run by hand with \`bench/run.sh\` (DURATION=${DURATION}s per wrk run, ${CONNECTIONS} connections, 2 wrk threads)."
  echo "wrk and the server share the machine, over loopback; the store is sled on local disk, every"
  echo "mutation acknowledged only after its batch is flushed."
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
  echo "- disk: $(df -h "$DATA" | awk 'NR==2 {print $1}')"
  echo
  echo "## GraphQL over HTTP (wrk)"
  echo
  echo "Query, a member reading a distribution with its versions and consents:"; echo
  summary "$QUERY"; echo
  echo "Mutation, framing a new problem (a new stream each time):"; echo
  summary "$FRAME"; echo
  echo "Mutation, feedback on one idea (the same stream, growing with every request):"; echo
  summary "$FEEDBACK"; echo
  echo "## Command line on the resulting log ($EVENTS events; hyperfine, 5 runs)"
  echo
  echo "$VERIFY"; echo; echo "$EXPORT"; echo; echo "$REBUILD"
  [ -z "$SCALE" ] || { echo; echo "$SCALE"; }
} > bench/RESULTS.md
cat bench/RESULTS.md
