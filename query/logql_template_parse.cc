// The template parser: the lexer (text/template/parse/lex.go), then the parse tree and the
// parser (parse.go, node.go). Not supported: {{define}}, {{template}} and {{block}} (Loki's
// templates have no use for named templates) and complex constants.
#include <fmt/format.h>

#include "query/go_numbers.h"
#include "query/go_regexp_error.h"
#include "query/logql_template_internal.h"

namespace sluice::query::logql::template_internal {
namespace {

// ---- Lexer (text/template/parse/lex.go) -----------------------------------------------------

enum class Tok : uint8_t {
  kError,
  kBool,
  kChar,
  kCharConstant,
  kComplex,
  kAssign,
  kDeclare,
  kEOF,
  kField,
  kIdentifier,
  kLeftDelim,
  kLeftParen,
  kNumber,
  kPipe,
  kRawString,
  kRightDelim,
  kRightParen,
  kSpace,
  kString,
  kText,
  kVariable,
  kKeyword,  // keywords follow
  kBlock,
  kBreak,
  kContinue,
  kDot,
  kDefine,
  kElse,
  kEnd,
  kIf,
  kNil,
  kRange,
  kTemplate,
  kWith,
};

struct Token {
  Tok type = Tok::kEOF;
  size_t pos = 0;
  std::string_view val;  // the text; the message for kError
  std::string error;     // kError only (val points at it)
};

bool IsTemplateSpace(int32_t r) { return r == ' ' || r == '\t' || r == '\r' || r == '\n'; }
bool IsAlphaNumeric(int32_t r) { return r == '_' || IsLetterRune(r) || IsDigitRune(r); }

// item.String(), as parse errors show a token.
std::string TokenString(const Token& t) {
  switch (t.type) {
    case Tok::kEOF:
      return "EOF";
    case Tok::kError:
      return std::string(t.val);
    default:
      break;
  }
  if (t.type > Tok::kKeyword) return fmt::format("<{}>", t.val);
  if (t.val.size() > 10) {
    size_t pos = 0;
    for (int n = 0; n < 10 && pos < t.val.size(); ++n) pos += RuneAt(t.val, pos).second;
    return GoQuote(t.val.substr(0, pos)) + "...";
  }
  return GoQuote(t.val);
}

class Lexer {
 public:
  explicit Lexer(std::string_view input) : in_(input) {}

  // Every token up to EOF, or up to and including the first error.
  std::vector<Token> Run() {
    while (tokens_.empty() ||
           (tokens_.back().type != Tok::kEOF && tokens_.back().type != Tok::kError)) {
      if (inside_action_) {
        LexInsideAction();
      } else {
        LexText();
      }
    }
    // kError tokens own their message; point val at it now that the vector is stable.
    for (Token& t : tokens_) {
      if (t.type == Tok::kError) t.val = t.error;
    }
    return std::move(tokens_);
  }

 private:
  static bool HasLeftTrimMarker(std::string_view s) {
    return s.size() >= 2 && s[0] == '-' && IsTemplateSpace(static_cast<unsigned char>(s[1]));
  }
  static bool HasRightTrimMarker(std::string_view s) {
    return s.size() >= 2 && IsTemplateSpace(static_cast<unsigned char>(s[0])) && s[1] == '-';
  }
  static size_t LeftTrimLength(std::string_view s) {
    size_t i = 0;
    while (i < s.size() && IsTemplateSpace(static_cast<unsigned char>(s[i]))) ++i;
    return i;
  }
  static size_t RightTrimLength(std::string_view s) {
    size_t i = s.size();
    while (i > 0 && IsTemplateSpace(static_cast<unsigned char>(s[i - 1]))) --i;
    return s.size() - i;
  }
  std::string_view Rest() const { return in_.substr(pos_); }

  void Emit(Tok type) {
    Token t;
    t.type = type;
    t.pos = start_;
    t.val = in_.substr(start_, pos_ - start_);
    tokens_.push_back(std::move(t));
    start_ = pos_;
  }
  void Error(std::string message) {
    Token t;
    t.type = Tok::kError;
    t.pos = start_;
    t.error = std::move(message);
    tokens_.push_back(std::move(t));
  }
  int32_t Next() {
    auto [r, w] = RuneAt(in_, pos_);
    width_ = w;
    pos_ += w;
    return r;
  }
  void Backup() { pos_ -= width_; }
  int32_t Peek() {
    int32_t r = Next();
    Backup();
    return r;
  }
  bool Accept(std::string_view valid) {
    int32_t r = Next();
    if (r >= 0 && r < 0x80 && valid.find(static_cast<char>(r)) != std::string_view::npos) {
      return true;
    }
    Backup();
    return false;
  }
  void AcceptRun(std::string_view valid) {
    while (Accept(valid)) {
    }
  }

