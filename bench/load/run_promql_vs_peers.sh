#!/usr/bin/env bash
# PromQL query latency, Sluice against Prometheus and VictoriaMetrics on identical data.
#
# Each daemon in turn (never two at once: the machine has two cores) is started fresh with its own
# data dir on a free 127.0.0.1 port, fed by metrics_load over remote write with the same series,
# values and timestamps (HOSTS × 1,021 node_exporter-like series, HISTORY at a 15 s interval, one
# scrape per request in time order, as Prometheus' head requires), left to settle (its CPU idle),
# then asked a list of dashboard queries: each as an instant query at the end of the data and as
# query_range over the last SPAN at a 60 s and a 5 min step. Each query is sent once to warm up
# (its answer is kept, to compare series counts and values), then RUNS times with curl; its
# latency (curl's time_total) and the daemon's CPU time over the runs (/proc/<pid>/stat) are
# recorded. Prints one table per mode with median and p90 latency per daemon, daemon CPU-s per run
# and per million samples (Prometheus' totalQueryableSamples of the query, the same data for all),
# the Sluice/Prometheus and Sluice/VM ratios, and whether the series counts agree.
#
# Prometheus 2.42 (Debian: /usr/bin/prometheus, --web.enable-remote-write-receiver, no scrape
# targets). VictoriaMetrics (/usr/bin/victoria-metrics) with -search.disableCache, so that the
# repeated runs are evaluated rather than served from its rollup result cache; its MetricsQL
# differs from PromQL by design (rate() without extrapolation, ...), so only its series counts
# are compared, not its values. Sluice's answers are compared to Prometheus' (1e-9 relative).
#
# The defaults take about 12 minutes on two cores, 6 of them Prometheus' ingest of the 58.8 M samples.
#
#   bench/load/run_promql_vs_peers.sh
#   HOSTS=2 HISTORY=3h RUNS=3 DAEMONS="prometheus vm" bench/load/run_promql_vs_peers.sh
#
# Environment (defaults): BUILD_DIR (build), HOSTS (10: 10,210 series), HISTORY (1d: 5,760
# samples per series), SPAN (HISTORY: the query_range span), RUNS (5), CONNECTIONS (4),
# DAEMONS ("sluice prometheus vm"), MODES ("instant range_60s range_5m"), PROM_BIN
# (/usr/bin/prometheus), VM_BIN (/usr/bin/victoria-metrics), MERGE (0; 1: force_merge Sluice and
# VM after the load), RESULTS (raw key=value lines; default /tmp/promql_vs_peers.<pid>.txt),
# KEEP (set: keep the work dir with the daemons' answers and logs).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
hosts=${HOSTS:-10}
history=${HISTORY:-1d}
span=${SPAN:-$history}
runs=${RUNS:-5}
connections=${CONNECTIONS:-4}
daemons=${DAEMONS:-sluice prometheus vm}
modes=${MODES:-instant range_60s range_5m}
prom_bin=${PROM_BIN:-/usr/bin/prometheus}
vm_bin=${VM_BIN:-/usr/bin/victoria-metrics}
merge=${MERGE:-0}
results=${RESULTS:-/tmp/promql_vs_peers.$$.txt}

# The dashboard: node_exporter's usual panels and an application's latency panels.
queries=(
  'cpu_by_mode|sum by (mode) (rate(node_cpu_seconds_total[5m]))'
  'cpu_busy|100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])))'
  'p99_latency|histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))'
  'p90_by_handler|histogram_quantile(0.9, sum by (le, handler) (rate(http_request_duration_seconds_bucket{job="api"}[5m])))'
  'error_ratio|sum by (instance) (rate(http_request_duration_seconds_count{code="500"}[5m])) / sum by (instance) (rate(http_request_duration_seconds_count[5m]))'
  'top5_rx|topk(5, rate(node_network_receive_bytes_total[5m]))'
  'rx_by_host|sum by (instance) (rate(node_network_receive_bytes_total{device!="lo"}[5m]))'
  'rx_group_left|rate(node_network_receive_bytes_total[5m]) * on (instance) group_left (nodename) node_uname_info'
  'mem_used|1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes'
  'fs_used|1 - node_filesystem_avail_bytes{fstype!="tmpfs"} / node_filesystem_size_bytes{fstype!="tmpfs"}'
  'load_avg_1h|avg_over_time(node_load1[1h])'
  'temp_max|max by (instance) (node_hwmon_temp_celsius)'
  'up_by_job|count by (job) (up)'
)

