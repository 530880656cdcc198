#!/usr/bin/env bash
# The README's second command, and what CI runs (.ci/run): installs what is missing, builds with
# warnings as errors, runs the whole test suite through CTest, then builds the unit tests with
# AddressSanitizer + UndefinedBehaviorSanitizer and runs them again.
#
#   scripts/test.sh           everything, including each libFuzzer target for 15 s
#   scripts/test.sh --quick   skip the sanitizer and fuzzing passes
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[[ ${1:-} == --quick ]] && quick=1

scripts/install-deps.sh --test
scripts/fetch-test-shippers.sh

step() { printf '\n=== %s (%s)\n' "$1" "$(date -u +%H:%M:%S)"; }

step "build (Release, -Werror)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DSLUICE_WERROR=ON >/dev/null
cmake --build build

step "tests"
(cd build && ctest --output-on-failure --timeout 300 -j2)

if ((quick == 0)); then
  step "build (ASan + UBSan)"
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON -DSLUICE_WERROR=ON \
    -DSLUICE_BUILD_BENCH=OFF >/dev/null
  cmake --build build-asan

  step "unit tests under ASan + UBSan"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  (cd build-asan && ctest --output-on-failure --timeout 300 -j2 -L unit)

  step "fuzzing every decoder (libFuzzer, clang, ASan + UBSan)"
  scripts/fuzz.sh "${SLUICE_FUZZ_SECONDS:-15}"
fi

step "all tests passed"
