#include "pipeline/decoders/remote_write.h"

namespace sluice::pipeline {}  // namespace sluice::pipeline
