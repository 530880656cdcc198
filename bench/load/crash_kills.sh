#!/usr/bin/env bash
# The kill -9 tests, run long: the log crash test and the remote-write crash test each kill the
# daemon under load SLUICE_CRASH_KILLS times (20 by default; CI runs 5) and check that every
# acknowledged line and sample is there after the restarts and nothing is stored twice.
#
#   bench/load/crash_kills.sh [kills=20]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${BUILD_DIR:-build}
export SLUICE_CRASH_KILLS=${1:-20}
"$build/tests/crash_test" --gtest_filter='CrashTest.EveryAcknowledgedLineSurvivesKill9'
"$build/tests/metrics_ingest_test" --gtest_filter='MetricsIngestTest.EveryAcknowledgedSampleSurvivesKill9'
