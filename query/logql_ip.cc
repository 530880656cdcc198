// ip() patterns (see logql_ip.h). Addresses are parsed with inet_pton, which reads the same texts
// as Go's netip.ParseAddr once zones are set aside: four decimal octets without leading zeros,
// and IPv6 with at most four hex digits a group, one "::" and an optional trailing IPv4 part.
#include "query/logql_ip.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <cstring>
#include <string>

#include "query/promql_lexer.h"  // GoQuote: strconv.Quote

namespace sluice::query::logql {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
// Loki's IPv4Charset and IPv6Charset.
bool IsIpv4Char(char c) { return IsDigit(c) || c == '.'; }
bool IsIpv6Char(char c) { return IsHexDigit(c) || c == ':' || c == '.'; }

// Loki's ipv4Hint: p[0..3] may start an IPv4 address.
bool Ipv4Hint(const char* p) {
  return IsDigit(p[0]) && (p[1] == '.' || p[2] == '.' || p[3] == '.');
}

// Loki's ipv6Hint: p[0..4] may start an IPv6 address (`::` then a hex digit, or 1 to 4 hex
// digits then ':').
bool Ipv6Hint(const char* p) {
  if (p[0] == ':') return p[1] == ':' && IsHexDigit(p[2]);
  for (int i = 0; i < 4 && IsHexDigit(p[i]); ++i) {
    if (p[i + 1] == ':') return true;
  }
  return false;
}

}  // namespace

bool ParseIp(std::string_view text, IpAddress* out) {
  char buf[64];  // longer texts are no address (the longest IPv6 text has 45 characters)
  if (text.empty() || text.size() >= sizeof(buf)) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (text.find(':') == std::string_view::npos) {
    out->v4 = true;
    return inet_pton(AF_INET, buf, out->bytes) == 1;
  }
  out->v4 = false;
  return inet_pton(AF_INET6, buf, out->bytes) == 1;
}

Result<IpMatcher> IpMatcher::Parse(std::string_view pattern) {
  auto invalid = [&] {
    return Status::InvalidArgument(
        fmt::format("ip: invalid pattern: {}", promql::GoQuote(pattern)));
  };
  IpMatcher m;
  if (ParseIp(pattern, &m.first_)) return m;
  if (size_t slash = pattern.find('/'); slash != std::string_view::npos) {
    // netip.ParsePrefix: decimal bits without a sign or leading zeros, at most the address size.
    std::string_view bits = pattern.substr(slash + 1);
    if (!ParseIp(pattern.substr(0, slash), &m.first_) || bits.empty() || bits.size() > 3 ||
        (bits.size() > 1 && bits[0] == '0')) {
      return invalid();
    }
    m.bits_ = 0;
    for (char c : bits) {
      if (!IsDigit(c)) return invalid();
      m.bits_ = m.bits_ * 10 + (c - '0');
    }
    if (m.bits_ > static_cast<int>(m.first_.size()) * 8) return invalid();
    m.kind_ = Kind::kPrefix;
    return m;
  }
  if (size_t dash = pattern.find('-'); dash != std::string_view::npos) {
    // netipx.ParseIPRange: two addresses of one family, in order.
    if (!ParseIp(pattern.substr(0, dash), &m.first_) ||
        !ParseIp(pattern.substr(dash + 1), &m.last_) || m.first_.v4 != m.last_.v4 ||
        std::memcmp(m.first_.bytes, m.last_.bytes, m.first_.size()) > 0) {
      return invalid();
    }
    m.kind_ = Kind::kRange;
    return m;
  }
  return invalid();
}

bool IpMatcher::Contains(const IpAddress& ip) const {
  if (ip.v4 != first_.v4) return false;
  switch (kind_) {
    case Kind::kAddress:
      return std::memcmp(ip.bytes, first_.bytes, ip.size()) == 0;
    case Kind::kRange:
      return std::memcmp(first_.bytes, ip.bytes, ip.size()) <= 0 &&
             std::memcmp(ip.bytes, last_.bytes, ip.size()) <= 0;
    case Kind::kPrefix: {
      const int full = bits_ / 8;
      if (std::memcmp(ip.bytes, first_.bytes, static_cast<size_t>(full)) != 0) return false;
      const int rest = bits_ % 8;
      if (rest == 0) return true;
      const auto mask = static_cast<uint8_t>(0xFF << (8 - rest));
      return (ip.bytes[full] & mask) == (first_.bytes[full] & mask);
    }
  }
  return false;
}

bool IpMatcher::MatchesIn(std::string_view text) const {
  const size_t n = text.size();
  const char* const data = text.data();
  // The candidate at `start` made of `in_charset` bytes: whether it matches, else its length.
  auto candidate = [&](size_t start, bool (*in_charset)(char), size_t* length) {
    size_t end = start;
    while (end < n && in_charset(data[end])) ++end;
    IpAddress ip;
    if (ParseIp(text.substr(start, end - start), &ip) && Contains(ip)) return true;
    *length = end - start;
    return false;
  };
  for (size_t i = 0; i < n; ++i) {
    size_t length = 0;
    if (i + 3 < n && Ipv4Hint(data + i)) {
      if (candidate(i, IsIpv4Char, &length)) return true;
      i += length;  // and the loop skips the byte after the candidate, as Loki's does
    } else if (i + 4 < n && Ipv6Hint(data + i)) {
      if (candidate(i, IsIpv6Char, &length)) return true;
      i += length;
    }
  }
  return false;
}

}  // namespace sluice::query::logql
