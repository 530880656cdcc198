// What Sluice reads back from disk must never crash it, however damaged: WAL records, blocks,
// structured metadata.
#include <string>
#include <vector>

#include "storage/log_block.h"
#include "storage/metadata_codec.h"
#include "storage/wal_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  sluice::storage::WalRecordReader reader(in);
  if (reader.Open().ok()) {
    sluice::storage::Labels labels;
    uint64_t count = 0;
    while (reader.NextStream(&labels, &count)) {
      int64_t ts;
      std::string_view line, md;
      for (uint64_t i = 0; i < count && reader.NextEntry(&ts, &line, &md); ++i) {
      }
    }
  }
  auto block = sluice::storage::DecodedBlock::Decode(in);
  if (block.ok()) {
    for (size_t i = 0; i < block->size(); ++i) {
      (void)block->line(i);
      (void)block->metadata(i);
    }
  }
  std::vector<std::pair<std::string_view, std::string_view>> pairs;
  (void)sluice::storage::DecodeMetadata(in, &pairs);
  return 0;
}
