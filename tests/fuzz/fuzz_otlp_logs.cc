#include "pipeline/decoders/otlp_logs.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::fuzz::Context c;
  static sluice::pipeline::OtlpOptions options;
  std::string body = sluice::fuzz::Padded(data, size);
  sluice::storage::LogBatch batch("fuzz");
  sluice::pipeline::OtlpResult result;
  (void)sluice::pipeline::DecodeOtlpLogsJson(body, options, c.ctx, &batch, &result);
  (void)sluice::pipeline::DecodeOtlpLogsProto(body, options, c.ctx, &batch, &result);
  return 0;
}
