// Elasticsearch's bulk body (POST /_bulk, /{index}/_bulk): NDJSON action lines, each `index` or
// `create` followed by its document; blank lines anywhere are skipped (rsyslog writes one after
// every document), a final newline is optional, `_type` and other action metadata are ignored.
// `update` and `delete` are answered per item with 400: Sluice stores logs, it does not edit them.
//
// Problems with one document (bad JSON, bad timestamp, line too long) fail only that item, as in
// Elasticsearch. A malformed action line fails the whole request: what follows cannot be framed.
//
// Stream labels: the mapping's stream fields, or else {index="<_index>"} from the action (or the
// URL's {index}).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "pipeline/decoders/decode_context.h"
#include "pipeline/decoders/json_document.h"
#include "storage/log_batch.h"

namespace sluice::pipeline {

struct BulkItem {
  std::string op;     // index, create, update, delete: echoed in the response
  std::string index;  // _index of the action, else the default
  std::string id;     // _id of the action, or "" (the response generates one)
  int status = 201;
  std::string error_type;
  std::string error_reason;
};

struct BulkRequest {
  const FieldMapping* mapping = nullptr;
  std::string_view default_index;  // from /{index}/_bulk
};

// Appends the valid documents to `batch` and one item per action to `items`. Returns an error
// only when the body cannot be framed.
Status DecodeEsBulk(std::string_view body, const BulkRequest& request, const DecodeContext& ctx,
                    storage::LogBatch* batch, std::vector<BulkItem>* items);

}  // namespace sluice::pipeline
