// The AST's small vocabulary (type and operator names, TypeOf), and what parse.go does around
// the grammar: the type checker (checkAST), the ParseErr text with its line:column, durations
// (model.ParseDuration) and Go's wording of regex errors.
#include "query/promql_ast.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <limits>
#include <unordered_map>

#include "query/go_regexp_error.h"
#include "query/promql_lexer.h"
#include "query/promql_parser_internal.h"

namespace sluice::query::promql {

std::string_view ValueTypeName(ValueType type) {
  switch (type) {
    case ValueType::kNone:
      return "none";
    case ValueType::kScalar:
      return "scalar";
    case ValueType::kVector:
      return "vector";
    case ValueType::kMatrix:
      return "matrix";
    case ValueType::kString:
      return "string";
  }
  return "none";
}

std::string_view BinaryOpString(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAdd:
      return "+";
    case BinaryOp::kSub:
      return "-";
    case BinaryOp::kMul:
      return "*";
    case BinaryOp::kDiv:
      return "/";
    case BinaryOp::kMod:
      return "%";
    case BinaryOp::kPow:
      return "^";
    case BinaryOp::kAtan2:
      return "atan2";
    case BinaryOp::kEql:
      return "==";
    case BinaryOp::kNeq:
      return "!=";
    case BinaryOp::kGtr:
      return ">";
    case BinaryOp::kLss:
      return "<";
    case BinaryOp::kGte:
      return ">=";
    case BinaryOp::kLte:
      return "<=";
    case BinaryOp::kAnd:
      return "and";
    case BinaryOp::kOr:
      return "or";
    case BinaryOp::kUnless:
      return "unless";
  }
  return "?";
}

bool IsComparison(BinaryOp op) {
  switch (op) {
    case BinaryOp::kEql:
    case BinaryOp::kNeq:
    case BinaryOp::kGtr:
    case BinaryOp::kLss:
    case BinaryOp::kGte:
    case BinaryOp::kLte:
      return true;
    default:
      return false;
  }
}

bool IsSetOperator(BinaryOp op) {
  return op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
}

std::string_view AggregateOpString(AggregateOp op) {
  switch (op) {
    case AggregateOp::kSum:
      return "sum";
    case AggregateOp::kAvg:
      return "avg";
    case AggregateOp::kMin:
      return "min";
    case AggregateOp::kMax:
      return "max";
    case AggregateOp::kCount:
      return "count";
    case AggregateOp::kGroup:
      return "group";
    case AggregateOp::kStddev:
      return "stddev";
    case AggregateOp::kStdvar:
      return "stdvar";
    case AggregateOp::kTopk:
      return "topk";
    case AggregateOp::kBottomk:
      return "bottomk";
    case AggregateOp::kQuantile:
      return "quantile";
    case AggregateOp::kCountValues:
      return "count_values";
  }
  return "?";
}

ValueType TypeOf(const Expr& expr) {
  struct Visitor {
    ValueType operator()(const NumberLiteral&) const { return ValueType::kScalar; }
    ValueType operator()(const StringLiteral&) const { return ValueType::kString; }
    ValueType operator()(const VectorSelector&) const { return ValueType::kVector; }
    ValueType operator()(const MatrixSelector&) const { return ValueType::kMatrix; }
    ValueType operator()(const Subquery&) const { return ValueType::kMatrix; }
    ValueType operator()(const Call& c) const {
      return c.function != nullptr ? c.function->return_type : ValueType::kNone;
    }
    ValueType operator()(const Aggregate&) const { return ValueType::kVector; }
    ValueType operator()(const Binary& b) const {
      return TypeOf(*b.lhs) == ValueType::kScalar && TypeOf(*b.rhs) == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    }
    ValueType operator()(const Unary& u) const { return TypeOf(*u.expr); }
    ValueType operator()(const Paren& p) const { return TypeOf(*p.expr); }
  };
  return std::visit(Visitor{}, expr.node);
}

