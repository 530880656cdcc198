// Loading and validating the YAML config (schema: config/sluice.yaml, struct: config/config.h).
//
// Every problem in a file is reported, one per line, in the form
//   limits.max_line_bytes at sluice.yaml:12:3: expected a size like 256KiB, got "lots"
// so an operator can fix them all in one pass. Unknown keys, wrong types and out-of-range values
// are errors; absent keys keep their defaults.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "config/env_expansion.h"

namespace sluice::config {

// Parses `yaml_text`; `file_name` is only used in error messages.
Result<Config> LoadConfigFromString(std::string_view yaml_text, std::string_view file_name,
                                    const EnvLookup& env = ProcessEnv());

// Reads and parses the file at `path`.
Result<Config> LoadConfigFile(const std::string& path, const EnvLookup& env = ProcessEnv());

// The config shipped as config/sluice.yaml, compiled into the binary; used when no --config is
// given.
std::string_view DefaultConfigYaml();

}  // namespace sluice::config
