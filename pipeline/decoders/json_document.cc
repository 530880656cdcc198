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

void JsonDocumentDecoder::AddField(std::string_view value) {
  Field f;
  f.name_offset = static_cast<uint32_t>(names_.size());
  f.name_size = static_cast<uint32_t>(prefix_.size());
  names_.append(prefix_);
  f.value = value;
  fields_.push_back(f);
}

JsonDocumentDecoder::Field* JsonDocumentDecoder::Take(const std::vector<std::string>& names,
                                                      bool need_value) {
  for (const std::string& name : names) {
    for (Field& f : fields_) {
      if (f.taken || NameOf(f) != name || (need_value && f.value.empty())) continue;
      f.taken = true;
      return &f;
    }
  }
  return nullptr;
}

Status JsonDocumentDecoder::Flatten(simdjson::ondemand::object object, int depth) {
  if (depth > kMaxDepth) return Status::InvalidArgument("JSON nested too deeply");
  size_t base = prefix_.size();
  for (auto field : object) {
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return JsonError(e);
    prefix_.resize(base);
    if (base > 0) prefix_.push_back('.');
    prefix_.append(key);
    simdjson::ondemand::value value;
    if (auto e = field.value().get(value)) return JsonError(e);
    simdjson::ondemand::json_type type;
    if (auto e = value.type().get(type)) return JsonError(e);
    switch (type) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object inner;
        if (auto e = value.get_object().get(inner)) return JsonError(e);
        SLUICE_RETURN_IF_ERROR(Flatten(inner, depth + 1));
        break;
      }
      case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array array;
        std::string_view raw;
        if (auto e = value.get_array().get(array)) return JsonError(e);
        if (auto e = array.raw_json().get(raw)) return JsonError(e);
        AddField(TrimJsonToken(raw));
        break;
      }
      case simdjson::ondemand::json_type::string: {
        std::string_view s;
        if (auto e = value.get_string().get(s)) return JsonError(e);
        if (!s.empty()) AddField(s);
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
        AddField(raw);
      }
    }
  }
  prefix_.resize(base);
  return Status::Ok();
}

Status JsonDocumentDecoder::Add(std::string_view raw, const FieldMapping& mapping,
                                const storage::Labels& default_labels, const DecodeContext& ctx,
                                storage::LogBatch* batch) {
  fields_.clear();
  names_.clear();
  prefix_.clear();
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
  SLUICE_RETURN_IF_ERROR(Flatten(object, 0));
  if (!AtEnd(doc)) return Status::InvalidArgument("unexpected data after the JSON object");

  int64_t ts = ctx.now_ns;
  if (Field* t = Take(mapping.time_fields, false);
      t != nullptr && !t->value.empty() && t->value != "0") {
    Result<int64_t> parsed = ParseTimestamp(t->value);
    if (!parsed.ok()) return parsed.status();
    ts = *parsed;
  }

  storage::Labels labels;
  if (mapping.stream_fields.empty()) {
    // A "_stream" field written as {a="b"} (VictoriaLogs' and Sluice's export) names the stream.
    static const std::vector<std::string> kStreamField{"_stream"};
    if (Field* stream = Take(kStreamField, true)) {
      Result<storage::Labels> parsed = ParseLabelString(stream->value);
      if (!parsed.ok()) return parsed.status().WithContext("_stream");
      labels = std::move(parsed).value();
    } else {
      labels = default_labels;
    }
  } else {
    for (const std::string& name : mapping.stream_fields) {
      std::vector<std::string> one{name};
      if (Field* f = Take(one, false)) {
        labels.push_back(storage::Label{SanitizeLabelName(name), std::string(f->value)});
      }
    }
  }
  // Most documents of a request share their stream: skip validation and fingerprinting then.
  bool same_stream = last_batch_ == batch && batch->streams().size() == last_batch_streams_ &&
                     labels == last_labels_ && !last_labels_.empty();
  storage::Labels as_sent;
  if (!same_stream) {
    as_sent = labels;
    SLUICE_RETURN_IF_ERROR(ValidateStreamLabels(labels, *ctx.limits));
  } else {
    labels = batch->streams()[last_stream_].labels;
  }

  Field* message = Take(mapping.msg_fields, true);
  std::string_view line = message != nullptr ? message->value : raw;
  SLUICE_RETURN_IF_ERROR(CheckLine(line, labels, *ctx.limits));

  metadata_.Clear();
  int pairs = 0;
  auto add = [&](std::string_view name, std::string_view value) {
    metadata_.Add(SanitizeLabelName(name, &sanitized_), value);
    ++pairs;
  };
  if (message != nullptr) {
    for (const Field& f : fields_) {
      std::string_view name = NameOf(f);
      if (f.taken || FieldMatches(mapping.ignore_fields, name)) continue;
      bool overridden = std::any_of(mapping.extra_fields.begin(), mapping.extra_fields.end(),
                                    [&](const auto& extra) { return extra.first == name; });
      if (!overridden) add(name, f.value);
    }
  }
  for (const auto& extra : mapping.extra_fields) add(extra.first, extra.second);
  std::string encoded = metadata_.Finish();
  SLUICE_RETURN_IF_ERROR(CheckMetadata(encoded, pairs, labels, *ctx.limits));
  uint32_t stream = same_stream ? last_stream_ : batch->AddStream(std::move(labels));
  if (!same_stream) {
    last_labels_ = std::move(as_sent);
    last_batch_ = batch;
    last_stream_ = stream;
    last_batch_streams_ = batch->streams().size();
  }
  batch->AddEntry(stream, ts, line, encoded);
  return Status::Ok();
}

}  // namespace sluice::pipeline
