// HttpRequest and HttpResponse: the server's view of one exchange, free of Beast types so that
// handlers compile quickly and can be tested without a socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/admission_budget.h"
#include "base/result.h"

namespace sluice::daemon {

enum class HttpMethod { kGet, kHead, kPost, kPut, kDelete, kPatch, kOptions, kOther };

std::string_view HttpMethodName(HttpMethod method);
HttpMethod ParseHttpMethod(std::string_view name);

// Header fields in arrival order; names compare case-insensitively.
class HttpHeaders {
 public:
  void Add(std::string name, std::string value) {
    fields_.emplace_back(std::move(name), std::move(value));
  }
  // Replaces every field called `name` with one.
  void Set(std::string_view name, std::string value);
  // The first field called `name`, if any.
  std::optional<std::string_view> Find(std::string_view name) const;
  // The first field called `name`, or "".
  std::string_view Get(std::string_view name) const { return Find(name).value_or(""); }
  const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }

 private:
  std::vector<std::pair<std::string, std::string>> fields_;
};

// Decoded name=value pairs of a query string or form body, in order; names may repeat (match[]).
class QueryParams {
 public:
  QueryParams() = default;
  // Parses "a=1&b=x%20y&a=2" (application/x-www-form-urlencoded: '+' is a space).
  static QueryParams Parse(std::string_view encoded);

  std::optional<std::string_view> Find(std::string_view name) const;
  std::string_view Get(std::string_view name) const { return Find(name).value_or(""); }
  std::vector<std::string_view> GetAll(std::string_view name) const;
  bool Has(std::string_view name) const { return Find(name).has_value(); }
  void Append(const QueryParams& other);
  const std::vector<std::pair<std::string, std::string>>& pairs() const { return pairs_; }

 private:
  std::vector<std::pair<std::string, std::string>> pairs_;
};

// Percent-decodes `in`; '+' becomes a space when `plus_is_space` (forms and query strings).
std::string PercentDecode(std::string_view in, bool plus_is_space);

struct HttpRequest {
  HttpMethod method = HttpMethod::kGet;
  std::string target;  // as sent: path and query
  std::string path;    // before '?', not decoded
  QueryParams params;  // decoded query string
  HttpHeaders headers;
  // The body with any Content-Encoding undone. Its spare capacity is at least
  // pipeline::kParsePadding bytes, so parsers may read past size() without copying.
  std::string body;
  uint64_t wire_body_bytes = 0;  // body size as received, before decoding
  std::string remote_address;
  std::vector<std::pair<std::string, std::string>> path_params;  // {name} segments of the route
  std::chrono::steady_clock::time_point received_at;
  // For admission routes: the budget the body holds. Keep it alive (move it along) until the
  // data is durable; the memory it accounts for is then free.
  AdmissionLease lease;

  std::string_view PathParam(std::string_view name) const;
};

// A response body produced piece by piece (an export of millions of entries), sent with chunked
// transfer encoding. Next runs on the connection's IO thread, between writes, so a slow client
// slows the producer down instead of letting output pile up in memory.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Appends the next part of the body to `out`; returns false once the body is complete. An error
  // ends the response early and closes the connection, so the client sees it incomplete.
  virtual Result<bool> Next(std::string* out) = 0;
};

struct HttpResponse {
  int status = 200;
  HttpHeaders headers;
  std::string body;
  std::shared_ptr<BodySource> stream;  // when set, the body comes from it instead of `body`
  bool close_connection = false;       // send Connection: close and close after writing

  static HttpResponse Json(int status, std::string body);
  static HttpResponse Text(int status, std::string body);
  static HttpResponse Empty(int status);
  // {"status":"error","errorType":<type>,"error":<message>}: Prometheus' error shape, which
  // Grafana shows as "<type>: <message>".
  static HttpResponse JsonError(int status, std::string_view error_type, std::string_view message);
};

}  // namespace sluice::daemon
