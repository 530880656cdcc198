#include "pipeline/buffer_pool.h"

#include <concurrentqueue/concurrentqueue.h>

namespace sluice::pipeline {

struct BufferPool::Queue {
  moodycamel::ConcurrentQueue<std::string> buffers;
};

BufferPool::BufferPool(size_t max_buffers, size_t max_capacity)
    : free_(std::make_unique<Queue>()), max_buffers_(max_buffers), max_capacity_(max_capacity) {}

BufferPool::~BufferPool() = default;

std::string BufferPool::Take(size_t min_capacity) {
  std::string buffer;
  if (free_->buffers.try_dequeue(buffer)) {
    pooled_.fetch_sub(1, std::memory_order_relaxed);
    buffer.clear();
  }
  if (buffer.capacity() < min_capacity) buffer.reserve(min_capacity);
  return buffer;
}

void BufferPool::Give(std::string&& buffer) {
  if (buffer.capacity() < 4096 || buffer.capacity() > max_capacity_) {
    std::string().swap(buffer);
    return;
  }
  if (pooled_.fetch_add(1, std::memory_order_relaxed) >= max_buffers_) {
    pooled_.fetch_sub(1, std::memory_order_relaxed);
    std::string().swap(buffer);
    return;
  }
  free_->buffers.enqueue(std::move(buffer));
}

BufferPool& BufferPool::RequestBodies() {
  // 64 buffers of up to 16 MiB: a bound of 1 GiB kept, typically far less (bodies are ~1 MiB).
  static BufferPool pool(64, 16 << 20);
  return pool;
}

}  // namespace sluice::pipeline
