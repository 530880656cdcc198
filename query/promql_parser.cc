// A recursive-descent rendition of Prometheus 2.42's yacc grammar (generated_parser.y). Where the
// yacc parser recovers through an `error` production, the message names the same context
// ("in label matching", "in grouping opts", "in aggregation", ...); semantic errors raised in
// grammar actions (unknown function, ranges only on selectors, bad durations) are raised at the
// same point of the input, before the next token is read, so that the first error reported is
// Prometheus' first (Prometheus reports only its first). Type checks (parse.go's checkAST) run
// afterwards (CheckAst, promql_ast.cc).
#include "query/promql_parser.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "query/promql_lexer.h"
#include "query/promql_parser_internal.h"

namespace sluice::query::promql {
namespace {

constexpr int kPrecPow = 6;

// Prometheus has no limits; ours keep the recursive parser, checker, printer and evaluator off
// the end of the stack (sanitizer builds included). No real query comes near them: nesting
// counts parentheses, calls, aggregations, unary operators and `^` chains, which recurse in the
// parser; height is the tree's, which a long `a or b or ...` chain makes tall without recursing.
constexpr uint32_t kMaxNesting = 256;
constexpr uint32_t kMaxHeight = 1024;
constexpr int kPrecMul = 5;

struct BinaryOpInfo {
  BinaryOp op;
  int prec;
};

std::optional<BinaryOpInfo> BinaryOperator(TokenType t) {
  switch (t) {
    case TokenType::kOr:
      return BinaryOpInfo{BinaryOp::kOr, 1};
    case TokenType::kAnd:
      return BinaryOpInfo{BinaryOp::kAnd, 2};
    case TokenType::kUnless:
      return BinaryOpInfo{BinaryOp::kUnless, 2};
    case TokenType::kEqlc:
      return BinaryOpInfo{BinaryOp::kEql, 3};
    case TokenType::kNeq:
      return BinaryOpInfo{BinaryOp::kNeq, 3};
    case TokenType::kLte:
      return BinaryOpInfo{BinaryOp::kLte, 3};
    case TokenType::kLss:
      return BinaryOpInfo{BinaryOp::kLss, 3};
    case TokenType::kGte:
      return BinaryOpInfo{BinaryOp::kGte, 3};
    case TokenType::kGtr:
      return BinaryOpInfo{BinaryOp::kGtr, 3};
    case TokenType::kAdd:
      return BinaryOpInfo{BinaryOp::kAdd, 4};
    case TokenType::kSub:
      return BinaryOpInfo{BinaryOp::kSub, 4};
    case TokenType::kMul:
      return BinaryOpInfo{BinaryOp::kMul, kPrecMul};
    case TokenType::kDiv:
      return BinaryOpInfo{BinaryOp::kDiv, kPrecMul};
    case TokenType::kMod:
      return BinaryOpInfo{BinaryOp::kMod, kPrecMul};
    case TokenType::kAtan2:
      return BinaryOpInfo{BinaryOp::kAtan2, kPrecMul};
    case TokenType::kPow:
      return BinaryOpInfo{BinaryOp::kPow, kPrecPow};
    default:
      return std::nullopt;
  }
}

std::optional<AggregateOp> AggregateOperator(TokenType t) {
  switch (t) {
    case TokenType::kSum:
      return AggregateOp::kSum;
    case TokenType::kAvg:
      return AggregateOp::kAvg;
    case TokenType::kMin:
      return AggregateOp::kMin;
    case TokenType::kMax:
      return AggregateOp::kMax;
    case TokenType::kCount:
      return AggregateOp::kCount;
    case TokenType::kGroup:
      return AggregateOp::kGroup;
    case TokenType::kStddev:
      return AggregateOp::kStddev;
    case TokenType::kStdvar:
      return AggregateOp::kStdvar;
    case TokenType::kTopk:
      return AggregateOp::kTopk;
    case TokenType::kBottomk:
      return AggregateOp::kBottomk;
    case TokenType::kQuantile:
      return AggregateOp::kQuantile;
    case TokenType::kCountValues:
      return AggregateOp::kCountValues;
    default:
      return std::nullopt;
  }
}

// The grammar's metric_identifier: names that may start a vector selector.
bool IsMetricIdentifier(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kBy:
    case TokenType::kWithout:
    case TokenType::kAnd:
    case TokenType::kOr:
    case TokenType::kUnless:
    case TokenType::kOffset:
    case TokenType::kStart:
    case TokenType::kEnd:
      return true;
    default:
      return IsAggregatorToken(t);
  }
}

// The grammar's maybe_label: tokens that may name a label in by/without/on/ignoring lists.
bool IsMaybeLabel(TokenType t) {
  switch (t) {
    case TokenType::kIdentifier:
    case TokenType::kMetricIdentifier:
    case TokenType::kAtan2:
    case TokenType::kAnd:
    case TokenType::kOr:
    case TokenType::kUnless:
    case TokenType::kStart:
    case TokenType::kEnd:
      return true;
    default:
      return IsAggregatorToken(t) || IsKeywordToken(t);
  }
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

class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), lexer_(input) {}