seconds() {  # 90s, 15m, 3h, 1d -> seconds
  local n=${1%[smhd]} unit=${1: -1}
  case $unit in s) echo "$n" ;; m) echo $((n * 60)) ;; h) echo $((n * 3600)) ;; d) echo $((n * 86400)) ;;
    *) echo "bad duration $1" >&2; exit 2 ;; esac
}
span_s=$(seconds "$span")

if [[ ! -x $build/bench/metrics_load || ( $daemons == *sluice* && ! -x $build/daemon/sluice ) ]]; then
  [[ -f $build/build.ninja || -f $build/Makefile ]] ||
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build" --target metrics_load sluice
fi
for d in $daemons; do
  case $d in
    prometheus) [[ -x $prom_bin ]] || { echo "Prometheus not found at $prom_bin (PROM_BIN)" >&2; exit 1; } ;;
    vm) [[ -x $vm_bin ]] || { echo "VictoriaMetrics not found at $vm_bin (VM_BIN)" >&2; exit 1; } ;;
    sluice) ;;
    *) echo "unknown daemon $d (sluice, prometheus, vm)" >&2; exit 2 ;;
  esac
done

work=$(mktemp -d /tmp/promql-vs-peers-XXXXXX)
daemon_pid=
cleanup() {
  if [[ -n $daemon_pid ]]; then kill -9 "$daemon_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  if [[ -n ${KEEP:-} ]]; then echo "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{sub(/.*\) /, ""); split($0, f, " "); print f[12] + f[13]}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

# Waits until the daemon's background work (compaction, merges) is over: under 3% of a core for
# three seconds in a row, at most SETTLE_MAX (300) seconds.
settle() {  # pid name
  local last now quiet=0 t
  last=$(cpu_ticks "$1")
  for t in $(seq "${SETTLE_MAX:-300}"); do
    sleep 1
    now=$(cpu_ticks "$1")
    if (( (now - last) * 100 < 3 * hz )); then quiet=$((quiet + 1)); else quiet=0; fi
    last=$now
    if (( quiet >= 3 )); then echo "$2: settled after ${t}s"; return; fi
  done
  echo "warning: $2 still busy after ${SETTLE_MAX:-300}s; measuring anyway" >&2
}

end_ms=$(( $(date +%s) / 15 * 15 * 1000 ))
# Every daemon evaluates the same timestamps: the end is a multiple of both steps (VM aligns
# query_range to the step), and the data's last scrapes lie before it.
q_end=$(( end_ms / 1000 / 300 * 300 ))
q_start=$(( q_end - span_s ))
load_args=(--format remote_write --hosts "$hosts" --history "$history" --end-ms "$end_ms"
           --connections "$connections" --samples-per-request 2000 --steps-per-request 1)

# One request; prints "<http code> <seconds>" and leaves the body in $2.
ask() {  # port out-file mode query [extra curl args]
  local port=$1 out=$2 mode=$3 query=$4
  shift 4
  local args=(--data-urlencode "query=$query")
  if [[ $mode == instant ]]; then
    curl -s -o "$out" -w '%{http_code} %{time_total}\n' -G "http://127.0.0.1:$port/api/v1/query" \
      "${args[@]}" --data-urlencode "time=$q_end" "$@"
  else
    local step=60
    [[ $mode == range_5m ]] && step=300
    curl -s -o "$out" -w '%{http_code} %{time_total}\n' -G "http://127.0.0.1:$port/api/v1/query_range" \
      "${args[@]}" --data-urlencode "start=$q_start" --data-urlencode "end=$q_end" \
      --data-urlencode "step=$step" "$@"
  fi
}

