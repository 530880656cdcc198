#include <string>

#include "pipeline/content_decoding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string out;
  for (auto encoding :
       {sluice::pipeline::ContentEncoding::kGzip, sluice::pipeline::ContentEncoding::kDeflate,
        sluice::pipeline::ContentEncoding::kZstd, sluice::pipeline::ContentEncoding::kSnappy}) {
    (void)sluice::pipeline::DecodeContent(encoding, in, 1 << 20, out);
  }
  return 0;
}
