// Tenant IDs as Loki and Cortex accept them in X-Scope-OrgID: at most 150 characters of
// a-z A-Z 0-9 ! - _ . * ' ( ), and neither "." nor "..". They name directories and keys, so the
// same rule holds for tenants named in the config.
#pragma once

#include <string_view>

#include "base/status.h"

namespace sluice {

// Ok, or InvalidArgument saying what is wrong with `id` (without quoting it).
Status ValidateTenantId(std::string_view id);

}  // namespace sluice
