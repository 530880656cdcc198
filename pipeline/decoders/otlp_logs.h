// OTLP/HTTP logs (POST /v1/logs, /otlp/v1/logs), in JSON and protobuf encoding, mapped to streams
// and entries the way Loki's own OTLP endpoint does it:
//
//   - resource attributes named in `index_attributes` become stream labels, their names normalized
//     (service.name -> service_name); when service.name is absent, service_name is taken from the
//     first of the usual candidates (app, application, container, job, ...) or "unknown_service";
//   - the body becomes the line (strings as they are, maps and arrays as JSON);
//   - log attributes, other resource attributes, scope name/version/attributes, severity, trace_id
//     and span_id (hex), flags and observed_timestamp become structured metadata;
//   - the timestamp is time_unix_nano, else observed_time_unix_nano, else now.
//
// A record that breaks a limit is rejected alone and counted in OtlpResult (OTLP's partial
// success); a body that cannot be parsed is an error.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/decoders/decode_context.h"
#include "storage/log_batch.h"

namespace sluice::pipeline {

struct OtlpOptions {
  std::vector<std::string> index_attributes{
      "service.name",          "service.namespace",       "service.instance.id",
      "deployment.environment", "deployment.environment.name", "cloud.region",
      "cloud.availability_zone", "k8s.cluster.name",       "k8s.namespace.name",
      "k8s.pod.name",          "k8s.container.name",      "container.name",
      "k8s.replicaset.name",   "k8s.deployment.name",     "k8s.statefulset.name",
      "k8s.daemonset.name",    "k8s.cronjob.name",        "k8s.job.name"};

  bool operator==(const OtlpOptions&) const = default;
};

struct OtlpResult {
  int64_t rejected = 0;
  std::string error_message;  // the first rejection's reason
};

// `body` must be padded (see PaddedView).
Status DecodeOtlpLogsJson(std::string_view body, const OtlpOptions& options,
                          const DecodeContext& ctx, storage::LogBatch* batch, OtlpResult* result);
Status DecodeOtlpLogsProto(std::string_view body, const OtlpOptions& options,
                           const DecodeContext& ctx, storage::LogBatch* batch, OtlpResult* result);

// ExportLogsServiceResponse: "{}" or {"partialSuccess":{...}}; protobuf the same.
std::string OtlpResponseJson(const OtlpResult& result);
std::string OtlpResponseProto(const OtlpResult& result);
// google.rpc.Status carrying `message`, the body of an OTLP error answer.
std::string OtlpErrorJson(std::string_view message);
std::string OtlpErrorProto(std::string_view message);

// Loki's normalization of an OTLP attribute name into a label name (prometheus/otlptranslator):
// characters outside [a-zA-Z0-9_] become '_', a leading digit gets "key_", a leading single '_'
// gets "key".
std::string NormalizeOtlpName(std::string_view name);

}  // namespace sluice::pipeline
