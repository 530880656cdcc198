// Process-wide logging through spdlog: to stderr (journald adds its own timestamps), as text or as
// one JSON object per line.
#pragma once

#include <string_view>

#include "base/status.h"
#include "config/config.h"

namespace sluice::daemon {

// Installs the default logger. Safe to call again (a reload) to change the level.
Status ConfigureLogging(const config::LogConfig& config);

}  // namespace sluice::daemon
