// DiskSpaceGuard: refuses writes while the data dir's filesystem has less free space than a
// reserve (storage.min_free_disk), as VictoriaMetrics' -storage.minFreeDiskSpaceBytes does.
//
// Writes stop before the disk is full, so RocksDB keeps room to flush and compact and never
// fails a WAL append for lack of space (Debian's RocksDB 7.8 is built with assertions, and a WAL
// writer that saw ENOSPC aborts the process on its next sync). Reads go on; writes resume by
// themselves when space returns. Each group commit looks the free space up (one statvfs, about a
// microsecond), so a burst of writes cannot run past the reserve between two looks.
//
// Thread-safety: Check may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/status.h"

namespace sluice::storage {

class DiskSpaceGuard {
 public:
  // `min_free_bytes` 0 turns the guard off.
  DiskSpaceGuard(std::string path, uint64_t min_free_bytes);

  // Ok while at least the reserve is free; otherwise Unavailable saying how much is free and
  // which setting refuses the write.
  Status Check() const;

 private:
  uint64_t AvailableBytes() const;

  const std::string path_;
  const uint64_t min_free_bytes_;
  mutable std::atomic<bool> low_{false};  // for logging the changes only
};

}  // namespace sluice::storage
