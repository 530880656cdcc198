// The parser stages of a LogQL pipeline (`| json`, `| logfmt`, `| regexp`, `| pattern`,
// `| unpack`) and the helpers that reproduce Loki's and Go's conversions exactly
// (pkg/logql/log/parser.go, util.go, logfmt/decode.go; Go's strconv.ParseFloat and
// time.ParseDuration, go-humanize's ParseBytes), with the error texts that end up in
// `__error_details__`.
//
// Internal to the pipeline (logql_pipeline.cc); in a header so that tests can reach the pieces.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "query/logql_ast.h"
#include "query/logql_pipeline.h"

namespace sluice::query::logql {

// The values of `__error__` Loki sets (pkg/logqlmodel/error.go).
inline constexpr std::string_view kErrorLabel = "__error__";
inline constexpr std::string_view kErrorDetailsLabel = "__error_details__";
inline constexpr std::string_view kJsonParserErr = "JSONParserErr";
inline constexpr std::string_view kLogfmtParserErr = "LogfmtParserErr";
inline constexpr std::string_view kLabelFilterErr = "LabelFilterErr";
inline constexpr std::string_view kSampleExtractionErr = "SampleExtractionErr";
inline constexpr std::string_view kTemplateFormatErr = "TemplateFormatErr";
// The suffix of a parsed label whose name a stream label already has.
inline constexpr std::string_view kExtractedSuffix = "_extracted";

// ---- Label names ----------------------------------------------------------------------------

// Loki's sanitizeLabelKey(key, isPrefix): surrounding white space trimmed, `_` put before a
// leading digit (when is_prefix), and every character (rune) that is not [a-zA-Z0-9_] replaced
// by `_`. Appends to *out.
void AppendSanitizedLabelKey(std::string_view key, bool is_prefix, std::string* out);
std::string SanitizeLabelKey(std::string_view key, bool is_prefix = true);

// Loki's appendSanitized, which builds the flattened names of nested JSON keys: as above, the
// leading-digit `_` only when *to is empty (the first part of a name).
void AppendSanitizedJsonKey(std::string_view key, std::string* to);

// Whether `s` holds U+FFFD or a byte sequence that is not UTF-8 (Go's
// bytes.ContainsRune(s, utf8.RuneError)): Loki empties such values.
bool HasRuneError(std::string_view s);

// ---- Go conversions with Go's error texts ---------------------------------------------------

// strconv.ParseFloat(s, 64). On failure *error is Go's message
// (`strconv.ParseFloat: parsing "x": invalid syntax`).
bool ParseGoFloat(std::string_view s, double* value, std::string* error);
// time.ParseDuration (go_duration.h's ParseGoDuration) in the form of its neighbours here: the
// nanoseconds, or false with Go's message (`time: unknown unit "x" in duration "1x"`).
bool ParseGoDuration(std::string_view s, int64_t* nanoseconds, std::string* error);
// go-humanize's ParseBytes (`1KB` = 1000, `1KiB` = 1024, `5 MB`, `1,000`), with its messages
// (`unhandled size name: x`, `too large: x`, or strconv's).
bool ParseHumanBytes(std::string_view s, uint64_t* bytes, std::string* error);

// ---- logfmt ---------------------------------------------------------------------------------

// Loki's logfmt decoder (pkg/logql/log/logfmt/decode.go, after go-logfmt): `key=value`,
// `key="quoted \"value\""`, a bare `key` (no value). Allocation-free except for quoted values
// with escapes, which it unquotes into its own buffer.
class LogfmtDecoder {
 public:
  void Reset(std::string_view line);
  bool AtEnd() const { return pos_ >= line_.size(); }
  // The next pair; false at the end of the line or on a syntax error (error() then says which;
  // the decoder has skipped the bad pair and may go on).
  bool ScanKeyval();
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  // The last syntax error (`logfmt syntax error at pos 8 : unexpected '='`), empty if none.
  const std::string& error() const { return error_; }

 private:
  void SyntaxError(std::string_view message);
  void UnexpectedByte(char c);

  std::string_view line_;
  size_t pos_ = 0;
  std::string_view key_, value_;
  std::string error_;
  std::string unquoted_;
};

// Go's encoding/json unquoting of a logfmt quoted value (quotes included in `quoted`), as Loki's
// logfmt/jsonstring.go does it (invalid UTF-8 coerced to U+FFFD). False when it is not valid.
bool UnquoteLogfmt(std::string_view quoted, std::string* out);

// ---- JSON paths ----------------------------------------------------------------------------

// One step of the path of `| json label="expression"` (Loki's jsonexpr): a field (`a`, `.b`,
// `["User-Agent"]`) or an array index (`[0]`).
struct JsonPathStep {
  std::string field;
  int64_t index = -1;  // >= 0 for an index
};
// InvalidArgument when the expression does not parse.
Result<std::vector<JsonPathStep>> ParseJsonPath(std::string_view expression);

// ---- Parser stages -------------------------------------------------------------------------

// The per-thread state parsers share (the JSON parser and its padded copy of the line, name and
// value buffers). One per PipelineRun.
class ParserScratch {
 public:
  ParserScratch();
  ~ParserScratch();
  ParserScratch(const ParserScratch&) = delete;
  ParserScratch& operator=(const ParserScratch&) = delete;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// A compiled parser stage. Parsers never drop an entry: they add labels, or set `__error__`.
class LineParser {
 public:
  virtual ~LineParser() = default;
  // Parses `line` into `labels`. Sets *line_out to the line for the next stages: `line` itself,
  // or (unpack's `_entry`) a view of `scratch`, valid until the next call with that scratch.
  virtual void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
                       std::string_view* line_out) const = 0;
};

// InvalidArgument, with Loki's wording, for what cannot be compiled: a regexp that does not parse
// or has no named group, a pattern without a named capture, a JSON path that does not parse, an
// extracted label name that is not valid.
Result<std::unique_ptr<LineParser>> CompileLineParser(const Parser& parser);

}  // namespace sluice::query::logql
