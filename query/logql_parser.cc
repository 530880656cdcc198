// A recursive-descent rendition of Loki's yacc grammar (pkg/logql/syntax/expr.y). Where yacc
// resolves a conflict by shifting (a `!=` after a log selector is a line filter, an `or` after a
// line filter or a label filter continues it, `,` and juxtaposition in label filters nest to the
// right) we do the same, so that the trees, and therefore ToString, are Loki's.
//
// Loki reports two kinds of errors, and so do we: syntax errors (and the lexer's) at the
// offending token, and errors of its AST constructors without a position. Of the latter, those
// Loki raises by panicking (an invalid regex in a matcher, an invalid `| regexp`) stop the parse
// at once; those it stores in the node (wrong parameters, grouping or unwrap for a range
// aggregation, a log selector as an operand) surface after a successful parse, in the order of
// Loki's validateExpr walk, followed by the check that each selector has a matcher that does not
// match the empty string.
#include "query/logql_parser.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "query/go_numbers.h"
#include "query/go_regexp_error.h"
#include "query/logql_lexer.h"
#include "query/promql_lexer.h"            // GoQuote: strconv.Quote in Go's error texts
#include "query/promql_parser_internal.h"  // RegexError, HasAnyByteEscape: Go's regexp errors

namespace sluice::query::logql {
namespace {

using promql::BinaryOp;
using promql::VectorMatching;

constexpr size_t kMaxInputSize = 131072;  // parser.go's maxInputSize
// Loki has no such limits; ours keep the recursive parser, printer and evaluator off the end of
// the stack. Nesting counts parentheses, calls and right-associative `^` chains; height is the
// tree's, which long `a + b + ...` or `| x="1" y="2" ...` chains grow without recursing here.
constexpr int kMaxNesting = 256;
constexpr int kMaxHeight = 1024;
constexpr int kPrecPow = 6;

constexpr std::string_view kNeedsMatcher =
    "queries require at least one regexp or equality matcher that does not have an "
    "empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but "
    "app=~\".+\" will";

Status PositionlessError(std::string_view message) {
  return Status::InvalidArgument(fmt::format("parse error : {}", message));
}

// Go's %f.
std::string GoF(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  return fmt::format("{:f}", v);
}

// strconv.ParseFloat's error for a NUMBER token our lexer produced: hexadecimal mantissas
// without a `p` exponent and misplaced `_` are invalid syntax; the rest overflowed.
std::string ParseFloatError(std::string_view text) {
  bool syntax = text.find_first_of("xX_") != std::string_view::npos;
  return fmt::format("strconv.ParseFloat: parsing {}: {}", promql::GoQuote(text),
                     syntax ? "invalid syntax" : "value out of range");
}

// strconv.Atoi.
std::optional<int64_t> GoAtoi(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    int digit = c - '0';
    if (v > (std::numeric_limits<int64_t>::max() - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

bool IsLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

struct BinaryInfo {
  BinaryOp op;
  int prec;
};

std::optional<BinaryInfo> BinaryOperator(TokenType t) {
  switch (t) {
    case TokenType::kOr:
      return BinaryInfo{BinaryOp::kOr, 1};
    case TokenType::kAnd:
      return BinaryInfo{BinaryOp::kAnd, 2};
    case TokenType::kUnless:
      return BinaryInfo{BinaryOp::kUnless, 2};
    case TokenType::kCmpEq:
      return BinaryInfo{BinaryOp::kEql, 3};
    case TokenType::kNeq:
      return BinaryInfo{BinaryOp::kNeq, 3};
    case TokenType::kGt:
      return BinaryInfo{BinaryOp::kGtr, 3};
    case TokenType::kGte:
      return BinaryInfo{BinaryOp::kGte, 3};
    case TokenType::kLt:
      return BinaryInfo{BinaryOp::kLss, 3};
    case TokenType::kLte:
      return BinaryInfo{BinaryOp::kLte, 3};
    case TokenType::kAdd:
      return BinaryInfo{BinaryOp::kAdd, 4};
    case TokenType::kSub:
      return BinaryInfo{BinaryOp::kSub, 4};
    case TokenType::kMul:
      return BinaryInfo{BinaryOp::kMul, 5};
    case TokenType::kDiv:
      return BinaryInfo{BinaryOp::kDiv, 5};
    case TokenType::kMod:
      return BinaryInfo{BinaryOp::kMod, 5};
    case TokenType::kPow:
      return BinaryInfo{BinaryOp::kPow, kPrecPow};
    default:
      return std::nullopt;
  }
}

// ast.go's MergeBinOp for two literals (no filtering: comparisons give 0 or 1).
double FoldLiterals(BinaryOp op, double l, double r) {
  switch (op) {
    case BinaryOp::kAdd:
      return l + r;
    case BinaryOp::kSub:
      return l - r;
    case BinaryOp::kMul:
      return l * r;
    case BinaryOp::kDiv:
      return r == 0 ? std::nan("") : l / r;
    case BinaryOp::kMod:
      return r == 0 ? std::nan("") : std::fmod(l, r);
    case BinaryOp::kPow:
      return std::pow(l, r);
    case BinaryOp::kEql:
      return l == r ? 1 : 0;
    case BinaryOp::kNeq:
      return l != r ? 1 : 0;
    case BinaryOp::kGtr:
      return l > r ? 1 : 0;
    case BinaryOp::kGte:
      return l >= r ? 1 : 0;
    case BinaryOp::kLss:
      return l < r ? 1 : 0;
    case BinaryOp::kLte:
      return l <= r ? 1 : 0;
    default:
      return 0;
  }
}

std::optional<VectorAggregation::Op> VectorOperator(TokenType t) {
  using Op = VectorAggregation::Op;
  switch (t) {
    case TokenType::kSum:
      return Op::kSum;
    case TokenType::kAvg:
      return Op::kAvg;
    case TokenType::kMin:
      return Op::kMin;
    case TokenType::kMax:
      return Op::kMax;
    case TokenType::kCount:
      return Op::kCount;
    case TokenType::kStddev:
      return Op::kStddev;
    case TokenType::kStdvar:
      return Op::kStdvar;
    case TokenType::kTopk:
      return Op::kTopk;
    case TokenType::kBottomk:
      return Op::kBottomk;
    case TokenType::kSort:
      return Op::kSort;
    case TokenType::kSortDesc:
      return Op::kSortDesc;
    default:
      return std::nullopt;
  }
}

std::optional<RangeOp> RangeOperator(TokenType t) {
  switch (t) {
    case TokenType::kCountOverTime:
      return RangeOp::kCountOverTime;
    case TokenType::kRate:
      return RangeOp::kRate;
    case TokenType::kRateCounter:
      return RangeOp::kRateCounter;
    case TokenType::kBytesOverTime:
      return RangeOp::kBytesOverTime;
    case TokenType::kBytesRate:
      return RangeOp::kBytesRate;
    case TokenType::kAbsentOverTime:
      return RangeOp::kAbsentOverTime;
    case TokenType::kSumOverTime:
      return RangeOp::kSumOverTime;
    case TokenType::kAvgOverTime:
      return RangeOp::kAvgOverTime;
    case TokenType::kMaxOverTime:
      return RangeOp::kMaxOverTime;
    case TokenType::kMinOverTime:
      return RangeOp::kMinOverTime;
    case TokenType::kStddevOverTime:
      return RangeOp::kStddevOverTime;
    case TokenType::kStdvarOverTime:
      return RangeOp::kStdvarOverTime;
    case TokenType::kQuantileOverTime:
      return RangeOp::kQuantileOverTime;
    case TokenType::kFirstOverTime:
      return RangeOp::kFirstOverTime;
    case TokenType::kLastOverTime:
      return RangeOp::kLastOverTime;
    default:
      return std::nullopt;
  }
}

std::optional<LineFilterOp> LineFilterOperator(TokenType t) {
  switch (t) {
    case TokenType::kPipeExact:
      return LineFilterOp::kContains;
    case TokenType::kNeq:
      return LineFilterOp::kNotContains;
    case TokenType::kPipeMatch:
      return LineFilterOp::kRegexMatch;
    case TokenType::kNre:
      return LineFilterOp::kRegexNoMatch;
    case TokenType::kPipePattern:
      return LineFilterOp::kPatternMatch;
    case TokenType::kNpa:
      return LineFilterOp::kPatternNoMatch;
    default:
      return std::nullopt;
  }
}

std::optional<storage::MatchOp> MatcherOperator(TokenType t) {
  switch (t) {
    case TokenType::kEq:
      return storage::MatchOp::kEqual;
    case TokenType::kNeq:
      return storage::MatchOp::kNotEqual;
    case TokenType::kRe:
      return storage::MatchOp::kRegexMatch;
    case TokenType::kNre:
      return storage::MatchOp::kRegexNoMatch;
    default:
      return std::nullopt;
  }
}

// labels.NewMatcher, as mustNewMatcher calls it: the regex must compile (Go's message if not).
Result<storage::LabelMatcher> MakeMatcher(storage::MatchOp op, std::string_view name,
                                          const std::string& value) {
  bool regex = op == storage::MatchOp::kRegexMatch || op == storage::MatchOp::kRegexNoMatch;
  if (regex && promql::HasAnyByteEscape(value)) {
    return PositionlessError("error parsing regexp: invalid escape sequence: `\\C`");
  }
  Result<storage::LabelMatcher> m = storage::LabelMatcher::Make(op, std::string(name), value);
  if (!m.ok()) return PositionlessError(promql::RegexError(value));
  return m;
}

// Every selector must have a matcher that does not match the empty string.
Status CheckMatchers(const storage::LabelMatchers& matchers) {
  for (const storage::LabelMatcher& m : matchers) {
    if (!m.MatchesEmpty()) return Status::Ok();
  }
  return PositionlessError(kNeedsMatcher);
}

class QueryParser {
 public:
  explicit QueryParser(std::string_view input) : input_(input), lexer_(input) {}

  Result<ExprPtr> Parse(bool validate) {
    if (input_.size() >= kMaxInputSize) {
      return PositionlessError(
          fmt::format("input size too long ({} > {})", input_.size(), kMaxInputSize));
    }
    // text/scanner reports the end of an empty input at line 0, column 0.
    if (input_.empty()) return PositionlessError("syntax error: unexpected $end");
    SLUICE_ASSIGN_OR_RETURN(ExprPtr expr, ParseBinary(0));
    if (Peek().type != TokenType::kEof) return SyntaxError(Peek());
    if (validate) SLUICE_RETURN_IF_ERROR(Validate(*expr));
    return expr;
  }

 private:
  // ---- Tokens and errors ----------------------------------------------------------------

  const Token& Peek(size_t ahead = 0) {
    while (tokens_.size() <= ahead) tokens_.push_back(lexer_.Next());
    return tokens_[ahead];
  }

  Token Consume() {
    Peek();
    Token t = std::move(tokens_.front());
    tokens_.pop_front();
    return t;
  }

  static Status ErrorAt(const Token& t, std::string_view message) {
    return Status::InvalidArgument(
        fmt::format("parse error at line {}, col {}: {}", t.line, t.column, message));
  }

  // yacc's "syntax error: unexpected X, expecting Y" (or the lexer's error for that token).
  static Status SyntaxError(const Token& t, std::string_view expecting = {}) {
    if (t.type == TokenType::kError) return ErrorAt(t, t.value);
    std::string message = fmt::format("syntax error: unexpected {}", TokenName(t.type));
    if (!expecting.empty()) message += fmt::format(", expecting {}", expecting);
    return ErrorAt(t, message);
  }

  Status Expect(TokenType type, std::string_view expecting, Token* out = nullptr) {
    if (Peek().type != type) return SyntaxError(Peek(), expecting);
    Token t = Consume();
    if (out != nullptr) *out = std::move(t);
    return Status::Ok();
  }

  Status Enter() {
    if (++depth_ > kMaxNesting) {
      return ErrorAt(Peek(), fmt::format("query is nested more than {} levels deep", kMaxNesting));
    }
    return Status::Ok();
  }
  void Leave() { --depth_; }

  Status TooTall(const Token& at) {
    return ErrorAt(at, fmt::format("query is nested more than {} levels deep", kMaxHeight));
  }

  ExprPtr Make(Expr::Node node, int height = 1) {
    auto e = std::make_unique<Expr>();
    e->node = std::move(node);
    height_[e.get()] = height;
    return e;
  }

  int HeightOf(const ExprPtr& e) const {
    auto it = height_.find(e.get());
    return it == height_.end() ? 1 : it->second;
  }

  // An error Loki stores in the node, reported by Validate.
  void Defer(const ExprPtr& e, std::string message) {
    deferred_.emplace(e.get(), PositionlessError(message));
  }

  // ---- Metric expressions ------------------------------------------------------------------

  Result<ExprPtr> ParseBinary(int min_prec) {
    SLUICE_RETURN_IF_ERROR(Enter());
    SLUICE_ASSIGN_OR_RETURN(ExprPtr lhs, ParseOperand());
    while (true) {
      std::optional<BinaryInfo> info = BinaryOperator(Peek().type);
      if (!info || info->prec < min_prec) break;
      Token op_token = Consume();
      bool return_bool = false;
      VectorMatching matching;
      SLUICE_RETURN_IF_ERROR(ParseBinaryModifiers(&return_bool, &matching));
      // ^ is right-associative, the others left-associative.
      SLUICE_ASSIGN_OR_RETURN(ExprPtr rhs,
                              ParseBinary(info->prec == kPrecPow ? info->prec : info->prec + 1));
      SLUICE_ASSIGN_OR_RETURN(lhs, MakeBinary(op_token, info->op, return_bool, std::move(matching),
                                              std::move(lhs), std::move(rhs)));
    }
    Leave();
    return lhs;
  }

  Status ParseBinaryModifiers(bool* return_bool, VectorMatching* matching) {
    if (Peek().type == TokenType::kBool) {
      Consume();
      *return_bool = true;
    }
    TokenType t = Peek().type;
    if (t != TokenType::kOn && t != TokenType::kIgnoring) return Status::Ok();
    Consume();
    matching->on = t == TokenType::kOn;
    SLUICE_RETURN_IF_ERROR(ParseLabelList(&matching->matching_labels));
    t = Peek().type;
    if (t == TokenType::kGroupLeft || t == TokenType::kGroupRight) {
      Consume();
      matching->cardinality = t == TokenType::kGroupLeft ? VectorMatching::Cardinality::kManyToOne
                                                         : VectorMatching::Cardinality::kOneToMany;
      if (Peek().type == TokenType::kLeftParen) {
        SLUICE_RETURN_IF_ERROR(ParseLabelList(&matching->include));
      }
    }
    return Status::Ok();
  }

  // `()` or `(a, b)`: grouping and vector matching labels.
  Status ParseLabelList(std::vector<std::string>* labels) {
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
    if (Peek().type == TokenType::kRightParen) {
      Consume();
      return Status::Ok();
    }
    while (true) {
      Token label;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier,
                                    labels->empty() ? "IDENTIFIER or )" : "IDENTIFIER", &label));
      labels->emplace_back(label.text);
      if (Peek().type == TokenType::kRightParen) {
        Consume();
        return Status::Ok();
      }
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kComma, ", or )"));
    }
  }

