// ToString as Prometheus 2.42's printer.go (String() of each node) and Pretty as its prettier.go:
// the same text byte for byte, so that format_query answers what Prometheus answers and the
// printed form parses back to the same tree. Also Go's quoting and UTF-8 conventions (%q,
// strconv.Quote, unicode.IsPrint), shared with the lexer through promql_parser_internal.h.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "query/promql_ast.h"
#include "query/promql_lexer.h"
#include "query/promql_parser_internal.h"

namespace sluice::query::promql {

// Go's utf8.DecodeRuneInString: (0xFFFD, 1) for anything that is not valid UTF-8.
std::pair<int32_t, size_t> DecodeRune(std::string_view s, size_t pos) {
  auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  uint8_t b0 = byte(pos);
  if (b0 < 0x80) return {b0, 1};
  size_t n;
  int32_t r;
  int32_t min;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2, r = b0 & 0x1F, min = 0x80;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3, r = b0 & 0x0F, min = 0x800;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4, r = b0 & 0x07, min = 0x10000;
  } else {
    return {kRuneError, 1};
  }
  if (pos + n > s.size()) return {kRuneError, 1};
  for (size_t i = 1; i < n; ++i) {
    uint8_t b = byte(pos + i);
    if ((b & 0xC0) != 0x80) return {kRuneError, 1};
    r = (r << 6) | (b & 0x3F);
  }
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) return {kRuneError, 1};
  return {r, n};
}

// Go's unicode.IsPrint for the runes a query is likely to hold: controls, non-ASCII spaces, format
// characters, private use and non-characters are not printable. Go also treats unassigned code
// points as unprintable; only the unassigned planes are known here.
bool IsPrint(uint32_t r) {
  if (r < 0x80) return r >= 0x20 && r != 0x7F;
  static constexpr std::array<std::pair<uint32_t, uint32_t>, 29> kNotPrint = {{
      {0x80, 0xA0},       {0xAD, 0xAD},       {0x600, 0x605},      {0x61C, 0x61C},
      {0x6DD, 0x6DD},     {0x70F, 0x70F},     {0x890, 0x891},      {0x8E2, 0x8E2},
      {0x1680, 0x1680},   {0x180E, 0x180E},   {0x2000, 0x200F},    {0x2028, 0x202F},
      {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},    {0xD800, 0xF8FF},
      {0xFDD0, 0xFDEF},   {0xFEFF, 0xFEFF},   {0xFFF0, 0xFFFB},    {0xFFFE, 0xFFFF},
      {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F},  {0x1BCA0, 0x1BCA3},
      {0x1D173, 0x1D17A}, {0x40000, 0xE00FF}, {0xE01F0, 0x10FFFF},
  }};
  if ((r & 0xFFFE) == 0xFFFE) return false;
  for (const auto& [lo, hi] : kNotPrint) {
    if (r >= lo && r <= hi) return false;
  }
  return true;
}

int DigitValue(int32_t r) {
  if (r >= '0' && r <= '9') return r - '0';
  if (r >= 'a' && r <= 'f') return r - 'a' + 10;
  if (r >= 'A' && r <= 'F') return r - 'A' + 10;
  return 16;
}

// Go's %#U: U+0071 'q', or U+000A for an unprintable rune.
std::string UnicodeName(int32_t r) {
  if (r < 0) return "U+FFFFFFFFFFFFFFFF";
  std::string out = fmt::format("U+{:04X}", r);
  if (IsPrint(static_cast<uint32_t>(r))) {
    out += " '";
    AppendUtf8(&out, static_cast<uint32_t>(r));
    out += '\'';
  }
  return out;
}

