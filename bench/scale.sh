#!/usr/bin/env bash
# Scale benchmark, run by hand (never a test): for each log size N, writes a store of N events
# across H hubs with `cohub generate`, then measures what serving a region's decade costs on
# the embedded sled store: disk (against the JSON Lines export), `cohub verify` and
# `cohub rebuild` (from scratch) in events/s, `cohub serve`'s time to /readyz 200 (restarting
# from its checkpoint, and first start with none), its resident memory after ready, after a
# query load and at peak, as-of read latency early/middle/late in the log (bench/asof.py),
# and current-state nested reads/s at 16 connections (wrk). One CSV line per size goes to
# bench/scale-results.csv; bench/plot.py draws it. Needs wrk and python3 (apt-get install wrk).
#
#   bench/scale.sh                       # N = 100000 and 1000000, 50 hubs
#   bench/scale.sh 100000 300000         # other sizes
#   HUBS=20 DATA_ROOT=/big/disk bench/scale.sh 500000
#
# Settings (environment): HUBS (50), DATA_ROOT (stores and logs; /tmp/cohub-scale), PORT
# (18931), MAX_RSS_GB (16: any cohub process above it is killed and the size is reported as
# not measurable), ASOF_READS (200 timed as-of reads per point), ASOF_HUBS (5 hubs read as-of),
# DURATION (10 s of wrk), CONNECTIONS (16), KEEP=1 (keep each store), NO_BUILD=1 (use $BIN as
# it is), STALL_SECS (120: a CLI command that uses no CPU this long gets its stacks dumped).
set -uo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
HUBS=${HUBS:-50}
DATA_ROOT=${DATA_ROOT:-/tmp/cohub-scale}
PORT=${PORT:-18931}
MAX_RSS_GB=${MAX_RSS_GB:-16}
ASOF_READS=${ASOF_READS:-200}
ASOF_HUBS=${ASOF_HUBS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
STALL_SECS=${STALL_SECS:-120}
CSV=bench/scale-results.csv
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/cohub}
MAX_RSS_KB=$((MAX_RSS_GB * 1024 * 1024))
URL_BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null && command -v python3 >/dev/null && command -v curl >/dev/null || {
  echo "scale: needs wrk, python3 and curl (apt-get install wrk curl)" >&2; exit 1; }
if [ -z "${NO_BUILD:-}" ]; then cargo build --release --bin cohub -q || exit 1; fi
[ -x "$BIN" ] || { echo "scale: no binary at $BIN" >&2; exit 1; }
mkdir -p "$DATA_ROOT"

MACHINE="$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr), disk $(df -h "$DATA_ROOT" | awk 'NR==2 {print $1}')"
COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo "+dirty")
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f", a / b; else print "NA" }'; }
mib() { awk -v k="${1:-0}" 'BEGIN { if (k > 0) printf "%.0f", k / 1024; else print "NA" }'; }
status_kb() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

