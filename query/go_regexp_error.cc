#include "query/go_regexp_error.h"

#include <fmt/format.h>

#include <string_view>

namespace sluice::query {
namespace {

// Go's ErrorCode strings for the RE2 codes that have one; empty for the rest.
std::string_view GoCode(re2::RE2::ErrorCode code) {
  switch (code) {
    case re2::RE2::ErrorBadEscape:
      return "invalid escape sequence";
    case re2::RE2::ErrorBadCharClass:
      return "invalid character class";
    case re2::RE2::ErrorBadCharRange:
      return "invalid character class range";
    case re2::RE2::ErrorMissingBracket:
      return "missing closing ]";
    case re2::RE2::ErrorMissingParen:
      return "missing closing )";
    case re2::RE2::ErrorUnexpectedParen:
      return "unexpected )";
    case re2::RE2::ErrorTrailingBackslash:
      return "trailing backslash at end of expression";
    case re2::RE2::ErrorRepeatArgument:
      return "missing argument to repetition operator";
    case re2::RE2::ErrorRepeatSize:
      return "invalid repeat count";
    case re2::RE2::ErrorRepeatOp:
      return "invalid nested repetition operator";
    case re2::RE2::ErrorBadPerlOp:
      return "invalid or unsupported Perl syntax";
    case re2::RE2::ErrorBadUTF8:
      return "invalid UTF-8";
    case re2::RE2::ErrorBadNamedCapture:
      return "invalid named capture";
    default:
      return {};
  }
}

}  // namespace

std::string GoRegexpError(const re2::RE2& re) {
  // Go reports a program over its size limit without the offending text.
  if (re.error_code() == re2::RE2::ErrorPatternTooLarge) {
    return "error parsing regexp: expression too large";
  }
  std::string_view code = GoCode(re.error_code());
  if (code.empty()) return fmt::format("error parsing regexp: {}", re.error());
  return fmt::format("error parsing regexp: {}: `{}`", code, re.error_arg());
}

}  // namespace sluice::query