// Go's %q of a rune, as lex.go formats the offending character.
std::string QuoteRune(int32_t r) {
  if (r < 0) r = kRuneError;  // Go quotes eof (-1) as '�'
  std::string out = "'";
  switch (r) {
    case '\'':
      out += "\\'";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\a':
      out += "\\a";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\v':
      out += "\\v";
      break;
    default:
      if (IsPrint(static_cast<uint32_t>(r))) {
        AppendUtf8(&out, static_cast<uint32_t>(r));
      } else if (r < 0x80) {
        out += fmt::format("\\x{:02x}", r);
      } else if (r < 0x10000) {
        out += fmt::format("\\u{:04x}", r);
      } else {
        out += fmt::format("\\U{:08x}", r);
      }
  }
  out += '\'';
  return out;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  size_t pos = 0;
  while (pos < s.size()) {
    auto [r, width] = DecodeRune(s, pos);
    if (r == kRuneError && width == 1) {
      out += fmt::format("\\x{:02x}", static_cast<uint8_t>(s[pos]));
      pos += 1;
      continue;
    }
    pos += width;
    if (r == '"' || r == '\\') {
      out += '\\';
      out += static_cast<char>(r);
    } else if (r == kRuneError) {
      // Go writes U+FFFD as it is, but PromQL's lexer (Prometheus' too) takes it for a byte that
      // is not UTF-8 and refuses the string: escaped, the printed query parses back.
      out += "\\ufffd";
    } else if (IsPrint(static_cast<uint32_t>(r))) {
      AppendUtf8(&out, static_cast<uint32_t>(r));
    } else {
      std::string q = QuoteRune(r);  // same escapes as a rune literal, without the quotes
      out.append(q, 1, q.size() - 2);
    }
  }
  out += '"';
  return out;
}

namespace {

constexpr size_t kMaxCharactersPerLine = 100;

// Go's fmt %v of a float64: the shortest representation, with an exponent below 1e-4 and from
// 1e6 on ("1e+06", "1.5e-05").
void AppendGoFloat(std::string* out, double v) {
  if (std::isnan(v)) {
    *out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    *out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(sci.ptr - buf));
  size_t e = s.find('e');
  int exp = 0;
  std::from_chars(s.data() + e + 1 + (s[e + 1] == '+' ? 1 : 0), s.data() + s.size(), exp);
  if (exp < -4 || exp >= 6) {
    out->append(s.substr(0, e));
    *out += 'e';
    *out += exp < 0 ? '-' : '+';
    int a = exp < 0 ? -exp : exp;
    if (a < 10) *out += '0';
    *out += std::to_string(a);
    return;
  }
  auto fixed = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  out->append(buf, static_cast<size_t>(fixed.ptr - buf));
}

// Prometheus' model.Duration String(): 1y, 2w, 1d2h, 1m30s, 500ms; years and weeks only when
// they divide the duration.
void AppendDuration(std::string* out, int64_t ms) {
  if (ms == 0) {
    *out += "0s";
    return;
  }
  struct Unit {
    const char* name;
    int64_t ms;
    bool exact;
  };
  static constexpr Unit kUnits[] = {
      {"y", 365LL * 24 * 3600 * 1000, true},
      {"w", 7LL * 24 * 3600 * 1000, true},
      {"d", 24LL * 3600 * 1000, false},
      {"h", 3600LL * 1000, false},
      {"m", 60LL * 1000, false},
      {"s", 1000, false},
      {"ms", 1, false},
  };
  for (const Unit& u : kUnits) {
    if (u.exact && ms % u.ms != 0) continue;
    int64_t v = ms / u.ms;
    if (v > 0) {
      *out += std::to_string(v);
      *out += u.name;
      ms -= v * u.ms;
    }
  }
}

void AppendAtAndOffset(std::string* out, const std::optional<AtModifier>& at, int64_t offset) {
  if (at) {
    switch (at->kind) {
      case AtModifier::Kind::kTimestamp:
        *out += fmt::format(" @ {:.3f}", static_cast<double>(at->timestamp_ms) / 1000.0);
        break;
      case AtModifier::Kind::kStart:
        *out += " @ start()";
        break;
      case AtModifier::Kind::kEnd:
        *out += " @ end()";
        break;
    }
  }
  if (offset > 0) {
    *out += " offset ";
    AppendDuration(out, offset);
  } else if (offset < 0) {
    *out += " offset -";
    AppendDuration(out, -offset);
  }
}

void AppendJoined(std::string* out, const std::vector<std::string>& items) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) *out += ", ";
    *out += items[i];
  }
}

// The selector without its @ and offset: `name{b="2",a=~"1"}` with the matchers sorted as text,
// the one that just repeats the name left out.
void AppendSelectorBody(std::string* out, const VectorSelector& vs) {
  std::vector<std::string> matchers;
  for (const storage::LabelMatcher& m : vs.matchers) {
    if (m.name() == "__name__" && m.op() == storage::MatchOp::kEqual && m.value() == vs.name) {
      continue;
    }
    std::string s = m.name();
    s += storage::MatchOpString(m.op());
    s += GoQuote(m.value());
    matchers.push_back(std::move(s));
  }
  *out += vs.name;
  if (matchers.empty()) return;
  std::sort(matchers.begin(), matchers.end());
  *out += '{';
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) *out += ',';
    *out += matchers[i];
  }
  *out += '}';
}

