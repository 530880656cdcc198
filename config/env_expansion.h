// ${VAR} expansion in config values, as Loki's -config.expand-env does it.
//
//   ${VAR}           the variable's value; an unset variable is an error (a typo must not silently
//                    become an empty listen address or data dir)
//   ${VAR:-default}  the value, or `default` when VAR is unset or empty
//   $$               a literal $
// Any other $ is kept as it is.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::config {

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Looks variables up in the process environment.
EnvLookup ProcessEnv();

Result<std::string> ExpandEnv(std::string_view text, const EnvLookup& env);

}  // namespace sluice::config