  // (delim, trim): at "}}" or " -}}".
  std::pair<bool, bool> AtRightDelim() const {
    std::string_view rest = Rest();
    if (HasRightTrimMarker(rest) && rest.substr(2).starts_with("}}")) return {true, true};
    if (rest.starts_with("}}")) return {true, false};
    return {false, false};
  }
  bool AtTerminator() {
    int32_t r = Peek();
    if (IsTemplateSpace(r)) return true;
    switch (r) {
      case -1:
      case '.':
      case ',':
      case '|':
      case ':':
      case ')':
      case '(':
        return true;
      default:
        return Rest().starts_with("}}");
    }
  }

  void LexText() {
    size_t x = in_.find("{{", pos_);
    if (x == std::string_view::npos) {
      pos_ = in_.size();
      if (pos_ > start_) Emit(Tok::kText);
      Emit(Tok::kEOF);
      return;
    }
    size_t trim = 0;
    if (HasLeftTrimMarker(in_.substr(x + 2))) {
      trim = RightTrimLength(in_.substr(start_, x - start_));
    }
    pos_ = x - trim;
    if (pos_ > start_) Emit(Tok::kText);
    pos_ = x;
    start_ = pos_;
    LexLeftDelim();
  }

  void LexLeftDelim() {
    pos_ += 2;
    bool trim = HasLeftTrimMarker(Rest());
    size_t after = trim ? 2 : 0;
    if (in_.substr(pos_ + after).starts_with("/*")) {
      pos_ += after;
      start_ = pos_;
      LexComment();
      return;
    }
    Emit(Tok::kLeftDelim);
    inside_action_ = true;
    pos_ += after;
    start_ = pos_;
    paren_depth_ = 0;
  }

  void LexComment() {
    pos_ += 2;
    size_t x = in_.find("*/", pos_);
    if (x == std::string_view::npos) return Error("unclosed comment");
    pos_ = x + 2;
    auto [delim, trim] = AtRightDelim();
    if (!delim) return Error("comment ends before closing delimiter");
    if (trim) pos_ += 2;
    pos_ += 2;
    if (trim) pos_ += LeftTrimLength(Rest());
    start_ = pos_;
  }

  void LexRightDelim() {
    bool trim = AtRightDelim().second;
    if (trim) {
      pos_ += 2;
      start_ = pos_;
    }
    pos_ += 2;
    Emit(Tok::kRightDelim);
    if (trim) {
      pos_ += LeftTrimLength(Rest());
      start_ = pos_;
    }
    inside_action_ = false;
  }

  void LexInsideAction() {
    if (AtRightDelim().first) {
      if (paren_depth_ == 0) return LexRightDelim();
      return Error("unclosed left paren");
    }
    int32_t r = Next();
    switch (r) {
      case -1:
        return Error("unclosed action");
      case '=':
        return Emit(Tok::kAssign);
      case ':':
        if (Next() != '=') return Error("expected :=");
        return Emit(Tok::kDeclare);
      case '|':
        return Emit(Tok::kPipe);
      case '(':
        ++paren_depth_;
        return Emit(Tok::kLeftParen);
      case ')':
        if (--paren_depth_ < 0) return Error("unexpected right paren");
        return Emit(Tok::kRightParen);
      case '"':
        return LexQuote();
      case '`':
        return LexRawQuote();
      case '$':
        return LexVariable();
      case '\'':
        return LexChar();
      case '.':
        if (pos_ < in_.size() && (in_[pos_] < '0' || in_[pos_] > '9')) {
          return LexFieldOrVariable(Tok::kField);
        }
        Backup();
        return LexNumber();
      default:
        break;
    }
    if (IsTemplateSpace(r)) {
      Backup();
      return LexSpace();
    }
    if (r == '+' || r == '-' || (r >= '0' && r <= '9')) {
      Backup();
      return LexNumber();
    }
    if (IsAlphaNumeric(r)) {
      Backup();
      return LexIdentifier();
    }
    if (r < 0x80 && r >= 0x20 && r != 0x7F) return Emit(Tok::kChar);
    Error("unrecognized character in action: " + promql::UnicodeName(r));
  }

  void LexSpace() {
    int spaces = 0;
    while (IsTemplateSpace(Peek())) {
      Next();
      ++spaces;
    }
    // A trim-marked closing delimiter has a minus after a space.
    if (HasRightTrimMarker(in_.substr(pos_ - 1)) && in_.substr(pos_ + 1).starts_with("}}")) {
      --pos_;  // before the space
      if (spaces == 1) return LexRightDelim();
    }
    Emit(Tok::kSpace);
  }

