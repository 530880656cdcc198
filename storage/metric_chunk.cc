#include "storage/metric_chunk.h"

namespace sluice::storage {}  // namespace sluice::storage
