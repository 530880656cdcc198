#!/usr/bin/env bash
# The README's first command: installs what is missing, builds Sluice in Release and runs it in the
# foreground on the shipped config (config/sluice.yaml: HTTP on :3100, RocksDB under ./data).
# Extra arguments go to the daemon, e.g. scripts/run.sh --listen 127.0.0.1:3100
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target sluice
exec build/daemon/sluice --config config/sluice.yaml "$@"
