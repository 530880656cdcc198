#include "pipeline/decoders/loki_push_json.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::fuzz::Context c;
  sluice::storage::LogBatch batch("fuzz");
  (void)sluice::pipeline::DecodeLokiPushJson(sluice::fuzz::Padded(data, size), c.ctx, &batch);
  return 0;
}
