#include "alerting/notification_delivery.h"

#include <fmt/format.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <simdjson.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <utility>

#include "base/json_writer.h"

namespace sluice::alerting {
namespace {

constexpr int64_t kFormatVersion = 1;

// Enough of a refusing receiver's answer to say why, without flooding the log.
constexpr size_t kLoggedBodyBytes = 512;

// From a fast webhook (tens of ms) to a notification that waited out a long
// outage.
const prometheus::Histogram::BucketBoundaries &LatencyBuckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{
      0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600};
  return buckets;
}

bool Retryable(const PostResult &result) {
  return result.status == 0 || result.status >= 500 || result.status == 429;
}

int64_t ToMillis(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string_view Snippet(std::string_view body) {
  return body.substr(0, std::min(body.size(), kLoggedBodyBytes));
}

}  // namespace

std::string EncodeNotification(const Notification &n) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("v");
  w.Int(kFormatVersion);
  w.Key("receiver");
  w.String(n.receiver);
  w.Key("group_key");
  w.String(n.group_key);
  w.Key("url");
  w.String(n.endpoint.url);
  w.Key("bearer_token");
  w.String(n.endpoint.bearer_token);
  w.Key("basic_username");
  w.String(n.endpoint.basic_username);
  w.Key("basic_password");
  w.String(n.endpoint.basic_password);
  w.Key("headers");
  w.BeginArray();
  for (const auto &[name, value] : n.endpoint.headers) {
    w.BeginArray();
    w.String(name);
    w.String(value);
    w.EndArray();
  }
  w.EndArray();
  w.Key("timeout_ms");
  w.Int(n.endpoint.timeout.count());
  w.Key("created_ms");
  w.Int(n.created_ms);
  w.Key("body");
  w.String(n.body);
  w.EndObject();
  return out;
}

Result<Notification> DecodeNotification(std::string_view encoded) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(encoded);
  simdjson::dom::object object;
  if (parser.parse(padded).get_object().get(object) != simdjson::SUCCESS) {
    return Status::Corruption("outbox entry is not a JSON object");
  }
  int64_t version = 0;
  if (object["v"].get_int64().get(version) != simdjson::SUCCESS || version != kFormatVersion) {
    return Status::Corruption(
        fmt::format("outbox entry has format version {}, want {}", version, kFormatVersion));
  }
  Notification n;
  bool has_url = false;
  bool has_body = false;
  for (auto field : object) {
    std::string_view key = field.key;
    simdjson::dom::element value = field.value;
    auto read_string = [&](std::string *out) -> Status {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return Status::Corruption(fmt::format("outbox entry: {} is not a string", key));
      }
      *out = std::string(s);
      return Status::Ok();
    };
    auto read_int = [&](int64_t *out) -> Status {
      if (value.get_int64().get(*out) != simdjson::SUCCESS) {
        return Status::Corruption(fmt::format("outbox entry: {} is not an integer", key));
      }
      return Status::Ok();
    };
    if (key == "receiver") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.receiver));
    } else if (key == "group_key") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.group_key));
    } else if (key == "url") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.endpoint.url));
      has_url = true;
    } else if (key == "bearer_token") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.endpoint.bearer_token));
    } else if (key == "basic_username") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.endpoint.basic_username));
    } else if (key == "basic_password") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.endpoint.basic_password));
    } else if (key == "timeout_ms") {
      int64_t ms = 0;
      SLUICE_RETURN_IF_ERROR(read_int(&ms));
      n.endpoint.timeout = std::chrono::milliseconds(ms);
    } else if (key == "created_ms") {
      SLUICE_RETURN_IF_ERROR(read_int(&n.created_ms));
    } else if (key == "body") {
      SLUICE_RETURN_IF_ERROR(read_string(&n.body));
      has_body = true;
    } else if (key == "headers") {
      simdjson::dom::array headers;
      if (value.get_array().get(headers) != simdjson::SUCCESS) {
        return Status::Corruption("outbox entry: headers is not an array");
      }
      for (simdjson::dom::element pair : headers) {
        simdjson::dom::array kv;
        std::string_view name;
        std::string_view header_value;
        if (pair.get_array().get(kv) != simdjson::SUCCESS || kv.size() != 2 ||
            kv.at(0).get_string().get(name) != simdjson::SUCCESS ||
            kv.at(1).get_string().get(header_value) != simdjson::SUCCESS) {
          return Status::Corruption("outbox entry: a header is not [name, value]");
        }
        n.endpoint.headers.emplace_back(std::string(name), std::string(header_value));
      }
    }
    // Other keys: written by a newer version; what this one knows is enough to
    // send.
  }
  if (!has_url || !has_body) return Status::Corruption("outbox entry has no url or no body");
  return n;
}

