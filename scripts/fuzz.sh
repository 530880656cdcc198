#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for a bounded time over its
# seed corpus (tests/fuzz/corpus/<target>, copied so that the run does not grow the repository).
# A crash fails the script and leaves the input in build-fuzz/crashes/; fix the bug, then add the
# input to the target's corpus as a regression case.
#
#   scripts/fuzz.sh [seconds per target, default 15]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-15}
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER=clang++ \
  -DSLUICE_BUILD_FUZZ=ON -DSLUICE_BUILD_TESTS=OFF -DSLUICE_BUILD_BENCH=OFF >/dev/null
cmake --build build-fuzz
mkdir -p build-fuzz/crashes
status=0
for corpus in tests/fuzz/corpus/*/; do
  target=$(basename "$corpus")
  work=build-fuzz/corpus/$target
  rm -rf "$work" && mkdir -p "$work" && cp "$corpus"* "$work"/
  echo "fuzz: $target for ${seconds}s"
  if ! build-fuzz/tests/fuzz/"$target" -max_total_time="$seconds" -max_len=262144 -timeout=10 \
       -rss_limit_mb=2048 -artifact_prefix=build-fuzz/crashes/"$target"- "$work" \
       >build-fuzz/"$target".log 2>&1; then
    echo "fuzz: $target FAILED; see build-fuzz/$target.log and build-fuzz/crashes/"
    tail -40 build-fuzz/"$target".log
    status=1
  else
    grep -E "^#[0-9]+.*(DONE|pulse)" build-fuzz/"$target".log | tail -1 || true
  fi
done
exit $status
