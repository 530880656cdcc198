#!/usr/bin/env bash
# Bytes on disk per line for the 32,000 loghub lines (16 files x 2,000; `wc -l` says 31,987 because
# some files lack a final newline), ingested once (Loki push JSON, one stream per
# system, 1,000-line requests), after sluice has sealed and flushed them on shutdown. Counts every
# file RocksDB keeps (SSTs, WAL, MANIFEST, OPTIONS) and Sluice's marker; RocksDB's diagnostic text
# logs (LOG*) are reported apart. Compare: zstd -19 on the same lines is 10.4 bytes per line.
# RocksDB writes two OPTIONS files (about 24 KB each) per shard whatever the data size; they are
# counted too, and weigh about 3 bytes per line on a data set this small.
#
#   bench/load/loghub_disk.sh [extra sluice args, e.g. --config FILE]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
work=$(mktemp -d /tmp/sluice-disk-XXXXXX)
trap 'kill -9 $pid 2>/dev/null || true; rm -rf "$work"' EXIT
port=$((20000 + RANDOM % 20000))
"$build/daemon/sluice" --listen 127.0.0.1:$port --tcp-listen "" --data-dir "$work/data" "$@" 2>"$work/sluice.log" &
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/sluice.log" && break; sleep 0.1; done
"$build/bench/log_load" --target 127.0.0.1:$port --format loki --batch 1000 --once | tee "$work/load.txt" | grep acknowledged
kill -TERM $pid; wait $pid || true
lines=$(sed -n 's/.*acknowledged_lines=\([0-9]*\).*/\1/p' "$work/load.txt")
data=$(find "$work/data" -type f ! -name 'LOG*' -printf '%s\n' | awk '{s+=$1} END {print s}')
blocks=$(find "$work/data" -type f -name '*.sst' -size +8k -printf '%s\n' | awk '{s+=$1} END {print s}')
logs=$(find "$work/data" -type f -name 'LOG*' -printf '%s\n' | awk '{s+=$1} END {print s+0}')
raw=$(cat tests/fixtures/loghub/*.log | tr -d '\r' | wc -c)
echo "lines=$lines raw_bytes=$raw stored_bytes=$data bytes_per_line=$(python3 -c "print(round($data/$lines, 2))")"
echo "block_sst_bytes=$blocks block_bytes_per_line=$(python3 -c "print(round($blocks/$lines, 2))") rocksdb_text_logs=$logs"