namespace {

// How parse.go names a type in its messages.
std::string_view DocumentedType(ValueType t) {
  switch (t) {
    case ValueType::kVector:
      return "instant vector";
    case ValueType::kMatrix:
      return "range vector";
    default:
      return ValueTypeName(t);
  }
}

class Checker {
 public:
  explicit Checker(std::string_view query) : query_(query) {}

  Status Check(Expr* e) {
    size_t pos = e->begin;
    SLUICE_RETURN_IF_ERROR(std::visit([&](auto& node) { return CheckNode(node, pos); }, e->node));
    types_[e] = NodeType(*e);
    return Status::Ok();
  }

 private:
  // The type of a checked node. Computed once per node, from its children's: TypeOf walks down
  // the tree, which would make checking a long chain quadratic.
  ValueType Type(const Expr* e) const { return types_.at(e); }

  ValueType NodeType(const Expr& e) const {
    if (const auto* b = std::get_if<Binary>(&e.node)) {
      return Type(b->lhs.get()) == ValueType::kScalar && Type(b->rhs.get()) == ValueType::kScalar
                 ? ValueType::kScalar
                 : ValueType::kVector;
    }
    if (const auto* u = std::get_if<Unary>(&e.node)) return Type(u->expr.get());
    if (const auto* p = std::get_if<Paren>(&e.node)) return Type(p->expr.get());
    return TypeOf(e);  // constant time for the other kinds
  }

  Status Error(size_t pos, std::string_view message) { return ParseError(query_, pos, message); }

  Status ExpectType(Expr* e, ValueType want, std::string_view context) {
    SLUICE_RETURN_IF_ERROR(Check(e));
    ValueType got = Type(e);
    if (got == want) return Status::Ok();
    return Error(e->begin, fmt::format("expected type {} in {}, got {}", DocumentedType(want),
                                       context, DocumentedType(got)));
  }

  Status CheckNode(NumberLiteral&, size_t) { return Status::Ok(); }
  Status CheckNode(StringLiteral&, size_t) { return Status::Ok(); }

  Status CheckNode(VectorSelector& vs, size_t pos) {
    if (!vs.name.empty()) {
      for (size_t i = 0; i + 1 < vs.matchers.size(); ++i) {
        if (vs.matchers[i].name() == "__name__") {
          return Error(pos, fmt::format("metric name must not be set twice: {} or {}",
                                        GoQuote(vs.name), GoQuote(vs.matchers[i].value())));
        }
      }
      return Status::Ok();
    }
    for (const storage::LabelMatcher& m : vs.matchers) {
      if (!m.MatchesEmpty()) return Status::Ok();
    }
    return Error(pos, "vector selector must contain at least one non-empty matcher");
  }

  Status CheckNode(MatrixSelector& ms, size_t pos) { return CheckNode(ms.selector, pos); }

  Status CheckNode(Subquery& sq, size_t pos) {
    SLUICE_RETURN_IF_ERROR(Check(sq.expr.get()));
    ValueType t = Type(sq.expr.get());
    if (t == ValueType::kVector) return Status::Ok();
    return Error(pos, fmt::format("subquery is only allowed on instant vector, got {} instead",
                                  ValueTypeName(t)));
  }

  Status CheckNode(Call& call, size_t pos) {
    const FunctionSignature& f = *call.function;
    size_t nargs = f.arg_types.size();
    size_t given = call.args.size();
    if (f.variadic == 0) {
      if (nargs != given) {
        return Error(pos, fmt::format("expected {} argument(s) in call to {}, got {}", nargs,
                                      GoQuote(f.name), given));
      }
    } else {
      size_t required = nargs - 1;
      if (required > given) {
        return Error(pos, fmt::format("expected at least {} argument(s) in call to {}, got {}",
                                      required, GoQuote(f.name), given));
      }
      if (f.variadic > 0 && required + static_cast<size_t>(f.variadic) < given) {
        return Error(
            pos, fmt::format("expected at most {} argument(s) in call to {}, got {}",
                             required + static_cast<size_t>(f.variadic), GoQuote(f.name), given));
      }
    }
    std::string context = fmt::format("call to function {}", GoQuote(f.name));
    for (size_t i = 0; i < given; ++i) {
      size_t t = i;
      if (t >= nargs) {
        if (f.variadic == 0) break;
        t = nargs - 1;
      }
      SLUICE_RETURN_IF_ERROR(ExpectType(call.args[i].get(), f.arg_types[t], context));
    }
    return Status::Ok();
  }

