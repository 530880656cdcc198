// The LogQL tree's names and Loki's canonical printing (the String() methods of
// pkg/logql/syntax/ast.go and of the label filters in pkg/logql/log), byte for byte: binary
// operations always in parentheses, `sum by (a)(...)`, `quantile_over_time(0.99,{...}[1m])`,
// label filters as `( a="b" , c>1 )`, durations as Go prints them (`offset 1h0m0s`,
// `latency>250ms`) and ranges as Prometheus does (`[1h30m]`), byte sizes as go-humanize does
// (`size>20MB`).
//
// Deviations, so that whatever prints parses back to the same text: negative zero prints as
// `0`, byte sizes of an exabyte or more in PB, and a label regex printed raw (Loki prints
// `=~` filters it cannot reduce to substring matches between backquotes) is quoted when a raw
// string would not carry it (a backquote, a carriage return, a NUL).
#include "query/logql_ast.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "query/logql_lexer.h"   // ParseLokiDuration
#include "query/promql_go.h"     // GoFormatFloatF, GoFormatFloatV, GoLog
#include "query/promql_lexer.h"  // GoQuote: strconv.Quote

namespace sluice::query::logql {

std::string_view LineFilterOpString(LineFilterOp op) {
  switch (op) {
    case LineFilterOp::kContains:
      return "|=";
    case LineFilterOp::kNotContains:
      return "!=";
    case LineFilterOp::kRegexMatch:
      return "|~";
    case LineFilterOp::kRegexNoMatch:
      return "!~";
    case LineFilterOp::kPatternMatch:
      return "|>";
    case LineFilterOp::kPatternNoMatch:
      return "!>";
  }
  return "?";
}

std::string_view ParserKindString(ParserKind kind) {
  switch (kind) {
    case ParserKind::kJson:
      return "json";
    case ParserKind::kLogfmt:
      return "logfmt";
    case ParserKind::kRegexp:
      return "regexp";
    case ParserKind::kPattern:
      return "pattern";
    case ParserKind::kUnpack:
      return "unpack";
  }
  return "?";
}

std::string_view CompareOpString(CompareOp op) {
  switch (op) {
    case CompareOp::kEqual:
      return "=";
    case CompareOp::kNotEqual:
      return "!=";
    case CompareOp::kRegexMatch:
      return "=~";
    case CompareOp::kRegexNoMatch:
      return "!~";
    case CompareOp::kGreater:
      return ">";
    case CompareOp::kGreaterEqual:
      return ">=";
    case CompareOp::kLess:
      return "<";
    case CompareOp::kLessEqual:
      return "<=";
  }
  return "?";
}

std::string_view RangeOpString(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime:
      return "count_over_time";
    case RangeOp::kRate:
      return "rate";
    case RangeOp::kRateCounter:
      return "rate_counter";
    case RangeOp::kBytesOverTime:
      return "bytes_over_time";
    case RangeOp::kBytesRate:
      return "bytes_rate";
    case RangeOp::kAbsentOverTime:
      return "absent_over_time";
    case RangeOp::kSumOverTime:
      return "sum_over_time";
    case RangeOp::kAvgOverTime:
      return "avg_over_time";
    case RangeOp::kMaxOverTime:
      return "max_over_time";
    case RangeOp::kMinOverTime:
      return "min_over_time";
    case RangeOp::kStddevOverTime:
      return "stddev_over_time";
    case RangeOp::kStdvarOverTime:
      return "stdvar_over_time";
    case RangeOp::kQuantileOverTime:
      return "quantile_over_time";
    case RangeOp::kFirstOverTime:
      return "first_over_time";
    case RangeOp::kLastOverTime:
      return "last_over_time";
  }
  return "?";
}

bool RangeOpNeedsUnwrap(RangeOp op) {
  switch (op) {
    case RangeOp::kCountOverTime:
    case RangeOp::kRate:
    case RangeOp::kBytesOverTime:
    case RangeOp::kBytesRate:
    case RangeOp::kAbsentOverTime:
      return false;
    default:
      return true;
  }
}

