#include "pipeline/decoders/loki_push_json.h"

#include <fmt/format.h>

#include "pipeline/label_string_parser.h"
#include "pipeline/stream_validation.h"
#include "pipeline/timestamp_parser.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline {
namespace {

using simdjson::ondemand::json_type;

class LokiJsonDecoder {
  struct Pending {
    int64_t ts;
    storage::TextRef line;
    storage::TextRef metadata;
    int metadata_pairs;
  };

 public:
  LokiJsonDecoder(const DecodeContext& ctx, storage::LogBatch* batch) : ctx_(ctx), batch_(batch) {}

  Status Decode(std::string_view body) {
    simdjson::ondemand::document doc;
    if (auto e = ctx_.json->iterate(PaddedView(body)).get(doc)) return Json(e, "");
    simdjson::ondemand::object root;
    if (auto e = doc.get_object().get(root)) return Json(e, "");
    for (auto field : root) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Json(e, "");
      if (key != "streams") continue;  // unknown fields are ignored, as Go's decoder does
      simdjson::ondemand::value streams_value;
      if (auto e = field.value().get(streams_value)) return Json(e, "streams");
      json_type type;
      if (auto e = streams_value.type().get(type)) return Json(e, "streams");
      if (type == json_type::null) continue;
      simdjson::ondemand::array streams;
      if (auto e = streams_value.get_array().get(streams)) return Json(e, "streams");
      size_t index = 0;
      for (auto stream : streams) {
        simdjson::ondemand::object obj;
        std::string where = fmt::format("streams[{}]", index++);
        if (auto e = stream.get_object().get(obj)) return Json(e, where);
        SLUICE_RETURN_IF_ERROR(DecodeStream(obj, where));
      }
    }
    if (!AtEnd(doc)) return Status::InvalidArgument("invalid JSON: unexpected data after the body");
    return Status::Ok();
  }

 private:
  static Status Json(simdjson::error_code e, std::string_view where) {
    return Status::InvalidArgument(fmt::format("{}{}invalid JSON: {}", where,
                                               where.empty() ? "" : ": ",
                                               simdjson::error_message(e)));
  }