  Status CheckNode(Aggregate& agg, size_t) {
    SLUICE_RETURN_IF_ERROR(
        ExpectType(agg.expr.get(), ValueType::kVector, "aggregation expression"));
    switch (agg.op) {
      case AggregateOp::kTopk:
      case AggregateOp::kBottomk:
      case AggregateOp::kQuantile:
        return ExpectType(agg.param.get(), ValueType::kScalar, "aggregation parameter");
      case AggregateOp::kCountValues:
        return ExpectType(agg.param.get(), ValueType::kString, "aggregation parameter");
      default:
        return Status::Ok();
    }
  }

  Status CheckNode(Binary& b, size_t pos) {
    SLUICE_RETURN_IF_ERROR(Check(b.lhs.get()));
    SLUICE_RETURN_IF_ERROR(Check(b.rhs.get()));
    ValueType lt = Type(b.lhs.get());
    ValueType rt = Type(b.rhs.get());
    // Errors about the operator point at it: the first non-space byte after the left operand.
    size_t op_pos = b.lhs->end;
    while (op_pos < query_.size() && (query_[op_pos] == ' ' || query_[op_pos] == '\t' ||
                                      query_[op_pos] == '\n' || query_[op_pos] == '\r')) {
      ++op_pos;
    }
    bool comparison = IsComparison(b.op);
    bool set = IsSetOperator(b.op);
    if (b.return_bool && !comparison) {
      return Error(op_pos, "bool modifier can only be used on comparison operators");
    }
    if (comparison && !b.return_bool && lt == ValueType::kScalar && rt == ValueType::kScalar) {
      return Error(op_pos, "comparisons between scalars must use BOOL modifier");
    }
    using Card = VectorMatching::Cardinality;
    if (set && b.matching && b.matching->cardinality == Card::kOneToOne) {
      b.matching->cardinality = Card::kManyToMany;
    }
    if (b.matching && b.matching->on) {
      for (const std::string& l1 : b.matching->matching_labels) {
        for (const std::string& l2 : b.matching->include) {
          if (l1 == l2) {
            return Error(
                op_pos,
                fmt::format("label {} must not occur in ON and GROUP clause at once", GoQuote(l1)));
          }
        }
      }
    }
    if (lt != ValueType::kScalar && lt != ValueType::kVector) {
      return Error(b.lhs->begin,
                   "binary expression must contain only scalar and instant vector types");
    }
    if (rt != ValueType::kScalar && rt != ValueType::kVector) {
      return Error(b.rhs->begin,
                   "binary expression must contain only scalar and instant vector types");
    }
    std::string op_name = GoQuote(BinaryOpString(b.op));
    if ((lt != ValueType::kVector || rt != ValueType::kVector) && b.matching) {
      if (!b.matching->matching_labels.empty()) {
        return Error(pos, "vector matching only allowed between instant vectors");
      }
      b.matching.reset();
    } else if (set && b.matching) {
      Card card = b.matching->cardinality;
      if (card == Card::kOneToMany || card == Card::kManyToOne) {
        return Error(pos, fmt::format("no grouping allowed for {} operation", op_name));
      }
      if (card != Card::kManyToMany)
        return Error(pos, "set operations must always be many-to-many");
    }
    if ((lt == ValueType::kScalar || rt == ValueType::kScalar) && set) {
      return Error(pos,
                   fmt::format("set operator {} not allowed in binary scalar expression", op_name));
    }
    return Status::Ok();
  }

