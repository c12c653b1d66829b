#!/usr/bin/env bash
# Writes side by side, run by hand (not a test): the hub workload (frame a problem, propose an
# idea, give feedback, propose a distribution, consent; one hub per connection) at several
# connection counts against
#   cohub-sled   cohub serve on the embedded sled store
#   cohub-pg     cohub serve on PostgreSQL
#   peer         the same workload on cqrs-es with postgres-es, same PostgreSQL (cohub-bench peer)
#   fixed        an axum handler answering fixed JSON: the HTTP ceiling (cohub-bench fixed)
#   raw-sled     sled apply_batch + flush, batches of N events: the sled limit
#   raw-pg       one multi-row INSERT of N rows + COMMIT: the PostgreSQL limit
# Every server starts empty for each connection count. One driver (cohub-bench load) loads
# every server, on the same 2 cores. Writes bench/compare.csv, bench/compare-throughput.svg,
# bench/compare-p99.svg and the section "Side by side" of bench/RESULTS.md.
#   bench/compare.sh                 # release build; 1, 4, 16 and 64 connections, 10 s each
#   CONNS="16 64" DURATION=20 bench/compare.sh
#   bench/compare.sh --quick         # debug build, 1 and 4 connections, 1 s each, results in a
#                                    # temporary directory; fails if any request fails
#                                    # (.ci/run runs it once; it asserts nothing about speed)
# PostgreSQL: COHUB_BENCH_PG (default postgres://postgres@127.0.0.1:5432); it makes and drops
# the databases cohub_bench_raw, cohub_bench_peer and cohub_bench_cohub there.
set -euo pipefail
cd "$(dirname "$0")/.."
PG=${COHUB_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
WORK=$(mktemp -d)
PID=
trap 'if [ -n "$PID" ]; then kill $PID 2>/dev/null || true; fi; rm -rf "$WORK"' EXIT
if [ $QUICK = 1 ]; then
  CONNS="1 4"; DURATION=1; PROFILE=debug; OUT="$WORK/out"; mkdir -p "$OUT"
  cargo build -q -p cohub -p cohub-bench
else
  CONNS=${CONNS:-"1 4 16 64"}; DURATION=${DURATION:-10}; PROFILE=release; OUT=bench
  cargo build -q --release -p cohub -p cohub-bench
fi
BIN=${CARGO_TARGET_DIR:-target}/$PROFILE
COHUB=$BIN/cohub
BENCH=$BIN/cohub-bench
CSV="$WORK/compare.csv"
echo "system,connections,per_second,p50_ms,p99_ms,ok,errors,first_error" >"$CSV"
FAILED=0

# Starts a server (its command line after the function's name): sets PID and URL.
start() {
  "$@" >"$WORK/server.out" 2>&1 &
  PID=$!
  for _ in $(seq 1 300); do grep -q "listening on" "$WORK/server.out" && break; sleep 0.1; done
  grep -q "listening on" "$WORK/server.out" || {
    echo "compare: the server did not start:" >&2; cat "$WORK/server.out" >&2; exit 1; }
  URL=$(grep -m1 -o "listening on http://[^ ]*" "$WORK/server.out" | sed 's/listening on //')
}
stop() { kill -TERM $PID; wait $PID 2>/dev/null || true; PID=; }

# Appends a CSV line from one JSON line of figures and says it; fails when a request failed.
record() { # system, JSON
  python3 - "$1" "$2" "$CSV" <<'EOF'
import csv, json, sys
system, f = sys.argv[1], json.loads(sys.argv[2])
with open(sys.argv[3], "a", newline="") as out:
    csv.writer(out).writerow([system, f["connections"], round(f["per_second"], 1), f["p50_ms"],
        f["p99_ms"], f["ok"], f["errors"], (f.get("first_error") or "")[:200]])
print(f"  {system} at {f['connections']}: {f['per_second']:.0f}/s, p50 {f['p50_ms']} ms, "
      f"p99 {f['p99_ms']} ms, {f['errors']} errors", file=sys.stderr)
if f["errors"] or not f["ok"]:
    print(f"  first error: {f.get('first_error')}", file=sys.stderr)
    sys.exit(1)
EOF
}

load() { # system, target, connections, [--data DIR]
  local system=$1 target=$2 conns=$3; shift 3
  record "$system" "$("$BENCH" load --url "$URL" --target "$target" --connections "$conns" \
    --seconds "$DURATION" "$@")" || FAILED=1
}

for c in $CONNS; do
  echo "== $c connections" >&2
  record raw-sled "$("$BENCH" raw-sled --dir "$WORK/raw-$c" --batch "$c" --seconds "$DURATION")" || FAILED=1
  rm -rf "$WORK/raw-$c"
  "$BENCH" reset-db --url "$PG/test" --name cohub_bench_raw
  record raw-pg "$("$BENCH" raw-pg --url "$PG/cohub_bench_raw" --batch "$c" --seconds "$DURATION")" || FAILED=1

  start "$BENCH" fixed
  load fixed fixed "$c"
  stop

  "$BENCH" reset-db --url "$PG/test" --name cohub_bench_peer
  start "$BENCH" peer --url "$PG/cohub_bench_peer"
  load peer peer "$c"
  stop

  start "$COHUB" serve --data "$WORK/sled-$c" --addr 127.0.0.1:0 --no-rate-limit
  load cohub-sled cohub "$c" --data "$WORK/sled-$c"
  stop
  "$COHUB" verify --data "$WORK/sled-$c" >/dev/null || {
    echo "compare: cohub verify failed on the sled store at $c connections" >&2; FAILED=1; }
  rm -rf "$WORK/sled-$c"

  "$BENCH" reset-db --url "$PG/test" --name cohub_bench_cohub
  start "$COHUB" serve --store "$PG/cohub_bench_cohub" --data "$WORK/pg-$c" \
    --addr 127.0.0.1:0 --no-rate-limit
  load cohub-pg cohub "$c" --data "$WORK/pg-$c"
  stop
  "$COHUB" verify --store "$PG/cohub_bench_cohub" --data "$WORK/pg-$c" >/dev/null || {
    echo "compare: cohub verify failed on PostgreSQL at $c connections" >&2; FAILED=1; }
  rm -rf "$WORK/pg-$c"
done
for db in cohub_bench_raw cohub_bench_peer cohub_bench_cohub; do
  "$BENCH" reset-db --url "$PG/test" --name "$db" --drop || true
done

MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
cp "$CSV" "$OUT/compare.csv"
python3 bench/compare_plot.py "$OUT/compare.csv" --out "$OUT" \
  --machine "$MACHINE" --commit "$(git rev-parse --short HEAD)" --seconds "$DURATION" \
  $([ $QUICK = 1 ] && echo "--results $OUT/RESULTS.md" || echo "--results bench/RESULTS.md")
if [ $QUICK = 1 ]; then
  ls "$OUT/compare-throughput.svg" "$OUT/compare-p99.svg" >/dev/null
  grep -q "Side by side" "$OUT/RESULTS.md"
fi
[ $FAILED = 0 ] || { echo "compare: some requests failed (see above)" >&2; exit 1; }
echo "compare: done; figures in $OUT/compare.csv" >&2
