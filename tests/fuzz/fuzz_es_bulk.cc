#include "pipeline/decoders/es_bulk.h"
#include "tests/fuzz/fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static sluice::fuzz::Context c;
  static sluice::pipeline::FieldMapping mapping;
  sluice::storage::LogBatch batch("fuzz");
  std::vector<sluice::pipeline::BulkItem> items;
  (void)sluice::pipeline::DecodeEsBulk(sluice::fuzz::Padded(data, size),
                                       sluice::pipeline::BulkRequest{&mapping, "idx"}, c.ctx,
                                       &batch, &items);
  return 0;
}
