#include "pipeline/decoders/influx_line.h"

namespace sluice::pipeline {}  // namespace sluice::pipeline
