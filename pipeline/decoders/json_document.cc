#include "pipeline/decoders/json_document.h"

#include <fmt/format.h>

#include "pipeline/label_string_parser.h"
#include "pipeline/stream_validation.h"
#include "pipeline/timestamp_parser.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline {
namespace {

constexpr int kMaxDepth = 64;

Status JsonError(simdjson::error_code e) {
  return Status::InvalidArgument(fmt::format("invalid JSON: {}", simdjson::error_message(e)));
}

}  // namespace

Status JsonDocumentDecoder::Flatten(simdjson::ondemand::object object, std::string& prefix,
                                    int depth) {
  if (depth > kMaxDepth) return Status::InvalidArgument("JSON nested too deeply");
  size_t base = prefix.size();
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return JsonError(e);
    prefix.resize(base);
    if (base > 0) prefix.push_back('.');
    prefix.append(key);
    simdjson::ondemand::value value;
    if (auto e = field.value().get(value)) return JsonError(e);
    simdjson::ondemand::json_type type;
    if (auto e = value.type().get(type)) return JsonError(e);
    switch (type) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object inner;
        if (auto e = value.get_object().get(inner)) return JsonError(e);
        SLUICE_RETURN_IF_ERROR(Flatten(inner, prefix, depth + 1));
        break;
      }
      case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array array;
        std::string_view raw;
        if (auto e = value.get_array().get(array)) return JsonError(e);
        if (auto e = array.raw_json().get(raw)) return JsonError(e);
        fields_.emplace_back(prefix, TrimJsonToken(raw));
        break;
      }
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (auto e = value.get_string().get(s)) return JsonError(e);
        if (!s.empty()) fields_.emplace_back(prefix, s);
        break;
      }
      case simdjson::ondemand::json_type::null: {
        bool is_null = false;
        if (value.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
          return Status::InvalidArgument("invalid JSON: bad null");
        }
        break;
      }
      default: {  // number, boolean: their JSON text
        std::string_view raw = TrimJsonToken(value.raw_json_token());
        if (type == simdjson::ondemand::json_type::boolean) {
          bool b;
          if (auto e = value.get_bool().get(b)) return JsonError(e);
        } else {
          simdjson::ondemand::number n;
          if (auto e = value.get_number().get(n)) return JsonError(e);
        }
        fields_.emplace_back(prefix, raw);
      }
    }
  }
  prefix.resize(base);
  return Status::Ok();
}

Status JsonDocumentDecoder::Add(std::string_view raw, const FieldMapping& mapping,
                                const storage::Labels& default_labels, const DecodeContext& ctx,
                                storage::LogBatch* batch) {
  fields_.clear();
  raw = TrimJsonToken(raw);
  simdjson::ondemand::document doc;
  if (auto e = ctx.json->iterate(PaddedView(raw)).get(doc)) return JsonError(e);
  simdjson::ondemand::json_type type;
  if (auto e = doc.type().get(type)) return JsonError(e);
  if (type != simdjson::ondemand::json_type::object) {
    return Status::InvalidArgument("expected a JSON object");
  }
  simdjson::ondemand::object object;
  if (auto e = doc.get_object().get(object)) return JsonError(e);
  std::string prefix;
  SLUICE_RETURN_IF_ERROR(Flatten(object, prefix, 0));
  if (!AtEnd(doc)) return Status::InvalidArgument("unexpected data after the JSON object");

  auto take = [&](const std::vector<std::string>& names,
                  bool need_value) -> std::optional<std::string> {
    for (const std::string& name : names) {
      for (auto it = fields_.begin(); it != fields_.end(); ++it) {
        if (it->first != name || (need_value && it->second.empty())) continue;
        std::string value = std::move(it->second);
        fields_.erase(it);
        return value;
      }
    }
    return std::nullopt;
  };

  int64_t ts = ctx.now_ns;
  if (std::optional<std::string> t = take(mapping.time_fields, false)) {
    if (!t->empty() && *t != "0") {
      Result<int64_t> parsed = ParseTimestamp(*t);
      if (!parsed.ok()) return parsed.status();
      ts = *parsed;
    }
  }

  storage::Labels labels;
  if (mapping.stream_fields.empty()) {
    // A "_stream" field written as {a="b"} (VictoriaLogs' and Sluice's export) names the stream.
    if (std::optional<std::string> stream = take({std::string("_stream")}, true)) {
      Result<storage::Labels> parsed = ParseLabelString(*stream);
      if (!parsed.ok()) return parsed.status().WithContext("_stream");
      labels = std::move(parsed).value();
    } else {
      labels = default_labels;
    }
  } else {
    for (const std::string& name : mapping.stream_fields) {
      for (auto it = fields_.begin(); it != fields_.end(); ++it) {
        if (it->first != name) continue;
        labels.push_back(storage::Label{SanitizeLabelName(name), std::move(it->second)});
        fields_.erase(it);
        break;
      }
    }
  }
  SLUICE_RETURN_IF_ERROR(ValidateStreamLabels(labels, *ctx.limits));

  std::optional<std::string> message = take(mapping.msg_fields, true);
  std::string_view line = message ? std::string_view(*message) : raw;
  SLUICE_RETURN_IF_ERROR(CheckLine(line, labels, *ctx.limits));

  storage::MetadataEncoder metadata;
  int pairs = 0;
  if (message) {
    std::erase_if(fields_,
                  [&](const auto& f) { return FieldMatches(mapping.ignore_fields, f.first); });
    for (const auto& extra : mapping.extra_fields) {
      std::erase_if(fields_, [&](const auto& f) { return f.first == extra.first; });
      fields_.emplace_back(extra.first, extra.second);
    }
    for (const auto& [name, value] : fields_) {
      metadata.Add(SanitizeLabelName(name), value);
      ++pairs;
    }
  } else {
    for (const auto& [name, value] : mapping.extra_fields) {
      metadata.Add(SanitizeLabelName(name), value);
      ++pairs;
    }
  }
  std::string encoded = metadata.Finish();
  SLUICE_RETURN_IF_ERROR(CheckMetadata(encoded, pairs, labels, *ctx.limits));
  uint32_t stream = batch->AddStream(std::move(labels));
  batch->AddEntry(stream, ts, line, encoded);
  return Status::Ok();
}

}  // namespace sluice::pipeline
