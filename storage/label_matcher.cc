#include "storage/label_matcher.h"

#include <fmt/format.h>

namespace sluice::storage {

std::string_view MatchOpString(MatchOp op) {
  switch (op) {
    case MatchOp::kEqual:
      return "=";
    case MatchOp::kNotEqual:
      return "!=";
    case MatchOp::kRegexMatch:
      return "=~";
    case MatchOp::kRegexNoMatch:
      return "!~";
  }
  return "?";
}

Result<LabelMatcher> LabelMatcher::Make(MatchOp op, std::string name, std::string value) {
  LabelMatcher m;
  m.op_ = op;
  m.name_ = std::move(name);
  m.value_ = std::move(value);
  if (op == MatchOp::kRegexMatch || op == MatchOp::kRegexNoMatch) {
    RE2::Options options;
    options.set_log_errors(false);
    // Prometheus 2.x (and Loki 2.x, which uses its matchers) compile `^(?:re)$` with Go's
    // defaults: `.` does not match a newline (Prometheus 3 changed that).
    options.set_dot_nl(false);
    auto re = std::make_shared<RE2>("^(?:" + m.value_ + ")$", options);
    if (!re->ok()) {
      return Status::InvalidArgument(
          fmt::format("invalid regex \"{}\" for label {}: {}", m.value_, m.name_, re->error()));
    }
    m.regex_ = std::move(re);
  }
  return m;
}

bool LabelMatcher::Matches(std::string_view value) const {
  switch (op_) {
    case MatchOp::kEqual:
      return value == value_;
    case MatchOp::kNotEqual:
      return value != value_;
    case MatchOp::kRegexMatch:
      return RE2::FullMatch(value, *regex_);
    case MatchOp::kRegexNoMatch:
      return !RE2::FullMatch(value, *regex_);
  }
  return false;
}

std::string LabelMatcher::ToString() const {
  std::string out = name_;
  out += MatchOpString(op_);
  out += '"';
  for (char c : value_) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

}  // namespace sluice::storage
