// The LogQL log pipeline: the stages of a log selector (line filters, parsers, label filters,
// line_format, label_format, drop/keep, decolorize, and a metric query's unwrap) compiled once
// per query and run over each entry, with Loki's semantics (pkg/logql/log): parsed labels that
// clash with a stream label get the suffix `_extracted`, errors set `__error__` (and
// `__error_details__`) instead of dropping the entry, and so on.
//
// One Pipeline per query; a PipelineRun per thread that executes it (it holds the per-entry
// buffers). Neither is shared between threads while running.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "query/logql_ast.h"
#include "storage/labels.h"

namespace sluice::query::logql {

// Loki's three kinds of label on a log entry (the categories of `categorize-labels`).
enum class LabelCategory : uint8_t { kStream, kStructuredMetadata, kParsed };

// The labels of one entry as the pipeline changes them: the stream's (indexed) labels, the
// entry's structured metadata, and what parsers and label_format add. Reset per entry; no
// allocation per entry once warm.
class LabelsBuilder {
 public:
  LabelsBuilder();
  ~LabelsBuilder();
  LabelsBuilder(const LabelsBuilder&) = delete;
  LabelsBuilder& operator=(const LabelsBuilder&) = delete;

  // Starts an entry of a stream whose (canonical) labels are `stream`; they must outlive the
  // entry.
  void Reset(const storage::Labels& stream);
  void AddStructuredMetadata(std::string_view name, std::string_view value);

  // The current value of `name` (whatever its category), or nullopt when it has none;
  // `__error__` and `__error_details__` read the entry's error (what templates and string label
  // filters see). Views stay valid until the builder changes.
  std::optional<std::string_view> Get(std::string_view name) const;
  // Loki's LabelsBuilder.Get: as Get, but the error labels are not labels here (numeric filters,
  // unwrap and renames read labels this way).
  std::optional<std::string_view> GetLabel(std::string_view name) const;
  // Whether the stream (not the entry: deleting a stream label does not change it) has `name`:
  // what decides `_extracted`.
  bool StreamHas(std::string_view name) const;
  // A label set by a parser: named `<name>_extracted` when the stream already has `name`.
  void SetParsed(std::string_view name, std::string_view value);
  // label_format and the like: replaces the label's value in its category (or adds it as parsed).
  void Set(std::string_view name, std::string_view value);
  // Loki's Set(category, name, value): a parsed label hides a structured metadata or stream label
  // of that name, structured metadata hides a stream label, and a set in a lower category than
  // the one that has the name is ignored. `name` and `value` may view this builder's labels.
  void Set(LabelCategory category, std::string_view name, std::string_view value);
  // As Set, without copying the arguments first: for views of the line or of a parser's buffers,
  // never of this builder's labels.
  void SetUnaliased(LabelCategory category, std::string_view name, std::string_view value);
  void Delete(std::string_view name);

  void SetError(std::string_view error, std::string_view details = {});
  bool HasError() const;
  std::string_view error() const;
  std::string_view error_details() const;
  // `| drop __error__` and `| drop __error_details__`.
  void ResetError();
  void ResetErrorDetails();

  // Every label now, sorted by name (`__error__` and `__error_details__` included when set).
  void Materialize(storage::Labels* out) const;
  // By category: the stream labels still present, the structured metadata, and the parsed labels
  // (errors count as parsed), each sorted.
  void MaterializeCategorized(storage::Labels* stream, storage::Labels* metadata,
                              storage::Labels* parsed) const;
  // Whether any label differs from the stream's (so the output stream is not the input one).
  bool Changed() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Pipeline;

// The per-thread state of a running pipeline.
class PipelineRun {
 public:
  explicit PipelineRun(const Pipeline& pipeline);
  ~PipelineRun();
  PipelineRun(const PipelineRun&) = delete;
  PipelineRun& operator=(const PipelineRun&) = delete;

  // Runs every stage over one entry of a stream. `labels` must have been Reset for the entry's
  // stream (and its structured metadata added). Returns false when a filter drops the entry;
  // otherwise *line_out is the line after line_format (a view of `line` or of this run's
  // buffer, valid until the next call) and `labels` holds the entry's labels.
  bool Process(int64_t timestamp_ns, std::string_view line, LabelsBuilder& labels,
               std::string_view* line_out);
  // After Process returned true, for a pipeline with an unwrap: the unwrapped value, or nullopt
  // when the conversion failed (then `labels` has __error__ = SampleExtractionErr, and the post
  // filters have run).
  std::optional<double> unwrapped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Pipeline {
 public:
  // Compiles the stages of `selector` (and `unwrap`, for a metric query). InvalidArgument for
  // what cannot be compiled (a regexp without named groups, a pattern without captures, a
  // template that does not parse), with Loki's wording.
  static Result<std::unique_ptr<Pipeline>> Compile(const LogSelector& selector,
                                                   const Unwrap* unwrap = nullptr);
  ~Pipeline();

  // True when the pipeline has no stage besides line filters: entries keep their stream's labels
  // and line, and the engine may filter whole blocks with Matches() alone.
  bool LineFiltersOnly() const;
  // Line filters only: whether `line` passes all of them.
  bool Matches(std::string_view line) const;
  bool has_unwrap() const;

 private:
  friend class PipelineRun;
  Pipeline();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::query::logql