  Result<ExprPtr> Parse() {
    if (Peek().type == TokenType::kEof) return Fail(0, "no expression found in input");
    SLUICE_ASSIGN_OR_RETURN(ExprPtr expr, ParseBinary(0));
    if (Peek().type != TokenType::kEof) return UnexpectedGeneric();
    SLUICE_RETURN_IF_ERROR(CheckAst(input_, expr.get()));
    return expr;
  }

  Result<storage::LabelMatchers> ParseSelectorOnly() {
    std::optional<Token> name;
    TokenType t = Peek().type;
    if (IsMetricIdentifier(t)) {
      name = Consume();
    } else if (t != TokenType::kLeftBrace) {
      return UnexpectedGeneric();
    }
    SLUICE_ASSIGN_OR_RETURN(ExprPtr e, ParseVectorSelector(name));
    if (Peek().type != TokenType::kEof) return UnexpectedGeneric();
    return std::move(std::get<VectorSelector>(e->node).matchers);
  }

 private:
  // The lookahead token, read on first use; comments are skipped as Prometheus' parser does.
  const Token& Peek() {
    if (!peeked_) {
      do {
        tok_ = lexer_.Next();
      } while (tok_.type == TokenType::kComment);
      peeked_ = true;
      switch (tok_.type) {
        case TokenType::kError:
          if (!error_) error_ = ParseError(input_, tok_.pos, tok_.text);
          break;
        case TokenType::kRightBrace:
        case TokenType::kRightParen:
        case TokenType::kRightBracket:
        case TokenType::kDuration:
        case TokenType::kNumber:
          last_closing_ = tok_.pos + tok_.text.size();
          break;
        default:
          break;
      }
    }
    return tok_;
  }

  Token Consume() {
    Peek();
    peeked_ = false;
    return tok_;
  }

  Status Fail(size_t pos, std::string_view message) {
    if (!error_) error_ = ParseError(input_, pos, message);
    return *error_;
  }

  // Prometheus' unexpected(): names the lookahead token; a lexer error was reported already.
  Status Unexpected(std::string_view context, std::string_view expected) {
    return UnexpectedToken(Peek(), context, expected);
  }

  Status UnexpectedToken(const Token& t, std::string_view context, std::string_view expected) {
    if (t.type == TokenType::kError) return *error_;
    std::string message = "unexpected " + TokenDescription(t);
    if (!context.empty()) message += fmt::format(" in {}", context);
    if (!expected.empty()) message += fmt::format(", expected {}", expected);
    return Fail(t.pos, message);
  }

  // A syntax error without an error production of its own: yacc unwinds to the enclosing
  // aggregation if there is one, else to the start rule.
  Status UnexpectedGeneric() { return Unexpected(aggregation_depth_ > 0 ? "aggregation" : "", ""); }

