#include "base/units.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <cmath>
#include <limits>

namespace sluice {
namespace {

using std::chrono::nanoseconds;

struct DurationUnit {
  std::string_view name;
  int64_t ns;
};

// Ordered from largest to smallest; "ms" must be tried before "m" and "us" before "s" is
// irrelevant.
constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr std::array<DurationUnit, 10> kDurationUnits{{
    {"y", 365 * 24 * 3600 * kNsPerSecond},
    {"w", 7 * 24 * 3600 * kNsPerSecond},
    {"d", 24 * 3600 * kNsPerSecond},
    {"h", 3600 * kNsPerSecond},
    {"ms", 1'000'000},
    {"m", 60 * kNsPerSecond},
    {"s", kNsPerSecond},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // µs
    {"ns", 1},
}};

// Rank of a unit for the "largest first, each once" rule (ms ranks below s).
int DurationRank(std::string_view name) {
  static constexpr std::array<std::string_view, 10> order{"y", "w",  "d",  "h",         "m",
                                                          "s", "ms", "us", "\xC2\xB5s", "ns"};
  for (size_t i = 0; i < order.size(); ++i) {
    if (order[i] == name) return static_cast<int>(i == 8 ? 7 : i);  // us and µs are one unit
  }
  return -1;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

Status DurationError(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(
      fmt::format("invalid duration \"{}\": {} (expected e.g. 30s, 5m, 1h30m, 250ms)", text, why));
}

}  // namespace

Result<nanoseconds> ParseDuration(std::string_view text) {
  if (text == "0") return nanoseconds(0);
  if (text.empty()) return DurationError(text, "empty");
  long double total = 0;
  int last_rank = -1;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (i < text.size() && text[i] == '.') {
      ++i;
      while (i < text.size() && IsDigit(text[i])) ++i;
    }
    std::string_view number = text.substr(start, i - start);
    if (number.empty() || number == ".")
      return DurationError(text, "a number must come before each unit");
    const DurationUnit* unit = nullptr;
    for (const auto& u : kDurationUnits) {
      if (text.substr(i, u.name.size()) == u.name) {
        unit = &u;
        break;
      }
    }
    if (unit == nullptr) return DurationError(text, "missing or unknown unit");
    i += unit->name.size();
    int rank = DurationRank(unit->name);
    if (rank <= last_rank)
      return DurationError(text, "units must go from largest to smallest, each once");
    last_rank = rank;
    total += std::stold(std::string(number)) * static_cast<long double>(unit->ns);
    if (total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
      return DurationError(text, "too large");
    }
  }
  return nanoseconds(static_cast<int64_t>(std::llround(total)));
}

Result<uint64_t> ParseByteSize(std::string_view text) {
  auto error = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("invalid size \"{}\": {} (expected e.g. 512, 64KiB, 16MiB, 1GB)", text, why));
  };
  size_t i = 0;
  while (i < text.size() && (IsDigit(text[i]) || text[i] == '.')) ++i;
  std::string_view number = text.substr(0, i);
  if (number.empty() || number == ".") return error("must start with a number");
  if (number.find('.') != number.rfind('.')) return error("malformed number");
  while (i < text.size() && text[i] == ' ') ++i;
  std::string unit;
  for (char c : text.substr(i))
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));

  long double multiplier = 0;
  static constexpr std::string_view kPrefixes = "kmgtpe";
  if (unit.empty() || unit == "b") {
    multiplier = 1;
  } else if (size_t p = kPrefixes.find(unit[0]); p != std::string_view::npos) {
    std::string_view rest = std::string_view(unit).substr(1);
    long double base = 0;
    if (rest.empty() || rest == "b") base = 1000;
    if (rest == "i" || rest == "ib") base = 1024;
    if (base == 0) return error("unknown unit");
    multiplier = std::pow(base, static_cast<long double>(p + 1));
  } else {
    return error("unknown unit");
  }
  long double value = std::stold(std::string(number)) * multiplier;
  if (value >= static_cast<long double>(std::numeric_limits<uint64_t>::max()))
    return error("too large");
  return static_cast<uint64_t>(std::llround(value));
}

std::string FormatDuration(nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  // Prometheus' units, then sub-millisecond rests in Go's spelling.
  static constexpr std::array<DurationUnit, 8> units{{{"y", 365 * 24 * 3600 * kNsPerSecond},
                                                      {"w", 7 * 24 * 3600 * kNsPerSecond},
                                                      {"d", 24 * 3600 * kNsPerSecond},
                                                      {"h", 3600 * kNsPerSecond},
                                                      {"m", 60 * kNsPerSecond},
                                                      {"s", kNsPerSecond},
                                                      {"ms", 1'000'000},
                                                      {"us", 1'000}}};
  for (const auto& u : units) {
    if (ns >= u.ns) {
      out += fmt::format("{}{}", ns / u.ns, u.name);
      ns %= u.ns;
    }
  }
  if (ns > 0) out += fmt::format("{}ns", ns);
  return out;
}

std::string FormatByteSize(uint64_t bytes) {
  static constexpr std::array<std::string_view, 7> units{"B",   "KiB", "MiB", "GiB",
                                                         "TiB", "PiB", "EiB"};
  size_t u = 0;
  while (u + 1 < units.size() && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++u;
  }
  return fmt::format("{}{}", bytes, units[u]);
}

}  // namespace sluice
