// Timestamps as log shippers send them, to Unix nanoseconds.
//
//   RFC 3339:   2023-06-06T04:48:11.735Z, 2023-06-06 04:48:12+01:00, 2023-06-06T04:48:12.123456789+0100,
//               and without a zone (taken as UTC). Also a bare date (midnight UTC).
//   integers:   by magnitude, as VictoriaLogs does: |n| < 2^31 seconds, < 1e3*2^31 milliseconds,
//               < 1e6*2^31 microseconds, otherwise nanoseconds. A fraction means seconds
//               ("1686026123.62"). With IntegerUnit::kNanoseconds an integer is always ns (Loki's
//               push API defines its timestamps so).
#pragma once

#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace sluice::pipeline {

enum class IntegerUnit { kByMagnitude, kNanoseconds };

Result<int64_t> ParseTimestamp(std::string_view text, IntegerUnit unit = IntegerUnit::kByMagnitude);

// A numeric JSON value given as a double (seconds by magnitude, as above).
Result<int64_t> TimestampFromNumber(double value);

}  // namespace sluice::pipeline
