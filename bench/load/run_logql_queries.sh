#!/usr/bin/env bash
# LogQL query latency over a loaded Sluice: starts a fresh sluice, loads LINES loghub lines with
# log_load (Loki push, 16 streams {job="load",system="sN"}, current timestamps), seals them, then
# sends each query RUNS times with curl and prints, per query, the median and p90 latency
# (curl's time_total), the daemon's CPU per run (/proc/<pid>/stat) and the entries or series the
# answer holds. The queries are what Grafana sends: the Explore log volume histogram, a
# 5,000-line backward log query, line filters, and a filtered count over time.
#
#   bench/load/run_logql_queries.sh
#   LINES=1000000 RUNS=3 bench/load/run_logql_queries.sh
#
# Environment (defaults): BUILD_DIR (build), LINES (10000000), RUNS (5), CONNECTIONS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
lines=${LINES:-10000000}
runs=${RUNS:-5}
connections=${CONNECTIONS:-2}

if [[ ! -x $build/bench/log_load || ! -x $build/daemon/sluice ]]; then
  [[ -f $build/build.ninja ]] || cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build" --target log_load sluice
fi

work=$(mktemp -d /tmp/sluice-logql-XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]]; then kill -9 "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/daemon/sluice" --listen "127.0.0.1:$port" --tcp-listen "" --data-dir "$work/data" \
  2>"$work/sluice.log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sluice.log" && break; sleep 0.1; done

cpu_ticks() { awk '{sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13]}' "/proc/$pid/stat"; }
hz=$(getconf CLK_TCK)
count_lines() {
  curl -s "127.0.0.1:$port/metrics" | awk '/^sluice_ingest_entries_total/ {s += $2} END {print s + 0}'
}

# Load in rounds of 20 s until LINES lines are in.
start_ns=$(date +%s%N)
while (($(count_lines) < lines)); do
  "$build/bench/log_load" --target "127.0.0.1:$port" --format loki --connections "$connections" \
    --batch 1000 --duration 20 >"$work/load.txt"
done
end_ns=$(($(date +%s%N) + 1000000000))
loaded=$(count_lines)
curl -s -X POST "127.0.0.1:$port/internal/force_flush" >/dev/null
echo "loaded $loaded lines over $(((end_ns - start_ns) / 1000000000)) s"

q() { python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$1"; }
run_query() {  # name path
  local name=$1 path=$2 times=() before after size
  curl -s -o "$work/answer.json" "127.0.0.1:$port$path"
  size=$(python3 - "$work/answer.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))["data"]
r = d["result"]
if d["resultType"] == "streams":
    print(f'{sum(len(s["values"]) for s in r)} entries')
else:
    print(f'{len(r)} series')
EOF
)
  before=$(cpu_ticks)
  for _ in $(seq "$runs"); do
    times+=("$(curl -s -o /dev/null -w '%{time_total}' "127.0.0.1:$port$path")")
  done
  after=$(cpu_ticks)
  printf '%s\n' "${times[@]}" | sort -n >"$work/times"
  local p50 p90
  p50=$(awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)] * 1000}' "$work/times")
  p90=$(awk '{a[NR]=$1} END {i = int(NR * 0.9 + 0.5); if (i < 1) i = 1; print a[i] * 1000}' "$work/times")
  printf '| %s | %s | %.0f | %.0f | %.0f |\n' "$name" "$size" "$p50" "$p90" \
    "$(echo "($after - $before) * 1000 / $hz / $runs" | bc -l)"
}

range="start=$start_ns&end=$end_ns"
step=$(((end_ns - start_ns) / 1000000000 / 100 + 1))
echo
echo "| query | answer | p50 ms | p90 ms | daemon CPU-ms per run |"
echo "|---|---|---|---|---|"
run_query "log volume (Explore histogram), step ${step}s" \
  "/loki/api/v1/query_range?$range&step=${step}s&query=$(q "sum by (level, detected_level) (count_over_time({job=\"load\"} | drop __error__[${step}s]))")"
run_query "{job=\"load\"}, 5,000 lines backward" \
  "/loki/api/v1/query_range?$range&limit=5000&direction=backward&query=$(q '{job="load"}')"
run_query "|= \"error\", 5,000 lines backward" \
  "/loki/api/v1/query_range?$range&limit=5000&direction=backward&query=$(q '{job="load"} |= "error"')"
run_query "|= \"Failed password\" (rare), 5,000 lines" \
  "/loki/api/v1/query_range?$range&limit=5000&direction=backward&query=$(q '{job="load"} |= "Failed password for invalid user"')"
run_query "sum(count_over_time(|= \"error\" [step]))" \
  "/loki/api/v1/query_range?$range&step=${step}s&query=$(q "sum(count_over_time({job=\"load\"} |= \"error\" [${step}s]))")"
run_query "sum by (system) (rate({job=\"load\"} |~ \"(?i)fail\" [step]))" \
  "/loki/api/v1/query_range?$range&step=${step}s&query=$(q "sum by (system) (rate({job=\"load\"} |~ \"(?i)fail\" [${step}s]))")"
