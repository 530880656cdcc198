#include "config/env_expansion.h"

#include <fmt/format.h>

#include <cstdlib>

namespace sluice::config {

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i];
    if (c != '$' || i + 1 == text.size()) {
      out += c;
      ++i;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      i += 2;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      ++i;
      continue;
    }
    size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument(fmt::format("unterminated ${{ in \"{}\"", text));
    }
    std::string_view inner = text.substr(i + 2, close - i - 2);
    std::optional<std::string_view> fallback;
    if (size_t sep = inner.find(":-"); sep != std::string_view::npos) {
      fallback = inner.substr(sep + 2);
      inner = inner.substr(0, sep);
    }
    if (inner.empty())
      return Status::InvalidArgument(fmt::format("empty variable name in \"{}\"", text));
    std::optional<std::string> value = env(std::string(inner));
    if (fallback && (!value || value->empty())) {
      out += *fallback;
    } else if (value) {
      out += *value;
    } else {
      return Status::InvalidArgument(
          fmt::format("environment variable {} is not set (write ${{{}:-default}} to allow that)",
                      inner, inner));
    }
    i = close + 1;
  }
  return out;
}

}  // namespace sluice::config
