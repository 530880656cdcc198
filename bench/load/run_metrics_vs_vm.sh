#!/usr/bin/env bash
# Metrics ingest, Sluice against VictoriaMetrics on identical data.
#
# For each format (remote write, then VM's JSON import) and each repeat: a fresh Sluice (2 shards,
# otherwise the default config) and then a fresh VictoriaMetrics, one after the other (never at
# the same time: the machine has two cores), each fed by metrics_load with the same series, values
# and timestamps; then each is compacted to its final size (Sluice: /internal/force_merge; VM:
# /internal/force_flush, then /internal/force_merge until each monthly partition is one part and
# its size stops moving) and measured: samples per daemon CPU-second, bytes per sample on disk (du -sb of the data dir;
# for VM also vm_data_size_bytes), RSS per active series. Prints one table of medians over the
# repeats, with the Sluice/VM ratios.
#
#   bench/load/run_metrics_vs_vm.sh
#   HOSTS=20 HISTORY=30m REPEATS=3 FORMATS=remote_write bench/load/run_metrics_vs_vm.sh
#
# Environment (defaults): BUILD_DIR (build), HOSTS (100: 102,100 series), HISTORY (1h: 240
# samples per series), CONNECTIONS (4), SAMPLES_PER_REQUEST (2000), STEPS_PER_REQUEST (1: each
# request is one scrape of 2,000 series, as Prometheus sends; 240 with 24000: an hour per series),
# FORMATS ("remote_write import"), REPEATS (1), DAEMONS ("sluice vm"; "sluice" alone to compare
# builds of Sluice with each other), VM_BIN (/usr/bin/victoria-metrics),
# RESULTS (where the raw key=value results go; default /tmp/metrics_vs_vm.<pid>.txt),
# PERF_DIR (when set: `perf record $PERF_ARGS` of Sluice during each load, kept there; PERF_ARGS
# defaults to -g, e.g. "-F 199 --call-graph dwarf,16384" for call graphs of a build without frame
# pointers).
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
hosts=${HOSTS:-100}
history=${HISTORY:-1h}
connections=${CONNECTIONS:-4}
per_request=${SAMPLES_PER_REQUEST:-2000}
steps_per_request=${STEPS_PER_REQUEST:-1}
formats=${FORMATS:-remote_write import}
repeats=${REPEATS:-1}
daemons=${DAEMONS:-sluice vm}
vm_bin=${VM_BIN:-/usr/bin/victoria-metrics}
results=${RESULTS:-/tmp/metrics_vs_vm.$$.txt}
perf_dir=${PERF_DIR:-}
read -r -a perf_args <<<"${PERF_ARGS:--g}"

if [[ ! -x $build/bench/metrics_load || ! -x $build/daemon/sluice ]]; then
  [[ -f $build/build.ninja || -f $build/Makefile ]] ||
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
  cmake --build "$build" --target metrics_load sluice
fi
[[ $daemons != *vm* || -x $vm_bin ]] || { echo "VictoriaMetrics not found at $vm_bin (VM_BIN)" >&2; exit 1; }

work=$(mktemp -d /tmp/sluice-vs-vm-XXXXXX)
daemon_pid=
cleanup() {
  if [[ -n $daemon_pid ]]; then kill -9 "$daemon_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Sluice's default config with 2 shards (the data dir and listen address come from flags).
sed 's/^  shards: 0$/  shards: 2/' config/sluice.yaml >"$work/sluice.yaml"
grep -q '^  shards: 2$' "$work/sluice.yaml" || { echo "cannot set shards in config" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
field() { sed -n "s/.*\b$1=\([^ ]*\).*/\1/p" "$2" | tail -1; }
cpu_seconds() { awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); split($0, f, " "); print (f[12] + f[13]) / hz}' "/proc/$1/stat"; }
# name cpu_ticks, one line per thread, for a per-thread split of the daemon's CPU.
thread_ticks() {
  for t in /proc/"$1"/task/*; do
    awk '{name = $0; sub(/^[0-9]+ \(/, "", name); sub(/\) .*/, "", name); gsub(/ /, "_", name); sub(/.*\) /, "");
          split($0, f, " "); gsub(/[0-9]+$/, "N", name); print name, f[12] + f[13]}' "$t/stat" 2>/dev/null || true
  done | awk '{s[$1] += $2} END {for (n in s) print n, s[n]}'
}
thread_split() {  # before-file after-file -> "name=share% ..." of the CPU between them
  python3 - "$1" "$2" <<'EOF'
import sys
def load(p):
    return {l.split()[0]: float(l.split()[1]) for l in open(p) if l.strip()}
a, b = load(sys.argv[1]), load(sys.argv[2])
d = {k: b[k] - a.get(k, 0) for k in b}
total = sum(v for v in d.values() if v > 0) or 1
print(" ".join(f"{k}={100 * v / total:.0f}%" for k, v in sorted(d.items(), key=lambda kv: -kv[1]) if v > 0))
EOF
}