  void LexIdentifier() {
    while (true) {
      int32_t r = Next();
      if (IsAlphaNumeric(r)) continue;
      Backup();
      std::string_view word = in_.substr(start_, pos_ - start_);
      if (!AtTerminator()) return Error("bad character " + promql::UnicodeName(r));
      static constexpr std::array<std::pair<std::string_view, Tok>, 10> kKeywords = {{
          {"block", Tok::kBlock},
          {"break", Tok::kBreak},
          {"continue", Tok::kContinue},
          {"define", Tok::kDefine},
          {"else", Tok::kElse},
          {"end", Tok::kEnd},
          {"if", Tok::kIf},
          {"range", Tok::kRange},
          {"nil", Tok::kNil},
          {"template", Tok::kTemplate},
      }};
      for (const auto& [name, type] : kKeywords) {
        if (word == name) return Emit(type);
      }
      if (word == "with") return Emit(Tok::kWith);
      if (word == "true" || word == "false") return Emit(Tok::kBool);
      return Emit(Tok::kIdentifier);
    }
  }

  void LexVariable() {
    if (AtTerminator()) return Emit(Tok::kVariable);
    LexFieldOrVariable(Tok::kVariable);
  }

  void LexFieldOrVariable(Tok type) {
    if (AtTerminator()) return Emit(type == Tok::kVariable ? Tok::kVariable : Tok::kDot);
    int32_t r;
    while (true) {
      r = Next();
      if (!IsAlphaNumeric(r)) {
        Backup();
        break;
      }
    }
    if (!AtTerminator()) return Error("bad character " + promql::UnicodeName(r));
    Emit(type);
  }

  void LexChar() {
    while (true) {
      int32_t r = Next();
      if (r == '\\') {
        r = Next();
        if (r != -1 && r != '\n') continue;
        return Error("unterminated character constant");
      }
      if (r == -1 || r == '\n') return Error("unterminated character constant");
      if (r == '\'') break;
    }
    Emit(Tok::kCharConstant);
  }

  bool ScanNumber() {
    Accept("+-");
    std::string_view digits = "0123456789_";
    if (Accept("0")) {
      if (Accept("xX")) {
        digits = "0123456789abcdefABCDEF_";
      } else if (Accept("oO")) {
        digits = "01234567_";
      } else if (Accept("bB")) {
        digits = "01_";
      }
    }
    AcceptRun(digits);
    if (Accept(".")) AcceptRun(digits);
    if (digits.size() == 11 && Accept("eE")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    if (digits.size() == 23 && Accept("pP")) {
      Accept("+-");
      AcceptRun("0123456789_");
    }
    Accept("i");
    if (IsAlphaNumeric(Peek())) {
      Next();
      return false;
    }
    return true;
  }

  void LexNumber() {
    if (!ScanNumber()) {
      return Error("bad number syntax: " + GoQuote(in_.substr(start_, pos_ - start_)));
    }
    int32_t sign = Peek();
    if (sign == '+' || sign == '-') {
      if (!ScanNumber() || in_[pos_ - 1] != 'i') {
        return Error("bad number syntax: " + GoQuote(in_.substr(start_, pos_ - start_)));
      }
      return Emit(Tok::kComplex);
    }
    Emit(Tok::kNumber);
  }

  void LexQuote() {
    while (true) {
      int32_t r = Next();
      if (r == '\\') {
        r = Next();
        if (r != -1 && r != '\n') continue;
        return Error("unterminated quoted string");
      }
      if (r == -1 || r == '\n') return Error("unterminated quoted string");
      if (r == '"') break;
    }
    Emit(Tok::kString);
  }

  void LexRawQuote() {
    while (true) {
      int32_t r = Next();
      if (r == -1) return Error("unterminated raw quoted string");
      if (r == '`') break;
    }
    Emit(Tok::kRawString);
  }

  std::string_view in_;
  size_t pos_ = 0;
  size_t start_ = 0;
  size_t width_ = 0;
  int paren_depth_ = 0;
  bool inside_action_ = false;
  std::vector<Token> tokens_;
};

// strconv.UnquoteChar's escapes for a Go string or rune literal body; false on a bad escape.
bool UnquoteInto(std::string_view body, char quote, std::string* out) {
  for (size_t i = 0; i < body.size();) {
    auto [r, w] = RuneAt(body, i);
    if (r == quote) return false;
    if (r != '\\') {
      if (r < 0x80) {
        out->push_back(static_cast<char>(r));
      } else {
        out->append(body.substr(i, w));  // bytes as written, even when not UTF-8
      }
      i += w;
      continue;
    }
    if (i + 1 >= body.size()) return false;
    char e = body[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out->push_back('\a');
        continue;
      case 'b':
        out->push_back('\b');
        continue;
      case 'f':
        out->push_back('\f');
        continue;
      case 'n':
        out->push_back('\n');
        continue;
      case 'r':
        out->push_back('\r');
        continue;
      case 't':
        out->push_back('\t');
        continue;
      case 'v':
        out->push_back('\v');
        continue;
      case '\\':
        out->push_back('\\');
        continue;
      case '\'':
      case '"':
        if (e != quote) return false;
        out->push_back(e);
        continue;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
        if (i + n > body.size()) return false;
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          int d = promql::DigitValue(static_cast<unsigned char>(body[i + k]));
          if (d >= 16) return false;
          v = v * 16 + static_cast<uint32_t>(d);
        }
        i += n;
        if (e == 'x') {
          out->push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
          AppendUtf8(out, v);
        }
        continue;
      }
      default: {
        if (e < '0' || e > '7') return false;
        if (i + 2 > body.size()) return false;
        uint32_t v = static_cast<uint32_t>(e - '0');
        for (size_t k = 0; k < 2; ++k) {
          char c = body[i + k];
          if (c < '0' || c > '7') return false;
          v = v * 8 + static_cast<uint32_t>(c - '0');
        }
        if (v > 255) return false;
        i += 2;
        out->push_back(static_cast<char>(v));
        continue;
      }
    }
  }
  return true;
}

// strconv.Unquote of a "..." or `...` literal.
std::optional<std::string> GoUnquote(std::string_view quoted) {
  std::string out;
  if (quoted.size() < 2) return std::nullopt;
  std::string_view body = quoted.substr(1, quoted.size() - 2);
  if (quoted[0] == '`') {
    for (char c : body) {
      if (c != '\r') out.push_back(c);
    }
    return out;
  }
  if (!UnquoteInto(body, '"', &out)) return std::nullopt;
  return out;
}

// ---- Parse tree and parser ------------------------------------------------------------------

}  // namespace