  Status DecodeStream(simdjson::ondemand::object obj, const std::string& where) {
    // Labels come before values in every client we know, but JSON does not promise it: values
    // seen first are buffered until the labels are known.
    storage::Labels labels;
    bool have_labels = false;
    pending_.clear();
    for (auto field : obj) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Json(e, where);
      if (key == "stream") {
        simdjson::ondemand::object labels_obj;
        if (auto e = field.value().get_object().get(labels_obj)) return Json(e, where + ".stream");
        for (auto l : labels_obj) {
          std::string_view name, value;
          if (auto e = l.unescaped_key().get(name)) return Json(e, where + ".stream");
          if (l.value().get_string().get(value) != simdjson::SUCCESS) {
            return Status::InvalidArgument(
                fmt::format("{}.stream.{}: label values must be strings", where, name));
          }
          labels.push_back(storage::Label{std::string(name), std::string(value)});
        }
        have_labels = true;
      } else if (key == "labels") {
        std::string_view text;
        if (auto e = field.value().get_string().get(text)) return Json(e, where + ".labels");
        Result<storage::Labels> parsed = ParseLabelString(text);
        if (!parsed.ok()) return parsed.status().WithContext(where + ".labels");
        labels = std::move(parsed).value();
        have_labels = true;
      } else if (key == "values" || key == "entries") {
        simdjson::ondemand::value values;
        if (auto e = field.value().get(values)) return Json(e, where);
        SLUICE_RETURN_IF_ERROR(DecodeValues(values, key == "entries", where + "." + std::string(key)));
      }
    }
    if (!have_labels) labels.clear();
    Status valid = ValidateStreamLabels(labels, *ctx_.limits);
    if (!valid.ok()) return valid.WithContext(where);
    uint32_t stream = batch_->AddStream(labels);
    for (size_t i = 0; i < pending_.size(); ++i) {
      Pending& p = pending_[i];
      std::string_view line = batch_->Text(p.line);
      Status line_ok = CheckLine(line, labels, *ctx_.limits);
      if (!line_ok.ok()) return line_ok.WithContext(fmt::format("{}.values[{}]", where, i));
      Status meta_ok = CheckMetadata(batch_->Text(p.metadata), p.metadata_pairs, labels, *ctx_.limits);
      if (!meta_ok.ok()) return meta_ok.WithContext(fmt::format("{}.values[{}]", where, i));
      storage::LogEntry e;
      e.timestamp_ns = p.ts;
      e.stream = stream;
      e.line = storage::TextRef{p.line.offset, line.size()};
      e.metadata = p.metadata;
      batch_->mutable_entries().push_back(e);
    }
    return Status::Ok();
  }

  Result<int64_t> Timestamp(simdjson::ondemand::value v, const std::string& where) {
    json_type type;
    if (auto e = v.type().get(type)) return Json(e, where);
    if (type == json_type::string) {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return Json(e, where);
      Result<int64_t> ts = ParseTimestamp(s, IntegerUnit::kNanoseconds);
      if (!ts.ok()) return ts.status().WithContext(where);
      return ts;
    }
    if (type == json_type::number) {
      std::string_view raw = TrimJsonToken(v.raw_json_token());
      double d;
      if (auto e = v.get_double().get(d)) return Json(e, where);
      Result<int64_t> ts = ParseTimestamp(raw);
      if (!ts.ok()) return ts.status().WithContext(where);
      return ts;
    }
    return Status::InvalidArgument(fmt::format("{}: timestamp must be a string or a number", where));
  }

  Status DecodeValues(simdjson::ondemand::value values_value, bool legacy, const std::string& where) {
    json_type type;
    if (auto e = values_value.type().get(type)) return Json(e, where);
    if (type == json_type::null) return Status::Ok();
    simdjson::ondemand::array values;
    if (auto e = values_value.get_array().get(values)) return Json(e, where);
    size_t index = 0;
    for (auto item : values) {
      std::string at = fmt::format("{}[{}]", where, index++);
      simdjson::ondemand::value v;
      if (auto e = item.get(v)) return Json(e, at);
      if (legacy) {
        SLUICE_RETURN_IF_ERROR(DecodeLegacyEntry(v, at));
      } else {
        SLUICE_RETURN_IF_ERROR(DecodeEntry(v, at));
      }
    }
    return Status::Ok();
  }

  Status DecodeEntry(simdjson::ondemand::value v, const std::string& at) {
    json_type type;
    if (auto e = v.type().get(type)) return Json(e, at);
    if (type == json_type::null) return Status::Ok();
    simdjson::ondemand::array entry;
    if (auto e = v.get_array().get(entry)) return Json(e, at);
    Pending p{};
    size_t n = 0;
    for (auto element : entry) {
      simdjson::ondemand::value ev;
      if (auto e = element.get(ev)) return Json(e, at);
      if (n == 0) {
        SLUICE_ASSIGN_OR_RETURN(p.ts, Timestamp(ev, at));
      } else if (n == 1) {
        std::string_view line;
        if (ev.get_string().get(line) != simdjson::SUCCESS) {
          return Status::InvalidArgument(fmt::format("{}: the line must be a string", at));
        }
        p.line = batch_->Store(line);
      } else if (n == 2) {
        SLUICE_RETURN_IF_ERROR(DecodeMetadata(ev, at, &p));
      } else {
        return Status::InvalidArgument(fmt::format("{}: array must have at least 2 and up to 3 values", at));
      }
      ++n;
    }
    if (n < 2) return Status::InvalidArgument(fmt::format("{}: array must have at least 2 and up to 3 values", at));
    pending_.push_back(p);
    return Status::Ok();
  }

  Status DecodeLegacyEntry(simdjson::ondemand::value v, const std::string& at) {
    simdjson::ondemand::object entry;
    if (auto e = v.get_object().get(entry)) return Json(e, at);
    Pending p{};
    p.ts = ctx_.now_ns;
    bool have_line = false;
    for (auto field : entry) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Json(e, at);
      simdjson::ondemand::value fv;
      if (auto e = field.value().get(fv)) return Json(e, at);
      if (key == "ts" || key == "timestamp") {
        SLUICE_ASSIGN_OR_RETURN(p.ts, Timestamp(fv, at + ".ts"));
      } else if (key == "line") {
        std::string_view line;
        if (auto e = fv.get_string().get(line)) return Json(e, at + ".line");
        p.line = batch_->Store(line);
        have_line = true;
      }
    }
    if (!have_line) return Status::InvalidArgument(fmt::format("{}: entry has no line", at));
    pending_.push_back(p);
    return Status::Ok();
  }

  Status DecodeMetadata(simdjson::ondemand::value v, const std::string& at, Pending* p);

  const DecodeContext& ctx_;
  storage::LogBatch* batch_;
  std::vector<Pending> pending_;
  storage::MetadataEncoder metadata_;
};

Status LokiJsonDecoder::DecodeMetadata(simdjson::ondemand::value v, const std::string& at,
                                       Pending* p) {
  json_type type;
  if (auto e = v.type().get(type)) return Json(e, at);
  if (type == json_type::null) return Status::Ok();
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    return Status::InvalidArgument(fmt::format("{}: structured metadata must be an object", at));
  }
  metadata_.Clear();
  int pairs = 0;
  for (auto field : obj) {
    std::string_view name;
    if (auto e = field.unescaped_key().get(name)) return Json(e, at);
    simdjson::ondemand::value fv;
    if (auto e = field.value().get(fv)) return Json(e, at);
    json_type ft;
    if (auto e = fv.type().get(ft)) return Json(e, at);
    std::string_view value;
    if (ft == json_type::string) {
      if (auto e = fv.get_string().get(value)) return Json(e, at);
    } else if (ft == json_type::number || ft == json_type::boolean) {
      value = TrimJsonToken(fv.raw_json_token());
      if (ft == json_type::number) {
        double d;
        if (auto e = fv.get_double().get(d)) return Json(e, at);
      } else {
        bool b;
        if (auto e = fv.get_bool().get(b)) return Json(e, at);
      }
    } else if (ft == json_type::null) {
      bool is_null = false;
      if (fv.is_null().get(is_null) != simdjson::SUCCESS || !is_null) return Json(simdjson::INCORRECT_TYPE, at);
      continue;
    } else {
      return Status::InvalidArgument(
          fmt::format("{}: structured metadata value of {} must be a string", at, name));
    }
    if (value.empty()) continue;
    metadata_.Add(SanitizeLabelName(name), value);
    ++pairs;
  }
  p->metadata = batch_->Store(metadata_.Finish());
  p->metadata_pairs = pairs;
  return Status::Ok();
}

}  // namespace

Status DecodeLokiPushJson(std::string_view body, const DecodeContext& ctx,
                          storage::LogBatch* batch) {
  return LokiJsonDecoder(ctx, batch).Decode(body);
}

}  // namespace sluice::pipeline