# watch PID TAG STALL: every half second, the process's peak resident memory (VmHWM, kB) into
# $LOGS/TAG.peak; above MAX_RSS_GB it is killed (TAG.killed says so). With STALL=1, a process
# whose CPU time stands still for STALL_SECS gets its kernel and thread stacks dumped, once.
watch() {
  local pid=$1 tag=$2 stall=$3 cpu last=-1 still=0 rss hwm
  while kill -0 "$pid" 2>/dev/null; do
    rss=$(status_kb "$pid" VmRSS); hwm=$(status_kb "$pid" VmHWM)
    [ -n "$hwm" ] && echo "$hwm" >"$LOGS/$tag.peak"
    if [ -n "$rss" ] && [ "$rss" -gt "$MAX_RSS_KB" ]; then
      echo "resident memory $rss kB above ${MAX_RSS_GB} GiB at $(date -u +%T): killed" >"$LOGS/$tag.killed"
      log "$tag: resident memory $(mib "$rss") MiB above ${MAX_RSS_GB} GiB: killing $pid"
      kill -KILL "$pid" 2>/dev/null
      return
    fi
    if [ "$stall" = 1 ]; then
      cpu=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
      if [ "$cpu" = "$last" ]; then still=$((still + 1)); else still=0; last=$cpu; fi
      if [ "$still" -eq $((STALL_SECS * 2)) ]; then
        log "$tag: no CPU used for ${STALL_SECS}s: dumping stacks into $LOGS/$tag.stall"
        { echo "== $(date -u +%T) /proc/$pid/stack"; cat "/proc/$pid/stack"
          for t in /proc/"$pid"/task/*; do echo "== $t"; cat "$t/stack"; done
          echo "== gdb"; timeout 120 gdb -p "$pid" -batch -ex 'thread apply all bt'
        } >"$LOGS/$tag.stall" 2>&1
      fi
    fi
    sleep 0.5
  done
}

# timed TAG CMD...: runs a CLI command watched, its output in $LOGS/TAG.out/.err; sets SECS
# and PEAK_KB; returns its exit status.
timed() {
  local tag=$1 rc=0 t0 pid wpid child=; shift
  rm -f "$LOGS/$tag.peak" "$LOGS/$tag.killed"
  log "$tag: $*"
  t0=$(now)
  /usr/bin/time -f %M -o "$LOGS/$tag.maxrss" "$@" >"$LOGS/$tag.out" 2>"$LOGS/$tag.err" &
  pid=$!
  for _ in $(seq 1 100); do child=$(pgrep -P "$pid" | head -1); [ -n "$child" ] && break; sleep 0.01; done
  watch "${child:-$pid}" "$tag" 1 &
  wpid=$!
  wait "$pid" || rc=$?
  SECS=$(sub "$t0" "$(now)")
  wait "$wpid" 2>/dev/null
  # The peak: the kernel's maximum resident set (from time), else the watcher's last VmHWM.
  PEAK_KB=$(tail -1 "$LOGS/$tag.maxrss" 2>/dev/null | grep -E '^[0-9]+$' || cat "$LOGS/$tag.peak" 2>/dev/null || echo 0)
  log "$tag: exit $rc after ${SECS}s, peak $(mib "$PEAK_KB") MiB"
  [ -f "$LOGS/$tag.killed" ] && return 137
  return "$rc"
}

# serve TAG: starts the server on $DATA, waits for /readyz 200; sets SPID, READY_S (NA if it
# died or was killed first).
serve() {
  local tag=$1 t0 code
  rm -f "$LOGS/$tag.peak" "$LOGS/$tag.killed"
  log "$tag: serve --data $DATA ($(ls "$DATA/read" 2>/dev/null | tr '\n' ' '))"
  t0=$(now)
  "$BIN" serve --data "$DATA" --addr "127.0.0.1:$PORT" --no-rate-limit >"$LOGS/$tag.log" 2>&1 &
  SPID=$!
  watch "$SPID" "$tag" 0 &
  READY_S=NA
  while kill -0 "$SPID" 2>/dev/null; do
    code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$URL_BASE/readyz" || true)
    if [ "$code" = 200 ]; then READY_S=$(sub "$t0" "$(now)"); break; fi
    sleep 0.05
  done
  log "$tag: ready after ${READY_S}s, resident $(mib "$(status_kb "$SPID" VmRSS)") MiB"
}

# stop: SIGTERM (the server drains, writes its checkpoint, closes the log); sets STOP_S.
stop() {
  local t0; t0=$(now)
  kill -TERM "$SPID" 2>/dev/null
  wait "$SPID" 2>/dev/null
  STOP_S=$(sub "$t0" "$(now)")
  log "stopped after ${STOP_S}s"
}

graphql() { # token, JSON body
  curl -s "$URL_BASE/graphql" -H "Authorization: Bearer $1" -H 'content-type: application/json' -d "$2"
}

COLUMNS_CSV="date,commit,machine,events_requested,events,hubs,generate_s,generate_eps,generate_peak_mib,export_s,export_bytes,disk_bytes,disk_log_only_bytes,disk_parts,bytes_per_event,disk_to_export,verify_s,verify_eps,verify_peak_mib,rebuild_s,rebuild_eps,rebuild_peak_mib,startup_checkpoint_s,startup_scratch_s,rss_ready_mib,rss_after_reads_mib,rss_after_load_mib,hwm_mib,rss_ready_scratch_mib,hwm_scratch_mib,asof_early_p50_ms,asof_early_p99_ms,asof_middle_p50_ms,asof_middle_p99_ms,asof_late_p50_ms,asof_late_p99_ms,asof_early_first_ms,asof_middle_first_ms,asof_late_first_ms,asof_errors,reads_per_s,reads_p50_ms,reads_p99_ms,reads_errors,stop_s,notes"
[ -f "$CSV" ] || echo "$COLUMNS_CSV" >"$CSV"

for N in "${SIZES[@]}"; do
  DATA="$DATA_ROOT/n$N"
  LOGS="$DATA_ROOT/logs-n$N"
  rm -rf "$DATA" "$LOGS"; mkdir -p "$LOGS"
  NOTES=""
  note() { NOTES="${NOTES:+$NOTES; }$*"; log "note: $*"; }
  declare -A R=()
  for c in ${COLUMNS_CSV//,/ }; do R[$c]=NA; done
  R[date]=$(date -u +%Y-%m-%dT%H:%MZ); R[commit]=$COMMIT; R[machine]=${MACHINE//,/;}
  R[events_requested]=$N; R[hubs]=$HUBS
  log "== N=$N, $HUBS hubs, into $DATA; $(df -h "$DATA_ROOT" | awk 'NR==2 {print $4}') free; $MACHINE"

  # 1. Generate.
  if ! timed generate "$BIN" generate --data "$DATA" --events "$N" --hubs "$HUBS"; then
    note "generate failed or was killed (see $LOGS/generate.err)"
  fi
  R[generate_s]=$SECS; R[generate_peak_mib]=$(mib "$PEAK_KB")
  EVENTS=$(sed -n 's/^Generated \([0-9]*\) events.*/\1/p' "$LOGS/generate.out")
  [ -n "$EVENTS" ] || { note "generate wrote no summary"; EVENTS=0; }
  R[events]=$EVENTS; R[generate_eps]=$(div "$EVENTS" "$SECS")
  R[disk_log_only_bytes]=$(du -sb "$DATA" | cut -f1)

  # Tokens of the first ASOF_HUBS hubs' facilitators (the token command reads only the key).
  awk '$1 == "hub" { for (i = 1; i < NF; i++) if ($i == "facilitator") print $2, $(i + 1) }' \
    "$LOGS/generate.out" | head -n "$ASOF_HUBS" >"$LOGS/facilitators"
  : >"$LOGS/hubs"
  while read -r hub member; do
    echo "$hub $("$BIN" token --data "$DATA" --member "$member" | tail -1 | awk '{print $NF}')" >>"$LOGS/hubs"
  done <"$LOGS/facilitators"

  # 2. Export (its size is the yardstick for disk).
  if timed export "$BIN" export --data "$DATA" --out "$LOGS/export.jsonl"; then
    R[export_s]=$SECS; R[export_bytes]=$(stat -c %s "$LOGS/export.jsonl")
    LINES=$(wc -l <"$LOGS/export.jsonl")
    [ "$LINES" = "$EVENTS" ] || note "export has $LINES lines for $EVENTS events"
  else note "export failed"; fi
  rm -f "$LOGS/export.jsonl"

  # 3. Verify.
  if timed verify "$BIN" verify --data "$DATA"; then
    R[verify_s]=$SECS; R[verify_eps]=$(div "$EVENTS" "$SECS")
  else note "verify failed or was killed"; fi
  R[verify_peak_mib]=$(mib "$PEAK_KB")

  # 4. Rebuild from scratch (no checkpoint to compare with; it writes a new one).
  rm -rf "$DATA/read"
  if timed rebuild "$BIN" rebuild --data "$DATA"; then
    R[rebuild_s]=$SECS; R[rebuild_eps]=$(div "$EVENTS" "$SECS")
  else note "rebuild failed or was killed ($(cat "$LOGS/rebuild.killed" 2>/dev/null))"; fi
  R[rebuild_peak_mib]=$(mib "$PEAK_KB")

  # 5. Serve, restarting from the checkpoint: startup, memory, as-of, current-state reads.
  serve serve-checkpoint
  R[startup_checkpoint_s]=$READY_S
  if [ "$READY_S" != NA ]; then
    sleep 2
    R[rss_ready_mib]=$(mib "$(status_kb "$SPID" VmRSS)")
    read -r HUB1 TOKEN1 <"$LOGS/hubs"
    HEAD=$(graphql "$TOKEN1" "{\"query\":\"{ hub(id: \\\"$HUB1\\\") { asOfPosition } }\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["hub"]["asOfPosition"])')
    # Current state: the nested distribution read of bench/query.lua, on a generated one.
    DIST=$(graphql "$TOKEN1" "{\"query\":\"{ hub(id: \\\"$HUB1\\\") { distributions(first: 1) { edges { node { id } } } } }\"}" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["hub"]["distributions"]["edges"][0]["node"]["id"])')
    log "wrk: $CONNECTIONS connections, ${DURATION}s, distribution $DIST"
    COHUB_TOKEN=$TOKEN1 COHUB_DISTRIBUTION=$DIST wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" --latency \
      -s bench/scale-query.lua "$URL_BASE/graphql" >"$LOGS/wrk.out" 2>&1
    R[reads_per_s]=$(awk '/Requests\/sec/ {printf "%.0f", $2}' "$LOGS/wrk.out")
    to_ms() { awk '{ v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) { sub(/ms/, "", v) } else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } printf "%.2f", v }'; }
    R[reads_p50_ms]=$(grep -m1 ' 50%' "$LOGS/wrk.out" | to_ms)
    R[reads_p99_ms]=$(grep -m1 ' 99%' "$LOGS/wrk.out" | to_ms)
    R[reads_errors]=$(awk '/responses with errors/ {print $NF}' "$LOGS/wrk.out")
    R[rss_after_reads_mib]=$(mib "$(status_kb "$SPID" VmRSS)")
    log "as-of reads ($ASOF_READS per point) up to position $HEAD"
    if python3 bench/asof.py --url "$URL_BASE/graphql" --head "$HEAD" --hubs "$LOGS/hubs" \
        --reads "$ASOF_READS" >"$LOGS/asof.json" 2>"$LOGS/asof.err"; then
      for p in early middle late; do
        read -r P50 P99 FIRST < <(python3 -c "import json; d=json.load(open('$LOGS/asof.json'))['points']['$p']; print(d['p50_ms'], d['p99_ms'], d['first_ms'])")
        R[asof_${p}_p50_ms]=$P50; R[asof_${p}_p99_ms]=$P99; R[asof_${p}_first_ms]=$FIRST
      done
      R[asof_errors]=$(python3 -c "import json; print(json.load(open('$LOGS/asof.json'))['errors'])")
      note "$(python3 -c "import json; f=json.load(open('$LOGS/asof.json')).get('feeds', {}); print('feeds p50/p99 ms: ' + ', '.join(k + ' ' + str(v['p50_ms']) + '/' + str(v['p99_ms']) for k, v in f.items()))")"
    else note "as-of reads failed ($(tail -1 "$LOGS/asof.err"))"; fi
    R[rss_after_load_mib]=$(mib "$(status_kb "$SPID" VmRSS)")
    R[hwm_mib]=$(mib "$(status_kb "$SPID" VmHWM)")
    # Killed under load: the watcher's last reading of its peak.
    [ "${R[hwm_mib]}" != NA ] || R[hwm_mib]=$(mib "$(cat "$LOGS/serve-checkpoint.peak" 2>/dev/null)")
    if [ -f "$LOGS/serve-checkpoint.killed" ]; then note "serve from the checkpoint was killed under load: $(cat "$LOGS/serve-checkpoint.killed")"; else stop; R[stop_s]=$STOP_S; fi
  else
    note "serve from the checkpoint never became ready ($(cat "$LOGS/serve-checkpoint.killed" 2>/dev/null || tail -1 "$LOGS/serve-checkpoint.log"))"
    stop
  fi
  R[disk_bytes]=$(du -sb "$DATA" | cut -f1)
  R[disk_parts]=$(cd "$DATA" && du -sb -- * | awk '{printf "%s%s=%s", (NR > 1 ? " " : ""), $2, $1}')
  R[bytes_per_event]=$(div "${R[disk_bytes]}" "$EVENTS")
  R[disk_to_export]=$(awk -v a="${R[disk_bytes]}" -v b="${R[export_bytes]}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "NA" }')

  # 6. Serve as a first start: no checkpoint, the read models folded from the whole log.
  rm -rf "$DATA/read"
  serve serve-scratch
  R[startup_scratch_s]=$READY_S
  if [ "$READY_S" != NA ]; then
    sleep 2
    R[rss_ready_scratch_mib]=$(mib "$(status_kb "$SPID" VmRSS)")
    R[hwm_scratch_mib]=$(mib "$(status_kb "$SPID" VmHWM)")
  else
    R[hwm_scratch_mib]=$(mib "$(cat "$LOGS/serve-scratch.peak" 2>/dev/null)")
    note "serve from scratch never became ready ($(cat "$LOGS/serve-scratch.killed" 2>/dev/null || tail -1 "$LOGS/serve-scratch.log"))"
  fi
  stop

  R[notes]=${NOTES//,/;}
  for c in ${COLUMNS_CSV//,/ }; do [ -n "${R[$c]}" ] || R[$c]=NA; done
  LINE=$(for c in ${COLUMNS_CSV//,/ }; do printf '%s,' "${R[$c]}"; done)
  echo "${LINE%,}" >>"$CSV"
  {
    echo
    echo "== $EVENTS events in $HUBS hubs ($MACHINE; commit $COMMIT)"
    printf '  %-34s %s s (%s events/s, peak %s MiB)\n' "generate" "${R[generate_s]}" "${R[generate_eps]}" "${R[generate_peak_mib]}"
    printf '  %-34s %s bytes (%s s)\n' "export (JSON Lines)" "${R[export_bytes]}" "${R[export_s]}"
    printf '  %-34s %s bytes, %s per event, %s x the export\n' "data directory" "${R[disk_bytes]}" "${R[bytes_per_event]}" "${R[disk_to_export]}"
    printf '  %-34s %s\n' "  of which" "${R[disk_parts]}"
    printf '  %-34s %s s, %s events/s (peak %s MiB)\n' "verify" "${R[verify_s]}" "${R[verify_eps]}" "${R[verify_peak_mib]}"
    printf '  %-34s %s s, %s events/s (peak %s MiB)\n' "rebuild from scratch" "${R[rebuild_s]}" "${R[rebuild_eps]}" "${R[rebuild_peak_mib]}"
    printf '  %-34s %s s / %s s\n' "startup: checkpoint / none" "${R[startup_checkpoint_s]}" "${R[startup_scratch_s]}"
    printf '  %-34s %s / %s / %s / %s MiB\n' "resident: ready/reads/as-of/peak" "${R[rss_ready_mib]}" "${R[rss_after_reads_mib]}" "${R[rss_after_load_mib]}" "${R[hwm_mib]}"
    printf '  %-34s %s / %s MiB\n' "resident, first start: ready/peak" "${R[rss_ready_scratch_mib]}" "${R[hwm_scratch_mib]}"
    for p in early middle late; do
      printf '  %-34s p50 %s ms, p99 %s ms (first read %s ms)\n' "as-of $p" "${R[asof_${p}_p50_ms]}" "${R[asof_${p}_p99_ms]}" "${R[asof_${p}_first_ms]}"
    done
    printf '  %-34s %s reads/s (p50 %s ms, p99 %s ms, %s errors)\n' "current-state reads, $CONNECTIONS conns" "${R[reads_per_s]}" "${R[reads_p50_ms]}" "${R[reads_p99_ms]}" "${R[reads_errors]}"
    [ -z "$NOTES" ] || echo "  notes: $NOTES"
    echo "  logs: $LOGS"
  } | tee "$LOGS/summary.txt"
  [ -n "${KEEP:-}" ] || rm -rf "$DATA"
done