std::shared_ptr<CompiledRegex> CompileRegex(std::string_view pattern) {
  auto c = std::make_shared<CompiledRegex>();
  c->pattern = std::string(pattern);
  re2::RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  if (!re->ok()) {
    c->error = GoRegexpError(*re);
    return c;
  }
  c->named_groups = re->NamedCapturingGroups();
  c->re = std::move(re);
  return c;
}

void RenderArg(const ArgNode& a, std::string* out) {
  switch (a.type) {
    case ArgType::kDot:
      *out += '.';
      return;
    case ArgType::kNil:
      *out += "nil";
      return;
    case ArgType::kBool:
      *out += a.b ? "true" : "false";
      return;
    case ArgType::kNumber:
    case ArgType::kString:
    case ArgType::kIdentifier:
      *out += a.text;
      return;
    case ArgType::kField:
      for (std::string_view id : a.idents) {
        *out += '.';
        *out += id;
      }
      return;
    case ArgType::kVariable:
      for (size_t i = 0; i < a.idents.size(); ++i) {
        if (i > 0) *out += '.';
        *out += a.idents[i];
      }
      return;
    case ArgType::kPipe:
      RenderPipe(*a.pipe, out);
      return;
    case ArgType::kChain:
      if (a.base->type == ArgType::kPipe) {
        *out += '(';
        RenderArg(*a.base, out);
        *out += ')';
      } else {
        RenderArg(*a.base, out);
      }
      for (std::string_view id : a.idents) {
        *out += '.';
        *out += id;
      }
      return;
  }
}

void RenderCommand(const CommandNode& c, std::string* out) {
  for (size_t i = 0; i < c.args.size(); ++i) {
    if (i > 0) *out += ' ';
    if (c.args[i].type == ArgType::kPipe) {
      *out += '(';
      RenderArg(c.args[i], out);
      *out += ')';
    } else {
      RenderArg(c.args[i], out);
    }
  }
}

void RenderPipe(const PipeNode& p, std::string* out) {
  if (!p.decl.empty()) {
    for (size_t i = 0; i < p.decl.size(); ++i) {
      if (i > 0) *out += ", ";
      *out += p.decl[i];
    }
    *out += p.is_assign ? " = " : " := ";
  }
  for (size_t i = 0; i < p.cmds.size(); ++i) {
    if (i > 0) *out += " | ";
    RenderCommand(p.cmds[i], out);
  }
}

void RenderNode(const Node& n, std::string* out) {
  auto branch = [&](std::string_view keyword) {
    *out += "{{";
    *out += keyword;
    *out += ' ';
    RenderPipe(*n.pipe, out);
    *out += "}}";
    for (const Node& c : n.list) RenderNode(c, out);
    if (n.has_else) {
      *out += "{{else}}";
      for (const Node& c : n.else_list) RenderNode(c, out);
    }
    *out += "{{end}}";
  };
  switch (n.type) {
    case NodeType::kText:
      *out += n.text;
      return;
    case NodeType::kAction:
      *out += "{{";
      RenderPipe(*n.pipe, out);
      *out += "}}";
      return;
    case NodeType::kIf:
      return branch("if");
    case NodeType::kWith:
      return branch("with");
    case NodeType::kRange:
      return branch("range");
    case NodeType::kBreak:
      *out += "{{break}}";
      return;
    case NodeType::kContinue:
      *out += "{{continue}}";
      return;
    case NodeType::kEnd:
      *out += "{{end}}";
      return;
    case NodeType::kElse:
      *out += "{{else}}";
      return;
  }
}