  Status CheckNode(Unary& u, size_t pos) {
    SLUICE_RETURN_IF_ERROR(Check(u.expr.get()));
    ValueType t = Type(u.expr.get());
    if (t == ValueType::kScalar || t == ValueType::kVector) return Status::Ok();
    return Error(pos, fmt::format("unary expression only allowed on expressions of type scalar or "
                                  "instant vector, got {}",
                                  GoQuote(DocumentedType(t))));
  }

  Status CheckNode(Paren& p, size_t) { return Check(p.expr.get()); }

  std::string_view query_;
  std::unordered_map<const Expr*, ValueType> types_;
};

}  // namespace

Status CheckAst(std::string_view query, Expr* expr) { return Checker(query).Check(expr); }

Status ParseError(std::string_view query, size_t pos, std::string_view message) {
  size_t line = 1;
  size_t last_break = 0;  // one past the last '\n'
  for (size_t i = 0; i < pos && i < query.size(); ++i) {
    if (query[i] == '\n') {
      ++line;
      last_break = i + 1;
    }
  }
  return Status::InvalidArgument(
      fmt::format("{}:{}: parse error: {}", line, pos - last_break + 1, message));
}

Result<int64_t> ParseDuration(std::string_view text, bool allow_zero) {
  if (text.empty()) return Status::InvalidArgument("empty duration string");
  int64_t total_ns = 0;
  if (text != "0") {
    // model.ParseDuration: each unit at most once, in this order.
    static constexpr std::string_view kUnits[] = {"y", "w", "d", "h", "m", "s", "ms"};
    static constexpr int64_t kUnitMs[] = {365LL * 24 * 3600 * 1000,
                                          7LL * 24 * 3600 * 1000,
                                          24LL * 3600 * 1000,
                                          3600LL * 1000,
                                          60LL * 1000,
                                          1000,
                                          1};
    auto invalid = [&] {
      return Status::InvalidArgument(fmt::format("not a valid duration string: {}", GoQuote(text)));
    };
    size_t pos = 0;
    size_t next_unit = 0;
    bool overflow = false;
    while (pos < text.size()) {
      size_t digits_start = pos;
      while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      if (pos == digits_start || pos == text.size()) return invalid();
      std::string_view digits = text.substr(digits_start, pos - digits_start);
      size_t unit = next_unit;
      while (unit < std::size(kUnits) && !text.substr(pos).starts_with(kUnits[unit])) ++unit;
      // "m" must not swallow the "m" of "ms".
      if (unit == 4 && text.substr(pos).starts_with("ms")) unit = 6;
      if (unit >= std::size(kUnits)) return invalid();
      pos += kUnits[unit].size();
      next_unit = unit + 1;
      // strconv.Atoi saturates on overflow; the range check below then fails.
      int64_t n = 0;
      for (char c : digits) {
        if (n > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) {
          n = std::numeric_limits<int64_t>::max();
          break;
        }
        n = n * 10 + (c - '0');
      }
      int64_t mult = kUnitMs[unit];
      if (n > std::numeric_limits<int64_t>::max() / mult / 1'000'000) {
        overflow = true;
        continue;
      }
      int64_t d = n * 1'000'000 * mult;
      if (total_ns > std::numeric_limits<int64_t>::max() - d) {
        overflow = true;
        total_ns = std::numeric_limits<int64_t>::min();  // Go's wrap-around leaves it negative
        continue;
      }
      total_ns += d;
    }
    if (overflow) return Status::InvalidArgument("duration out of range");
  }
  if (total_ns == 0 && !allow_zero) {
    return Status::InvalidArgument("duration must be greater than 0");
  }
  return total_ns / 1'000'000;
}

// Go's regexp/syntax rejects \C (any byte), which RE2 accepts.
bool HasAnyByteEscape(std::string_view value) {
  for (size_t i = 0; i + 1 < value.size(); ++i) {
    if (value[i] != '\\') continue;
    if (value[i + 1] == 'C') return true;
    ++i;
  }
  return false;
}

// Go's regexp/syntax error text for a pattern RE2 rejects.
std::string RegexError(const std::string& value) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re("^(?:" + value + ")$", options);
  return GoRegexpError(re);
}

}  // namespace sluice::query::promql
