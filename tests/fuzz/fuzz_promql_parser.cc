// The PromQL parser on arbitrary text: it must not crash, and whatever it accepts must print
// (ToString) as a query that parses back to the same text, as format_query's answers must.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "base/json_writer.h"
#include "query/promql_ast_json.h"
#include "query/promql_parser.h"

namespace {

void Require(bool ok, const std::string& what) {
  if (ok) return;
  fprintf(stderr, "%s\n", what.c_str());
  abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace sluice::query::promql;  // NOLINT
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)ParseDuration(text);
  sluice::Result<ExprPtr> parsed = ParseExpr(text);
  if (!parsed.ok()) return 0;
  std::string printed = ToString(**parsed);
  sluice::Result<ExprPtr> again = ParseExpr(printed);
  Require(again.ok(), "printed query does not parse: " + printed + "\n" +
                          (again.ok() ? "" : again.status().message()));
  // Prometheus prints positive infinity as `+Inf`, which parses back as a unary plus on whatever
  // binds tighter after it (`Inf ^ x` prints `+Inf ^ x`, then `++Inf ^ x`): format_query answers
  // so, and so do we. Such text only has to parse back, to the same type.
  bool plus_inf = printed.find("+Inf") != std::string::npos;
  Require(plus_inf || ToString(**again) == printed,
          "reprinted differently: " + printed + "\nvs " + ToString(**again));
  Require(TypeOf(**again) == TypeOf(**parsed), "reparsed to another type: " + printed);
  std::string pretty = Pretty(**parsed);
  sluice::Result<ExprPtr> from_pretty = ParseExpr(pretty);
  Require(from_pretty.ok() && (plus_inf || ToString(**from_pretty) == printed),
          "pretty form does not parse back: " + pretty);
  std::string json;
  sluice::JsonWriter w(&json);
  WriteAstJson(**parsed, &w);
  return 0;
}