std::pair<int, size_t> LineAndColumn(std::string_view text, size_t pos) {
  std::string_view before = text.substr(0, pos);
  int line = 1 + static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  size_t nl = before.rfind('\n');
  return {line, nl == std::string_view::npos ? pos : pos - (nl + 1)};
}

namespace {

bool IsRegexFunction(const FuncDef* f) {
  // Loki's, then Prometheus' (a name is only found in its own function set).
  return f != nullptr && (f->name == "regexReplaceAll" || f->name == "regexReplaceAllLiteral" ||
                          f->name == "count" || f->name == "reReplaceAll" || f->name == "match");
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view name, std::vector<Token> tokens,
         FunctionSet functions)
      : text_(text), name_(name), tokens_(std::move(tokens)), functions_(functions) {}

  // Go's Tree.parse: the top-level list.
  bool Parse(std::vector<Node>* root) {
    while (Peek().type != Tok::kEOF) {
      if (Peek().type == Tok::kLeftDelim) {
        size_t at = idx_;
        NextTok();
        Tok t = NextNonSpace().type;
        if (t == Tok::kDefine) return Errorf("{{define}} is not supported");
        idx_ = at;
      }
      Node n;
      if (!TextOrAction(&n)) return false;
      if (n.type == NodeType::kEnd || n.type == NodeType::kElse) {
        std::string s;
        RenderNode(n, &s);
        return Errorf("unexpected " + s);
      }
      root->push_back(std::move(n));
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  const Token& NextTok() {
    const Token& t = tokens_[std::min(idx_, tokens_.size() - 1)];
    ++idx_;
    lexed_ = std::max(lexed_, std::min(idx_, tokens_.size()));
    return t;
  }
  void Backup() { --idx_; }
  const Token& Peek() {
    const Token& t = NextTok();
    Backup();
    return t;
  }
  const Token& NextNonSpace() {
    while (true) {
      const Token& t = NextTok();
      if (t.type != Tok::kSpace) return t;
    }
  }
  const Token& PeekNonSpace() {
    const Token& t = NextNonSpace();
    Backup();
    return t;
  }
  int LineOf(size_t pos) const { return LineAndColumn(text_, pos).first; }

  bool Errorf(std::string_view message) {
    const Token& latest = tokens_[std::min(lexed_ == 0 ? 0 : lexed_ - 1, tokens_.size() - 1)];
    error_ = fmt::format("template: {}:{}: {}", name_, LineOf(latest.pos), message);
    return false;
  }
  bool Unexpected(const Token& t, std::string_view context) {
    if (t.type == Tok::kError) {
      std::string extra;
      if (action_line_ != 0 && action_line_ != LineOf(t.pos)) {
        extra = fmt::format(" in action started at {}:{}", name_, action_line_);
        if (t.val.ends_with(" action")) extra = extra.substr(std::string_view(" in action").size());
      }
      return Errorf(std::string(t.val) + extra);
    }
    return Errorf(fmt::format("unexpected {} in {}", TokenString(t), context));
  }
  bool Expect(Tok type, std::string_view context, const Token** out) {
    const Token& t = NextNonSpace();
    if (t.type != type) return Unexpected(t, context);
    *out = &t;
    return true;
  }

  bool TextOrAction(Node* n) {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kText:
        n->type = NodeType::kText;
        n->pos = t.pos;
        n->text = t.val;
        return true;
      case Tok::kLeftDelim: {
        action_line_ = LineOf(t.pos);
        bool ok = Action(n);
        action_line_ = 0;
        return ok;
      }
      default:
        return Unexpected(t, "input");
    }
  }

  bool Action(Node* n) {
    const Token& t = NextNonSpace();
    switch (t.type) {
      case Tok::kBlock:
        return Errorf("{{block}} is not supported");
      case Tok::kTemplate:
        return Errorf("{{template}} is not supported");
      case Tok::kBreak:
      case Tok::kContinue: {
        bool is_break = t.type == Tok::kBreak;
        n->type = is_break ? NodeType::kBreak : NodeType::kContinue;
        n->pos = t.pos;
        const Token& next = NextNonSpace();
        if (next.type != Tok::kRightDelim) {
          return Unexpected(next, is_break ? "{{break}}" : "{{continue}}");
        }
        if (range_depth_ == 0) {
          return Errorf(is_break ? "{{break}} outside {{range}}"
                                 : "{{continue}} outside {{range}}");
        }
        return true;
      }
      case Tok::kElse: {
        const Token& peek = PeekNonSpace();
        n->type = NodeType::kElse;
        if (peek.type == Tok::kIf || peek.type == Tok::kWith) {
          n->pos = peek.pos;
          return true;
        }
        const Token* end = nullptr;
        if (!Expect(Tok::kRightDelim, "else", &end)) return false;
        n->pos = end->pos;
        return true;
      }
      case Tok::kEnd: {
        const Token* end = nullptr;
        if (!Expect(Tok::kRightDelim, "end", &end)) return false;
        n->type = NodeType::kEnd;
        n->pos = end->pos;
        return true;
      }
      case Tok::kIf:
        return Control(NodeType::kIf, "if", n);
      case Tok::kRange:
        return Control(NodeType::kRange, "range", n);
      case Tok::kWith:
        return Control(NodeType::kWith, "with", n);
      default:
        break;
    }
    Backup();
    n->type = NodeType::kAction;
    n->pos = Peek().pos;
    n->pipe = std::make_unique<PipeNode>();
    return Pipeline("command", Tok::kRightDelim, n->pipe.get());
  }

  // parseControl: {{if|with|range pipeline}} list [{{else}} list] {{end}}.
  bool Control(NodeType type, std::string_view context, Node* n) {
    if (depth_ >= kMaxDepth) return Errorf("max expression depth exceeded");
    ++depth_;
    bool ok = ControlBody(type, context, n);
    --depth_;
    return ok;
  }

  bool ControlBody(NodeType type, std::string_view context, Node* n) {
    size_t vars = vars_.size();
    n->type = type;
    n->pipe = std::make_unique<PipeNode>();
    if (!Pipeline(context, Tok::kRightDelim, n->pipe.get())) return false;
    n->pos = n->pipe->pos;
    if (type == NodeType::kRange) ++range_depth_;
    Node next;
    if (!ItemList(&n->list, &next)) return false;
    if (type == NodeType::kRange) --range_depth_;
    if (next.type == NodeType::kElse) {
      n->has_else = true;
      if (type == NodeType::kIf && Peek().type == Tok::kIf) {
        NextTok();
        Node nested;
        if (!Control(NodeType::kIf, "if", &nested)) return false;
        n->else_list.push_back(std::move(nested));
      } else if (type == NodeType::kWith && Peek().type == Tok::kWith) {
        NextTok();
        Node nested;
        if (!Control(NodeType::kWith, "with", &nested)) return false;
        n->else_list.push_back(std::move(nested));
      } else {
        Node end;
        if (!ItemList(&n->else_list, &end)) return false;
        if (end.type != NodeType::kEnd) {
          std::string s;
          RenderNode(end, &s);
          return Errorf("expected end; found " + s);
        }
      }
    }
    vars_.resize(vars);
    return true;
  }

  // itemList: nodes up to {{end}} or {{else}}, which is returned in *next.
  bool ItemList(std::vector<Node>* list, Node* next) {
    while (PeekNonSpace().type != Tok::kEOF) {
      Node n;
      if (!TextOrAction(&n)) return false;
      if (n.type == NodeType::kEnd || n.type == NodeType::kElse) {
        *next = std::move(n);
        return true;
      }
      list->push_back(std::move(n));
    }
    return Errorf("unexpected EOF");
  }

  bool Pipeline(std::string_view context, Tok end, PipeNode* pipe) {
    pipe->pos = PeekNonSpace().pos;
    while (true) {  // declarations
      const Token& v = PeekNonSpace();
      if (v.type != Tok::kVariable) break;
      size_t at = idx_;
      NextTok();
      const Token& next = PeekNonSpace();
      if (next.type == Tok::kAssign || next.type == Tok::kDeclare) {
        pipe->is_assign = next.type == Tok::kAssign;
        NextNonSpace();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        break;
      }
      if (next.type == Tok::kChar && next.val == ",") {
        NextNonSpace();
        pipe->decl.push_back(v.val);
        vars_.push_back(v.val);
        if (context == "range" && pipe->decl.size() < 2) {
          Tok t = PeekNonSpace().type;
          if (t == Tok::kVariable || t == Tok::kRightDelim || t == Tok::kRightParen) continue;
          return Errorf("range can only initialize variables");
        }
        return Errorf(fmt::format("too many declarations in {}", context));
      }
      idx_ = at;
      break;
    }
    while (true) {
      const Token& t = NextNonSpace();
      if (t.type == end) return CheckPipeline(*pipe, context);
      switch (t.type) {
        case Tok::kBool:
        case Tok::kCharConstant:
        case Tok::kComplex:
        case Tok::kDot:
        case Tok::kField:
        case Tok::kIdentifier:
        case Tok::kNumber:
        case Tok::kNil:
        case Tok::kRawString:
        case Tok::kString:
        case Tok::kVariable:
        case Tok::kLeftParen: {
          Backup();
          CommandNode cmd;
          if (!Command(&cmd)) return false;
          pipe->cmds.push_back(std::move(cmd));
          break;
        }
        default:
          return Unexpected(t, context);
      }
    }
  }

  bool CheckPipeline(const PipeNode& pipe, std::string_view context) {
    if (pipe.cmds.empty()) return Errorf(fmt::format("missing value for {}", context));
    for (size_t i = 1; i < pipe.cmds.size(); ++i) {
      switch (pipe.cmds[i].args[0].type) {
        case ArgType::kBool:
        case ArgType::kDot:
        case ArgType::kNil:
        case ArgType::kNumber:
        case ArgType::kString:
          return Errorf(fmt::format("non executable command in pipeline stage {}", i + 1));
        default:
          break;
      }
    }
    return true;
  }

  bool Command(CommandNode* cmd) {
    cmd->pos = PeekNonSpace().pos;
    while (true) {
      PeekNonSpace();
      ArgNode operand;
      bool found = false;
      if (!Operand(&operand, &found)) return false;
      if (found) cmd->args.push_back(std::move(operand));
      const Token& t = NextTok();
      if (t.type == Tok::kSpace) continue;
      if (t.type == Tok::kRightDelim || t.type == Tok::kRightParen) {
        Backup();
      } else if (t.type != Tok::kPipe) {
        return Unexpected(t, "operand");
      }
      break;
    }
    if (cmd->args.empty()) return Errorf("empty command");
    const ArgNode& first = cmd->args[0];
    if (first.type == ArgType::kIdentifier && IsRegexFunction(first.func) &&
        cmd->args.size() >= 2 && cmd->args[1].type == ArgType::kString) {
      cmd->regex = CompileRegex(cmd->args[1].str);
    }
    return true;
  }

  bool Operand(ArgNode* node, bool* found) {
    if (!Term(node, found)) return false;
    if (!*found) return true;
    if (Peek().type != Tok::kField) return true;
    size_t chain_pos = Peek().pos;
    std::vector<std::string_view> fields;
    while (Peek().type == Tok::kField) fields.push_back(NextTok().val.substr(1));
    switch (node->type) {
      case ArgType::kField:
      case ArgType::kVariable:
        node->pos = chain_pos;
        node->idents.insert(node->idents.end(), fields.begin(), fields.end());
        return true;
      case ArgType::kBool:
      case ArgType::kString:
      case ArgType::kNumber:
      case ArgType::kNil:
      case ArgType::kDot: {
        std::string s;
        RenderArg(*node, &s);
        return Errorf(fmt::format("unexpected . after term {}", GoQuote(s)));
      }
      default: {
        auto base = std::make_unique<ArgNode>(std::move(*node));
        *node = ArgNode();
        node->type = ArgType::kChain;
        node->pos = chain_pos;
        node->base = std::move(base);
        node->idents = std::move(fields);
        return true;
      }
    }
  }

  bool Term(ArgNode* node, bool* found) {
    const Token& t = NextNonSpace();
    *found = true;
    node->pos = t.pos;
    node->text = t.val;
    switch (t.type) {
      case Tok::kIdentifier:
        node->type = ArgType::kIdentifier;
        node->func = FindFunction(functions_, t.val);
        if (node->func == nullptr) {
          return Errorf(fmt::format("function {} not defined", GoQuote(t.val)));
        }
        return true;
      case Tok::kDot:
        node->type = ArgType::kDot;
        return true;
      case Tok::kNil:
        node->type = ArgType::kNil;
        return true;
      case Tok::kVariable:
        node->type = ArgType::kVariable;
        node->idents.push_back(t.val);
        if (std::find(vars_.begin(), vars_.end(), t.val) == vars_.end()) {
          return Errorf(fmt::format("undefined variable {}", GoQuote(t.val)));
        }
        return true;
      case Tok::kField:
        node->type = ArgType::kField;
        node->idents.push_back(t.val.substr(1));
        return true;
      case Tok::kBool:
        node->type = ArgType::kBool;
        node->b = t.val == "true";
        return true;
      case Tok::kCharConstant:
      case Tok::kComplex:
      case Tok::kNumber:
        node->type = ArgType::kNumber;
        return NewNumber(t, &node->num);
      case Tok::kLeftParen: {
        if (depth_ >= kMaxDepth) return Errorf("max expression depth exceeded");
        ++depth_;
        node->type = ArgType::kPipe;
        node->pipe = std::make_unique<PipeNode>();
        bool ok = Pipeline("parenthesized pipeline", Tok::kRightParen, node->pipe.get());
        --depth_;
        node->pos = node->pipe->pos;
        return ok;
      }
      case Tok::kString:
      case Tok::kRawString: {
        node->type = ArgType::kString;
        auto s = GoUnquote(t.val);
        if (!s) return Errorf("invalid syntax");
        node->str = std::move(*s);
        return true;
      }
      default:
        Backup();
        *found = false;
        return true;
    }
  }

  // parse.newNumber.
  bool NewNumber(const Token& t, NumberInfo* n) {
    std::string_view text = t.val;
    if (t.type == Tok::kCharConstant) {
      std::string_view body = text.substr(1, text.size() - 2);
      int32_t r = -1;
      if (!body.empty() && body[0] != '\\') {
        auto [rr, w] = RuneAt(body, 0);
        if (w == body.size()) r = rr;
      } else if (body.size() >= 2) {
        std::string value;
        bool byte_escape = body[1] == 'x' || (body[1] >= '0' && body[1] <= '7');
        if (UnquoteInto(body, '\'', &value) && !value.empty()) {
          if (byte_escape && value.size() == 1) {
            r = static_cast<unsigned char>(value[0]);
          } else if (!byte_escape) {
            auto [rr, w] = RuneAt(value, 0);
            if (w == value.size()) r = rr;
          }
        }
      }
      if (r < 0) {
        if (body.empty() || body == "'") return Errorf("invalid syntax");
        return Errorf(fmt::format("malformed character constant: {}", text));
      }
      n->is_int = n->is_uint = n->is_float = true;
      n->i = r;
      n->u = static_cast<uint64_t>(r);
      n->f = r;
      return true;
    }
    if (t.type == Tok::kComplex ||
        (!text.empty() && text.back() == 'i' && GoParseFloat(text.substr(0, text.size() - 1)))) {
      return Errorf("complex constants are not supported");
    }
    auto u = GoParseUint(text, 0);
    if (u) {
      n->is_uint = true;
      n->u = *u;
    }
    auto i = GoParseInt(text, 0);
    if (i) {
      n->is_int = true;
      n->i = *i;
      if (*i == 0) {
        n->is_uint = true;
        n->u = 0;
      }
    }
    if (n->is_int) {
      n->is_float = true;
      n->f = static_cast<double>(n->i);
    } else if (n->is_uint) {
      n->is_float = true;
      n->f = static_cast<double>(n->u);
    } else if (auto f = GoParseFloat(text)) {
      if (text.find_first_of(".eEpP") == std::string_view::npos) {
        return Errorf(fmt::format("integer overflow: {}", text));
      }
      n->is_float = true;
      n->f = *f;
      if (*f >= -9223372036854775808.0 && *f < 9223372036854775808.0 &&
          static_cast<double>(static_cast<int64_t>(*f)) == *f) {
        n->is_int = true;
        n->i = static_cast<int64_t>(*f);
      }
      if (*f >= 0 && *f < 18446744073709551616.0 &&
          static_cast<double>(static_cast<uint64_t>(*f)) == *f) {
        n->is_uint = true;
        n->u = static_cast<uint64_t>(*f);
      }
    }
    if (!n->is_int && !n->is_uint && !n->is_float) {
      return Errorf(fmt::format("illegal number syntax: {}", GoQuote(text)));
    }
    return true;
  }

  // Nesting of parentheses and control actions: Go allows 10000 parentheses on its growable
  // stacks; a thread's fixed stack here takes fewer.
  static constexpr int kMaxDepth = 100;

  std::string_view text_;
  std::string_view name_;
  std::vector<Token> tokens_;
  FunctionSet functions_;
  size_t idx_ = 0;
  size_t lexed_ = 0;
  std::vector<std::string_view> vars_ = {"$"};
  int action_line_ = 0;
  int range_depth_ = 0;
  int depth_ = 0;
  std::string error_;
};

}  // namespace

Status ParseTemplate(std::string_view text, std::string_view name, std::vector<Node>* root,
                     FunctionSet functions) {
  Parser parser(text, name, Lexer(text).Run(), functions);
  if (!parser.Parse(root)) return Status::InvalidArgument(parser.error());
  return Status::Ok();
}

void CollectFields(const PipeNode& p, std::vector<std::string>* out);
void CollectFields(const std::vector<Node>& nodes, std::vector<std::string>* out) {
  for (const Node& n : nodes) {
    if (n.pipe) CollectFields(*n.pipe, out);
    CollectFields(n.list, out);
    CollectFields(n.else_list, out);
  }
}
void CollectFields(const PipeNode& p, std::vector<std::string>* out) {
  for (const CommandNode& c : p.cmds) {
    for (const ArgNode& a : c.args) {
      if (a.type == ArgType::kField) {
        for (std::string_view id : a.idents) out->emplace_back(id);
      } else if (a.type == ArgType::kPipe) {
        CollectFields(*a.pipe, out);
      }
    }
  }
}

}  // namespace sluice::query::logql::template_internal
