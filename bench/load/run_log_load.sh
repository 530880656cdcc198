#!/usr/bin/env bash
# End-to-end log ingest benchmark: starts a fresh sluice, drives it with log_load, stops it (which
# seals and flushes), and reports bytes on disk per line next to log_load's throughput, latency,
# CPU-seconds per million lines and peak RSS.
#
#   bench/load/run_log_load.sh [format=loki] [connections=4] [batch=1000] [seconds=10] [extra sluice args...]
set -euo pipefail
cd "$(dirname "$0")/../.."
format=${1:-loki}; connections=${2:-4}; batch=${3:-1000}; seconds=${4:-10}
shift $(( $# < 4 ? $# : 4 ))
build=${BUILD_DIR:-build}
work=$(mktemp -d /tmp/sluice-load-XXXXXX)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
"$build/daemon/sluice" --listen 127.0.0.1:$port --tcp-listen "" --data-dir "$work/data" "$@" 2>"$work/sluice.log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sluice.log" && break; sleep 0.1; done
"$build/bench/log_load" --target 127.0.0.1:$port --format "$format" --connections "$connections" \
  --batch "$batch" --duration "$seconds" --pid $pid | tee "$work/load.txt"
kill -TERM $pid; wait $pid || true
lines=$(sed -n 's/.*acknowledged_lines=\([0-9]*\).*/\1/p' "$work/load.txt")
bytes=$(du -sb "$work/data" | cut -f1)
echo "disk_bytes=$bytes bytes_per_line=$(python3 -c "print(round($bytes / max($lines, 1), 2))")"
