// The Elasticsearch API as log shippers use it (Filebeat, Logstash, Fluent Bit, Vector, rsyslog,
// syslog-ng, @elastic/elasticsearch), at the root and under VictoriaLogs' /insert/elasticsearch:
//
//   POST|PUT /_bulk, /{index}/_bulk        NDJSON bulk ingest (pipeline/decoders/es_bulk.h);
//                                          always 200 with one item per action, in order
//   GET|HEAD /                             a version document (8.x, as clients require)
//   GET /_license, /_xpack                 an active basic licence
//   GET|HEAD /_cluster/health, /_cat/health    green
//   HEAD|GET|PUT|POST|DELETE on index templates, component templates, ILM policies, ingest
//   pipelines and data streams: "exists" / "acknowledged", so setup steps succeed
//   HEAD|PUT /{index}                      exists / created (Logstash's rollover alias)
//   GET /_nodes...                         one node, no addresses (sniffing finds nothing new)
//
// Every answer carries X-Elastic-Product: Elasticsearch, without which Logstash and the JS client
// refuse it. Overload and storage trouble answer the whole bulk request 503 with Retry-After:
// syslog-ng ignores per-item errors and only whole-request 5xx make every client retry.
#pragma once

#include "daemon/api/ingest_common.h"
#include "daemon/http/router.h"

namespace sluice::daemon {

// The Elasticsearch version Sluice reports: 8.x, because Filebeat, Logstash and Vector pick their
// request formats from the major version and some refuse anything older.
inline constexpr std::string_view kElasticsearchCompatVersion = "8.19.0";

void RegisterElasticsearchApi(Router& router, const IngestApi& api);

}  // namespace sluice::daemon
