#include "pipeline/decoders/vm_import.h"

namespace sluice::pipeline {}  // namespace sluice::pipeline