  ExprPtr Make(Expr::Node node, size_t begin, size_t end) {
    auto e = std::make_unique<Expr>();
    e->node = std::move(node);
    e->begin = begin;
    e->end = end;
    uint32_t height = 0;
    auto child = [&](const ExprPtr& c) {
      if (c != nullptr) height = std::max(height, height_[c.get()]);
    };
    std::visit(
        [&](const auto& n) {
          using T = std::decay_t<decltype(n)>;
          if constexpr (std::is_same_v<T, Subquery> || std::is_same_v<T, Unary> ||
                        std::is_same_v<T, Paren>) {
            child(n.expr);
          } else if constexpr (std::is_same_v<T, Aggregate>) {
            child(n.expr);
            child(n.param);
          } else if constexpr (std::is_same_v<T, Binary>) {
            child(n.lhs);
            child(n.rhs);
          } else if constexpr (std::is_same_v<T, Call>) {
            for (const ExprPtr& a : n.args) child(a);
          }
        },
        e->node);
    height_[e.get()] = height + 1;
    return e;
  }

  Result<ExprPtr> ParseBinary(int min_prec) {
    if (++recursion_ > kMaxNesting) return TooDeep(Peek().pos, kMaxNesting);
    Result<ExprPtr> e = ParseBinaryChain(min_prec);
    --recursion_;
    return e;
  }

  Status TooDeep(size_t pos, uint32_t limit) {
    return Fail(pos, fmt::format("query is nested more than {} levels deep", limit));
  }

  Result<ExprPtr> ParseBinaryChain(int min_prec) {
    SLUICE_ASSIGN_OR_RETURN(ExprPtr lhs, ParseUnary());
    while (true) {
      std::optional<BinaryOpInfo> info = BinaryOperator(Peek().type);
      if (!info || info->prec < min_prec) return lhs;
      Consume();
      Binary binary;
      binary.op = info->op;
      SLUICE_RETURN_IF_ERROR(ParseBinaryModifiers(&binary));
      // ^ is right-associative; the others are left-associative.
      SLUICE_ASSIGN_OR_RETURN(binary.rhs,
                              ParseBinary(info->prec == kPrecPow ? info->prec : info->prec + 1));
      size_t begin = lhs->begin;
      size_t end = binary.rhs->end;
      binary.lhs = std::move(lhs);
      lhs = Make(std::move(binary), begin, end);
      if (height_.at(lhs.get()) > kMaxHeight) return TooDeep(begin, kMaxHeight);
    }
  }

  Status ParseBinaryModifiers(Binary* binary) {
    VectorMatching matching;
    if (Peek().type == TokenType::kBool) {
      Consume();
      binary->return_bool = true;
    }
    TokenType t = Peek().type;
    if (t != TokenType::kOn && t != TokenType::kIgnoring) {
      binary->matching = std::move(matching);
      return Status::Ok();
    }
    Consume();
    matching.on = t == TokenType::kOn;
    SLUICE_RETURN_IF_ERROR(ParseGroupingLabels(&matching.matching_labels));
    t = Peek().type;
    if (t == TokenType::kGroupLeft || t == TokenType::kGroupRight) {
      Consume();
      matching.cardinality = t == TokenType::kGroupLeft ? VectorMatching::Cardinality::kManyToOne
                                                        : VectorMatching::Cardinality::kOneToMany;
      // The label list is optional: anything that may start an expression ends it.
      if (!StartsExpression(Peek().type)) {
        SLUICE_RETURN_IF_ERROR(ParseGroupingLabels(&matching.include));
      }
    }
    binary->matching = std::move(matching);
    return Status::Ok();
  }

  static bool StartsExpression(TokenType t) {
    switch (t) {
      case TokenType::kNumber:
      case TokenType::kString:
      case TokenType::kLeftBrace:
      case TokenType::kAdd:
      case TokenType::kSub:
        return true;
      default:
        return IsMetricIdentifier(t);
    }
  }

