#include "pipeline/field_mapping.h"

#include <fmt/format.h>

#include "base/strings.h"

namespace sluice::pipeline {

std::vector<std::string> SplitFieldList(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = TrimBlanks(list.substr(0, comma));
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseExtraFields(std::string_view list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const std::string& item : SplitFieldList(list)) {
    size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return Status::InvalidArgument(
          fmt::format("extra_fields entry \"{}\" is not of the form name=value", item));
    }
    out.emplace_back(item.substr(0, eq), item.substr(eq + 1));
  }
  return out;
}

bool FieldMatches(const std::vector<std::string>& patterns, std::string_view name) {
  for (const std::string& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (name.substr(0, p.size() - 1) == std::string_view(p).substr(0, p.size() - 1)) return true;
    } else if (name == p) {
      return true;
    }
  }
  return false;
}

}  // namespace sluice::pipeline
