// Loki's live tail (https://grafana.com/docs/loki/latest/reference/loki-http-api/#stream-logs),
// as Grafana's Loki data source opens it from Explore's "Live" button:
//
//   GET /loki/api/v1/tail?query=<LogQL log query>[&limit=N][&start=T][&delay_for=S]
//   (a WebSocket upgrade; the tenant is X-Scope-OrgID, the default tenant without it)
//
// Parameters are checked before the upgrade, so a bad query, limit, start or delay_for gets a
// plain-text 400 (Loki's words) instead of a 101. `limit` (default 100, at most max_entries) and
// `start` (default now - 1 h; also `since`) shape the first message only: the newest `limit`
// entries in [start, now). `delay_for` (whole seconds, 0..5) holds every entry back until it is
// that old, to let late writers catch up. After that, each new entry the query keeps is sent once,
// oldest first, as text frames:
//
//   {"streams":[{"stream":{<labels>},"values":[["<ns>","<line>"],...]},...],
//    "dropped_entries":[{"timestamp":"<ns>","labels":{<labels>}},...]}
//
// with at most 100 entries a message (Loki's maxEntriesPerTailResponse); consecutive entries of
// one stream share a `stream` element. Labels are the pipeline's output, structured metadata
// folded in (Loki without categorize-labels; with the header X-Loki-Response-Encoding-Flags:
// categorize-labels, values are 3-tuples and the message says "encodingFlags"). When the client
// reads slower than entries come (10 messages queued, Loki's maxBufferedTailResponses), new
// entries are dropped and listed, up to 1000, in `dropped_entries` of the next message.
//
// How: each tail polls the LogStore every poll_interval on its connection's IO thread, in slices
// of bounded work. It remembers, per stream, the last timestamp it has read and which entries at
// that timestamp, so nothing is sent twice and an entry written late is still sent, unless its
// stream already had a newer entry read, or it is over an hour late (Loki's ingesters push every
// entry as it comes; a poll cannot see one older than what it has passed in its stream).
//
// Limits: at most max_tails tails at once; more are accepted and closed at once with 1011 and
// Loki's message. Tails end when the client closes, stops answering pings, or the server shuts
// down (close code 1001).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "daemon/api/query_limits.h"
#include "daemon/http/router.h"
#include "storage/log_store.h"

namespace sluice::daemon {

struct LokiTailApiOptions {
  const storage::LogStore* store = nullptr;
  std::string default_tenant = "fake";
  // Tails open at once (Loki: max_concurrent_tail_requests, default 10 per tenant).
  size_t max_tails = 100;
  // The tenant's limits (null: QueryLimits' defaults, uncounted): the largest `limit` is its
  // max_entries_limit_per_query.
  std::shared_ptr<QueryLimitsTable> limits;
  // How often a tail looks for new entries.
  std::chrono::milliseconds poll_interval = std::chrono::seconds(1);
};

void RegisterLokiTailApi(Router& router, LokiTailApiOptions options);

}  // namespace sluice::daemon
