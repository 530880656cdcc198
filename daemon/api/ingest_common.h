// What the log ingest handlers share: the tenant of a request, the field mapping of JSON
// documents, and submitting to the IngestService with the request's admission lease held until
// the answer.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/result.h"
#include "daemon/http/http_message.h"
#include "daemon/http/responder.h"
#include "pipeline/field_mapping.h"
#include "pipeline/ingest_service.h"

namespace sluice::daemon {

struct IngestApi {
  pipeline::IngestService* service = nullptr;
  std::string default_tenant = "fake";
  pipeline::FieldMapping default_fields;
  std::chrono::seconds retry_after{1};
};

// The tenant named by X-Scope-OrgID (Loki's rules: up to 150 of [a-zA-Z0-9!-_.*'()], not "." or
// ".."), or the default tenant when the header is absent.
Result<std::string> RequestTenant(const HttpRequest& request, const std::string& default_tenant);

// The mapping for this request: query arguments (_msg_field, ...) over headers (VL-Msg-Field,
// ...) over `defaults`.
Result<pipeline::FieldMapping> RequestFieldMapping(const HttpRequest& request,
                                                   const pipeline::FieldMapping& defaults);

// The HTTP status for a write that failed after decoding: 503 (retryable) for every storage
// problem, so that shippers retry rather than drop.
int StatusForWriteFailure(const Status& status);

// The media type without parameters, lower-cased: "application/json; charset=utf-8" ->
// "application/json".
std::string MediaType(std::string_view content_type);

// A text/plain error answer (with nosniff, as Loki and Prometheus send theirs).
HttpResponse PlainError(int status, std::string_view message);

// `r` with Retry-After: what every 503 of an ingest endpoint carries.
HttpResponse WithRetryAfter(HttpResponse r, std::chrono::seconds retry_after);

// An OTLP answer: `body` is JSON or protobuf as the request was.
HttpResponse OtlpAnswer(int status, bool json, std::string body);

using IngestAnswer = std::function<HttpResponse(const pipeline::IngestResult&)>;

// Moves the body into an IngestRequest of `format`, submits it, and answers with `answer` once
// the result is known. The request's admission lease is released after the answer is sent off.
void SubmitIngest(const IngestApi& api, HttpRequest&& request, pipeline::IngestRequest ingest,
                  Responder responder, IngestAnswer answer);

// An OTLP/HTTP export (logs or metrics): JSON or protobuf by Content-Type, submitted as
// `json_format` or `proto_format`; answered 200 with `success_body(result, json)`, or with a
// google.rpc.Status in the request's encoding (400 invalid, 503 + Retry-After otherwise).
void SubmitOtlp(const IngestApi& api, HttpRequest&& request, Responder responder,
                pipeline::IngestFormat json_format, pipeline::IngestFormat proto_format,
                std::function<std::string(const pipeline::IngestResult&, bool json)> success_body);

}  // namespace sluice::daemon
