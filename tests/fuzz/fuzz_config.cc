#include <string>

#include "config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string yaml(reinterpret_cast<const char*>(data), size);
  (void)sluice::config::LoadConfigFromString(
      yaml, "fuzz.yaml", [](const std::string& name) -> std::optional<std::string> {
        if (name == "SET") return std::string("value");
        return std::nullopt;
      });
  return 0;
}
