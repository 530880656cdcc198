#include "pipeline/label_string_parser.h"

#include <fmt/format.h>

#include "base/utf8.h"

namespace sluice::pipeline {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

int Hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<storage::Labels> Parse() {
    storage::Labels labels;
    SkipSpace();
    if (pos_ < s_.size() && IsNameStart(s_[pos_])) {
      size_t start = pos_;
      while (pos_ < s_.size() && (IsNameChar(s_[pos_]) || s_[pos_] == ':')) ++pos_;
      labels.push_back(storage::Label{"__name__", std::string(s_.substr(start, pos_ - start))});
      SkipSpace();
      if (pos_ == s_.size()) return labels;
    }
    if (pos_ == s_.size() && labels.empty()) return labels;
    if (!Expect('{')) return Error("unexpected character, expected \"{\"");
    while (true) {
      SkipSpace();
      if (pos_ >= s_.size()) return Error("unexpected end of input inside braces");
      if (s_[pos_] == '}') {
        ++pos_;
        break;
      }
      std::string name;
      if (IsNameStart(s_[pos_])) {
        size_t start = pos_;
        while (pos_ < s_.size() && IsNameChar(s_[pos_])) ++pos_;
        name = std::string(s_.substr(start, pos_ - start));
      } else if (s_[pos_] == '"' || s_[pos_] == '\'') {
        Result<std::string> quoted = UnquoteGoString(s_, &pos_);
        if (!quoted.ok()) return Error(quoted.status().message());
        name = std::move(quoted).value();
      } else {
        return Error(fmt::format("unexpected character inside braces: '{}'", s_[pos_]));
      }
      SkipSpace();
      if (pos_ < s_.size() &&
          (s_[pos_] == '!' || (s_[pos_] == '=' && pos_ + 1 < s_.size() && s_[pos_ + 1] == '~'))) {
        return Error("only = is allowed in a stream's labels");
      }
      if (!Expect('=')) return Error("unexpected character in label set, expected \"=\"");
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'' && s_[pos_] != '`')) {
        return Error("unexpected character in label set, expected string");
      }
      Result<std::string> value = UnquoteGoString(s_, &pos_);
      if (!value.ok()) return Error(value.status().message());
      labels.push_back(storage::Label{std::move(name), std::move(value).value()});
      SkipSpace();
      if (pos_ >= s_.size()) return Error("unexpected end of input inside braces");
      if (s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (s_[pos_] == '}') continue;
      return Error("unexpected character in label set, expected \",\" or \"}\"");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected characters after the label set");
    return labels;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  bool Expect(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  Status Error(std::string_view what) const {
    return Status::InvalidArgument(
        fmt::format("couldn't parse labels: 1:{}: parse error: {}", pos_ + 1, what));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<std::string> UnquoteGoString(std::string_view s, size_t* pos) {
  char quote = s[*pos];
  size_t i = *pos + 1;
  std::string out;
  if (quote == '`') {
    size_t end = s.find('`', i);
    if (end == std::string_view::npos) return Status::InvalidArgument("unterminated raw string");
    *pos = end + 1;
    return std::string(s.substr(i, end - i));
  }
  while (true) {
    if (i >= s.size() || s[i] == '\n') return Status::InvalidArgument("unterminated quoted string");
    char c = s[i];
    if (c == quote) {
      *pos = i + 1;
      return out;
    }
    if (c != '\\') {
      out.push_back(c);
      ++i;
      continue;
    }
    if (++i >= s.size()) return Status::InvalidArgument("unterminated quoted string");
    char e = s[i++];
    switch (e) {
      case 'a':
        out.push_back('\a');
        break;
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'v':
        out.push_back('\v');
        break;
      case '\\':
        out.push_back('\\');
        break;
      case '"':
      case '\'':
        if (e != quote)
          return Status::InvalidArgument(fmt::format("unknown escape sequence \\{}", e));
        out.push_back(e);
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        uint32_t v = 0;
        for (size_t k = 0; k < digits; ++k) {
          int h = i + k < s.size() ? Hex(s[i + k]) : -1;
          if (h < 0) return Status::InvalidArgument("invalid escape sequence");
          v = v * 16 + static_cast<uint32_t>(h);
        }
        i += digits;
        if (e == 'x') {
          out.push_back(static_cast<char>(v));
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
            return Status::InvalidArgument("escape sequence is an invalid Unicode code point");
          }
          AppendUtf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (int k = 0; k < 2; ++k) {
            if (i >= s.size() || s[i] < '0' || s[i] > '7') {
              return Status::InvalidArgument("invalid octal escape sequence");
            }
            v = v * 8 + static_cast<uint32_t>(s[i++] - '0');
          }
          if (v > 255) return Status::InvalidArgument("octal escape value > 255");
          out.push_back(static_cast<char>(v));
          break;
        }
        return Status::InvalidArgument(fmt::format("unknown escape sequence \\{}", e));
    }
  }
}

Result<storage::Labels> ParseLabelString(std::string_view text) { return Parser(text).Parse(); }

}  // namespace sluice::pipeline