  // ast.go's mustNewBinOpExpr: operands must be sample expressions, set operators take no
  // literal, and two literals fold into one.
  Result<ExprPtr> MakeBinary(const Token& op_token, BinaryOp op, bool return_bool,
                             VectorMatching matching, ExprPtr lhs, ExprPtr rhs) {
    std::string_view op_name = promql::BinaryOpString(op);
    bool set = op == BinaryOp::kAnd || op == BinaryOp::kOr || op == BinaryOp::kUnless;
    auto log_type = [](const Expr& e) -> const char* {
      const auto* s = std::get_if<LogSelector>(&e.node);
      if (s == nullptr) return nullptr;
      return s->stages.empty() ? "*syntax.MatchersExpr" : "*syntax.PipelineExpr";
    };
    const auto* ln = std::get_if<Number>(&lhs->node);
    const auto* rn = std::get_if<Number>(&rhs->node);
    std::optional<Status> error;
    if (const char* type = log_type(*lhs)) {
      error = PositionlessError(
          fmt::format("unexpected type for left leg of binary operation ({}): {}", op_name, type));
    } else if (const char* rtype = log_type(*rhs)) {
      error = PositionlessError(fmt::format(
          "unexpected type for right leg of binary operation ({}): {}", op_name, rtype));
    } else if (ln != nullptr && deferred_.count(lhs.get()) > 0) {
      error = deferred_.at(lhs.get());
    } else if (rn != nullptr && deferred_.count(rhs.get()) > 0) {
      error = deferred_.at(rhs.get());
    } else if (set && ln != nullptr) {
      error = PositionlessError(
          fmt::format("unexpected literal for left leg of logical/set binary operation ({}): {}",
                      op_name, GoF(ln->value)));
    } else if (set && rn != nullptr) {
      error = PositionlessError(
          fmt::format("unexpected literal for right leg of logical/set binary operation ({}): {}",
                      op_name, GoF(rn->value)));
    } else if (ln != nullptr && rn != nullptr) {
      return Make(Number{FoldLiterals(op, ln->value, rn->value)});
    }
    int height = std::max(HeightOf(lhs), HeightOf(rhs)) + 1;
    if (height > kMaxHeight) return TooTall(op_token);
    Binary b;
    b.op = op;
    b.return_bool = return_bool;
    if (ln == nullptr && rn == nullptr) {
      // As Prometheus: set operators match many-to-many unless told otherwise.
      if (set && matching.cardinality == VectorMatching::Cardinality::kOneToOne) {
        matching.cardinality = VectorMatching::Cardinality::kManyToMany;
      }
      b.matching = std::move(matching);
    }
    b.lhs = std::move(lhs);
    b.rhs = std::move(rhs);
    ExprPtr e = Make(std::move(b), height);
    if (error) deferred_.emplace(e.get(), *error);
    return e;
  }