std::string_view VectorAggregationOpString(VectorAggregation::Op op) {
  using Op = VectorAggregation::Op;
  switch (op) {
    case Op::kSum:
      return "sum";
    case Op::kAvg:
      return "avg";
    case Op::kMin:
      return "min";
    case Op::kMax:
      return "max";
    case Op::kCount:
      return "count";
    case Op::kStddev:
      return "stddev";
    case Op::kStdvar:
      return "stdvar";
    case Op::kTopk:
      return "topk";
    case Op::kBottomk:
      return "bottomk";
    case Op::kSort:
      return "sort";
    case Op::kSortDesc:
      return "sort_desc";
  }
  return "?";
}

namespace {

// ---- Go's formatting of numbers, durations and sizes -------------------------------------

std::string NoNegativeZero(std::string s) { return s == "-0" ? "0" : s; }

// time.Duration.String: `1h0m0s`, `1m30s`, `250ms`, `1.5µs`, `0s`.
std::string GoDuration(int64_t d) {
  char buf[32];
  int w = sizeof(buf);
  uint64_t u = static_cast<uint64_t>(d);
  bool neg = d < 0;
  if (neg) u = -u;
  // fmtFrac: the fraction of v/10^prec without trailing zeros (nor point when it is 0).
  auto frac = [&](uint64_t v, int prec) {
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      uint64_t digit = v % 10;
      print = print || digit != 0;
      if (print) buf[--w] = static_cast<char>('0' + digit);
      v /= 10;
    }
    if (print) buf[--w] = '.';
    return v;
  };
  auto integer = [&](uint64_t v) {
    if (v == 0) {
      buf[--w] = '0';
      return;
    }
    while (v > 0) {
      buf[--w] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  if (u < 1000000000) {
    int prec = 0;
    buf[--w] = 's';
    if (u == 0) return "0s";
    if (u < 1000) {
      buf[--w] = 'n';
    } else if (u < 1000000) {
      prec = 3;
      buf[--w] = '\xB5';  // µ
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    u = frac(u, prec);
    integer(u);
  } else {
    buf[--w] = 's';
    u = frac(u, 9);
    integer(u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      integer(u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        integer(u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  return std::string(buf + w, sizeof(buf) - static_cast<size_t>(w));
}

// Prometheus' model.Duration.String: `5m`, `1h30m`, `2w`, `1y`; milliseconds at most.
std::string ModelDuration(int64_t d) {
  int64_t ms = d / 1000000;
  if (ms == 0) return "0s";
  std::string out;
  auto unit = [&](std::string_view name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    int64_t v = ms / mult;
    if (v > 0) {
      out += fmt::format("{}{}", v, name);
      ms -= v * mult;
    }
  };
  constexpr int64_t kDay = 1000LL * 60 * 60 * 24;
  unit("y", kDay * 365, true);
  unit("w", kDay * 7, true);
  unit("d", kDay, false);
  unit("h", 1000LL * 60 * 60, false);
  unit("m", 1000LL * 60, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return out;
}

// go-humanize's Bytes (SI units), without its space: `20MB`, `1.0kB`, `512B`.
std::string HumanBytes(double value) {
  uint64_t s = value <= 0                        ? 0
               : value >= 18446744073709551615.0 ? UINT64_MAX
                                                 : static_cast<uint64_t>(value);
  if (s < 10) return fmt::format("{}B", s);
  static constexpr std::string_view kSizes[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double e =
      std::floor(promql::internal::GoLog(static_cast<double>(s)) / promql::internal::GoLog(1000));
  // Loki's lexer reads no E unit: exabytes print as petabytes, which it reads back.
  if (e > 5) e = 5;
  double val = std::floor(static_cast<double>(s) / std::pow(1000, e) * 10 + 0.5) / 10;
  std::string_view suffix = kSizes[static_cast<int>(e)];
  return val < 10 ? fmt::format("{:.1f}{}", val, suffix) : fmt::format("{:.0f}{}", val, suffix);
}

// ---- Which label regexes Loki prints between backquotes -------------------------------------
//
// A `| label=~"re"` filter prints as written when Loki's regex simplifier (log/filter.go's
// RegexSimplifier, after Go's regexp/syntax parse) reduces it to literal matches, and between
// backquotes when it keeps a regex. This replays Go's parse for the subset that matters:
// literals, `.*`, `.+`, groups, alternations (with Go's prefix factoring), `(?i)`. Anything else
// (classes, anchors, other repetitions, escapes such as \d) cannot be simplified.
namespace regex_shape {

enum class Op {
  kLiteral,
  kAnyNotNL,
  kStar,
  kPlus,
  kEmpty,
  kConcat,
  kAlternate,
  kCapture,
  kLeftParen,
  kVerticalBar
};

struct Node {
  Op op = Op::kEmpty;
  std::u32string runes;  // kLiteral
  bool fold = false;     // case-insensitive (Go's FoldCase flag)
  bool capture = false;  // kLeftParen
  std::vector<Node> subs;
};

bool IsPseudo(const Node& n) { return n.op == Op::kLeftParen || n.op == Op::kVerticalBar; }
// Go's isCharClass: what alternations merge into a character class.
bool IsCharClassLike(const Node& n) {
  return (n.op == Op::kLiteral && n.runes.size() == 1) || n.op == Op::kAnyNotNL;
}

class Shaper {
 public:
  // False when the regex has something the simplifier rejects anyway, or does not parse.
  bool Parse(std::string_view re, Node* out) {
    size_t i = 0;
    while (i < re.size()) {
      char c = re[i];
      switch (c) {
        case '(': {
          if (re.substr(i, 2) != "(?") {
            Push(LeftParen(true));
            ++i;
            break;
          }
          if (re.substr(i, 4) == "(?P<" || re.substr(i, 3) == "(?<") {
            size_t close = re.find('>', i);
            if (close == std::string_view::npos) return false;
            Push(LeftParen(true));
            i = close + 1;
            break;
          }
          // Flags: (?i), (?-i), (?i:...).
          size_t j = i + 2;
          bool negate = false;
          bool fold = fold_;
          for (; j < re.size() && re[j] != ')' && re[j] != ':'; ++j) {
            if (re[j] == '-') {
              negate = true;
            } else if (re[j] == 'i') {
              fold = !negate;
            } else {
              return false;
            }
          }
          if (j >= re.size()) return false;
          if (re[j] == ')') {
            fold_ = fold;
          } else {
            Push(LeftParen(false));
            fold_ = fold;
          }
          i = j + 1;
          break;
        }
        case '|':
          Concat();
          if (!SwapVerticalBar()) {
            Node bar;
            bar.op = Op::kVerticalBar;
            stack_.push_back(std::move(bar));
          }
          if (failed_) return false;
          ++i;
          break;
        case ')': {
          if (!RightParen()) return false;
          ++i;
          break;
        }
        case '.': {
          Node any;
          any.op = Op::kAnyNotNL;
          any.fold = fold_;
          Push(std::move(any));
          ++i;
          break;
        }
        case '*':
        case '+': {
          // Only `.*` and `.+` survive simplification (non-greedy or not).
          if (stack_.empty() || stack_.back().op != Op::kAnyNotNL) return false;
          Node rep;
          rep.op = c == '*' ? Op::kStar : Op::kPlus;
          rep.fold = fold_;
          rep.subs.push_back(std::move(stack_.back()));
          stack_.back() = std::move(rep);
          ++i;
          if (i < re.size() && re[i] == '?') ++i;
          break;
        }
        case '\\': {
          if (i + 1 >= re.size()) return false;
          char e = re[i + 1];
          uint32_t r = 0;
          switch (e) {
            case 'a':
              r = 7;
              break;
            case 'f':
              r = '\f';
              break;
            case 'n':
              r = '\n';
              break;
            case 'r':
              r = '\r';
              break;
            case 't':
              r = '\t';
              break;
            case 'v':
              r = '\v';
              break;
            default:
              if (static_cast<unsigned char>(e) >= 0x80 ||
                  std::isalnum(static_cast<unsigned char>(e))) {
                return false;
              }
              r = static_cast<unsigned char>(e);
          }
          Literal(r);
          i += 2;
          break;
        }
        case '?':
        case '{':
        case '[':
        case '^':
        case '$':
          return false;
        default: {
          uint32_t r = 0;
          size_t len = DecodeRune(re, i, &r);
          if (len == 0) return false;
          Literal(r);
          i += len;
        }
      }
      if (failed_) return false;
    }
    Concat();
    if (SwapVerticalBar()) stack_.pop_back();
    Alternate();
    if (failed_ || stack_.size() != 1 || IsPseudo(stack_[0])) return false;
    *out = std::move(stack_[0]);
    return true;
  }

 private:
  static size_t DecodeRune(std::string_view s, size_t i, uint32_t* r) {
    auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      *r = b;
      return 1;
    }
    size_t len = (b & 0xE0) == 0xC0 ? 2 : (b & 0xF0) == 0xE0 ? 3 : (b & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return 0;
    uint32_t v = b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return 0;
      v = (v << 6) | (c & 0x3F);
    }
    *r = v;
    return len;
  }

  Node LeftParen(bool capture) {
    Node n;
    n.op = Op::kLeftParen;
    n.capture = capture;
    n.fold = fold_;  // the flags to restore at `)`
    return n;
  }

  void Literal(uint32_t r) {
    Node n;
    n.op = Op::kLiteral;
    n.fold = fold_;
    // Go folds to the smallest rune of the orbit; any canonical form compares the same way.
    if (fold_ && r < 0x80) r = static_cast<uint32_t>(std::tolower(static_cast<int>(r)));
    n.runes.push_back(static_cast<char32_t>(r));
    Push(std::move(n));
  }

  // Go's maybeConcat(-1, 0): adjacent literals with the same flags merge, lazily.
  void MaybeConcat() {
    size_t n = stack_.size();
    if (n < 2) return;
    Node& re1 = stack_[n - 1];
    Node& re2 = stack_[n - 2];
    if (re1.op != Op::kLiteral || re2.op != Op::kLiteral || re1.fold != re2.fold) return;
    re2.runes += re1.runes;
    stack_.pop_back();
  }

  void Push(Node n) {
    MaybeConcat();
    stack_.push_back(std::move(n));
  }

  // Go's collapse: one node, or an op node flattening children of the same op.
  Node Collapse(std::vector<Node> subs, Op op) {
    if (subs.size() == 1) return std::move(subs[0]);
    Node re;
    re.op = op;
    for (Node& sub : subs) {
      if (sub.op == op) {
        for (Node& s : sub.subs) re.subs.push_back(std::move(s));
      } else {
        re.subs.push_back(std::move(sub));
      }
    }
    if (op == Op::kAlternate) {
      re.subs = Factor(std::move(re.subs));
      if (re.subs.size() == 1) return std::move(re.subs[0]);
    }
    return re;
  }

  std::vector<Node> TakeAbovePseudo() {
    size_t i = stack_.size();
    while (i > 0 && !IsPseudo(stack_[i - 1])) --i;
    std::vector<Node> subs(std::make_move_iterator(stack_.begin() + static_cast<ptrdiff_t>(i)),
                           std::make_move_iterator(stack_.end()));
    stack_.resize(i);
    return subs;
  }

  void Concat() {
    MaybeConcat();
    std::vector<Node> subs = TakeAbovePseudo();
    if (subs.empty()) {
      Push(Node{});  // OpEmptyMatch
      return;
    }
    Push(Collapse(std::move(subs), Op::kConcat));
  }

  void Alternate() {
    std::vector<Node> subs = TakeAbovePseudo();
    if (subs.empty()) {
      failed_ = true;
      return;
    }
    Push(Collapse(std::move(subs), Op::kAlternate));
  }

  // Go's swapVerticalBar: two single-character alternatives merge into a class (which the
  // simplifier rejects), else the new alternative moves below the bar.
  bool SwapVerticalBar() {
    size_t n = stack_.size();
    if (n >= 3 && stack_[n - 2].op == Op::kVerticalBar && IsCharClassLike(stack_[n - 1]) &&
        IsCharClassLike(stack_[n - 3])) {
      failed_ = true;
      return true;
    }
    if (n >= 2 && stack_[n - 2].op == Op::kVerticalBar) {
      std::swap(stack_[n - 1], stack_[n - 2]);
      return true;
    }
    return false;
  }

  bool RightParen() {
    Concat();
    if (SwapVerticalBar()) stack_.pop_back();
    Alternate();
    if (failed_) return false;
    size_t n = stack_.size();
    if (n < 2 || stack_[n - 2].op != Op::kLeftParen) return false;
    Node re1 = std::move(stack_[n - 1]);
    Node paren = std::move(stack_[n - 2]);
    stack_.resize(n - 2);
    fold_ = paren.fold;
    if (!paren.capture) {
      Push(std::move(re1));
    } else {
      Node cap;
      cap.op = Op::kCapture;
      cap.fold = paren.fold;
      cap.subs.push_back(std::move(re1));
      Push(std::move(cap));
    }
    return true;
  }

  static const Node* Leading(const Node& re) {
    const Node* n = &re;
    if (n->op == Op::kConcat && !n->subs.empty()) n = &n->subs[0];
    return n->op == Op::kLiteral ? n : nullptr;
  }

  static void RemoveLeadingString(Node* re, size_t n) {
    if (re->op == Op::kConcat && !re->subs.empty()) {
      RemoveLeadingString(&re->subs[0], n);
      if (re->subs[0].op == Op::kEmpty) {
        if (re->subs.size() <= 1) {
          *re = Node{};
        } else if (re->subs.size() == 2) {
          Node rest = std::move(re->subs[1]);
          *re = std::move(rest);
        } else {
          re->subs.erase(re->subs.begin());
        }
      }
      return;
    }
    if (re->op == Op::kLiteral) {
      re->runes.erase(0, n);
      if (re->runes.empty()) re->op = Op::kEmpty;  // keeps its flags, as Go's does
    }
  }

  // Go's factor: common literal prefixes out of adjacent alternatives, runs of single characters
  // into classes (rejected here), runs of empty matches into one.
  std::vector<Node> Factor(std::vector<Node> sub) {
    std::vector<Node> out;
    std::u32string str;
    bool str_fold = false;
    size_t start = 0;
    for (size_t i = 0; i <= sub.size(); ++i) {
      std::u32string istr;
      bool ifold = false;
      if (i < sub.size()) {
        if (const Node* lead = Leading(sub[i])) {
          istr = lead->runes;
          ifold = lead->fold;
        }
        if (ifold == str_fold) {
          size_t same = 0;
          while (same < str.size() && same < istr.size() && str[same] == istr[same]) ++same;
          if (same > 0) {
            str.resize(same);
            continue;
          }
        }
      }
      if (i == start + 1) {
        out.push_back(std::move(sub[start]));
      } else if (i > start + 1) {
        Node prefix;
        prefix.op = Op::kLiteral;
        prefix.fold = str_fold;
        prefix.runes = str;
        std::vector<Node> suffixes;
        for (size_t j = start; j < i; ++j) {
          RemoveLeadingString(&sub[j], str.size());
          suffixes.push_back(std::move(sub[j]));
        }
        Node concat;
        concat.op = Op::kConcat;
        concat.subs.push_back(std::move(prefix));
        concat.subs.push_back(Collapse(std::move(suffixes), Op::kAlternate));
        out.push_back(std::move(concat));
      }
      start = i;
      str = std::move(istr);
      str_fold = ifold;
    }
    // Round 3: a run of two single characters would become a class.
    for (size_t i = 0; i + 1 < out.size(); ++i) {
      if (IsCharClassLike(out[i]) && IsCharClassLike(out[i + 1])) failed_ = true;
    }
    // Round 4.
    std::vector<Node> result;
    for (Node& n : out) {
      if (n.op == Op::kEmpty && !result.empty() && result.back().op == Op::kEmpty) continue;
      result.push_back(std::move(n));
    }
    return result;
  }

  std::vector<Node> stack_;
  bool fold_ = false;
  bool failed_ = false;
};

void ClearCapture(Node* n) {
  if (n->op == Op::kCapture) {
    Node inner = std::move(n->subs[0]);
    *n = std::move(inner);
  }
}

bool IsAnyStar(const Node& n) { return n.op == Op::kStar && n.subs[0].op == Op::kAnyNotNL; }

bool Simplify(Node* re);

bool SimplifyConcat(Node* re, bool has_base, bool base_fold);

bool SimplifyConcatAlternate(Node* alt, bool base_fold) {
  for (Node& sub : alt->subs) {
    if (!base_fold && sub.fold) return false;
    switch (sub.op) {
      case Op::kEmpty:
      case Op::kLiteral:
        break;
      case Op::kConcat:
        if (!SimplifyConcat(&sub, true, false)) return false;
        break;
      case Op::kStar:
        if (sub.subs[0].op != Op::kAnyNotNL) return false;
        break;
      default:
        return false;
    }
  }
  return !alt->subs.empty();
}

bool SimplifyConcat(Node* re, bool has_base, bool base_fold) {
  for (Node& sub : re->subs) ClearCapture(&sub);
  std::vector<Node*> subs;
  for (Node& sub : re->subs) {
    if (sub.op != Op::kEmpty) subs.push_back(&sub);
  }
  if (subs.size() > 3) return false;
  int literals = 0;
  bool alternates = false;
  for (Node* sub : subs) {
    if (sub->op == Op::kLiteral) {
      if (literals != 0) return false;
      ++literals;
      has_base = true;
      base_fold = sub->fold;
      continue;
    }
    if (sub->op == Op::kAlternate && has_base) {
      if (!SimplifyConcatAlternate(sub, base_fold)) return false;
      alternates = true;
      continue;
    }
    if (IsAnyStar(*sub)) continue;
    return false;
  }
  return alternates || has_base;
}

bool Simplify(Node* re) {
  switch (re->op) {
    case Op::kAlternate:
      for (Node& sub : re->subs) {
        ClearCapture(&sub);
        if (!Simplify(&sub)) return false;
      }
      return true;
    case Op::kConcat:
      return SimplifyConcat(re, false, false);
    case Op::kCapture:
      ClearCapture(re);
      return Simplify(re);
    case Op::kLiteral:
    case Op::kEmpty:
      return true;
    case Op::kStar:
    case Op::kPlus:
      return re->subs[0].op == Op::kAnyNotNL;
    default:
      return false;
  }
}

}  // namespace regex_shape

// Whether Loki's label filter for `=~ re` stays a regex (printed between backquotes).
bool KeepsRegex(std::string_view re) {
  regex_shape::Node tree;
  regex_shape::Shaper shaper;
  if (!shaper.Parse(re, &tree)) return true;
  return !regex_shape::Simplify(&tree);
}

bool RawStringCarries(std::string_view s) {
  return s.find_first_of(std::string_view("`\r\0", 3)) == std::string_view::npos;
}

// ---- Printing -------------------------------------------------------------------------------

void AppendLabelFilter(const LabelFilterExpr& f, std::string* out);

void AppendComparison(const LabelComparison& c, std::string* out) {
  *out += c.label;
  if (c.kind == LiteralKind::kString) {
    *out += CompareOpString(c.op);
    if (c.op == CompareOp::kRegexMatch && KeepsRegex(c.text) && RawStringCarries(c.text)) {
      *out += '`';
      *out += c.text;
      *out += '`';
    } else {
      *out += promql::GoQuote(c.text);
    }
    return;
  }
  if (c.kind == LiteralKind::kIp) {
    *out += c.op == CompareOp::kNotEqual ? "!=" : "=";
    *out += "ip(" + promql::GoQuote(c.text) + ")";
    return;
  }
  // log.LabelFilterType's names: equality is `==`.
  *out += c.op == CompareOp::kEqual ? "==" : CompareOpString(c.op);
  switch (c.kind) {
    case LiteralKind::kNumber:
      *out += NoNegativeZero(promql::internal::GoFormatFloatF(c.number));
      break;
    case LiteralKind::kDuration: {
      int64_t ns = 0;
      std::string error;
      if (!ParseLokiDuration(c.text, &ns, &error)) ns = std::llround(c.number * 1e9);
      *out += GoDuration(ns);
      break;
    }
    case LiteralKind::kBytes:
      *out += HumanBytes(c.number);
      break;
    default:
      break;
  }
}

void AppendLabelFilter(const LabelFilterExpr& f, std::string* out) {
  if (f.kind == LabelFilterExpr::Kind::kComparison) {
    AppendComparison(f.comparison, out);
    return;
  }
  *out += "( ";
  AppendLabelFilter(*f.lhs, out);
  *out += f.kind == LabelFilterExpr::Kind::kAnd ? " , " : " or ";
  AppendLabelFilter(*f.rhs, out);
  *out += " )";
}

void AppendMatcher(const storage::LabelMatcher& m, std::string* out) {
  *out += m.name();
  *out += storage::MatchOpString(m.op());
  *out += promql::GoQuote(m.value());
}

void AppendExtraction(const std::vector<ExtractionParam>& params, std::string* out) {
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) *out += ',';
    *out += params[i].label;
    *out += '=';
    *out += promql::GoQuote(params[i].expression.empty() ? params[i].label : params[i].expression);
  }
}

void AppendStage(const Stage& stage, std::string* out) {
  std::visit(
      [&](const auto& s) {
        using T = std::decay_t<decltype(s)>;
        if constexpr (std::is_same_v<T, LineFilter>) {
          // Loki keeps `or` alternatives of |=, |~ and |> together, and turns those of the
          // negated filters into successive filters (none may match).
          bool negated = s.op == LineFilterOp::kNotContains ||
                         s.op == LineFilterOp::kRegexNoMatch ||
                         s.op == LineFilterOp::kPatternNoMatch;
          for (size_t i = 0; i < s.values.size(); ++i) {
            if (i == 0 || negated) {
              if (i > 0) *out += ' ';
              *out += LineFilterOpString(s.op);
              *out += ' ';
            } else {
              *out += " or ";
            }
            std::string value = promql::GoQuote(s.values[i]);
            *out += s.ip ? "ip(" + value + ")" : value;
          }
        } else if constexpr (std::is_same_v<T, Parser>) {
          *out += "| ";
          *out += ParserKindString(s.kind);
          if (s.kind == ParserKind::kRegexp || s.kind == ParserKind::kPattern) {
            *out += ' ';
            *out += promql::GoQuote(s.argument);
          } else if (s.kind == ParserKind::kLogfmt && s.params.empty()) {
            if (s.strict) *out += " --strict";
            if (s.keep_empty) *out += " --keep-empty";
          } else if (!s.params.empty()) {
            *out += ' ';
            if (s.strict) *out += "--strict ";
            if (s.keep_empty) *out += "--keep-empty ";
            AppendExtraction(s.params, out);
          }
        } else if constexpr (std::is_same_v<T, LabelFilterPtr>) {
          *out += "| ";
          AppendLabelFilter(*s, out);
        } else if constexpr (std::is_same_v<T, LineFormat>) {
          *out += "| line_format " + promql::GoQuote(s.template_text);
        } else if constexpr (std::is_same_v<T, LabelFormat>) {
          *out += "| label_format ";
          for (size_t i = 0; i < s.items.size(); ++i) {
            if (i > 0) *out += ',';
            *out += s.items[i].label + "=";
            *out += s.items[i].rename ? s.items[i].value : promql::GoQuote(s.items[i].value);
          }
        } else if constexpr (std::is_same_v<T, DropKeep>) {
          *out += s.keep ? "| keep " : "| drop ";
          for (size_t i = 0; i < s.items.size(); ++i) {
            if (i > 0) *out += ',';
            if (s.items[i].matcher) {
              AppendMatcher(*s.items[i].matcher, out);
            } else {
              *out += s.items[i].label;
            }
          }
        } else if constexpr (std::is_same_v<T, Decolorize>) {
          *out += "| decolorize";
        }
      },
      stage.node);
}

void AppendSelector(const LogSelector& selector, std::string* out) {
  *out += '{';
  for (size_t i = 0; i < selector.matchers.size(); ++i) {
    if (i > 0) *out += ", ";
    AppendMatcher(selector.matchers[i], out);
  }
  *out += '}';
  for (const Stage& stage : selector.stages) {
    *out += ' ';
    AppendStage(stage, out);
  }
}

void AppendGrouping(const std::vector<std::string>& labels, bool without, std::string* out) {
  *out += without ? " without (" : " by (";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) *out += ',';
    *out += labels[i];
  }
  *out += ')';
}

std::string_view ConversionString(Unwrap::Conversion c) {
  switch (c) {
    case Unwrap::Conversion::kDuration:
      return "duration";
    case Unwrap::Conversion::kDurationSeconds:
      return "duration_seconds";
    case Unwrap::Conversion::kBytes:
      return "bytes";
    case Unwrap::Conversion::kNone:
      break;
  }
  return "";
}

void AppendLogRange(const LogRange& r, std::string* out) {
  // Loki prints the range after the pipeline however it was written.
  AppendSelector(r.selector, out);
  if (r.unwrap) {
    *out += " | unwrap ";
    if (r.unwrap->conversion == Unwrap::Conversion::kNone) {
      *out += r.unwrap->label;
    } else {
      *out += fmt::format("{}({})", ConversionString(r.unwrap->conversion), r.unwrap->label);
    }
    for (const LabelFilterPtr& f : r.unwrap->post_filters) {
      *out += " | ";
      AppendLabelFilter(*f, out);
    }
  }
  *out += '[' + ModelDuration(r.range_ns) + ']';
  if (r.offset_ns != 0) *out += " offset " + GoDuration(r.offset_ns);
}

void AppendExpr(const Expr& e, std::string* out);

void AppendBinary(const Binary& b, std::string* out) {
  std::string op(promql::BinaryOpString(b.op));
  if (b.return_bool) op += " bool";
  if (b.matching) {
    const promql::VectorMatching& m = *b.matching;
    std::string group;
    if (m.cardinality == promql::VectorMatching::Cardinality::kManyToOne) {
      group = "group_left";
    } else if (m.cardinality == promql::VectorMatching::Cardinality::kOneToMany) {
      group = "group_right";
    }
    if (!m.include.empty()) {
      group += " (";
      for (size_t i = 0; i < m.include.size(); ++i) {
        if (i > 0) group += ',';
        group += m.include[i];
      }
      group += ')';
    }
    if (m.on || !m.matching_labels.empty()) {
      std::string labels;
      for (size_t i = 0; i < m.matching_labels.size(); ++i) {
        if (i > 0) labels += ',';
        labels += m.matching_labels[i];
      }
      op = fmt::format("{} {} ({}) {}", op, m.on ? "on" : "ignoring", labels, group);
    }
  }
  *out += '(';
  AppendExpr(*b.lhs, out);
  *out += ' ' + op + ' ';
  AppendExpr(*b.rhs, out);
  *out += ')';
}

void AppendExpr(const Expr& e, std::string* out) {
  std::visit(
      [&](const auto& n) {
        using T = std::decay_t<decltype(n)>;
        if constexpr (std::is_same_v<T, LogSelector>) {
          AppendSelector(n, out);
        } else if constexpr (std::is_same_v<T, RangeAggregation>) {
          *out += RangeOpString(n.op);
          *out += '(';
          if (n.param) *out += NoNegativeZero(promql::internal::GoFormatFloatF(*n.param)) + ",";
          AppendLogRange(n.range, out);
          *out += ')';
          if (n.grouping_given) AppendGrouping(n.grouping, n.without, out);
        } else if constexpr (std::is_same_v<T, VectorAggregation>) {
          *out += VectorAggregationOpString(n.op);
          // An empty `by ()` is Loki's default grouping and does not print.
          if (n.without || !n.grouping.empty()) AppendGrouping(n.grouping, n.without, out);
          *out += '(';
          if (n.param) *out += fmt::format("{},", *n.param);
          AppendExpr(*n.expr, out);
          *out += ')';
        } else if constexpr (std::is_same_v<T, Binary>) {
          AppendBinary(n, out);
        } else if constexpr (std::is_same_v<T, Number>) {
          *out += NoNegativeZero(promql::internal::GoFormatFloatV(n.value));
        } else if constexpr (std::is_same_v<T, VectorLiteral>) {
          // Go's %f.
          std::string v = std::isfinite(n.value) ? fmt::format("{:f}", n.value)
                          : std::isnan(n.value)  ? "NaN"
                          : n.value > 0          ? "+Inf"
                                                 : "-Inf";
          *out += "vector(" + v + ")";
        } else if constexpr (std::is_same_v<T, LabelReplace>) {
          *out += "label_replace(";
          AppendExpr(*n.expr, out);
          for (const std::string* s : {&n.dst, &n.replacement, &n.src, &n.regex}) {
            *out += ',' + promql::GoQuote(*s);
          }
          *out += ')';
        } else if constexpr (std::is_same_v<T, Paren>) {
          // Loki drops parentheses; binary operations print their own.
          AppendExpr(*n.expr, out);
        }
      },
      e.node);
}

}  // namespace

std::string ToString(const Expr& expr) {
  std::string out;
  AppendExpr(expr, &out);
  return out;
}

std::string ToString(const LogSelector& selector) {
  std::string out;
  AppendSelector(selector, &out);
  return out;
}

std::string ToString(const Stage& stage) {
  std::string out;
  AppendStage(stage, &out);
  return out;
}

std::string ToString(const LabelFilterExpr& filter) {
  std::string out;
  AppendLabelFilter(filter, &out);
  return out;
}

}  // namespace sluice::query::logql
