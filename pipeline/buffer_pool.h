// BufferPool: request body buffers, reused. IO threads take one to read a body into; the ingest
// worker gives it back once the body is decoded. Reusing megabyte-sized buffers saves the page
// faults of fresh allocations (glibc maps big blocks anew each time) on every request.
//
// Thread-safe and lock-free (moodycamel's ConcurrentQueue). Bounded: at most `max_buffers` are
// kept, none larger than `max_capacity`.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

namespace sluice::pipeline {

class BufferPool {
 public:
  BufferPool(size_t max_buffers, size_t max_capacity);
  ~BufferPool();

  // An empty string with capacity of at least `min_capacity`: a pooled one if there is one.
  std::string Take(size_t min_capacity);
  // Keeps `buffer` for reuse if it is worth keeping; frees it otherwise.
  void Give(std::string&& buffer);

  // The pool for request bodies, shared by the HTTP server and the ingest workers.
  static BufferPool& RequestBodies();

 private:
  struct Queue;
  std::unique_ptr<Queue> free_;
  std::atomic<size_t> pooled_{0};
  const size_t max_buffers_;
  const size_t max_capacity_;
};

}  // namespace sluice::pipeline
