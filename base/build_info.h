// What this binary is: its version and where it was built from.
#pragma once

#include <string_view>

namespace sluice {

struct BuildInfo {
  std::string_view version;   // Sluice's own semantic version
  std::string_view revision;  // git commit the build came from, or "unknown"
  std::string_view branch;
  std::string_view build_date;  // UTC, "20261123-11:40:00"
  std::string_view compiler;
};

const BuildInfo& GetBuildInfo();

}  // namespace sluice