end_ms=$(( $(date +%s) / 15 * 15 * 1000 ))
load_args=(--hosts "$hosts" --history "$history" --end-ms "$end_ms" --connections "$connections"
           --samples-per-request "$per_request" --steps-per-request "$steps_per_request")
# One series' sample count after the run: every sample stored, none twice.
export_count() {  # port
  curl -sf "http://127.0.0.1:$1/api/v1/export" --data-urlencode 'match[]=node_load1{instance="host-0000:9100"}' \
    --data-urlencode "start=$(( end_ms / 1000 - 86400 ))" --data-urlencode "end=$(( end_ms / 1000 ))" -G |
    python3 -c 'import sys, json; print(sum(len(json.loads(l)["timestamps"]) for l in sys.stdin if l.strip()))'
}
expected_samples=$("$build/bench/metrics_load" --hosts 1 --history "$history" --dry-run | field steps /dev/stdin)

run_sluice() {  # format repeat
  local dir=$work/sluice-$1-$2 log=$work/sluice-$1-$2.log out=$work/load-sluice-$1-$2.txt
  "$build/daemon/sluice" -c "$work/sluice.yaml" --listen 127.0.0.1:0 --tcp-listen "" --data-dir "$dir/data" 2>"$log" &
  daemon_pid=$!
  local port=
  for _ in $(seq 300); do
    port=$(sed -n 's/.*http: listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log" | head -1)
    [[ -n $port ]] && break
    sleep 0.1
  done
  [[ -n $port ]] || { echo "sluice did not start:" >&2; cat "$log" >&2; exit 1; }
  thread_ticks "$daemon_pid" >"$work/threads-before"
  local perf_pid=
  if [[ -n $perf_dir ]]; then
    mkdir -p "$perf_dir"
    perf record "${perf_args[@]}" -p "$daemon_pid" -o "$perf_dir/sluice-$1-$2.data" 2>/dev/null &
    perf_pid=$!
  fi
  "$build/bench/metrics_load" --target "127.0.0.1:$port" --format "$1" "${load_args[@]}" \
    --pid "$daemon_pid" | tee "$out"
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid"; wait "$perf_pid" || true; fi
  thread_ticks "$daemon_pid" >"$work/threads-after"
  local threads; threads=$(thread_split "$work/threads-before" "$work/threads-after")
  echo "sluice threads: $threads"
  local cpu0; cpu0=$(cpu_seconds "$daemon_pid")
  local t0; t0=$(date +%s.%N)
  curl -sf -XPOST "http://127.0.0.1:$port/internal/force_merge" >/dev/null
  local merge_s; merge_s=$(python3 -c "import time; print(round(time.time() - $t0, 2))")
  local merge_cpu; merge_cpu=$(python3 -c "print(round($(cpu_seconds "$daemon_pid") - $cpu0, 2))")
  local bytes; bytes=$(du -sb "$dir/data" | cut -f1)
  local count; count=$(export_count "$port")
  local rss_after; rss_after=$(awk '/VmRSS/ {print $2 * 1024}' "/proc/$daemon_pid/status")
  echo "sluice $1: force_merge ${merge_s}s (${merge_cpu} CPU-s), du -sb ${bytes}, one series has $count samples (want $expected_samples)"
  du -sb "$dir"/data/* 2>/dev/null | sort -rn | head -5 | sed 's/^/  /'
  kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
  [[ $count == "$expected_samples" ]] || { echo "sluice lost or duplicated samples" >&2; exit 1; }
  echo "daemon=sluice format=$1 repeat=$2 $(tr '\n' ' ' <"$out") merge_cpu_s=$merge_cpu disk_bytes=$bytes rss_after_merge=$rss_after threads=${threads// /,}" >>"$results"
}

vm_metric_sum() {  # port metric-name: the sum of a metric's series on VM's /metrics
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m || (index(m, "{") == 0 && index($1, m "{") == 1) {s += $2} END {printf "%.0f\n", s}'
}

run_vm() {  # format repeat
  local dir=$work/vm-$1-$2 log=$work/vm-$1-$2.log out=$work/load-vm-$1-$2.txt port; port=$(free_port)
  "$vm_bin" -storageDataPath "$dir" -httpListenAddr "127.0.0.1:$port" -retentionPeriod=100y \
    -loggerLevel=ERROR >"$log" 2>&1 &
  daemon_pid=$!
  for _ in $(seq 300); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  "$build/bench/metrics_load" --target "127.0.0.1:$port" --format "$1" "${load_args[@]}" \
    --pid "$daemon_pid" | tee "$out"
  local cpu0; cpu0=$(cpu_seconds "$daemon_pid")
  local t0; t0=$(date +%s.%N)
  curl -sf "http://127.0.0.1:$port/internal/force_flush" >/dev/null
  curl -sf "http://127.0.0.1:$port/internal/force_merge" >/dev/null
  # force_merge returns at once and merges in the background; VM 1.79 ignores it while another
  # merge runs (and does not count it in vm_active_merges), and counts the small parts it still
  # holds in memory in vm_data_size_bytes. So: ask again whenever nothing merges but a monthly
  # partition has more than one part, and stop once nothing is pending or merging, each partition
  # is one part and the size and du have held still for three seconds.
  local last=-1 stable=0 size merges parts pending partitions state
  for _ in $(seq 600); do
    size=$(vm_metric_sum "$port" vm_data_size_bytes)
    merges=$(vm_metric_sum "$port" vm_active_merges)
    pending=$(vm_metric_sum "$port" vm_pending_rows)
    parts=$(( $(vm_metric_sum "$port" 'vm_parts{type="storage/small"}') + $(vm_metric_sum "$port" 'vm_parts{type="storage/big"}') ))
    partitions=$(find "$dir/data/small" "$dir/data/big" -mindepth 1 -maxdepth 1 -type d ! -name snapshots -printf '%f\n' | sort -u | wc -l)
    # du races VM's merges (a part directory vanishes while it counts): a failed count is just
    # not stable yet.
    state="$size $(du -sb "$dir" 2>/dev/null | cut -f1 || true)"
    if [[ $merges == 0 && $pending == 0 && $parts -le $partitions && $state == "$last" ]]; then
      stable=$((stable + 1))
    else
      stable=0
    fi
    [[ $stable -ge 3 ]] && break
    if [[ $merges == 0 && $parts -gt $partitions && $state == "$last" ]]; then
      curl -sf "http://127.0.0.1:$port/internal/force_merge" >/dev/null
    fi
    last=$state
    sleep 1
  done
  [[ $stable -ge 3 ]] || echo "warning: VictoriaMetrics did not settle to one part per partition" >&2
  local indexdb; indexdb=$(vm_metric_sum "$port" 'vm_data_size_bytes{type="indexdb"}')
  local merge_s; merge_s=$(python3 -c "import time; print(round(time.time() - $t0, 2))")
  local merge_cpu; merge_cpu=$(python3 -c "print(round($(cpu_seconds "$daemon_pid") - $cpu0, 2))")
  local bytes; bytes=$(du -sb "$dir" | cut -f1)
  local count; count=$(export_count "$port")
  local rss_after; rss_after=$(awk '/VmRSS/ {print $2 * 1024}' "/proc/$daemon_pid/status")
  echo "vm $1: merged in about ${merge_s}s (${merge_cpu} CPU-s), du -sb ${bytes}, vm_data_size_bytes ${size}, one series has $count samples (want $expected_samples)"
  kill -TERM "$daemon_pid"; wait "$daemon_pid" || true; daemon_pid=
  [[ $count == "$expected_samples" ]] || { echo "VictoriaMetrics lost or duplicated samples" >&2; exit 1; }
  echo "daemon=vm format=$1 repeat=$2 $(tr '\n' ' ' <"$out") merge_cpu_s=$merge_cpu disk_bytes=$bytes vm_data_size_bytes=$size vm_indexdb_bytes=$indexdb rss_after_merge=$rss_after" >>"$results"
}

echo "results: $results"
for format in $formats; do
  for repeat in $(seq "$repeats"); do
    for daemon in $daemons; do "run_$daemon" "$format" "$repeat"; done
  done
done

python3 - "$results" <<'EOF'
import statistics, sys
rows = []
for line in open(sys.argv[1]):
    kv = dict(t.split("=", 1) for t in line.split() if "=" in t)
    rows.append(kv)
def med(daemon, fmt, key):
    vals = [float(r[key]) for r in rows if r["daemon"] == daemon and r["format"] == fmt and key in r]
    return statistics.median(vals) if vals else float("nan")
cols = [
    ("samples/s", lambda d, f: med(d, f, "samples_per_s"), "{:,.0f}"),
    ("ack p50 ms", lambda d, f: med(d, f, "p50"), "{:.1f}"),
    ("ack p99 ms", lambda d, f: med(d, f, "p99"), "{:.1f}"),
    ("daemon CPU-s", lambda d, f: med(d, f, "daemon_cpu_s"), "{:.1f}"),
    ("samples/CPU-s", lambda d, f: med(d, f, "samples_per_cpu_s"), "{:,.0f}"),
    ("+merge CPU-s", lambda d, f: med(d, f, "merge_cpu_s"), "{:.1f}"),
    ("samples/CPU-s incl. merge", lambda d, f: med(d, f, "samples_sent") / (med(d, f, "daemon_cpu_s") + med(d, f, "merge_cpu_s")), "{:,.0f}"),
    ("B/sample (du)", lambda d, f: med(d, f, "disk_bytes") / med(d, f, "samples_sent"), "{:.3f}"),
    ("B/sample (vm_data_size)", lambda d, f: med(d, f, "vm_data_size_bytes") / med(d, f, "samples_sent"), "{:.3f}"),
    ("RSS MB", lambda d, f: med(d, f, "rss_MB"), "{:.0f}"),
    ("RSS B/series", lambda d, f: med(d, f, "rss_bytes_per_series"), "{:,.0f}"),
    ("peak RSS B/series", lambda d, f: med(d, f, "peak_rss_bytes_per_series"), "{:,.0f}"),
]
fmts = []
for r in rows:
    if r["format"] not in fmts: fmts.append(r["format"])
n = max(len([r for r in rows if r["format"] == f and r["daemon"] == "sluice"]) for f in fmts)
print()
print("| format | daemon | " + " | ".join(c[0] for c in cols) + " |")
print("|---" * (len(cols) + 2) + "|")
for f in fmts:
    for d in ("sluice", "vm", "ratio"):
        cells = []
        for _, fn, spec in cols:
            v = fn(d, f) if d != "ratio" else fn("sluice", f) / fn("vm", f)
            cells.append("" if v != v else ("{:.2f}x".format(v) if d == "ratio" else spec.format(v)))
        print(f"| {f} | {d if d != 'ratio' else 'Sluice/VM'} | " + " | ".join(cells) + " |")
samples = med("sluice", fmts[0], "samples_sent") if fmts else 0
print(f"\nmedians of {n} runs; {samples:,.0f} samples per run; goals: samples/CPU-s ratio >= 2, B/sample ratio < 1")
EOF