NotificationDelivery::NotificationDelivery(KvStore &store, HttpPoster &poster,
                                           prometheus::Registry &registry, DeliveryOptions options,
                                           const Clock &clock)
    : store_(store),
      poster_(poster),
      options_(std::move(options)),
      clock_(clock),
      link_(std::make_shared<Link>()),
      sent_(prometheus::BuildCounter()
                .Name("sluice_notifications_sent_total")
                .Help("Notifications an endpoint accepted (2xx), by receiver.")
                .Register(registry)),
      failed_(prometheus::BuildCounter()
                  .Name("sluice_notifications_failed_total")
                  .Help("Notifications an endpoint refused for good (4xx other "
                        "than 429), by "
                        "receiver. They are not retried.")
                  .Register(registry)),
      retried_(prometheus::BuildCounter()
                   .Name("sluice_notifications_retried_total")
                   .Help("Posts of a notification that failed and will be "
                         "retried (no answer, "
                         "5xx, 429), by receiver.")
                   .Register(registry)),
      dropped_(prometheus::BuildCounter()
                   .Name("sluice_notifications_dropped_total")
                   .Help("Notifications removed unsent: pushed out of a full "
                         "outbox, or "
                         "unreadable after a restart.")
                   .Register(registry)
                   .Add({})),
      queued_gauge_(prometheus::BuildGauge()
                        .Name("sluice_notifications_queued")
                        .Help("Notifications in the outbox, waiting or in flight.")
                        .Register(registry)
                        .Add({})),
      latency_(prometheus::BuildHistogram()
                   .Name("sluice_notification_latency_seconds")
                   .Help("From a notification's creation to its acceptance by "
                         "the endpoint.")
                   .Register(registry)
                   .Add({}, LatencyBuckets())) {
  link_->delivery = this;
  uint64_t seed = options_.jitter_seed;
  if (seed == 0)
    seed = (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
  rng_.seed(seed);
}

NotificationDelivery::~NotificationDelivery() {
  Stop();
  std::lock_guard lock(link_->mu);
  link_->delivery = nullptr;
}

std::string NotificationDelivery::Key(uint64_t sequence) {
  return fmt::format("{}{:020d}", kOutboxPrefix, sequence);
}

std::chrono::milliseconds NotificationDelivery::BackoffCeiling(int attempt) const {
  double ms = static_cast<double>(options_.initial_backoff.count()) *
              std::pow(options_.backoff_factor, std::max(attempt - 1, 0));
  double cap = static_cast<double>(options_.max_backoff.count());
  return std::chrono::milliseconds(static_cast<int64_t>(std::min(ms, cap)));
}

Status NotificationDelivery::Restore() {
  std::unique_lock lock(mu_);
  return RestoreLocked(lock);
}

Status NotificationDelivery::RestoreLocked(std::unique_lock<std::mutex> &lock) {
  (void)lock;
  if (restored_) return Status::Ok();
  restored_ = true;
  auto now = clock_.SteadyNow();
  std::vector<std::string> unreadable;
  Status scanned = store_.Scan(kOutboxPrefix, [&](std::string_view key, std::string_view value) {
    std::string_view digits = key.substr(kOutboxPrefix.size());
    uint64_t sequence = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), sequence);
    Result<Notification> n = ec == std::errc() && end == digits.data() + digits.size()
                                 ? DecodeNotification(value)
                                 : Result<Notification>(Status::Corruption("bad outbox key"));
    if (!n.ok()) {
      spdlog::error("notification outbox: dropping unreadable entry {}: {}", key,
                    n.status().message());
      unreadable.emplace_back(key);
      return true;
    }
    Entry &entry = outbox_[sequence];
    entry.notification = std::move(*n);
    entry.due = now;
    next_sequence_ = std::max(next_sequence_, sequence + 1);
    return true;
  });
  for (const std::string &key : unreadable) {
    dropped_.Increment();
    if (Status s = store_.Delete(key); !s.ok()) {
      spdlog::error("notification outbox: deleting {}: {}", key, s.message());
    }
  }
  std::vector<std::string> erase;
  // The bound may have been lowered since the entries were written.
  while (outbox_.size() > options_.max_outbox) {
    auto oldest = outbox_.begin();
    spdlog::error(
        "notification outbox over its limit of {}: dropping the "
        "notification for {} "
        "(group {})",
        options_.max_outbox, oldest->second.notification.receiver,
        oldest->second.notification.group_key);
    dropped_.Increment();
    erase.push_back(Key(oldest->first));
    outbox_.erase(oldest);
  }
  for (const std::string &key : erase) {
    if (Status s = store_.Delete(key); !s.ok()) {
      spdlog::error("notification outbox: deleting {}: {}", key, s.message());
    }
  }
  queued_gauge_.Set(static_cast<double>(outbox_.size()));
  if (!outbox_.empty()) {
    spdlog::info("notification outbox: {} notifications pending from before the restart",
                 outbox_.size());
  }
  if (!scanned.ok()) {
    spdlog::error("notification outbox: reading it: {}", scanned.message());
    return scanned.WithContext("reading the notification outbox");
  }
  return Status::Ok();
}

