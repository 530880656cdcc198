// Helpers for the decoder tests: padded bodies, fixtures, and a readable view of a LogBatch.
#pragma once

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "pipeline/content_decoding.h"
#include "pipeline/decoders/decode_context.h"
#include "storage/log_batch.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline::testing {

// A copy of `s` with the spare capacity decoders may read into (HttpRequest::body has it).
inline std::string Padded(std::string_view s) {
  std::string out;
  out.reserve(s.size() + kParsePadding);
  out.assign(s);
  return out;
}

inline std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/shippers/" + name, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return Padded(s.str());
}

struct DecodedEntry {
  std::string labels;  // {a="b"}
  int64_t ts;
  std::string line;
  std::map<std::string, std::string> metadata;
};

inline std::vector<DecodedEntry> Entries(const storage::LogBatch& batch) {
  std::vector<DecodedEntry> out;
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  for (const storage::LogEntry& e : batch.entries()) {
    DecodedEntry d;
    d.labels = storage::LabelsToString(batch.streams()[e.stream].labels);
    d.ts = e.timestamp_ns;
    d.line = std::string(batch.Text(e.line));
    storage::DecodeMetadata(batch.Text(e.metadata), &pairs);
    for (auto& [k, v] : pairs) d.metadata[std::string(k)] = std::string(v);
    out.push_back(std::move(d));
  }
  return out;
}

class DecoderTest : public ::testing::Test {
 protected:
  DecodeContext Ctx() { return DecodeContext{kNow, &limits_, &parser_}; }
  static constexpr int64_t kNow = 1'700'000'000'000'000'000;
  IngestLimits limits_;
  simdjson::ondemand::parser parser_;
  storage::LogBatch batch_{"tenant"};
};

}  // namespace sluice::pipeline::testing