  // `(a, b)`, `(a, b,)` or `()`.
  Status ParseGroupingLabels(std::vector<std::string>* labels) {
    if (Peek().type != TokenType::kLeftParen) return Unexpected("grouping opts", "\"(\"");
    Consume();
    if (Peek().type == TokenType::kRightParen) {
      Consume();
      return Status::Ok();
    }
    while (true) {
      if (!IsMaybeLabel(Peek().type)) return Unexpected("grouping opts", "label");
      Token label = Consume();
      if (!IsLabelName(label.text)) return UnexpectedToken(label, "grouping opts", "label");
      labels->emplace_back(label.text);
      TokenType t = Peek().type;
      if (t == TokenType::kRightParen) {
        Consume();
        return Status::Ok();
      }
      if (t != TokenType::kComma) return Unexpected("grouping opts", "\",\" or \")\"");
      Consume();
      if (Peek().type == TokenType::kRightParen) {
        Consume();
        return Status::Ok();
      }
    }
  }

  Result<ExprPtr> ParseUnary() {
    TokenType t = Peek().type;
    if (t != TokenType::kAdd && t != TokenType::kSub) return ParsePostfix();
    Token op = Consume();
    // The unary operator binds as tightly as `*`: only `^` takes its operand first.
    SLUICE_ASSIGN_OR_RETURN(ExprPtr operand, ParseBinary(kPrecPow));
    if (auto* number = std::get_if<NumberLiteral>(&operand->node)) {
      if (t == TokenType::kSub) number->value = -number->value;
      operand->begin = op.pos;
      return operand;
    }
    size_t end = operand->end;
    return Make(Unary{t == TokenType::kSub, std::move(operand)}, op.pos, end);
  }

  Result<ExprPtr> ParsePostfix() {
    SLUICE_ASSIGN_OR_RETURN(ExprPtr expr, ParsePrimary());
    while (true) {
      TokenType t = Peek().type;
      if (t == TokenType::kLeftBracket) {
        SLUICE_ASSIGN_OR_RETURN(expr, ParseRange(std::move(expr)));
        if (height_.at(expr.get()) > kMaxHeight) return TooDeep(expr->begin, kMaxHeight);
      } else if (t == TokenType::kOffset) {
        SLUICE_RETURN_IF_ERROR(ParseOffset(expr.get()));
      } else if (t == TokenType::kAt) {
        SLUICE_RETURN_IF_ERROR(ParseAt(expr.get()));
      } else {
        return expr;
      }
    }
  }

  Result<ExprPtr> ParsePrimary() {
    const Token& t = Peek();
    switch (t.type) {
      case TokenType::kNumber: {
        Token number = Consume();
        SLUICE_ASSIGN_OR_RETURN(double value, ParseNumber(number));
        return Make(NumberLiteral{value}, number.pos, number.pos + number.text.size());
      }
      case TokenType::kString: {
        Token s = Consume();
        return Make(StringLiteral{UnquoteString(s.text)}, s.pos, s.pos + s.text.size());
      }
      case TokenType::kLeftParen: {
        Token open = Consume();
        SLUICE_ASSIGN_OR_RETURN(ExprPtr inner, ParseBinary(0));
        if (Peek().type != TokenType::kRightParen) return UnexpectedGeneric();
        Token close = Consume();
        return Make(Paren{std::move(inner)}, open.pos, close.pos + 1);
      }
      case TokenType::kLeftBrace:
        return ParseVectorSelector(std::nullopt);
      default:
        break;
    }
    if (IsAggregatorToken(t.type)) {
      Token op = Consume();
      TokenType next = Peek().type;
      if (next == TokenType::kLeftParen || next == TokenType::kBy || next == TokenType::kWithout) {
        return ParseAggregate(op);
      }
      return ParseVectorSelector(op);
    }
    if (t.type == TokenType::kIdentifier) {
      Token name = Consume();
      if (Peek().type == TokenType::kLeftParen) return ParseCall(name);
      return ParseVectorSelector(name);
    }
    if (IsMetricIdentifier(t.type)) return ParseVectorSelector(Consume());
    return UnexpectedGeneric();
  }

  Result<ExprPtr> ParseCall(const Token& name) {
    std::vector<ExprPtr> args;
    SLUICE_RETURN_IF_ERROR(ParseCallBody(&args));
    const FunctionSignature* function = FindFunction(name.text);
    if (function == nullptr) {
      return Fail(name.pos, fmt::format("unknown function with name {}", GoQuote(name.text)));
    }
    return Make(Call{function, std::move(args)}, name.pos, last_closing_);
  }

