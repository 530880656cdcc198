// The syntax tree as JSON, as Prometheus' /api/v1/parse_query answers it (web/api/v1/
// translate_ast.go, the shape the Prometheus UI's tree view reads):
//
//   {"expr":{"matchers":[...],"name":"x","offset":0,"startOrEnd":null,"timestamp":null,
//            "type":"vectorSelector"},"grouping":["job"],"op":"sum","param":null,
//    "type":"aggregation","without":false}
//
// Keys come in Go's order for maps (sorted). Prometheus 2.42 has no parse_query; the shape is
// that of the first release that has it, without fields for features 2.42 lacks.
#pragma once

#include "base/json_writer.h"
#include "query/promql_ast.h"

namespace sluice::query::promql {

void WriteAstJson(const Expr& expr, JsonWriter* w);

}  // namespace sluice::query::promql