void NotificationDelivery::Enqueue(Notification notification) {
  uint64_t sequence = 0;
  {
    std::unique_lock lock(mu_);
    (void)RestoreLocked(lock);
    sequence = next_sequence_++;
  }
  if (notification.created_ms == 0) notification.created_ms = ToMillis(clock_.Now());
  // Written before the entry becomes visible, so that no answer or drop can
  // delete the key before it exists.
  std::string key = Key(sequence);
  if (Status s = store_.Put(key, EncodeNotification(notification)); !s.ok()) {
    spdlog::error(
        "notification outbox: writing the notification for {}: {} "
        "(sending it anyway; "
        "it is lost if the process stops first)",
        notification.receiver, s.message());
  }
  std::vector<std::string> erase;
  {
    std::lock_guard lock(mu_);
    while (outbox_.size() >= options_.max_outbox && !outbox_.empty()) {
      // The oldest waiting one: one in flight is about to be settled anyway.
      auto victim = std::find_if(outbox_.begin(), outbox_.end(),
                                 [](const auto &e) { return !e.second.in_flight; });
      if (victim == outbox_.end()) victim = outbox_.begin();
      const Notification &old = victim->second.notification;
      spdlog::error(
          "notification outbox full ({} notifications): dropping the "
          "oldest, for {} "
          "(group {}, {} failed attempts)",
          options_.max_outbox, old.receiver, old.group_key, victim->second.attempts);
      dropped_.Increment();
      if (victim->second.in_flight) {
        // Its answer will find no entry; keep the in-flight count right now.
        --in_flight_;
      }
      erase.push_back(Key(victim->first));
      outbox_.erase(victim);
    }
    Entry &entry = outbox_[sequence];
    entry.notification = std::move(notification);
    entry.due = clock_.SteadyNow();
    queued_gauge_.Set(static_cast<double>(outbox_.size()));
    wake_pending_ = true;
  }
  wake_.notify_one();
  for (const std::string &old_key : erase) {
    if (Status s = store_.Delete(old_key); !s.ok()) {
      spdlog::error("notification outbox: deleting {}: {}", old_key, s.message());
    }
  }
}

