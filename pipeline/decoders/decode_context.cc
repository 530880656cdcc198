#include "pipeline/decoders/decode_context.h"

#include "pipeline/content_decoding.h"

namespace sluice::pipeline {

simdjson::padded_string_view PaddedView(std::string_view body) {
  return simdjson::padded_string_view(body.data(), body.size(), body.size() + kParsePadding);
}

std::string_view TrimJsonToken(std::string_view token) {
  while (!token.empty() &&
         (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' || token.back() == '\t')) {
    token.remove_suffix(1);
  }
  return token;
}

}  // namespace sluice::pipeline
