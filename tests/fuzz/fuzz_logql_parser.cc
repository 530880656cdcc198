// The LogQL parser on arbitrary text: it must not crash, and whatever it accepts must print
// (ToString, what format_query answers) as a query that parses back and prints the same.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <variant>

#include "query/logql_parser.h"

namespace {

using sluice::query::logql::Expr;

void Require(bool ok, const std::string& what) {
  if (ok) return;
  fprintf(stderr, "%s\n", what.c_str());
  abort();
}

// Loki folds literal operations and prints what 1/0 or 10^400 give as NaN and +Inf, which it
// does not read back (neither do we): such queries are exempt from the round trip.
bool HasNonFiniteLiteral(const Expr& e) {
  using namespace sluice::query::logql;  // NOLINT
  return std::visit(
      [](const auto& n) -> bool {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, Number>) {
          return !std::isfinite(n.value);
        } else if constexpr (std::is_same_v<T, Binary>) {
          return HasNonFiniteLiteral(*n.lhs) || HasNonFiniteLiteral(*n.rhs);
        } else if constexpr (std::is_same_v<T, VectorAggregation> || std::is_same_v<T, Paren> ||
                             std::is_same_v<T, LabelReplace>) {
          return HasNonFiniteLiteral(*n.expr);
        } else {
          return false;
        }
      },
      e.node);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::query::logql;  // NOLINT
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)ParseDuration(text);
  (void)ParseMatchers(text, false);
  sluice::Result<ExprPtr> parsed = ParseExpr(text);
  if (!parsed.ok()) return 0;
  if (HasNonFiniteLiteral(**parsed)) return 0;
  std::string printed = ToString(**parsed);
  sluice::Result<ExprPtr> again = ParseExpr(printed);
  Require(again.ok(), "printed query does not parse: " + printed + "\n" +
                          (again.ok() ? "" : again.status().message()));
  std::string reprinted = ToString(**again);
  Require(reprinted == printed, "reprinted differently: " + printed + "\nvs " + reprinted);
  Require(IsLogQuery(**again) == IsLogQuery(**parsed), "reparsed to another kind: " + printed);
  return 0;
}
