// NotificationDelivery: the durable outbox between the notification makers
// (webhook dispatcher, Alertmanager sender) and the HTTP endpoints:
// at-least-once delivery.
//
// Enqueue() writes the notification to the KvStore under "outbox/<20-digit
// sequence>" and returns; ProcessDue() (the daemon's loop, or a test on a
// FakeClock) POSTs what is due, at most max_in_flight at a time, each
// notification independently of the others (no ordering per endpoint). The
// answer decides:
//   2xx                          -> removed from the outbox; sent
//   no answer, 5xx, 429          -> retried after a backoff: initial_backoff *
//   factor^(n-1),
//                                   capped at max_backoff, with equal jitter (a
//                                   delay d is drawn from [d/2, d]); retried
//   any other status (4xx, 3xx)  -> logged (receiver, status, start of the
//   answer), removed; failed
// The outbox holds at most max_outbox notifications: a new one beyond that
// pushes out the oldest waiting one (error log; dropped). A notification leaves
// the store only once its fate is known, so after a crash or a Stop() with
// posts in flight, Restore() sends again what may already have arrived:
// receivers see a notification at least once, rarely twice.
//
// Threads: every method may be called from any thread. ProcessDue() calls the
// poster without holding a lock; the poster's `done` may come from any thread,
// even from inside Post.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "alerting/http_post.h"
#include "alerting/kv_store.h"
#include "alerting/notification.h"
#include "base/clock.h"
#include "base/result.h"
#include "base/status.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace sluice::alerting {

struct DeliveryOptions {
  size_t max_outbox = 10'000;
  size_t max_in_flight = 16;
  std::chrono::milliseconds initial_backoff{1'000};
  double backoff_factor = 2.0;
  std::chrono::milliseconds max_backoff{5 * 60 * 1'000};
  // How often Start()'s thread calls ProcessDue() when nothing new arrives.
  std::chrono::milliseconds tick_interval{200};
  // How long Stop() waits for the posts in flight to be answered before leaving
  // them to a later Restore().
  std::chrono::milliseconds stop_grace{5'000};
  uint64_t jitter_seed = 0;  // 0: from std::random_device
};

inline constexpr std::string_view kOutboxPrefix = "outbox/";

// The outbox's value format: a JSON object with a format version "v" and every
// field of the Notification by name.
std::string EncodeNotification(const Notification &notification);
Result<Notification> DecodeNotification(std::string_view encoded);

class NotificationDelivery final : public NotificationSink {
 public:
  // `store`, `poster`, `clock` and `registry` must outlive this object.
  NotificationDelivery(KvStore &store, HttpPoster &poster, prometheus::Registry &registry,
                       DeliveryOptions options = {}, const Clock &clock = Clock::Real());
  // Stop(); what was not delivered stays in the store.
  ~NotificationDelivery() override;
  NotificationDelivery(const NotificationDelivery &) = delete;
  NotificationDelivery &operator=(const NotificationDelivery &) = delete;

  // Loads the outbox a previous process left (all of it due at once); only the
  // first call does anything. The first Enqueue() or ProcessDue() calls it when
  // the owner has not, so that a new sequence number never overwrites an old
  // entry. Undecodable entries are deleted and counted as dropped. Returns the
  // store's error, after which the outbox is whatever was read.
  Status Restore();

  // Writes the notification to the outbox (created_ms defaults to now); it is
  // sent by a later ProcessDue(). A failed store write is logged and the
  // notification still sent.
  void Enqueue(Notification notification) override;

  // Posts the notifications whose time has come, up to max_in_flight in flight.
  // Returns how many posts it started.
  size_t ProcessDue();

  // A thread calling ProcessDue() every tick_interval and whenever a
  // notification arrives or a post completes. Stop() ends it, then waits up to
  // stop_grace for the posts in flight; no new post starts after Stop() began.
  void Start();
  void Stop();

  size_t queued() const;     // in the outbox, in flight included
  size_t in_flight() const;  // posted, not yet answered

  // The delay before retry number `attempt` (1 = the first retry) without
  // jitter.
  std::chrono::milliseconds BackoffCeiling(int attempt) const;

 private:
  struct Entry {
    Notification notification;
    int attempts = 0;  // posts answered with a retryable failure so far
    std::chrono::steady_clock::time_point due;
    bool in_flight = false;
  };
  // What a post's `done` reaches this object through; cleared by the
  // destructor, so that a late answer finds nobody instead of freed memory.
  struct Link {
    std::mutex mu;
    NotificationDelivery *delivery = nullptr;
  };

  static std::string Key(uint64_t sequence);
  Status RestoreLocked(std::unique_lock<std::mutex> &lock);
  void OnAnswer(uint64_t sequence, PostResult result);
  void DropOldestLocked();
  void Loop();

  KvStore &store_;
  HttpPoster &poster_;
  const DeliveryOptions options_;
  const Clock &clock_;
  std::shared_ptr<Link> link_;

  prometheus::Family<prometheus::Counter> &sent_;
  prometheus::Family<prometheus::Counter> &failed_;
  prometheus::Family<prometheus::Counter> &retried_;
  prometheus::Counter &dropped_;
  prometheus::Gauge &queued_gauge_;
  prometheus::Histogram &latency_;

  mutable std::mutex mu_;
  std::condition_variable wake_;     // the loop: work arrived, or stop
  std::condition_variable settled_;  // Stop(): a post in flight was answered
  bool restored_ = false;
  bool stopping_ = false;
  bool wake_pending_ = false;
  uint64_t next_sequence_ = 1;
  std::map<uint64_t, Entry> outbox_;
  size_t in_flight_ = 0;
  std::mt19937_64 rng_;
  std::thread thread_;
};

}  // namespace sluice::alerting