size_t NotificationDelivery::ProcessDue() {
  std::vector<std::pair<uint64_t, Notification>> due;
  {
    std::unique_lock lock(mu_);
    (void)RestoreLocked(lock);
    if (stopping_) return 0;
    auto now = clock_.SteadyNow();
    for (auto &[sequence, entry] : outbox_) {
      if (in_flight_ >= options_.max_in_flight) break;
      if (entry.in_flight || entry.due > now) continue;
      entry.in_flight = true;
      ++in_flight_;
      due.emplace_back(sequence, entry.notification);
    }
  }
  for (auto &[sequence, n] : due) {
    poster_.Post(n.endpoint, std::move(n.body),
                 [link = link_, sequence = sequence](PostResult result) {
                   std::lock_guard lock(link->mu);
                   if (link->delivery != nullptr)
                     link->delivery->OnAnswer(sequence, std::move(result));
                 });
  }
  return due.size();
}

void NotificationDelivery::OnAnswer(uint64_t sequence, PostResult result) {
  bool erase = false;
  {
    std::lock_guard lock(mu_);
    auto it = outbox_.find(sequence);
    if (it == outbox_.end()) {
      // Pushed out of a full outbox while in flight (already counted as
      // dropped).
      settled_.notify_all();
      return;
    }
    --in_flight_;
    Entry &entry = it->second;
    entry.in_flight = false;
    const Notification &n = entry.notification;
    if (result.success()) {
      sent_.Add({{"receiver", n.receiver}}).Increment();
      double age_s = static_cast<double>(ToMillis(clock_.Now()) - n.created_ms) / 1000.0;
      latency_.Observe(std::max(age_s, 0.0));
      erase = true;
    } else if (Retryable(result)) {
      ++entry.attempts;
      std::chrono::milliseconds ceiling = BackoffCeiling(entry.attempts);
      // Equal jitter: at least half the ceiling, so retries never bunch up at
      // zero delay.
      std::uniform_int_distribution<int64_t> jitter(0, ceiling.count() / 2);
      std::chrono::milliseconds delay(ceiling.count() - ceiling.count() / 2 + jitter(rng_));
      entry.due = clock_.SteadyNow() + delay;
      retried_.Add({{"receiver", n.receiver}}).Increment();
      std::string why = result.status != 0 ? fmt::format("HTTP {}", result.status) : result.error;
      if (entry.attempts == 1 || entry.attempts % 10 == 0) {
        spdlog::warn(
            "notification for {} (group {}) to {}: {} (attempt {}); "
            "retrying in {}ms",
            n.receiver, n.group_key, n.endpoint.url, why, entry.attempts, delay.count());
      } else {
        spdlog::debug("notification for {} to {}: {} (attempt {}); retrying in {}ms", n.receiver,
                      n.endpoint.url, why, entry.attempts, delay.count());
      }
    } else {
      failed_.Add({{"receiver", n.receiver}}).Increment();
      spdlog::error(
          "notification for {} (group {}) refused by {} with HTTP "
          "{}, not retried: {}",
          n.receiver, n.group_key, n.endpoint.url, result.status, Snippet(result.response_body));
      erase = true;
    }
    if (erase) {
      outbox_.erase(it);
      queued_gauge_.Set(static_cast<double>(outbox_.size()));
    }
    wake_pending_ = true;
  }
  if (erase) {
    if (Status s = store_.Delete(Key(sequence)); !s.ok()) {
      // It will be sent again after a restart: a duplicate, not a loss.
      spdlog::error("notification outbox: deleting {}: {}", Key(sequence), s.message());
    }
  }
  settled_.notify_all();
  wake_.notify_one();
}

void NotificationDelivery::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void NotificationDelivery::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    ProcessDue();
    lock.lock();
    wake_.wait_for(lock, options_.tick_interval, [this] { return stopping_ || wake_pending_; });
    wake_pending_ = false;
  }
}

void NotificationDelivery::Stop() {
  std::thread thread;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  wake_.notify_all();
  if (thread.joinable()) thread.join();
  std::unique_lock lock(mu_);
  if (!settled_.wait_for(lock, options_.stop_grace, [this] { return in_flight_ == 0; })) {
    spdlog::warn(
        "notification delivery stopped with {} posts unanswered; they "
        "stay in the "
        "outbox and are sent again after a restart",
        in_flight_);
  }
}

size_t NotificationDelivery::queued() const {
  std::lock_guard lock(mu_);
  return outbox_.size();
}

size_t NotificationDelivery::in_flight() const {
  std::lock_guard lock(mu_);
  return in_flight_;
}

}  // namespace sluice::alerting
