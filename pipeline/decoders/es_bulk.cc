#include "pipeline/decoders/es_bulk.h"

#include <fmt/format.h>

namespace sluice::pipeline {
namespace {

std::string_view TrimLine(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Splits the body into lines, skipping blank ones; remembers line numbers for errors.
class LineReader {
 public:
  explicit LineReader(std::string_view body) : rest_(body) {}
  bool Next(std::string_view* line, size_t* number) {
    while (!rest_.empty()) {
      size_t nl = rest_.find('\n');
      std::string_view raw = rest_.substr(0, nl);
      rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
      ++line_number_;
      std::string_view trimmed = TrimLine(raw);
      if (trimmed.empty()) continue;
      *line = trimmed;
      *number = line_number_;
      return true;
    }
    return false;
  }

 private:
  std::string_view rest_;
  size_t line_number_ = 0;
};

Status ParseAction(std::string_view line, size_t number, const DecodeContext& ctx, BulkItem* item) {
  auto malformed = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("Malformed action/metadata line [{}]: {}", number, why));
  };
  simdjson::ondemand::document doc;
  if (ctx.json->iterate(PaddedView(line)).get(doc)) return malformed("not JSON");
  simdjson::ondemand::object root;
  if (doc.get_object().get(root)) return malformed("expected an object");
  size_t keys = 0;
  for (auto field : root) {
    std::string_view op;
    if (field.unescaped_key().get(op)) return malformed("not JSON");
    if (++keys > 1) return malformed("expected exactly one action");
    item->op = std::string(op);
    simdjson::ondemand::object meta;
    if (field.value().get_object().get(meta)) return malformed("action metadata must be an object");
    for (auto m : meta) {
      std::string_view key;
      if (m.unescaped_key().get(key)) return malformed("not JSON");
      std::string_view value;
      if (key == "_index" && !m.value().get_string().get(value)) {
        item->index = std::string(value);
      } else if (key == "_id" && !m.value().get_string().get(value)) {
        item->id = std::string(value);
      }
    }
  }
  if (keys == 0) return malformed("expected exactly one action");
  if (!AtEnd(doc)) return malformed("unexpected data after the action");
  if (item->op != "index" && item->op != "create" && item->op != "update" && item->op != "delete") {
    return malformed(fmt::format("unknown action [{}]", item->op));
  }
  return Status::Ok();
}

}  // namespace

Status DecodeEsBulk(std::string_view body, const BulkRequest& request, const DecodeContext& ctx,
                    storage::LogBatch* batch, std::vector<BulkItem>* items) {
  LineReader lines(body);
  JsonDocumentDecoder documents;
  std::string_view line;
  size_t number = 0;
  while (lines.Next(&line, &number)) {
    BulkItem item;
    item.index = std::string(request.default_index);
    SLUICE_RETURN_IF_ERROR(ParseAction(line, number, ctx, &item));
    if (item.op == "delete") {
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason = "delete is not supported: Sluice stores logs and does not remove single documents";
      items->push_back(std::move(item));
      continue;
    }
    std::string_view document;
    size_t document_number = 0;
    if (!lines.Next(&document, &document_number)) {
      return Status::InvalidArgument(
          fmt::format("Malformed action/metadata line [{}]: the {} action has no document", number, item.op));
    }
    if (item.op == "update") {
      item.status = 400;
      item.error_type = "illegal_argument_exception";
      item.error_reason = "update is not supported: Sluice stores logs and does not edit them";
      items->push_back(std::move(item));
      continue;
    }
    storage::Labels default_labels;
    if (!item.index.empty()) default_labels.push_back(storage::Label{"index", item.index});
    Status added = documents.Add(document, *request.mapping, default_labels, ctx, batch);
    if (!added.ok()) {
      item.status = 400;
      item.error_type = "document_parsing_exception";
      item.error_reason = fmt::format("line [{}]: {}", document_number, added.message());
    }
    items->push_back(std::move(item));
  }
  return Status::Ok();
}

}  // namespace sluice::pipeline