  // `(expr, expr, ...)`: function and aggregation arguments.
  Status ParseCallBody(std::vector<ExprPtr>* args) {
    if (Peek().type != TokenType::kLeftParen) return UnexpectedGeneric();
    Consume();
    if (Peek().type == TokenType::kRightParen) {
      Consume();
      return Status::Ok();
    }
    while (true) {
      SLUICE_ASSIGN_OR_RETURN(ExprPtr arg, ParseBinary(0));
      args->push_back(std::move(arg));
      TokenType t = Peek().type;
      if (t == TokenType::kRightParen) {
        Consume();
        return Status::Ok();
      }
      if (t != TokenType::kComma) return UnexpectedGeneric();
      Token comma = Consume();
      // yacc reduces `args ,` on anything that cannot start an argument.
      TokenType next = Peek().type;
      if (next != TokenType::kError && next != TokenType::kLeftParen && !StartsExpression(next)) {
        return Fail(comma.pos, "trailing commas not allowed in function call args");
      }
    }
  }

  Result<ExprPtr> ParseAggregate(const Token& op_token) {
    ++aggregation_depth_;
    Aggregate agg;
    agg.op = *AggregateOperator(op_token.type);
    bool modifier_first = Peek().type == TokenType::kBy || Peek().type == TokenType::kWithout;
    if (modifier_first) SLUICE_RETURN_IF_ERROR(ParseAggregateModifier(&agg));
    std::vector<ExprPtr> args;
    SLUICE_RETURN_IF_ERROR(ParseCallBody(&args));
    if (!modifier_first) {
      TokenType t = Peek().type;
      if (t == TokenType::kBy || t == TokenType::kWithout) {
        SLUICE_RETURN_IF_ERROR(ParseAggregateModifier(&agg));
      }
    }
    --aggregation_depth_;
    size_t begin = op_token.pos;
    size_t end = last_closing_;
    if (args.empty()) return Fail(begin, "no arguments for aggregate expression provided");
    size_t wanted = 1;
    if (agg.op == AggregateOp::kTopk || agg.op == AggregateOp::kBottomk ||
        agg.op == AggregateOp::kQuantile || agg.op == AggregateOp::kCountValues) {
      wanted = 2;
    }
    if (args.size() != wanted) {
      return Fail(begin, fmt::format("wrong number of arguments for aggregate expression "
                                     "provided, expected {}, got {}",
                                     wanted, args.size()));
    }
    if (wanted == 2) agg.param = std::move(args[0]);
    agg.expr = std::move(args.back());
    return Make(std::move(agg), begin, end);
  }

  Status ParseAggregateModifier(Aggregate* agg) {
    agg->without = Consume().type == TokenType::kWithout;
    agg->grouping_given = true;
    return ParseGroupingLabels(&agg->grouping);
  }

  // `name`, `name{matchers}` or `{matchers}`.
  Result<ExprPtr> ParseVectorSelector(std::optional<Token> name) {
    VectorSelector vs;
    size_t begin = name ? name->pos : Peek().pos;
    size_t end = name ? name->pos + name->text.size() : 0;
    if (Peek().type == TokenType::kLeftBrace) {
      SLUICE_RETURN_IF_ERROR(ParseLabelMatchers(&vs.matchers));
      end = last_closing_;
    }
    if (name) {
      vs.name = std::string(name->text);
      SLUICE_ASSIGN_OR_RETURN(
          storage::LabelMatcher m,
          storage::LabelMatcher::Make(storage::MatchOp::kEqual, "__name__", vs.name));
      vs.matchers.push_back(std::move(m));
    }
    return Make(std::move(vs), begin, end);
  }

