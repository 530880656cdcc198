#include "query/selector_parser.h"

#include <fmt/format.h>

#include "pipeline/label_string_parser.h"

namespace sluice::query {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsNameChar(char c) { return IsNameStart(c) || (c >= '0' && c <= '9'); }

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  Result<storage::LabelMatchers> Parse() {
    storage::LabelMatchers matchers;
    SkipSpace();
    if (pos_ < s_.size() && (IsNameStart(s_[pos_]) || s_[pos_] == ':')) {
      size_t start = pos_;
      while (pos_ < s_.size() && (IsNameChar(s_[pos_]) || s_[pos_] == ':')) ++pos_;
      SLUICE_ASSIGN_OR_RETURN(
          storage::LabelMatcher name,
          storage::LabelMatcher::Make(storage::MatchOp::kEqual, "__name__",
                                      std::string(s_.substr(start, pos_ - start))));
      matchers.push_back(std::move(name));
      SkipSpace();
      if (pos_ == s_.size()) return matchers;
    }
    if (pos_ >= s_.size() || s_[pos_] != '{') return Error("expected \"{\"");
    ++pos_;
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
      } else if (s_[pos_] == '"') {
        Result<std::string> quoted = pipeline::UnquoteGoString(s_, &pos_);
        if (!quoted.ok()) return Error(quoted.status().message());
        name = std::move(quoted).value();
      } else {
        return Error(fmt::format("unexpected character inside braces: '{}'", s_[pos_]));
      }
      SkipSpace();
      storage::MatchOp op;
      if (s_.substr(pos_, 2) == "=~") {
        op = storage::MatchOp::kRegexMatch;
        pos_ += 2;
      } else if (s_.substr(pos_, 2) == "!~") {
        op = storage::MatchOp::kRegexNoMatch;
        pos_ += 2;
      } else if (s_.substr(pos_, 2) == "!=") {
        op = storage::MatchOp::kNotEqual;
        pos_ += 2;
      } else if (s_.substr(pos_, 1) == "=") {
        op = storage::MatchOp::kEqual;
        pos_ += 1;
      } else {
        return Error("unexpected character in label matcher, expected one of =, !=, =~, !~");
      }
      SkipSpace();
      if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'' && s_[pos_] != '`')) {
        return Error("unexpected character in label matcher, expected string");
      }
      Result<std::string> value = pipeline::UnquoteGoString(s_, &pos_);
      if (!value.ok()) return Error(value.status().message());
      Result<storage::LabelMatcher> m = storage::LabelMatcher::Make(op, name, std::move(value).value());
      if (!m.ok()) return Error(m.status().message());
      matchers.push_back(std::move(m).value());
      SkipSpace();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') continue;
      return Error("unexpected character in label matchers, expected \",\" or \"}\"");
    }
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected characters after the selector");
    return matchers;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  Status Error(std::string_view what) const {
    return Status::InvalidArgument(
        fmt::format("parse error at line 1, col {}: {}", pos_ + 1, what));
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<storage::LabelMatchers> ParseSelector(std::string_view text) { return Parser(text).Parse(); }

}  // namespace sluice::query
