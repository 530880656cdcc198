// Gathering a shard writer's next group commit from its submission queue, shared by the log and
// metrics engines: everything queued now, and under Durability::kInterval whatever else arrives
// until the next fsync is due, so that one fsync acknowledges many requests.
#pragma once

#include <concurrentqueue/blockingconcurrentqueue.h>
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "storage/durability.h"

namespace sluice::storage {

inline constexpr size_t kMaxGroupSubmissions = 4096;

template <typename Submission>
void GatherGroupCommit(moodycamel::BlockingConcurrentQueue<Submission>& queue,
                       std::vector<Submission>& batch, Durability durability,
                       std::chrono::steady_clock::time_point last_sync,
                       std::chrono::nanoseconds fsync_interval,
                       std::chrono::microseconds idle_wait) {
  constexpr size_t kChunk = 64;
  Submission chunk[kChunk];
  auto take = [&](std::chrono::microseconds wait) {
    size_t n = queue.wait_dequeue_bulk_timed(chunk, kChunk, wait);
    for (size_t i = 0; i < n; ++i) batch.push_back(std::move(chunk[i]));
    return n;
  };
  take(idle_wait);
  if (durability == Durability::kInterval && !batch.empty()) {
    // Sleep until the fsync is due and then take what came, rather than wait on the queue: a
    // waiting writer is woken (a futex call and a context switch on each side) by every
    // submission, a sleeping one by none.
    std::this_thread::sleep_until(last_sync + fsync_interval);
  }
  while (batch.size() < kMaxGroupSubmissions && take(std::chrono::microseconds(0)) > 0) {
  }
}

// A shard writer's loop: gather a group, commit its writes (`commit(std::vector<Submission>&)`),
// give the engine its chance to seal (`maybe_seal(bool force_all)`, forced by a SealAll control
// submission, which is answered after it), then run one slice of each background task (a
// submission's `step`, called once per round until it returns true), until `stopping`, the
// queue is empty and no task is left; then one last forced seal when `seal_on_stop`.
// Submissions have `done`, `seal_all` and `step`; one with none only wakes the writer.
template <typename Submission, typename Commit, typename MaybeSeal>
void RunShardWriter(moodycamel::BlockingConcurrentQueue<Submission>& queue,
                    const std::atomic<bool>& stopping, Durability durability,
                    const std::chrono::steady_clock::time_point& last_sync,
                    std::chrono::nanoseconds fsync_interval, bool seal_on_stop, Commit commit,
                    MaybeSeal maybe_seal) {
  constexpr auto kIdleWait = std::chrono::milliseconds(100);
  std::vector<Submission> batch;
  std::vector<std::function<bool()>> tasks;
  while (true) {
    batch.clear();
    // With a task under way the writer does not idle: a slice runs after every round.
    GatherGroupCommit(queue, batch, durability, last_sync, fsync_interval,
                      tasks.empty() ? kIdleWait : std::chrono::milliseconds(0));
    std::vector<Submission> control;
    std::vector<Submission> writes;
    for (Submission& s : batch) {
      if (s.step) {
        tasks.push_back(std::move(s.step));
      } else if (s.seal_all) {
        control.push_back(std::move(s));
      } else if (s.done) {
        writes.push_back(std::move(s));
      }
    }
    if (!writes.empty()) commit(writes);
    maybe_seal(!control.empty());
    for (Submission& s : control) s.done(Status::Ok());
    std::erase_if(tasks, [](std::function<bool()>& step) { return step(); });
    if (stopping.load() && queue.size_approx() == 0 && tasks.empty()) break;
  }
  if (seal_on_stop) maybe_seal(true);
}

// A shard engine's writer thread and its submission queue: started once, stopped once (the loop
// writes what is queued first), and SealAll as a control submission answered on the writer
// thread. Submission is an aggregate {payload, done, seal_all, step}.
template <typename Submission>
class ShardWriterThread {
 public:
  moodycamel::BlockingConcurrentQueue<Submission> queue;
  std::atomic<bool> stopping{false};

  ShardWriterThread() = default;
  ShardWriterThread(const ShardWriterThread&) = delete;
  ShardWriterThread& operator=(const ShardWriterThread&) = delete;
  ~ShardWriterThread() { Stop(); }

  // Runs `loop` on a thread named `name` (at most 15 characters show). Later calls do nothing.
  void Start(const std::string& name, std::function<void()> loop) {
    if (started_) return;
    started_ = true;
    thread_ = std::thread([name, loop = std::move(loop)] {
      pthread_setname_np(pthread_self(), name.c_str());
      loop();
    });
  }

  bool started() const { return started_; }

  // Idempotent.
  void Stop() {
    if (!started_ || stopped_) return;
    stopped_ = true;
    stopping = true;
    queue.enqueue(Submission{});  // wakes the writer
    thread_.join();
  }

  // Seals every head after what is queued, on the writer thread, and waits; when the thread
  // does not run (before Start, after Stop), seals here.
  Status SealAll(const std::function<void(bool force_all)>& maybe_seal) {
    if (!started_ || stopped_) {
      maybe_seal(true);
      return Status::Ok();
    }
    std::promise<Status> promise;
    auto result = promise.get_future();
    queue.enqueue(Submission{{}, [&promise](const Status& s) { promise.set_value(s); }, true, {}});
    return result.get();
  }

  // Runs `step` on the writer thread once per round, between group commits, until it returns
  // true; when the thread does not run, here until done. Returns at once: the task reports its
  // end itself.
  void RunSliced(std::function<bool()> step) {
    if (!started_ || stopped_) {
      while (!step()) {
      }
      return;
    }
    queue.enqueue(Submission{{}, {}, false, std::move(step)});
  }

 private:
  std::thread thread_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace sluice::storage