void AppendSubquerySuffix(std::string* out, const Subquery& sq) {
  *out += '[';
  AppendDuration(out, sq.range_ms);
  *out += ':';
  if (sq.step_ms != 0) AppendDuration(out, sq.step_ms);
  *out += ']';
  AppendAtAndOffset(out, sq.at, sq.offset_ms);
}

// `sum by (a, b) ` / `sum without () ` / `sum`: the text before the arguments.
void AppendAggregateOp(std::string* out, const Aggregate& agg) {
  *out += AggregateOpString(agg.op);
  if (agg.without) {
    *out += " without (";
    AppendJoined(out, agg.grouping);
    *out += ") ";
  } else if (!agg.grouping.empty()) {
    *out += " by (";
    AppendJoined(out, agg.grouping);
    *out += ") ";
  }
}

// ` on (a) group_left (b)`: empty unless labels were given or `on` was written.
void AppendMatching(std::string* out, const Binary& b) {
  const std::optional<VectorMatching>& vm = b.matching;
  if (!vm || (vm->matching_labels.empty() && !vm->on)) return;
  *out += vm->on ? " on (" : " ignoring (";
  AppendJoined(out, vm->matching_labels);
  *out += ')';
  using Card = VectorMatching::Cardinality;
  if (vm->cardinality == Card::kManyToOne || vm->cardinality == Card::kOneToMany) {
    *out += vm->cardinality == Card::kManyToOne ? " group_left (" : " group_right (";
    AppendJoined(out, vm->include);
    *out += ')';
  }
}

void AppendBinaryOp(std::string* out, const Binary& b) {
  *out += BinaryOpString(b.op);
  if (b.return_bool) *out += " bool";
  AppendMatching(out, b);
}

// Where each node's text lies in the printed query: String() of a node does not depend on its
// parent, so one printing of the root gives every node's flat text.
using Spans = std::unordered_map<const Expr*, std::pair<size_t, size_t>>;

void Append(std::string* out, const Expr& e, Spans* spans);

struct StringVisitor {
  std::string* out;
  Spans* spans;

  void operator()(const NumberLiteral& n) const { AppendGoFloat(out, n.value); }
  void operator()(const StringLiteral& s) const { *out += GoQuote(s.value); }
  void operator()(const VectorSelector& vs) const {
    AppendSelectorBody(out, vs);
    AppendAtAndOffset(out, vs.at, vs.offset_ms);
  }
  void operator()(const MatrixSelector& ms) const {
    AppendSelectorBody(out, ms.selector);
    *out += '[';
    AppendDuration(out, ms.range_ms);
    *out += ']';
    AppendAtAndOffset(out, ms.selector.at, ms.selector.offset_ms);
  }
  void operator()(const Subquery& sq) const {
    Append(out, *sq.expr, spans);
    AppendSubquerySuffix(out, sq);
  }
  void operator()(const Call& c) const {
    *out += c.function->name;
    *out += '(';
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i > 0) *out += ", ";
      Append(out, *c.args[i], spans);
    }
    *out += ')';
  }
  void operator()(const Aggregate& a) const {
    AppendAggregateOp(out, a);
    *out += '(';
    if (a.param) {
      Append(out, *a.param, spans);
      *out += ", ";
    }
    Append(out, *a.expr, spans);
    *out += ')';
  }
  void operator()(const Binary& b) const {
    Append(out, *b.lhs, spans);
    *out += ' ';
    AppendBinaryOp(out, b);
    *out += ' ';
    Append(out, *b.rhs, spans);
  }
  void operator()(const Unary& u) const {
    *out += u.negate ? '-' : '+';
    Append(out, *u.expr, spans);
  }
  void operator()(const Paren& p) const {
    *out += '(';
    Append(out, *p.expr, spans);
    *out += ')';
  }
};

void Append(std::string* out, const Expr& e, Spans* spans) {
  size_t begin = out->size();
  std::visit(StringVisitor{out, spans}, e.node);
  if (spans != nullptr) (*spans)[&e] = {begin, out->size()};
}

