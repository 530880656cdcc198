#!/usr/bin/env bash
# Soak: finds the log ingest rate this machine sustains (log_load as fast as acknowledgements
# come, for probe_seconds), then holds 80% of it for `minutes` with the daemon's RSS sampled
# every 30 s. Reports the ack latency percentiles over the whole soak and whether RSS stayed flat
# (second half's peak over the first half's).
#
#   bench/load/soak.sh [minutes=10] [format=loki] [connections=4] [batch=1000] [probe_seconds=15]
set -euo pipefail
cd "$(dirname "$0")/../.."
minutes=${1:-10}; format=${2:-loki}; connections=${3:-4}; batch=${4:-1000}; probe=${5:-15}
build=${BUILD_DIR:-build}
work=$(mktemp -d /tmp/sluice-soak-XXXXXX)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
"$build/daemon/sluice" --listen 127.0.0.1:$port --tcp-listen "" --data-dir "$work/data" 2>"$work/sluice.log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sluice.log" && break; sleep 0.1; done
load=("$build/bench/log_load" --target 127.0.0.1:$port --format "$format" --connections "$connections"
      --batch "$batch" --pid $pid)
"${load[@]}" --duration "$probe" > "$work/probe.txt"
max=$(sed -n 's/.*lines_per_s=\([0-9]*\).*/\1/p' "$work/probe.txt")
rate=$((max * 8 / 10))
echo "probe: $max lines/s sustained; soaking at $rate lines/s (80%) for $minutes min"
"${load[@]}" --duration $((minutes * 60)) --rate "$rate" --rss-every 30 | tee "$work/soak.txt"
echo "data_dir_bytes=$(du -sb "$work/data" | cut -f1)"
kill -TERM $pid; wait $pid || true
