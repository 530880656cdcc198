// The small text parsers on the request path: label strings, selectors, timestamps, query times,
// sizes, durations, field lists.
#include <string>

#include "base/units.h"
#include "pipeline/field_mapping.h"
#include "pipeline/label_string_parser.h"
#include "pipeline/timestamp_parser.h"
#include "query/selector_parser.h"
#include "query/time_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  (void)sluice::pipeline::ParseLabelString(text);
  (void)sluice::query::ParseSelector(text);
  (void)sluice::pipeline::ParseTimestamp(text);
  (void)sluice::pipeline::ParseTimestamp(text, sluice::pipeline::IntegerUnit::kNanoseconds);
  (void)sluice::query::ParseQueryTime(text);
  (void)sluice::ParseByteSize(text);
  (void)sluice::ParseDuration(text);
  (void)sluice::pipeline::ParseExtraFields(text);
  return 0;
}
