#include "pipeline/decoders/otlp_metrics.h"

namespace sluice::pipeline {}  // namespace sluice::pipeline
