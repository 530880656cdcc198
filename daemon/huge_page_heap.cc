#include "daemon/huge_page_heap.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace sluice::daemon {
namespace {

constexpr std::string_view kTunable = "glibc.malloc.hugetlb";

// "always [madvise] never": the mode in brackets. madvise is what the tunable needs.
bool KernelAllowsHugePages() {
  std::ifstream in("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string modes;
  if (!std::getline(in, modes)) return false;
  return modes.find("[never]") == std::string::npos;
}

}  // namespace

void MaybeRestartWithHugePageHeap(char** argv) {
  const char* opt_out = std::getenv("SLUICE_HUGE_PAGE_HEAP");
  if (opt_out != nullptr && std::string_view(opt_out) == "0") return;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  std::string value = tunables == nullptr ? "" : tunables;
  if (value.find(kTunable) != std::string::npos || !KernelAllowsHugePages()) return;
  value += value.empty() ? "" : ":";
  value += kTunable;
  value += "=1";
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv("/proc/self/exe", argv);
  // Still here: no /proc, or the binary is gone. Run on ordinary pages rather than not at all.
}

}  // namespace sluice::daemon
