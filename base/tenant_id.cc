#include "base/tenant_id.h"

namespace sluice {

Status ValidateTenantId(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("empty");
  if (id.size() > 150) return Status::InvalidArgument("longer than 150 characters");
  if (id == "." || id == "..") {
    return Status::InvalidArgument("\".\" and \"..\" are not tenant IDs");
  }
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              std::string_view("!-_.*'()").find(c) != std::string_view::npos;
    if (!ok) {
      return Status::InvalidArgument(c == '|'
                                         ? "a write names exactly one tenant"
                                         : "allowed characters are a-z A-Z 0-9 ! - _ . * ' ( )");
    }
  }
  return Status::Ok();
}

}  // namespace sluice
