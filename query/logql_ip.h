// LogQL's ip() patterns (Loki's pkg/logql/log/ip.go), shared by the line filters
// (`|= ip("10.0.0.0/8")`, logql_line_filter.cc) and the label filters (`addr = ip("::1")`,
// logql_pipeline.cc): an address, a CIDR prefix or a range `a-b`, IPv4 or IPv6, and Loki's search
// for addresses in a line or a label value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/result.h"

namespace sluice::query::logql {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) stays IPv6, as in
// Go's netip: it is not in an IPv4 prefix or range, and no IPv4 address equals it.
struct IpAddress {
  bool v4 = false;
  uint8_t bytes[16] = {};
  size_t size() const { return v4 ? 4 : 16; }
};

// netip.ParseAddr without zones: dotted decimal IPv4 (no leading zeros, as Go) or IPv6 text.
bool ParseIp(std::string_view text, IpAddress* out);

// One compiled ip() pattern.
class IpMatcher {
 public:
  // Loki's getMatcher: an address (`192.168.0.1`), a CIDR prefix (`192.168.0.0/16`, host bits
  // allowed) or an inclusive range (`192.168.0.1-192.168.0.23`, both ends of one family, first
  // <= last). InvalidArgument with Loki's text (`ip: invalid pattern: "x"`) otherwise.
  static Result<IpMatcher> Parse(std::string_view pattern);

  bool Contains(const IpAddress& ip) const;

  // Whether an address in `text` matches, found as Loki's ipFilter.filter finds them: scanning
  // from the left, a digit followed by a '.' within the next three bytes starts an IPv4 candidate
  // (the run of `0-9 .`), and 1-4 hex digits then ':' (or "::" then a hex digit) start an IPv6
  // candidate (the run of `0-9 a-f A-F : .`). A candidate that is not an address, or not in the
  // pattern, is skipped together with the byte after it. As in Loki, a candidate needs 4 (IPv4)
  // or 5 (IPv6) bytes left in the text to be noticed: `::1` at the very end is not.
  bool MatchesIn(std::string_view text) const;

 private:
  enum class Kind { kAddress, kPrefix, kRange };
  IpMatcher() = default;

  Kind kind_ = Kind::kAddress;
  IpAddress first_;  // the address, the prefix's address, or the range's first address
  IpAddress last_;   // kRange
  int bits_ = 0;     // kPrefix
};

}  // namespace sluice::query::logql