run_queries() {  # daemon port pid
  local daemon=$1 port=$2 pid=$3 entry name query mode warm code secs lat c0 c1 failed i
  for mode in $modes; do
    for entry in "${queries[@]}"; do
      name=${entry%%|*}
      query=${entry#*|}
      local body=$work/answer-$daemon-$name-$mode.json extra=()
      # Prometheus counts the samples a query touches: the unit of work for all three.
      [[ $daemon == prometheus ]] && extra=(--data-urlencode stats=all)
      read -r warm secs < <(ask "$port" "$body" "$mode" "$query" "${extra[@]}")
      lat=()
      failed=0
      c0=$(cpu_ticks "$pid")
      for i in $(seq "$runs"); do
        read -r code secs < <(ask "$port" /dev/null "$mode" "$query")
        [[ $code == 200 ]] || failed=$((failed + 1))
        lat+=("$secs")
      done
      c1=$(cpu_ticks "$pid")
      printf '%-8s %-10s %-16s %s\n' "$daemon" "$mode" "$name" "${lat[*]}"
      echo "daemon=$daemon mode=$mode query=$name http=$warm failed=$failed runs=$runs" \
        "cpu_ticks=$((c1 - c0)) hz=$hz latencies=$(IFS=,; echo "${lat[*]}")" >>"$results"
    done
  done
}

finish() {  # daemon pid
  settle "$2" "$1"
  local rss; rss=$(awk '/VmRSS/ {print $2 * 1024}' "/proc/$2/status")
  echo "daemon=$1 rss_before_queries=$rss" >>"$results"
}

stop_daemon() {
  kill -TERM "$daemon_pid"
  wait "$daemon_pid" || true
  daemon_pid=
}

run_sluice() {
  sed 's/^  shards: 0$/  shards: 2/' config/sluice.yaml >"$work/sluice.yaml"
  grep -q '^  shards: 2$' "$work/sluice.yaml" || { echo "cannot set shards in config" >&2; exit 1; }
  local log=$work/sluice.log port=
  "$build/daemon/sluice" -c "$work/sluice.yaml" --listen 127.0.0.1:0 --tcp-listen "" \
    --data-dir "$work/sluice-data" 2>"$log" &
  daemon_pid=$!
  for _ in $(seq 300); do
    port=$(sed -n 's/.*http: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { echo "sluice did not start:" >&2; cat "$log" >&2; exit 1; }
  if ! curl -sf "http://127.0.0.1:$port/api/v1/query?query=up" >/dev/null; then
    echo "sluice: /api/v1/query does not answer; skipped" >&2
    stop_daemon
    return
  fi
  "$build/bench/metrics_load" --target "127.0.0.1:$port" "${load_args[@]}" --pid "$daemon_pid" |
    tee "$work/load-sluice.txt"
  if [[ $merge == 1 ]]; then
    curl -sf -XPOST "http://127.0.0.1:$port/internal/force_merge" >/dev/null
  fi
  finish sluice "$daemon_pid"
  run_queries sluice "$port" "$daemon_pid"
  stop_daemon
}

run_prometheus() {
  local port dir=$work/prometheus; port=$(free_port)
  mkdir -p "$dir"
  printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' >"$dir/prometheus.yml"
  "$prom_bin" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
    --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
    --storage.tsdb.retention.time=100y --log.level=warn >"$dir/log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.1; done
  "$build/bench/metrics_load" --target "127.0.0.1:$port" "${load_args[@]}" --pid "$daemon_pid" |
    tee "$work/load-prometheus.txt"
  # The head refuses samples older than an hour before its newest one ("out of bounds"): the
  # load must have gone in whole.
  local rejected
  rejected=$(curl -sf "http://127.0.0.1:$port/metrics" |
    awk '/^prometheus_tsdb_(out_of_bound|out_of_order)_samples_total/ {s += $2} END {print s + 0}')
  [[ $rejected == 0 ]] || { echo "prometheus rejected $rejected samples" >&2; exit 1; }
  finish prometheus "$daemon_pid"
  run_queries prometheus "$port" "$daemon_pid"
  stop_daemon
}

run_vm() {
  local port dir=$work/vm; port=$(free_port)
  "$vm_bin" -storageDataPath "$dir" -httpListenAddr "127.0.0.1:$port" -retentionPeriod=100y \
    -search.disableCache -loggerLevel=ERROR >"$work/vm.log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  "$build/bench/metrics_load" --target "127.0.0.1:$port" "${load_args[@]}" --pid "$daemon_pid" |
    tee "$work/load-vm.txt"
  # Rows still in memory are not searchable until flushed.
  curl -sf "http://127.0.0.1:$port/internal/force_flush" >/dev/null
  if [[ $merge == 1 ]]; then curl -sf "http://127.0.0.1:$port/internal/force_merge" >/dev/null; fi
  finish vm "$daemon_pid"
  run_queries vm "$port" "$daemon_pid"
  stop_daemon
}

echo "results: $results; data: $hosts hosts, $history to $end_ms; queries at $q_end, span ${span_s}s"
for d in $daemons; do
  "run_$d"
done

python3 - "$results" "$work" "$modes" "${queries[@]}" <<'EOF'
import json, math, os, statistics, sys
results, work, modes = sys.argv[1], sys.argv[2], sys.argv[3].split()
names = [q.split("|", 1)[0] for q in sys.argv[4:]]
rows = {}
for line in open(results):
    kv = dict(t.split("=", 1) for t in line.split() if "=" in t)
    if "query" in kv:
        rows[(kv["daemon"], kv["mode"], kv["query"])] = kv

def answer(daemon, mode, name):
    path = os.path.join(work, f"answer-{daemon}-{name}-{mode}.json")
    try:
        return json.load(open(path))
    except (OSError, ValueError):
        return None

def series(doc):
    if not doc or doc.get("status") != "success":
        return "err" if doc else "-"
    r = doc["data"]["result"]
    return len(r) if isinstance(r, list) else 1

def canonical(doc):  # {labels: [(t, v)]}
    r = doc["data"]["result"]
    if doc["data"]["resultType"] in ("scalar", "string"):
        return {"": [tuple(r)]}
    out = {}
    for s in r:
        key = json.dumps(s["metric"], sort_keys=True)
        out[key] = [tuple(p) for p in (s["values"] if "values" in s else [s["value"]])]
    return out

def same(a, b):  # Sluice's answer against Prometheus'
    if not a or not b or a.get("status") != "success" or b.get("status") != "success":
        return "-"
    ca, cb = canonical(a), canonical(b)
    if ca.keys() != cb.keys():
        return "labels differ"
    worst = 0.0
    for k in ca:
        pa, pb = ca[k], cb[k]
        if [p[0] for p in pa] != [p[0] for p in pb]:
            return "timestamps differ"
        for (_, x), (_, y) in zip(pa, pb):
            x, y = float(x), float(y)
            if math.isnan(x) and math.isnan(y) or x == y:
                continue
            worst = max(worst, abs(x - y) / max(abs(x), abs(y)))
    return "yes" if worst <= 1e-9 else f"rel diff {worst:.1e}"

def stat(daemon, mode, name):
    kv = rows.get((daemon, mode, name))
    if not kv:
        return None
    lat = sorted(float(x) * 1000 for x in kv["latencies"].split(","))
    p90 = lat[min(len(lat) - 1, math.ceil(0.9 * len(lat)) - 1)]
    cpu = int(kv["cpu_ticks"]) / int(kv["hz"]) / int(kv["runs"])
    return {"p50": statistics.median(lat), "p90": p90, "cpu": cpu, "failed": int(kv["failed"]),
            "ticks": int(kv["cpu_ticks"])}

daemons = [d for d in ("sluice", "prometheus", "vm") if any(k[0] == d for k in rows)]
short = {"sluice": "S", "prometheus": "P", "vm": "VM"}
who = " / ".join(short[d] for d in daemons)
pairs = [(a, b) for a, b in (("sluice", "prometheus"), ("sluice", "vm")) if a in daemons and b in daemons]
compare = ("sluice", "prometheus") in pairs
mismatch = False

def ratio(st, a, b, key):
    if not st.get(a) or not st.get(b) or st[b][key] <= 0:
        return "-"
    # CPU time comes in 10 ms ticks: a ratio of a few ticks says nothing.
    if key == "cpu" and min(st[a].get("ticks", 99), st[b].get("ticks", 99)) < 5:
        return "-"
    return f"{st[a][key] / st[b][key]:.2f}x"

for mode in modes:
    print(f"\n### {mode}\n")
    head = ["query", "samples", f"p50 ms {who}", f"p90 ms {who}", f"CPU-ms per run {who}",
            f"CPU-s per M samples {who}"]
    for a, b in pairs:
        head += [f"p50 {short[a]}/{short[b]}", f"CPU {short[a]}/{short[b]}"]
    head += [f"series {who}"] + (["same as Prometheus"] if compare else [])
    print("| " + " | ".join(head) + " |")
    print("|---" * len(head) + "|")
    total = {d: {"p50": 0.0, "p90": 0.0, "cpu": 0.0} for d in daemons}
    total_samples = 0
    for name in names:
        prom = answer("prometheus", mode, name)
        samples = None
        if prom and prom.get("status") == "success":
            samples = prom["data"].get("stats", {}).get("samples", {}).get("totalQueryableSamples")
            total_samples += samples or 0
        st = {d: stat(d, mode, name) for d in daemons}
        for d in daemons:
            for k in total[d]:
                total[d][k] += st[d][k] if st[d] else math.nan
        def cell(fmt):
            return " / ".join(fmt(st[d]) if st[d] else "-" for d in daemons)
        cells = [name, f"{samples:,}" if samples is not None else "-",
                 cell(lambda s: f"{s['p50']:.1f}" + (f" ({s['failed']} failed)" if s["failed"] else "")),
                 cell(lambda s: f"{s['p90']:.1f}"),
                 cell(lambda s: f"{s['cpu'] * 1000:.0f}"),
                 cell(lambda s: f"{s['cpu'] / samples * 1e6:.3f}" if samples and s["ticks"] >= 5 else "-")]
        for a, b in pairs:
            cells += [ratio(st, a, b, "p50"), ratio(st, a, b, "cpu")]
        counts = [str(series(answer(d, mode, name))) for d in daemons]
        cells += [" / ".join(counts) + ("" if len(set(counts)) == 1 else " (differ)")]
        if compare:
            verdict = same(answer("sluice", mode, name), prom)
            mismatch |= verdict != "yes"
            cells += [verdict]
        print("| " + " | ".join(cells) + " |")
    cells = ["**all**", f"{total_samples:,}",
             " / ".join(f"{total[d]['p50']:.0f}" for d in daemons),
             " / ".join(f"{total[d]['p90']:.0f}" for d in daemons),
             " / ".join(f"{total[d]['cpu'] * 1000:.0f}" for d in daemons),
             " / ".join(f"{total[d]['cpu'] / total_samples * 1e6:.3f}" if total_samples else "-"
                        for d in daemons)]
    for a, b in pairs:
        cells += [ratio(total, a, b, "p50"), ratio(total, a, b, "cpu")]
    cells += [""] + ([""] if compare else [])
    print("| " + " | ".join(cells) + " |")
print(f"\n{who}: " + ", ".join(daemons) + ". Latency: curl time_total over the runs (p50, p90); "
      "CPU-ms: the daemon's CPU per run (/proc/<pid>/stat, 10 ms ticks); samples: Prometheus' "
      "totalQueryableSamples of the query, the unit of work for all three; all: sums")
sys.exit(1 if mismatch else 0)
EOF
