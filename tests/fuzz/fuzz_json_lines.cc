#include "pipeline/decoders/json_lines.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::fuzz::Context c;
  static sluice::pipeline::FieldMapping mapping = [] {
    sluice::pipeline::FieldMapping m;
    m.stream_fields = {"app", "host.name"};
    m.ignore_fields = {"secret*"};
    m.extra_fields = {{"env", "fuzz"}};
    return m;
  }();
  static sluice::pipeline::FieldMapping plain;
  std::string body = sluice::fuzz::Padded(data, size);
  sluice::storage::LogBatch batch("fuzz");
  (void)sluice::pipeline::DecodeJsonLines(body, mapping, c.ctx, &batch);
  int64_t rejected = 0;
  std::string first;
  sluice::pipeline::DecodeJsonLinesLenient(body, plain, c.ctx, &batch, &rejected, &first);
  return 0;
}
