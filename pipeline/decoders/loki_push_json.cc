#include "pipeline/decoders/loki_push_json.h"

#include <fmt/format.h>

#include "pipeline/label_string_parser.h"
#include "pipeline/stream_validation.h"
#include "pipeline/timestamp_parser.h"
#include "storage/metadata_codec.h"

namespace sluice::pipeline {
namespace {

using simdjson::ondemand::json_type;

// Where in the body a problem is, rendered only when there is one: the hot path formats nothing.
struct Where {
  size_t stream = SIZE_MAX;
  std::string_view list;  // "values", "entries" or another field of the stream
  size_t entry = SIZE_MAX;
  std::string_view detail;  // ".ts", ".line", ".stream.<name>"

  std::string ToString() const {
    if (stream == SIZE_MAX) return "";
    std::string out = fmt::format("streams[{}]", stream);
    if (!list.empty()) out += fmt::format(".{}", list);
    if (entry != SIZE_MAX) out += fmt::format("[{}]", entry);
    out += detail;
    return out;
  }
  Where In(std::string_view l) const {
    Where w = *this;
    w.list = l;
    return w;
  }
  Where At(size_t e) const {
    Where w = *this;
    w.entry = e;
    return w;
  }
  Where With(std::string_view d) const {
    Where w = *this;
    w.detail = d;
    return w;
  }
};

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
    if (auto e = ctx_.json->iterate(PaddedView(body)).get(doc)) return Json(e, Where{});
    simdjson::ondemand::object root;
    if (auto e = doc.get_object().get(root)) return Json(e, Where{});
    for (auto field : root) {
      std::string_view key;
      if (auto e = field.unescaped_key().get(key)) return Json(e, Where{});
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
        Where where;
        where.stream = index++;
        if (auto e = stream.get_object().get(obj)) return Json(e, where);
        SLUICE_RETURN_IF_ERROR(DecodeStream(obj, where));
      }
    }
    if (!AtEnd(doc)) return Status::InvalidArgument("invalid JSON: unexpected data after the body");
    return Status::Ok();
  }

 private:
  static Status Json(simdjson::error_code e, std::string_view where) {
    return Status::InvalidArgument(fmt::format(
        "{}{}invalid JSON: {}", where, where.empty() ? "" : ": ", simdjson::error_message(e)));
  }
  static Status Json(simdjson::error_code e, const Where& where) {
    return Json(e, where.ToString());
  }
  static Status Invalid(const Where& where, std::string_view what) {
    return Status::InvalidArgument(fmt::format("{}: {}", where.ToString(), what));
  }

  Status DecodeStream(simdjson::ondemand::object obj, const Where& where) {
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
        if (auto e = field.value().get_object().get(labels_obj)) return Json(e, where.In("stream"));
        for (auto l : labels_obj) {
          std::string_view name, value;
          if (auto e = l.unescaped_key().get(name)) return Json(e, where.In("stream"));
          if (l.value().get_string().get(value) != simdjson::SUCCESS) {
            return Invalid(where.In("stream").With(fmt::format(".{}", name)),
                           "label values must be strings");
          }
          labels.push_back(storage::Label{std::string(name), std::string(value)});
        }
        have_labels = true;
      } else if (key == "labels") {
        std::string_view text;
        if (auto e = field.value().get_string().get(text)) return Json(e, where.In("labels"));
        Result<storage::Labels> parsed = ParseLabelString(text);
        if (!parsed.ok()) return parsed.status().WithContext(where.In("labels").ToString());
        labels = std::move(parsed).value();
        have_labels = true;
      } else if (key == "values" || key == "entries") {
        simdjson::ondemand::value values;
        if (auto e = field.value().get(values)) return Json(e, where);
        SLUICE_RETURN_IF_ERROR(DecodeValues(values, key == "entries",
                                            where.In(key == "entries" ? "entries" : "values")));
      }
    }
    if (!have_labels) labels.clear();
    Status valid = ValidateStreamLabels(labels, *ctx_.limits);
    if (!valid.ok()) return valid.WithContext(where.ToString());
    uint32_t stream = batch_->AddStream(labels);
    for (size_t i = 0; i < pending_.size(); ++i) {
      Pending& p = pending_[i];
      std::string_view line = batch_->Text(p.line);
      Status line_ok = CheckLine(line, labels, *ctx_.limits);
      if (!line_ok.ok()) return line_ok.WithContext(where.In("values").At(i).ToString());
      Status meta_ok =
          CheckMetadata(batch_->Text(p.metadata), p.metadata_pairs, labels, *ctx_.limits);
      if (!meta_ok.ok()) return meta_ok.WithContext(where.In("values").At(i).ToString());
      storage::LogEntry e;
      e.timestamp_ns = p.ts;
      e.stream = stream;
      e.line = storage::TextRef{p.line.offset, line.size()};
      e.metadata = p.metadata;
      batch_->mutable_entries().push_back(e);
    }
    return Status::Ok();
  }

  Result<int64_t> Timestamp(simdjson::ondemand::value v, const Where& where) {
    json_type type;
    if (auto e = v.type().get(type)) return Json(e, where);
    if (type == json_type::string) {
      std::string_view s;
      if (auto e = v.get_string().get(s)) return Json(e, where);
      Result<int64_t> ts = ParseTimestamp(s, IntegerUnit::kNanoseconds);
      if (!ts.ok()) return ts.status().WithContext(where.ToString());
      return ts;
    }
    if (type == json_type::number) {
      std::string_view raw = TrimJsonToken(v.raw_json_token());
      double d;
      if (auto e = v.get_double().get(d)) return Json(e, where);
      Result<int64_t> ts = ParseTimestamp(raw);
      if (!ts.ok()) return ts.status().WithContext(where.ToString());
      return ts;
    }
    return Invalid(where, "timestamp must be a string or a number");
  }

  Status DecodeValues(simdjson::ondemand::value values_value, bool legacy, const Where& where) {
    json_type type;
    if (auto e = values_value.type().get(type)) return Json(e, where);
    if (type == json_type::null) return Status::Ok();
    simdjson::ondemand::array values;
    if (auto e = values_value.get_array().get(values)) return Json(e, where);
    size_t index = 0;
    for (auto item : values) {
      Where at = where.At(index++);
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

  Status DecodeEntry(simdjson::ondemand::value v, const Where& at) {
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
          return Invalid(at, "the line must be a string");
        }
        p.line = batch_->Store(line);
      } else if (n == 2) {
        SLUICE_RETURN_IF_ERROR(DecodeMetadata(ev, at, &p));
      } else {
        return Invalid(at, "array must have at least 2 and up to 3 values");
      }
      ++n;
    }
    if (n < 2) return Invalid(at, "array must have at least 2 and up to 3 values");
    pending_.push_back(p);
    return Status::Ok();
  }

  Status DecodeLegacyEntry(simdjson::ondemand::value v, const Where& at) {
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
        SLUICE_ASSIGN_OR_RETURN(p.ts, Timestamp(fv, at.With(".ts")));
      } else if (key == "line") {
        std::string_view line;
        if (auto e = fv.get_string().get(line)) return Json(e, at.With(".line"));
        p.line = batch_->Store(line);
        have_line = true;
      }
    }
    if (!have_line) return Invalid(at, "entry has no line");
    pending_.push_back(p);
    return Status::Ok();
  }

  Status DecodeMetadata(simdjson::ondemand::value v, const Where& at, Pending* p);

  const DecodeContext& ctx_;
  storage::LogBatch* batch_;
  std::vector<Pending> pending_;
  storage::MetadataEncoder metadata_;
};

Status LokiJsonDecoder::DecodeMetadata(simdjson::ondemand::value v, const Where& at, Pending* p) {
  json_type type;
  if (auto e = v.type().get(type)) return Json(e, at);
  if (type == json_type::null) return Status::Ok();
  simdjson::ondemand::object obj;
  if (v.get_object().get(obj) != simdjson::SUCCESS) {
    return Invalid(at, "structured metadata must be an object");
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
      if (fv.is_null().get(is_null) != simdjson::SUCCESS || !is_null)
        return Json(simdjson::INCORRECT_TYPE, at);
      continue;
    } else {
      return Invalid(at, fmt::format("structured metadata value of {} must be a string", name));
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
