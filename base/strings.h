// Small string helpers shared across libraries. Go's Unicode-aware strings.TrimSpace, which
// LogQL's functions need, stays with them in query/.
#pragma once

#include <string_view>

namespace sluice {

// `s` without leading and trailing spaces and tabs: HTTP's optional whitespace (RFC 9110 OWS)
// around header values and list items.
inline std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace sluice
