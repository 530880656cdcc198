#include "query/promql_ast_json.h"

#include <charconv>
#include <cmath>
#include <string>

namespace sluice::query::promql {
namespace {

void WriteStrings(const std::vector<std::string>& items, JsonWriter* w) {
  w->BeginArray();
  for (const std::string& s : items) w->String(s);
  w->EndArray();
}

void WriteMatchers(const storage::LabelMatchers& matchers, JsonWriter* w) {
  w->BeginArray();
  for (const storage::LabelMatcher& m : matchers) {
    w->BeginObject();
    w->Key("name");
    w->String(m.name());
    w->Key("type");
    w->String(storage::MatchOpString(m.op()));
    w->Key("value");
    w->String(m.value());
    w->EndObject();
  }
  w->EndArray();
}

// "startOrEnd" and "timestamp" (milliseconds) of an @ modifier, null when absent.
void WriteAt(const std::optional<AtModifier>& at, bool timestamp, JsonWriter* w) {
  if (!timestamp) {
    if (at && at->kind == AtModifier::Kind::kStart) {
      w->String("start");
    } else if (at && at->kind == AtModifier::Kind::kEnd) {
      w->String("end");
    } else {
      w->Null();
    }
    return;
  }
  if (at && at->kind == AtModifier::Kind::kTimestamp) {
    w->Int(at->timestamp_ms);
  } else {
    w->Null();
  }
}

// Go's strconv.FormatFloat(v, 'f', -1, 64).
std::string FormatFixed(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return std::string(buf, static_cast<size_t>(r.ptr - buf));
}

std::string_view CardinalityName(VectorMatching::Cardinality c) {
  switch (c) {
    case VectorMatching::Cardinality::kOneToOne:
      return "one-to-one";
    case VectorMatching::Cardinality::kManyToOne:
      return "many-to-one";
    case VectorMatching::Cardinality::kOneToMany:
      return "one-to-many";
    case VectorMatching::Cardinality::kManyToMany:
      return "many-to-many";
  }
  return "";
}

void WriteOptional(const ExprPtr& e, JsonWriter* w) {
  if (e) {
    WriteAstJson(*e, w);
  } else {
    w->Null();
  }
}

struct JsonVisitor {
  JsonWriter* w;

  void operator()(const NumberLiteral& n) const {
    w->Key("type");
    w->String("numberLiteral");
    w->Key("val");
    w->String(FormatFixed(n.value));
  }
  void operator()(const StringLiteral& s) const {
    w->Key("type");
    w->String("stringLiteral");
    w->Key("val");
    w->String(s.value);
  }
  void operator()(const VectorSelector& vs) const {
    w->Key("matchers");
    WriteMatchers(vs.matchers, w);
    w->Key("name");
    w->String(vs.name);
    w->Key("offset");
    w->Int(vs.offset_ms);
    w->Key("startOrEnd");
    WriteAt(vs.at, false, w);
    w->Key("timestamp");
    WriteAt(vs.at, true, w);
    w->Key("type");
    w->String("vectorSelector");
  }
  void operator()(const MatrixSelector& ms) const {
    const VectorSelector& vs = ms.selector;
    w->Key("matchers");
    WriteMatchers(vs.matchers, w);
    w->Key("name");
    w->String(vs.name);
    w->Key("offset");
    w->Int(vs.offset_ms);
    w->Key("range");
    w->Int(ms.range_ms);
    w->Key("startOrEnd");
    WriteAt(vs.at, false, w);
    w->Key("timestamp");
    WriteAt(vs.at, true, w);
    w->Key("type");
    w->String("matrixSelector");
  }
  void operator()(const Subquery& sq) const {
    w->Key("expr");
    WriteAstJson(*sq.expr, w);
    w->Key("offset");
    w->Int(sq.offset_ms);
    w->Key("range");
    w->Int(sq.range_ms);
    w->Key("startOrEnd");
    WriteAt(sq.at, false, w);
    w->Key("step");
    w->Int(sq.step_ms);
    w->Key("timestamp");
    WriteAt(sq.at, true, w);
    w->Key("type");
    w->String("subquery");
  }
  void operator()(const Call& c) const {
    w->Key("args");
    w->BeginArray();
    for (const ExprPtr& arg : c.args) WriteAstJson(*arg, w);
    w->EndArray();
    w->Key("func");
    w->BeginObject();
    w->Key("argTypes");
    w->BeginArray();
    for (ValueType t : c.function->arg_types) w->String(ValueTypeName(t));
    w->EndArray();
    w->Key("name");
    w->String(c.function->name);
    w->Key("returnType");
    w->String(ValueTypeName(c.function->return_type));
    w->Key("variadic");
    w->Int(c.function->variadic);
    w->EndObject();
    w->Key("type");
    w->String("call");
  }
  void operator()(const Aggregate& a) const {
    w->Key("expr");
    WriteOptional(a.expr, w);
    w->Key("grouping");
    WriteStrings(a.grouping, w);
    w->Key("op");
    w->String(AggregateOpString(a.op));
    w->Key("param");
    WriteOptional(a.param, w);
    w->Key("type");
    w->String("aggregation");
    w->Key("without");
    w->Bool(a.without);
  }
  void operator()(const Binary& b) const {
    w->Key("bool");
    w->Bool(b.return_bool);
    w->Key("lhs");
    WriteAstJson(*b.lhs, w);
    w->Key("matching");
    if (b.matching) {
      w->BeginObject();
      w->Key("card");
      w->String(CardinalityName(b.matching->cardinality));
      w->Key("include");
      WriteStrings(b.matching->include, w);
      w->Key("labels");
      WriteStrings(b.matching->matching_labels, w);
      w->Key("on");
      w->Bool(b.matching->on);
      w->EndObject();
    } else {
      w->Null();
    }
    w->Key("op");
    w->String(BinaryOpString(b.op));
    w->Key("rhs");
    WriteAstJson(*b.rhs, w);
    w->Key("type");
    w->String("binaryExpr");
  }
  void operator()(const Unary& u) const {
    w->Key("expr");
    WriteAstJson(*u.expr, w);
    w->Key("op");
    w->String(u.negate ? "-" : "+");
    w->Key("type");
    w->String("unaryExpr");
  }
  void operator()(const Paren& p) const {
    w->Key("expr");
    WriteAstJson(*p.expr, w);
    w->Key("type");
    w->String("parenExpr");
  }
};

}  // namespace

void WriteAstJson(const Expr& expr, JsonWriter* w) {
  w->BeginObject();
  std::visit(JsonVisitor{w}, expr.node);
  w->EndObject();
}

}  // namespace sluice::query::promql