// prettier.go: a node whose one-line form is longer than 100 bytes is split, its children one
// level deeper, each on lines of their own. Appends to one string: no copies per level.
class Prettifier {
 public:
  explicit Prettifier(const Expr& root) { Append(&flat_, root, &spans_); }

  // `trim`: leave out the indentation of the first line, as prettier.go trims a unary operator's
  // operand.
  void Write(std::string* out, const Expr& e, int level, bool trim = false) const {
    std::visit([&](const auto& node) { WriteNode(out, e, node, level, trim); }, e.node);
  }

 private:
  std::string_view Flat(const Expr& e) const {
    auto [begin, end] = spans_.at(&e);
    return std::string_view(flat_).substr(begin, end - begin);
  }
  bool NeedsSplit(const Expr& e) const { return Flat(e).size() > kMaxCharactersPerLine; }
  static void Indent(std::string* out, int level) {
    out->append(static_cast<size_t>(level) * 2, ' ');
  }
  // The first line's indentation, unless trimmed.
  static void Lead(std::string* out, int level, bool trim) {
    if (!trim) Indent(out, level);
  }
  bool WriteFlat(std::string* out, const Expr& e, int level, bool trim) const {
    if (NeedsSplit(e)) return false;
    Lead(out, level, trim);
    out->append(Flat(e));
    return true;
  }

  template <typename Leaf>
  void WriteNode(std::string* out, const Expr& e, const Leaf&, int level, bool trim) const {
    Lead(out, level, trim);  // selectors and literals never split
    out->append(Flat(e));
  }
  void WriteNode(std::string* out, const Expr& e, const Aggregate& a, int level, bool trim) const {
    if (WriteFlat(out, e, level, trim)) return;
    Lead(out, level, trim);
    AppendAggregateOp(out, a);
    *out += "(\n";
    if (a.param) {
      Write(out, *a.param, level + 1);
      *out += ",\n";
    }
    Write(out, *a.expr, level + 1);
    *out += '\n';
    Indent(out, level);
    *out += ')';
  }
  void WriteNode(std::string* out, const Expr& e, const Binary& b, int level, bool trim) const {
    if (WriteFlat(out, e, level, trim)) return;
    Write(out, *b.lhs, level + 1, trim);
    *out += '\n';
    Indent(out, level);
    AppendBinaryOp(out, b);
    *out += '\n';
    Write(out, *b.rhs, level + 1);
  }
  void WriteNode(std::string* out, const Expr& e, const Call& c, int level, bool trim) const {
    if (c.args.empty() || !NeedsSplit(e)) {
      Lead(out, level, trim);
      out->append(Flat(e));
      return;
    }
    Lead(out, level, trim);
    *out += c.function->name;
    *out += "(\n";
    for (size_t i = 0; i < c.args.size(); ++i) {
      if (i > 0) *out += ",\n";
      Write(out, *c.args[i], level + 1);
    }
    *out += '\n';
    Indent(out, level);
    *out += ')';
  }
  void WriteNode(std::string* out, const Expr& e, const Paren& p, int level, bool trim) const {
    if (WriteFlat(out, e, level, trim)) return;
    Lead(out, level, trim);
    *out += "(\n";
    Write(out, *p.expr, level + 1);
    *out += '\n';
    Indent(out, level);
    *out += ')';
  }
  void WriteNode(std::string* out, const Expr& e, const Subquery& sq, int level, bool trim) const {
    // As prettier.go: an unsplit subquery is not indented.
    if (!NeedsSplit(e)) {
      out->append(Flat(e));
      return;
    }
    Write(out, *sq.expr, level, trim);
    AppendSubquerySuffix(out, sq);
  }
  void WriteNode(std::string* out, const Expr&, const Unary& u, int level, bool trim) const {
    Lead(out, level, trim);
    *out += u.negate ? '-' : '+';
    Write(out, *u.expr, level, true);
  }

  std::string flat_;
  Spans spans_;
};

}  // namespace

std::string ToString(const Expr& expr) {
  std::string out;
  Append(&out, expr, nullptr);
  return out;
}

std::string Pretty(const Expr& expr) {
  std::string out;
  Prettifier(expr).Write(&out, expr, 0);
  return out;
}

}  // namespace sluice::query::promql