  Result<ExprPtr> ParseOperand() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kLeftBrace:
        return ParseLogQuery();
      case TokenType::kLeftParen: {
        // Loki keeps no trace of the parentheses: binary operations print their own.
        Consume();
        SLUICE_ASSIGN_OR_RETURN(ExprPtr inner, ParseBinary(0));
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ""));
        return inner;
      }
      case TokenType::kNumber:
        return MakeLiteral(Consume(), false);
      case TokenType::kAdd:
      case TokenType::kSub: {
        bool negative = Consume().type == TokenType::kSub;
        if (Peek().type != TokenType::kNumber) return SyntaxError(Peek(), "NUMBER");
        return MakeLiteral(Consume(), negative);
      }
      case TokenType::kVector:
        return ParseVectorLiteral();
      case TokenType::kLabelReplace:
        return ParseLabelReplace();
      case TokenType::kApproxTopk:
        return ErrorAt(t, "approx_topk is not supported");
      case TokenType::kVariants:
        return ErrorAt(t, "variants queries are not supported");
      default:
        break;
    }
    if (std::optional<VectorAggregation::Op> op = VectorOperator(t.type)) {
      return ParseVectorAggregation(*op);
    }
    if (std::optional<RangeOp> op = RangeOperator(t.type)) return ParseRangeAggregation(*op);
    return SyntaxError(t);
  }

  ExprPtr MakeLiteral(const Token& number, bool negative) {
    std::optional<double> v = GoParseFloat(number.text);
    ExprPtr e = Make(Number{v ? (negative ? -*v : *v) : 0});
    if (!v) {
      Defer(e, "unable to parse literal as a float: " + ParseFloatError(number.text));
    }
    return e;
  }

  Result<ExprPtr> ParseVectorLiteral() {
    Consume();
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
    Token number;
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kNumber, "NUMBER", &number));
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ")"));
    std::optional<double> v = GoParseFloat(number.text);
    ExprPtr e = Make(VectorLiteral{v.value_or(0)});
    if (!v) Defer(e, "unable to parse vectorExpr as a float: " + ParseFloatError(number.text));
    return e;
  }

  // A metric expression where the grammar wants one (aggregation and label_replace
  // arguments): a log query there is a syntax error at the token after it.
  Result<ExprPtr> ParseMetricArgument() {
    SLUICE_ASSIGN_OR_RETURN(ExprPtr e, ParseBinary(0));
    if (IsLogQuery(*e)) return SyntaxError(Peek());
    return e;
  }

  Result<ExprPtr> ParseLabelReplace() {
    Consume();
    SLUICE_RETURN_IF_ERROR(Enter());
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
    LabelReplace lr;
    SLUICE_ASSIGN_OR_RETURN(lr.expr, ParseMetricArgument());
    std::string* fields[] = {&lr.dst, &lr.replacement, &lr.src, &lr.regex};
    for (std::string* field : fields) {
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kComma, ","));
      Token s;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "STRING", &s));
      *field = std::move(s.value);
    }
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ")"));
    Leave();
    std::optional<std::string> regex_error;
    if (promql::HasAnyByteEscape(lr.regex)) {
      regex_error = "error parsing regexp: invalid escape sequence: `\\C`";
    } else {
      RE2::Options options;
      options.set_log_errors(false);
      RE2 re("^(?:" + lr.regex + ")$", options);
      if (!re.ok()) regex_error = promql::RegexError(lr.regex);
    }
    int height = HeightOf(lr.expr) + 1;
    ExprPtr e = Make(std::move(lr), height);
    if (regex_error) Defer(e, "invalid regex in label_replace: " + *regex_error);
    return e;
  }

  Status ParseGrouping(std::vector<std::string>* labels, bool* without) {
    *without = Consume().type == TokenType::kWithout;
    return ParseLabelList(labels);
  }

  static bool IsGrouping(TokenType t) { return t == TokenType::kBy || t == TokenType::kWithout; }

  Result<ExprPtr> ParseVectorAggregation(VectorAggregation::Op op) {
    Consume();
    SLUICE_RETURN_IF_ERROR(Enter());
    VectorAggregation agg;
    agg.op = op;
    bool grouping_first = IsGrouping(Peek().type);
    if (grouping_first) {
      agg.grouping_given = true;
      SLUICE_RETURN_IF_ERROR(ParseGrouping(&agg.grouping, &agg.without));
    }
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
    std::optional<std::string> param;
    if (Peek().type == TokenType::kNumber && Peek(1).type == TokenType::kComma) {
      param = std::string(Consume().text);
      Consume();
    }
    SLUICE_ASSIGN_OR_RETURN(agg.expr, ParseMetricArgument());
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ""));
    if (!grouping_first && IsGrouping(Peek().type)) {
      agg.grouping_given = true;
      SLUICE_RETURN_IF_ERROR(ParseGrouping(&agg.grouping, &agg.without));
    }
    Leave();
    // ast.go's mustNewVectorAggregationExpr.
    std::string name(VectorAggregationOpString(op));
    std::optional<std::string> error;
    if (op == VectorAggregation::Op::kTopk || op == VectorAggregation::Op::kBottomk) {
      if (!param) {
        error = "parameter required for operation " + name;
      } else if (std::optional<int64_t> k = GoAtoi(*param); !k) {
        error = fmt::format("invalid parameter {}({},", name, *param);
      } else if (*k <= 0) {
        error = fmt::format("invalid parameter (must be greater than 0) {}({}", name, *param);
      } else {
        agg.param = *k;
      }
    } else if (param) {
      error = fmt::format("unsupported parameter for operation {}({},", name, *param);
    }
    int height = HeightOf(agg.expr) + 1;
    ExprPtr e = Make(std::move(agg), height);
    if (error) Defer(e, *error);
    return e;
  }

  Result<ExprPtr> ParseRangeAggregation(RangeOp op) {
    Consume();
    SLUICE_RETURN_IF_ERROR(Enter());
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
    RangeAggregation agg;
    agg.op = op;
    std::optional<std::string> param;
    if (Peek().type == TokenType::kNumber) {
      param = std::string(Consume().text);
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kComma, ","));
    }
    SLUICE_RETURN_IF_ERROR(ParseLogRange(&agg.range));
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ""));
    if (IsGrouping(Peek().type)) {
      agg.grouping_given = true;
      SLUICE_RETURN_IF_ERROR(ParseGrouping(&agg.grouping, &agg.without));
    }
    Leave();
    // ast.go's newRangeAggregationExpr and RangeAggregationExpr.validate.
    std::string name(RangeOpString(op));
    std::optional<std::string> error;
    if (param) {
      if (op != RangeOp::kQuantileOverTime) {
        error = fmt::format("parameter {} not supported for operation {}", *param, name);
      } else if (std::optional<double> v = GoParseFloat(*param); !v) {
        error =
            fmt::format("invalid parameter for operation {}: {}", name, ParseFloatError(*param));
      } else {
        agg.param = *v;
      }
    } else if (op == RangeOp::kQuantileOverTime) {
      error = "parameter required for operation " + name;
    }
    if (!error && agg.grouping_given) {
      switch (op) {
        case RangeOp::kAvgOverTime:
        case RangeOp::kStddevOverTime:
        case RangeOp::kStdvarOverTime:
        case RangeOp::kQuantileOverTime:
        case RangeOp::kMaxOverTime:
        case RangeOp::kMinOverTime:
        case RangeOp::kFirstOverTime:
        case RangeOp::kLastOverTime:
          break;
        default:
          error = fmt::format("grouping not allowed for {} aggregation", name);
      }
    }
    if (!error) {
      if (agg.range.unwrap) {
        switch (op) {
          case RangeOp::kCountOverTime:
          case RangeOp::kBytesOverTime:
          case RangeOp::kBytesRate:
            error = fmt::format("invalid aggregation {} with unwrap", name);
            break;
          default:
            break;
        }
      } else if (RangeOpNeedsUnwrap(op)) {
        error = fmt::format("invalid aggregation {} without unwrap", name);
      }
    }
    ExprPtr e = Make(std::move(agg), 2);
    if (error) Defer(e, *error);
    return e;
  }

  // ---- Log queries ---------------------------------------------------------------------------

  Result<ExprPtr> ParseLogQuery() {
    LogSelector selector;
    SLUICE_RETURN_IF_ERROR(ParseSelector(&selector.matchers));
    SLUICE_RETURN_IF_ERROR(ParsePipeline(&selector, false));
    return Make(std::move(selector));
  }

  Status ParseSelector(storage::LabelMatchers* matchers) {
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftBrace, "{"));
    if (Peek().type == TokenType::kRightBrace) {
      Consume();
      return Status::Ok();
    }
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(storage::LabelMatcher m,
                              ParseMatcher(matchers->empty() ? "IDENTIFIER or }" : "IDENTIFIER"));
      matchers->push_back(std::move(m));
      if (Peek().type == TokenType::kRightBrace) {
        Consume();
        return Status::Ok();
      }
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kComma, "} or ,"));
    }
  }

  // `name op "value"`.
  Result<storage::LabelMatcher> ParseMatcher(std::string_view expecting_name) {
    Token name;
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier, expecting_name, &name));
    std::optional<storage::MatchOp> op = MatcherOperator(Peek().type);
    if (!op) return SyntaxError(Peek(), "= or =~ or !~ or !=");
    Consume();
    Token value;
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "STRING", &value));
    return MakeMatcher(*op, name.text, value.value);
  }

  // Stages, until something that is not one. With `stop_at_unwrap`, `| unwrap` ends the pipeline
  // (it belongs to the range); elsewhere it is a syntax error.
  Status ParsePipeline(LogSelector* selector, bool stop_at_unwrap) {
    while (true) {
      const Token& t = Peek();
      if (std::optional<LineFilterOp> op = LineFilterOperator(t.type)) {
        SLUICE_ASSIGN_OR_RETURN(LineFilter filter, ParseLineFilter(*op));
        selector->stages.push_back(Stage{std::move(filter)});
        continue;
      }
      if (t.type != TokenType::kPipe) return Status::Ok();
      if (stop_at_unwrap && Peek(1).type == TokenType::kUnwrap) return Status::Ok();
      Consume();
      SLUICE_ASSIGN_OR_RETURN(Stage stage, ParseStage());
      selector->stages.push_back(std::move(stage));
    }
  }

  Result<LineFilter> ParseLineFilter(LineFilterOp op) {
    Consume();
    LineFilter filter;
    filter.op = op;
    bool any_ip = false;
    bool any_string = false;
    while (true) {
      if (Peek().type == TokenType::kString) {
        filter.values.push_back(Consume().value);
        any_string = true;
      } else if (Peek().type == TokenType::kIp) {
        SLUICE_ASSIGN_OR_RETURN(std::string pattern, ParseIpCall());
        filter.values.push_back(std::move(pattern));
        any_ip = true;
      } else {
        return SyntaxError(Peek(), "STRING or ip");
      }
      if (any_ip && any_string) {
        return ErrorAt(Peek(), "ip() and string line filters cannot be combined with or");
      }
      if (Peek().type != TokenType::kOr) break;
      Consume();
    }
    filter.ip = any_ip;
    return filter;
  }

  // `ip("...")`: the pattern.
  Result<std::string> ParseIpCall() {
    Consume();
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
    Token s;
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "STRING", &s));
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ")"));
    return std::move(s.value);
  }

  // What follows `|`.
  Result<Stage> ParseStage() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kJson: {
        Consume();
        Parser parser;
        parser.kind = ParserKind::kJson;
        if (Peek().type == TokenType::kIdentifier) {
          SLUICE_RETURN_IF_ERROR(ParseExtractionParams(&parser.params));
        }
        return Stage{std::move(parser)};
      }
      case TokenType::kLogfmt: {
        Consume();
        Parser parser;
        parser.kind = ParserKind::kLogfmt;
        while (Peek().type == TokenType::kParserFlag) {
          Token flag = Consume();
          (flag.text == "--strict" ? parser.strict : parser.keep_empty) = true;
        }
        if (Peek().type == TokenType::kIdentifier) {
          SLUICE_RETURN_IF_ERROR(ParseExtractionParams(&parser.params));
        }
        return Stage{std::move(parser)};
      }
      case TokenType::kRegexp:
      case TokenType::kPattern: {
        bool regexp = Consume().type == TokenType::kRegexp;
        Token s;
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "STRING", &s));
        Parser parser;
        parser.kind = regexp ? ParserKind::kRegexp : ParserKind::kPattern;
        parser.argument = std::move(s.value);
        if (regexp) SLUICE_RETURN_IF_ERROR(CheckRegexpParser(parser.argument));
        return Stage{std::move(parser)};
      }
      case TokenType::kUnpack: {
        Consume();
        Parser parser;
        parser.kind = ParserKind::kUnpack;
        return Stage{std::move(parser)};
      }
      case TokenType::kLineFmt: {
        Consume();
        Token s;
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "STRING", &s));
        return Stage{LineFormat{std::move(s.value)}};
      }
      case TokenType::kLabelFmt:
        return ParseLabelFormat();
      case TokenType::kDecolorize:
        Consume();
        return Stage{Decolorize{}};
      case TokenType::kDrop:
      case TokenType::kKeep:
        return ParseDropKeep();
      case TokenType::kIdentifier:
        if (t.text == "distinct" && Peek(1).type == TokenType::kIdentifier) {
          return ErrorAt(t, "the distinct stage is not supported");
        }
        [[fallthrough]];
      case TokenType::kLeftParen: {
        SLUICE_ASSIGN_OR_RETURN(LabelFilterPtr filter, ParseLabelFilter());
        return Stage{std::move(filter)};
      }
      default:
        return SyntaxError(t);
    }
  }

  // log.NewRegexpParser: a valid regex with at least one named capture, named as labels.
  static Status CheckRegexpParser(const std::string& expression) {
    RE2::Options options;
    options.set_log_errors(false);
    RE2 re(expression, options);
    if (!re.ok()) return PositionlessError("invalid regexp parser: " + GoRegexpError(re));
    const std::map<std::string, int>& names = re.NamedCapturingGroups();
    if (names.empty()) {
      return PositionlessError(
          "invalid regexp parser: at least one named capture must be supplied");
    }
    for (const auto& [name, index] : names) {
      if (!IsLabelName(name)) {
        return PositionlessError(
            fmt::format("invalid regexp parser: invalid extracted label name '{}'", name));
      }
    }
    return Status::Ok();
  }

  // `a, b="expression"` after json or logfmt.
  Status ParseExtractionParams(std::vector<ExtractionParam>* params) {
    while (true) {
      Token label;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier, "IDENTIFIER", &label));
      ExtractionParam param;
      param.label = std::string(label.text);
      if (Peek().type == TokenType::kEq) {
        Consume();
        Token s;
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "STRING", &s));
        // An empty expression would read as the bare form (the label itself).
        if (s.value.empty()) {
          return ErrorAt(s, fmt::format("empty extraction expression for label {}", label.text));
        }
        param.expression = std::move(s.value);
      }
      params->push_back(std::move(param));
      if (Peek().type != TokenType::kComma) return Status::Ok();
      Consume();
    }
  }

  Result<Stage> ParseLabelFormat() {
    Consume();
    LabelFormat format;
    while (true) {
      Token label;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier, "IDENTIFIER", &label));
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kEq, "="));
      LabelFormatItem item;
      item.label = std::string(label.text);
      if (Peek().type == TokenType::kIdentifier) {
        item.value = std::string(Consume().text);
        item.rename = true;
      } else {
        Token s;
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kString, "IDENTIFIER or STRING", &s));
        item.value = std::move(s.value);
      }
      format.items.push_back(std::move(item));
      if (Peek().type != TokenType::kComma) break;
      Consume();
    }
    return Stage{std::move(format)};
  }

  Result<Stage> ParseDropKeep() {
    DropKeep dk;
    dk.keep = Consume().type == TokenType::kKeep;
    while (true) {
      if (Peek().type != TokenType::kIdentifier) return SyntaxError(Peek(), "IDENTIFIER");
      DropKeepItem item;
      if (MatcherOperator(Peek(1).type)) {
        SLUICE_ASSIGN_OR_RETURN(storage::LabelMatcher m, ParseMatcher("IDENTIFIER"));
        item.label = m.name();
        item.matcher = std::move(m);
      } else {
        item.label = std::string(Consume().text);
      }
      dk.items.push_back(std::move(item));
      if (Peek().type != TokenType::kComma) break;
      Consume();
    }
    return Stage{std::move(dk)};
  }

  // ---- Label filters -----------------------------------------------------------------------

  // yacc's resolution of the label filter grammar: `or` and `and` are left-associative and
  // `and` binds tighter, but after either one a `,` or a juxtaposed filter nests to the right,
  // as do all operators after a `,` or a juxtaposition (shift wins when a rule has no
  // precedence). Filters are parsed as operands and combined with an operator stack.
  enum class FilterOp { kOr, kAnd, kComma, kJuxtaposed };

  static bool ReducesBefore(FilterOp top, FilterOp incoming) {
    if (top == FilterOp::kOr) return incoming == FilterOp::kOr;
    if (top == FilterOp::kAnd) return incoming == FilterOp::kOr || incoming == FilterOp::kAnd;
    return false;
  }

  struct FilterOperand {
    LabelFilterPtr filter;
    int height = 1;
  };

  Result<LabelFilterPtr> ParseLabelFilter() {
    SLUICE_RETURN_IF_ERROR(Enter());
    std::vector<FilterOperand> operands;
    std::vector<FilterOp> ops;
    auto reduce = [&]() -> Status {
      FilterOp op = ops.back();
      ops.pop_back();
      FilterOperand rhs = std::move(operands.back());
      operands.pop_back();
      FilterOperand& lhs = operands.back();
      auto node = std::make_unique<LabelFilterExpr>();
      node->kind = op == FilterOp::kOr ? LabelFilterExpr::Kind::kOr : LabelFilterExpr::Kind::kAnd;
      node->comma = op == FilterOp::kComma;
      node->lhs = std::move(lhs.filter);
      node->rhs = std::move(rhs.filter);
      lhs.filter = std::move(node);
      lhs.height = std::max(lhs.height, rhs.height) + 1;
      if (lhs.height > kMaxHeight) return TooTall(Peek());
      return Status::Ok();
    };
    SLUICE_ASSIGN_OR_RETURN(FilterOperand first, ParseLabelFilterOperand());
    operands.push_back(std::move(first));
    while (true) {
      FilterOp op;
      switch (Peek().type) {
        case TokenType::kOr:
          op = FilterOp::kOr;
          break;
        case TokenType::kAnd:
          op = FilterOp::kAnd;
          break;
        case TokenType::kComma:
          op = FilterOp::kComma;
          break;
        case TokenType::kIdentifier:
        case TokenType::kLeftParen:
          op = FilterOp::kJuxtaposed;
          break;
        default:
          while (!ops.empty()) SLUICE_RETURN_IF_ERROR(reduce());
          Leave();
          return std::move(operands.back().filter);
      }
      while (!ops.empty() && ReducesBefore(ops.back(), op)) SLUICE_RETURN_IF_ERROR(reduce());
      if (op != FilterOp::kJuxtaposed) Consume();
      ops.push_back(op);
      SLUICE_ASSIGN_OR_RETURN(FilterOperand next, ParseLabelFilterOperand());
      operands.push_back(std::move(next));
    }
  }

  Result<FilterOperand> ParseLabelFilterOperand() {
    if (Peek().type == TokenType::kLeftParen) {
      Consume();
      SLUICE_ASSIGN_OR_RETURN(LabelFilterPtr inner, ParseLabelFilter());
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ""));
      inner->parenthesized = true;
      return FilterOperand{std::move(inner), 1};
    }
    Token name;
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier, "", &name));
    auto node = std::make_unique<LabelFilterExpr>();
    node->kind = LabelFilterExpr::Kind::kComparison;
    LabelComparison& c = node->comparison;
    c.label = std::string(name.text);
    Token op = Consume();
    switch (op.type) {
      case TokenType::kEq:
        c.op = CompareOp::kEqual;
        break;
      case TokenType::kNeq:
        c.op = CompareOp::kNotEqual;
        break;
      case TokenType::kRe:
        c.op = CompareOp::kRegexMatch;
        break;
      case TokenType::kNre:
        c.op = CompareOp::kRegexNoMatch;
        break;
      case TokenType::kCmpEq:
        c.op = CompareOp::kEqual;
        break;
      case TokenType::kGt:
        c.op = CompareOp::kGreater;
        break;
      case TokenType::kGte:
        c.op = CompareOp::kGreaterEqual;
        break;
      case TokenType::kLt:
        c.op = CompareOp::kLess;
        break;
      case TokenType::kLte:
        c.op = CompareOp::kLessEqual;
        break;
      default:
        return SyntaxError(op);
    }
    bool string_op = op.type == TokenType::kEq || op.type == TokenType::kNeq ||
                     op.type == TokenType::kRe || op.type == TokenType::kNre;
    bool regex_op = op.type == TokenType::kRe || op.type == TokenType::kNre;
    const Token& value = Peek();
    if (string_op && value.type == TokenType::kString) {
      c.kind = LiteralKind::kString;
      c.text = Consume().value;
      if (regex_op) {
        storage::MatchOp mop = c.op == CompareOp::kRegexMatch ? storage::MatchOp::kRegexMatch
                                                              : storage::MatchOp::kRegexNoMatch;
        SLUICE_RETURN_IF_ERROR(MakeMatcher(mop, c.label, c.text).status());
      }
    } else if (regex_op) {
      return SyntaxError(value, "STRING");
    } else if (string_op && value.type == TokenType::kIp) {
      c.kind = LiteralKind::kIp;
      SLUICE_ASSIGN_OR_RETURN(c.text, ParseIpCall());
    } else if (value.type == TokenType::kDuration) {
      Token d = Consume();
      c.kind = LiteralKind::kDuration;
      c.text = std::string(d.text);
      c.number = static_cast<double>(d.duration_ns) / 1e9;
    } else if (value.type == TokenType::kBytes) {
      Token b = Consume();
      c.kind = LiteralKind::kBytes;
      c.text = std::string(b.text);
      c.number = static_cast<double>(b.bytes);
    } else if (value.type == TokenType::kNumber || value.type == TokenType::kAdd ||
               value.type == TokenType::kSub) {
      bool negative = false;
      if (value.type != TokenType::kNumber) {
        negative = Consume().type == TokenType::kSub;
        if (Peek().type != TokenType::kNumber) return SyntaxError(Peek(), "NUMBER");
      }
      Token number = Consume();
      // Loki would compare with the ±Inf strconv returns along with the error.
      std::optional<double> v = GoParseFloat(number.text);
      if (!v) {
        return PositionlessError("unable to parse literal as a float: " +
                                 ParseFloatError(number.text));
      }
      c.kind = LiteralKind::kNumber;
      c.number = negative ? -*v : *v;
      c.text = (negative ? "-" : "") + std::string(number.text);
    } else {
      return SyntaxError(value);
    }
    return FilterOperand{std::move(node), 1};
  }

  // ---- Ranges --------------------------------------------------------------------------------

  // `| unwrap label`, `| unwrap duration(label)`, and the label filters after it.
  Result<Unwrap> ParseUnwrap() {
    Consume();  // |
    Consume();  // unwrap
    Unwrap u;
    TokenType t = Peek().type;
    if (t == TokenType::kBytesConv || t == TokenType::kDurationConv ||
        t == TokenType::kDurationSecondsConv) {
      Consume();
      u.conversion = t == TokenType::kBytesConv      ? Unwrap::Conversion::kBytes
                     : t == TokenType::kDurationConv ? Unwrap::Conversion::kDuration
                                                     : Unwrap::Conversion::kDurationSeconds;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kLeftParen, "("));
      Token label;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier, "IDENTIFIER", &label));
      u.label = std::string(label.text);
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ")"));
    } else {
      Token label;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kIdentifier, "", &label));
      u.label = std::string(label.text);
    }
    while (Peek().type == TokenType::kPipe) {
      Consume();
      SLUICE_ASSIGN_OR_RETURN(LabelFilterPtr filter, ParseLabelFilter());
      u.post_filters.push_back(std::move(filter));
    }
    return u;
  }

  bool AtUnwrap() { return Peek().type == TokenType::kPipe && Peek(1).type == TokenType::kUnwrap; }

  Status ParseOffset(LogRange* range) {
    if (Peek().type != TokenType::kOffset) return Status::Ok();
    Consume();
    Token d;
    SLUICE_RETURN_IF_ERROR(Expect(TokenType::kDuration, "DURATION", &d));
    range->offset_ns = d.duration_ns;
    return Status::Ok();
  }

  // expr.y's logRangeExpr: the range right after the selector (then an offset, and a pipeline
  // or an unwrap), or after the pipeline and unwrap (then an offset); either form in
  // parentheses, or the selector with its pipeline in parentheses followed by the range.
  Status ParseLogRange(LogRange* range) {
    SLUICE_RETURN_IF_ERROR(Enter());
    if (Peek().type == TokenType::kLeftParen) {
      Consume();
      if (Peek().type == TokenType::kLeftParen) {
        SLUICE_RETURN_IF_ERROR(ParseLogRange(range));
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ")"));
        Leave();
        return Status::Ok();
      }
      SLUICE_RETURN_IF_ERROR(ParseSelectorAndPipeline(range));
      bool inner_stages = !range->selector.stages.empty() || range->unwrap;
      if (Peek().type == TokenType::kRange) {
        SLUICE_RETURN_IF_ERROR(ParseRangeRest(range, !inner_stages));
        SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ")"));
        Leave();
        return Status::Ok();
      }
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRightParen, ""));
      Token r;
      SLUICE_RETURN_IF_ERROR(Expect(TokenType::kRange, "RANGE", &r));
      range->range_ns = r.duration_ns;
      range->range_after_pipeline = inner_stages;
      SLUICE_RETURN_IF_ERROR(ParseOffset(range));
      // `({app="x"})[5m] | unwrap v`: only an unwrap may follow, and only a bare selector.
      if (!inner_stages && AtUnwrap()) {
        SLUICE_ASSIGN_OR_RETURN(range->unwrap, ParseUnwrap());
      }
      Leave();
      return Status::Ok();
    }
    if (Peek().type != TokenType::kLeftBrace) return SyntaxError(Peek());
    SLUICE_RETURN_IF_ERROR(ParseSelectorAndPipeline(range));
    bool stages = !range->selector.stages.empty() || range->unwrap;
    if (Peek().type != TokenType::kRange) return SyntaxError(Peek());
    SLUICE_RETURN_IF_ERROR(ParseRangeRest(range, !stages));
    Leave();
    return Status::Ok();
  }

  Status ParseSelectorAndPipeline(LogRange* range) {
    SLUICE_RETURN_IF_ERROR(ParseSelector(&range->selector.matchers));
    SLUICE_RETURN_IF_ERROR(ParsePipeline(&range->selector, true));
    if (AtUnwrap()) {
      SLUICE_ASSIGN_OR_RETURN(range->unwrap, ParseUnwrap());
    }
    return Status::Ok();
  }

  // The RANGE token and what may follow it: an offset, then (when the range came right after
  // the selector) a pipeline and an unwrap.
  Status ParseRangeRest(LogRange* range, bool right_after_selector) {
    Token r = Consume();
    range->range_ns = r.duration_ns;
    range->range_after_pipeline = !right_after_selector;
    SLUICE_RETURN_IF_ERROR(ParseOffset(range));
    if (!right_after_selector) return Status::Ok();
    SLUICE_RETURN_IF_ERROR(ParsePipeline(&range->selector, true));
    if (AtUnwrap()) {
      SLUICE_ASSIGN_OR_RETURN(range->unwrap, ParseUnwrap());
    }
    return Status::Ok();
  }

  // ---- Validation (parser.go's validateExpr) -----------------------------------------------

  Status Deferred(const Expr& e) const {
    auto it = deferred_.find(&e);
    return it == deferred_.end() ? Status::Ok() : it->second;
  }

  Status Validate(const Expr& e) const {
    SLUICE_RETURN_IF_ERROR(Deferred(e));
    if (const auto* s = std::get_if<LogSelector>(&e.node)) return CheckMatchers(s->matchers);
    if (const auto* b = std::get_if<Binary>(&e.node)) {
      SLUICE_RETURN_IF_ERROR(Validate(*b->lhs));
      return Validate(*b->rhs);
    }
    if (const auto* v = std::get_if<VectorAggregation>(&e.node)) {
      if ((v->op == VectorAggregation::Op::kSort || v->op == VectorAggregation::Op::kSortDesc) &&
          !v->grouping.empty()) {
        return PositionlessError("sort and sort_desc doesn't allow grouping by ");
      }
      return Validate(*v->expr);
    }
    if (const auto* l = std::get_if<LabelReplace>(&e.node)) return Validate(*l->expr);
    if (const auto* r = std::get_if<RangeAggregation>(&e.node)) {
      return CheckMatchers(r->range.selector.matchers);
    }
    if (const auto* p = std::get_if<Paren>(&e.node)) return Validate(*p->expr);
    return Status::Ok();
  }

  std::string_view input_;
  Lexer lexer_;
  std::deque<Token> tokens_;
  int depth_ = 0;
  std::unordered_map<const Expr*, int> height_;
  std::unordered_map<const Expr*, Status> deferred_;
};

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view text) { return QueryParser(text).Parse(true); }

Result<int64_t> ParseDuration(std::string_view text) {
  int64_t ns = 0;
  std::string error;
  if (!ParseLokiDuration(text, &ns, &error)) return Status::InvalidArgument(error);
  return ns;
}

Result<storage::LabelMatchers> ParseMatchers(std::string_view text, bool validate) {
  SLUICE_ASSIGN_OR_RETURN(ExprPtr expr, QueryParser(text).Parse(validate));
  auto* selector = std::get_if<LogSelector>(&expr->node);
  if (selector == nullptr || !selector->stages.empty()) {
    return Status::InvalidArgument("only label matchers are supported");
  }
  return std::move(selector->matchers);
}

}  // namespace sluice::query::logql
