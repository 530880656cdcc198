// AckJoin: joins the acknowledgements of a batch's per-shard parts into one `done`, which runs
// once every part has finished, with the first error if any part failed.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>

#include "base/status.h"

namespace sluice::storage {

class AckJoin {
 public:
  AckJoin(size_t parts, std::function<void(const Status&)> done)
      : remaining_(parts), done_(std::move(done)) {}

  void PartDone(const Status& s) {
    if (!s.ok()) {
      std::lock_guard lock(mu_);
      if (first_error_.ok()) first_error_ = s;
    }
    if (remaining_.fetch_sub(1) == 1) {
      Status result;
      {
        std::lock_guard lock(mu_);
        result = first_error_;
      }
      done_(result);
    }
  }

 private:
  std::atomic<size_t> remaining_;
  std::function<void(const Status&)> done_;
  std::mutex mu_;
  Status first_error_;
};

}  // namespace sluice::storage
