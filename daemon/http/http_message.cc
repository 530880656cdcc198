#include "daemon/http/http_message.h"

#include <strings.h>

#include <algorithm>
#include <array>

#include "base/json_writer.h"

namespace sluice::daemon {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::array<std::pair<std::string_view, HttpMethod>, 7> kMethods{{
    {"GET", HttpMethod::kGet},
    {"HEAD", HttpMethod::kHead},
    {"POST", HttpMethod::kPost},
    {"PUT", HttpMethod::kPut},
    {"DELETE", HttpMethod::kDelete},
    {"PATCH", HttpMethod::kPatch},
    {"OPTIONS", HttpMethod::kOptions},
}};

}  // namespace

std::string_view HttpMethodName(HttpMethod method) {
  for (const auto& [name, m] : kMethods) {
    if (m == method) return name;
  }
  return "OTHER";
}

HttpMethod ParseHttpMethod(std::string_view name) {
  for (const auto& [n, m] : kMethods) {
    if (n == name) return m;
  }
  return HttpMethod::kOther;
}

void HttpHeaders::Set(std::string_view name, std::string value) {
  std::erase_if(fields_, [&](const auto& f) { return EqualsIgnoreCase(f.first, name); });
  fields_.emplace_back(std::string(name), std::move(value));
}

std::optional<std::string_view> HttpHeaders::Find(std::string_view name) const {
  for (const auto& [n, v] : fields_) {
    if (EqualsIgnoreCase(n, name)) return std::string_view(v);
  }
  return std::nullopt;
}

std::string PercentDecode(std::string_view in, bool plus_is_space) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%' && i + 2 < in.size()) {
      int hi = HexValue(in[i + 1]);
      int lo = HexValue(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (c == '+' && plus_is_space) ? ' ' : c;
  }
  return out;
}

QueryParams QueryParams::Parse(std::string_view encoded) {
  QueryParams params;
  while (!encoded.empty()) {
    size_t amp = encoded.find('&');
    std::string_view pair = encoded.substr(0, amp);
    encoded = amp == std::string_view::npos ? std::string_view() : encoded.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = pair.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    params.pairs_.emplace_back(PercentDecode(name, true), PercentDecode(value, true));
  }
  return params;
}

std::optional<std::string_view> QueryParams::Find(std::string_view name) const {
  for (const auto& [n, v] : pairs_) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

std::vector<std::string_view> QueryParams::GetAll(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [n, v] : pairs_) {
    if (n == name) values.emplace_back(v);
  }
  return values;
}

void QueryParams::Append(const QueryParams& other) {
  pairs_.insert(pairs_.end(), other.pairs_.begin(), other.pairs_.end());
}

std::string_view HttpRequest::PathParam(std::string_view name) const {
  for (const auto& [n, v] : path_params) {
    if (n == name) return v;
  }
  return {};
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "application/json");
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.headers.Set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

HttpResponse HttpResponse::Empty(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

HttpResponse HttpResponse::JsonError(int status, std::string_view error_type,
                                     std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject();
  w.Key("status");
  w.String("error");
  w.Key("errorType");
  w.String(error_type);
  w.Key("error");
  w.String(message);
  w.EndObject();
  return Json(status, std::move(body));
}

}  // namespace sluice::daemon