  Status ParseLabelMatchers(storage::LabelMatchers* matchers) {
    Consume();  // {
    if (Peek().type == TokenType::kRightBrace) {
      Consume();
      return Status::Ok();
    }
    while (true) {
      if (Peek().type != TokenType::kIdentifier) {
        return Unexpected("label matching", "identifier or \"}\"");
      }
      Token label = Consume();
      storage::MatchOp op;
      switch (Peek().type) {
        case TokenType::kEql:
          op = storage::MatchOp::kEqual;
          break;
        case TokenType::kNeq:
          op = storage::MatchOp::kNotEqual;
          break;
        case TokenType::kEqlRegex:
          op = storage::MatchOp::kRegexMatch;
          break;
        case TokenType::kNeqRegex:
          op = storage::MatchOp::kRegexNoMatch;
          break;
        default:
          return Unexpected("label matching", "label matching operator");
      }
      Consume();
      if (Peek().type != TokenType::kString) return Unexpected("label matching", "string");
      std::string value = UnquoteString(Consume().text);
      bool regex = op == storage::MatchOp::kRegexMatch || op == storage::MatchOp::kRegexNoMatch;
      if (regex && HasAnyByteEscape(value)) {
        return Fail(label.pos, "error parsing regexp: invalid escape sequence: `\\C`");
      }
      Result<storage::LabelMatcher> m =
          storage::LabelMatcher::Make(op, std::string(label.text), value);
      if (!m.ok()) return Fail(label.pos, RegexError(value));
      matchers->push_back(std::move(m).value());
      TokenType t = Peek().type;
      if (t == TokenType::kRightBrace) {
        Consume();
        return Status::Ok();
      }
      if (t != TokenType::kComma) return Unexpected("label matching", "\",\" or \"}\"");
      Consume();
      if (Peek().type == TokenType::kRightBrace) {
        Consume();
        return Status::Ok();
      }
    }
  }

  // `[range]` after a selector, or `[range:step]` after any expression.
  Result<ExprPtr> ParseRange(ExprPtr expr) {
    Token open = Consume();
    if (Peek().type != TokenType::kDuration) return Unexpected("subquery selector", "duration");
    SLUICE_ASSIGN_OR_RETURN(int64_t range, ParseDurationToken(Consume()));
    TokenType t = Peek().type;
    if (t == TokenType::kRightBracket) {
      Consume();
      const char* error = nullptr;
      auto* vs = std::get_if<VectorSelector>(&expr->node);
      if (vs == nullptr) {
        error = "ranges only allowed for vector selectors";
      } else if (vs->offset_ms != 0) {
        error = "no offset modifiers allowed before range";
      } else if (vs->at && vs->at->kind == AtModifier::Kind::kTimestamp) {
        error = "no @ modifiers allowed before range";
      }
      if (error != nullptr) return Fail(open.pos, error);
      size_t begin = expr->begin;
      return Make(MatrixSelector{std::move(*vs), range}, begin, last_closing_);
    }
    if (t != TokenType::kColon) {
      return Unexpected("subquery or range", "\":\" or \"]\"");
    }
    Consume();
    int64_t step = 0;
    if (Peek().type == TokenType::kDuration) {
      SLUICE_ASSIGN_OR_RETURN(step, ParseDurationToken(Consume()));
      if (Peek().type != TokenType::kRightBracket) {
        return Unexpected("subquery selector", "\"]\"");
      }
    } else if (Peek().type != TokenType::kRightBracket) {
      return Unexpected("subquery selector", "duration or \"]\"");
    }
    Token close = Consume();
    size_t begin = expr->begin;
    Subquery sq;
    sq.expr = std::move(expr);
    sq.range_ms = range;
    sq.step_ms = step;
    return Make(std::move(sq), begin, close.pos + 1);
  }

