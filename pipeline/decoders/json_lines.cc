#include "pipeline/decoders/json_lines.h"

#include <fmt/format.h>

#include "pipeline/decoders/json_document.h"

namespace sluice::pipeline {

namespace {

// Calls `f(line, number)` for every non-blank line; stops when it returns an error.
template <typename F>
Status ForEachLine(std::string_view body, F f) {
  size_t number = 0;
  while (!body.empty()) {
    size_t nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    ++number;
    size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) continue;
    SLUICE_RETURN_IF_ERROR(f(line.substr(first), number));
  }
  return Status::Ok();
}

}  // namespace

Status DecodeJsonLines(std::string_view body, const FieldMapping& mapping, const DecodeContext& ctx,
                       storage::LogBatch* batch) {
  JsonDocumentDecoder documents;
  return ForEachLine(body, [&](std::string_view line, size_t number) {
    return documents.Add(line, mapping, {}, ctx, batch).WithContext(fmt::format("line {}", number));
  });
}

void DecodeJsonLinesLenient(std::string_view body, const FieldMapping& mapping,
                            const DecodeContext& ctx, storage::LogBatch* batch, int64_t* rejected,
                            std::string* first_error) {
  JsonDocumentDecoder documents;
  (void)ForEachLine(body, [&](std::string_view line, size_t) {
    Status s = documents.Add(line, mapping, {}, ctx, batch);
    if (!s.ok()) {
      ++*rejected;
      if (first_error->empty()) *first_error = s.message();
    }
    return Status::Ok();
  });
}

}  // namespace sluice::pipeline
