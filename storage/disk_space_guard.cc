#include "storage/disk_space_guard.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/statvfs.h>

namespace sluice::storage {
namespace {

std::string Mib(uint64_t bytes) {
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

}  // namespace

DiskSpaceGuard::DiskSpaceGuard(std::string path, uint64_t min_free_bytes)
    : path_(std::move(path)), min_free_bytes_(min_free_bytes) {}

uint64_t DiskSpaceGuard::AvailableBytes() const {
  struct statvfs fs {};
  // An unreadable filesystem is not reported as full: the write will say what is wrong.
  return statvfs(path_.c_str(), &fs) == 0 ? uint64_t{fs.f_bavail} * fs.f_frsize : UINT64_MAX;
}

Status DiskSpaceGuard::Check() const {
  if (min_free_bytes_ == 0) return Status::Ok();
  uint64_t available = AvailableBytes();
  bool low = available < min_free_bytes_;
  if (low_.exchange(low) != low) {
    if (low) {
      spdlog::error(
          "storage: {} has {} free, below storage.min_free_disk ({}): refusing writes "
          "until space returns; reads go on",
          path_, Mib(available), Mib(min_free_bytes_));
    } else {
      spdlog::info("storage: {} has {} free again: accepting writes", path_, Mib(available));
    }
  }
  if (!low) return Status::Ok();
  return Status::Unavailable(
      fmt::format("the disk is nearly full: {} free on {}, below storage.min_free_disk ({}); "
                  "retry later",
                  Mib(available), path_, Mib(min_free_bytes_)));
}

}  // namespace sluice::storage
