#include "pipeline/decoders/loki_push_proto.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::fuzz::Context c;
  std::string body = sluice::fuzz::Padded(data, size);
  sluice::storage::LogBatch batch("fuzz");
  // Both as snappy-compressed (what clients send) and as the raw message.
  (void)sluice::pipeline::DecodeLokiPushProto(body, false, 1 << 24, c.ctx, &batch);
  (void)sluice::pipeline::DecodeLokiPushProto(body, true, 1 << 24, c.ctx, &batch);
  return 0;
}
