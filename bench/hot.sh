#!/usr/bin/env bash
# One hot stream, run by hand (not a test): clients giving feedback on the same idea at
# 1, 16 and 64 connections, each run on a fresh demo store, then the log is checked; and the
# smallest query with and without a member's token. Side by side for several builds in one
# run (this machine is noisy). Writes the section "Writes: one hot stream" of
# bench/RESULTS.md (the rest of the file is kept). Needs: apt-get install wrk.
#   bench/hot.sh                                      # the current tree's release build
#   BINS="before=/path/to/old/cohub after=target/release/cohub" bench/hot.sh
#   DURATION=20 CONNS="16 64" bench/hot.sh
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-15}
CONNS=${CONNS:-"1 16 64"}
command -v wrk >/dev/null || { echo "hot: needs wrk (apt-get install wrk)" >&2; exit 1; }
if [ -z "${BINS:-}" ]; then
  cargo build --release --bin cohub -q
  BINS="after=${CARGO_TARGET_DIR:-target}/release/cohub"
fi
WORK=$(mktemp -d)
trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
PID=

# Starts a server on a fresh demo store: sets PID, URL and TOKEN (the champion's).
start() { # binary, data directory
  "$1" serve --data "$2" --addr 127.0.0.1:0 --demo --no-rate-limit >"$WORK/out" 2>&1 &
  PID=$!
  for _ in $(seq 1 100); do grep -q "listening on" "$WORK/out" && break; sleep 0.1; done
  URL="$(head -1 "$WORK/out" | sed 's/.*listening on //')/graphql"
  TOKEN=$(awk '$1 == "champion" {print $NF}' "$WORK/out")
}
stop() { kill -TERM $PID; wait $PID || true; PID=; }
field() { awk "$1" "$WORK/wrk"; }

# Feedback on the demo idea from `connections` clients: prints a markdown table row.
hot() { # label, binary, connections
  local label=$1 bin=$2 conns=$3 data="$WORK/$1-$3" threads=2
  [ "$conns" -ge 2 ] || threads=1
  start "$bin" "$data"
  COHUB_TOKEN=$TOKEN wrk -t"$threads" -c"$conns" -d"${DURATION}s" --latency \
    -s bench/feedback.lua "$URL" >"$WORK/wrk" 2>"$WORK/wrk.err"
  stop
  local landed verified
  landed=$("$bin" export --data "$data" | grep -c 'Benchmark feedback' || true)
  if "$bin" verify --data "$data" >/dev/null 2>&1; then verified=yes; else verified=NO; fi
  echo "| $label | $conns | $(field '/Requests\/sec/ {printf "%.0f", $2}') | $(field '$1 == "50%" {print $2}') | $(field '$1 == "99%" {print $2}') | $(field '/requests in/ {print $1}') | $(field '/responses with errors/ {print $4}') | $(field '/responses with CONFLICT/ {print $4}') | $landed | $verified |"
  rm -rf "$data"
}

# `{__typename}` at 16 connections, with the champion's token and without one.
typename() { # label, binary
  local label=$1 bin=$2 with without
  start "$bin" "$WORK/$1-typename"
  COHUB_TOKEN=$TOKEN wrk -t2 -c16 -d"${DURATION}s" --latency -s bench/typename.lua "$URL" \
    >"$WORK/wrk" 2>"$WORK/wrk.err"
  with="$(field '/Requests\/sec/ {printf "%.0f", $2}') | $(field '$1 == "99%" {print $2}') | $(field '/responses with errors/ {print $4}')"
  COHUB_TOKEN= wrk -t2 -c16 -d"${DURATION}s" --latency -s bench/typename.lua "$URL" \
    >"$WORK/wrk" 2>"$WORK/wrk.err"
  without="$(field '/Requests\/sec/ {printf "%.0f", $2}') | $(field '$1 == "99%" {print $2}') | $(field '/responses with errors/ {print $4}')"
  stop
  echo "| $label | $with | $without |"
  rm -rf "$WORK/$1-typename"
}

ROWS=""
for c in $CONNS; do
  for pair in $BINS; do ROWS+="$(hot "${pair%%=*}" "${pair#*=}" "$c")"$'\n'; done
done
TYPENAME=""
for pair in $BINS; do TYPENAME+="$(typename "${pair%%=*}" "${pair#*=}")"$'\n'; done

SECTION=$(
  echo "## Writes: one hot stream"
  echo
  echo "Run by hand with \`bench/hot.sh\` (wrk, ${DURATION} s per run, on the same cores as the server, over"
  echo "loopback; sled on local disk; a fresh demo store per run). The builds, side by side in one run:"
  echo
  for pair in $BINS; do echo "- ${pair%%=*}: \`${pair#*=}\`"; done
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), scripts at commit $(git rev-parse --short HEAD)"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
  echo
  echo "bench/feedback.lua: the demo's champion gives feedback on the demo idea, every request a"
  echo "durable append to the same stream. \"landed\" counts the benchmark's feedback in the exported"
  echo "log afterwards (a request still in flight when wrk stops may land uncounted by wrk);"
  echo "\"verified\" is \`cohub verify\` on it."
  echo
  echo "| build | connections | requests/s | p50 | p99 | requests | errors | CONFLICT | landed | verified |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  printf "%s" "$ROWS"
  echo
  echo "bench/typename.lua, \`{__typename}\` at 16 connections, with the champion's token and without:"
  echo
  echo "| build | with a token: requests/s | p99 | errors | without: requests/s | p99 | errors |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  printf "%s" "$TYPENAME"
)
# Replace this section if it is there (up to the next "## " heading), else append it.
awk -v section="$SECTION" '
  /^## Writes: one hot stream/ { print section; skip = 1; done = 1; next }
  skip && /^## / { skip = 0; print "" }
  !skip { print }
  END { if (!done) { print ""; print section } }
' bench/RESULTS.md >"$WORK/results"
cp "$WORK/results" bench/RESULTS.md
echo "$SECTION"