  Status ParseOffset(Expr* expr) {
    Consume();
    bool negative = false;
    if (Peek().type == TokenType::kSub) {
      Consume();
      negative = true;
    }
    if (Peek().type != TokenType::kDuration) return Unexpected("offset", "duration");
    SLUICE_ASSIGN_OR_RETURN(int64_t offset, ParseDurationToken(Consume()));
    if (negative) offset = -offset;
    int64_t* target = nullptr;
    if (auto* vs = std::get_if<VectorSelector>(&expr->node)) {
      target = &vs->offset_ms;
    } else if (auto* ms = std::get_if<MatrixSelector>(&expr->node)) {
      target = &ms->selector.offset_ms;
    } else if (auto* sq = std::get_if<Subquery>(&expr->node)) {
      target = &sq->offset_ms;
    } else {
      return Fail(expr->begin,
                  "offset modifier must be preceded by an instant vector selector or range "
                  "vector selector or a subquery");
    }
    if (*target != 0) return Fail(expr->begin, "offset may not be set multiple times");
    *target = offset;
    expr->end = last_closing_;
    return Status::Ok();
  }

  Status ParseAt(Expr* expr) {
    Consume();
    AtModifier at;
    TokenType t = Peek().type;
    if (t == TokenType::kStart || t == TokenType::kEnd) {
      Consume();
      if (Peek().type != TokenType::kLeftParen) return Unexpected("@", "timestamp");
      Consume();
      if (Peek().type != TokenType::kRightParen) return Unexpected("@", "timestamp");
      Consume();
      at.kind = t == TokenType::kStart ? AtModifier::Kind::kStart : AtModifier::Kind::kEnd;
    } else {
      bool negative = false;
      if (t == TokenType::kAdd || t == TokenType::kSub) {
        Consume();
        negative = t == TokenType::kSub;
      }
      if (Peek().type != TokenType::kNumber) return Unexpected("@", "timestamp");
      SLUICE_ASSIGN_OR_RETURN(double ts, ParseNumber(Consume()));
      if (negative) ts = -ts;
      if (!std::isfinite(ts) || ts >= 9223372036854775807.0 || ts <= -9223372036854775808.0) {
        return Fail(expr->begin,
                    fmt::format("timestamp out of bounds for @ modifier: {}", FormatGoF(ts)));
      }
      // Go converts out-of-range floats to int64 as the minimum value (amd64).
      double ms = std::round(ts * 1000);
      at.timestamp_ms = ms >= -9223372036854775808.0 && ms < 9223372036854775808.0
                            ? static_cast<int64_t>(ms)
                            : std::numeric_limits<int64_t>::min();
    }
    std::optional<AtModifier>* target = nullptr;
    if (auto* vs = std::get_if<VectorSelector>(&expr->node)) {
      target = &vs->at;
    } else if (auto* ms = std::get_if<MatrixSelector>(&expr->node)) {
      target = &ms->selector.at;
    } else if (auto* sq = std::get_if<Subquery>(&expr->node)) {
      target = &sq->at;
    } else {
      return Fail(expr->begin,
                  "@ modifier must be preceded by an instant vector selector or range vector "
                  "selector or a subquery");
    }
    if (target->has_value()) {
      return Fail(expr->begin, "@ <timestamp> may not be set multiple times");
    }
    *target = at;
    expr->end = last_closing_;
    return Status::Ok();
  }

  // Go's %f: NaN and infinities spelled as Go does.
  static std::string FormatGoF(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    return fmt::format("{:f}", v);
  }

  Result<double> ParseNumber(const Token& t) {
    Result<double> v = ParseNumberLiteral(t.text);
    if (!v.ok()) return Fail(t.pos, v.status().message());
    return v;
  }

  Result<int64_t> ParseDurationToken(const Token& t) {
    Result<int64_t> d = ParseDuration(t.text);
    if (!d.ok()) return Fail(t.pos, d.status().message());
    return d;
  }

  std::string_view input_;
  Lexer lexer_;
  Token tok_;
  bool peeked_ = false;
  size_t last_closing_ = 0;
  int aggregation_depth_ = 0;
  uint32_t recursion_ = 0;
  // Height of each node built so far: a chain of operators nests without recursing here.
  std::unordered_map<const Expr*, uint32_t> height_;
  std::optional<Status> error_;
};

}  // namespace

Result<ExprPtr> ParseExpr(std::string_view query) { return Parser(query).Parse(); }

Result<storage::LabelMatchers> ParseMetricSelector(std::string_view selector) {
  return Parser(selector).ParseSelectorOnly();
}

}  // namespace sluice::query::promql
