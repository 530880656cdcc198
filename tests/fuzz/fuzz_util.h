// Shared by the libFuzzer targets: the input as a padded body, and a decode context.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "pipeline/content_decoding.h"
#include "pipeline/decoders/decode_context.h"

namespace sluice::fuzz {

inline std::string Padded(const uint8_t* data, size_t size) {
  std::string s;
  s.reserve(size + pipeline::kParsePadding);
  s.assign(reinterpret_cast<const char*>(data), size);
  return s;
}

struct Context {
  pipeline::IngestLimits limits;
  simdjson::ondemand::parser parser;
  pipeline::DecodeContext ctx{1'700'000'000'000'000'000, &limits, &parser};
};

}  // namespace sluice::fuzz
