#include "query/time_params.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "pipeline/timestamp_parser.h"

namespace sluice::query {

Result<int64_t> ParseQueryTime(std::string_view text) {
  bool integer = !text.empty();
  for (size_t i = 0; i < text.size(); ++i) {
    if (!(text[i] >= '0' && text[i] <= '9') && !(i == 0 && text[i] == '-')) integer = false;
  }
  if (integer) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec == std::errc() && end == text.data() + text.size()) {
      size_t digits = text.size() - (text[0] == '-' ? 1 : 0);
      if (digits > 10) return v;
      if (v > 9'223'372'035 || v < -9'223'372'035) {
        return Status::InvalidArgument(fmt::format("timestamp \"{}\" is out of range", text));
      }
      return v * 1'000'000'000;
    }
  }
  double seconds = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && end == text.data() + text.size() && std::isfinite(seconds) &&
      std::fabs(seconds) < 9.2e9) {
    return static_cast<int64_t>(std::llround(seconds * 1e9));
  }
  Result<int64_t> rfc = pipeline::ParseTimestamp(text, pipeline::IntegerUnit::kNanoseconds);
  if (rfc.ok()) return rfc;
  return Status::InvalidArgument(fmt::format(
      "cannot parse \"{}\" to a valid timestamp (expected RFC 3339, Unix seconds or nanoseconds)",
      text.substr(0, 64)));
}

}  // namespace sluice::query
