// Go text/template as Loki's line_format and label_format use it (pkg/logql/log/fmt.go): the
// data `.` is the entry's labels as a map of strings (`{{.level}}`, `{{ .request_method }}`),
// plus pipelines, if/else/with/range, variables, comparison and boolean functions, and Loki's
// function set (ToUpper, ToLower, printf, trim*, replace, regexReplaceAll, default, add, sub,
// div, ... and __line__, __timestamp__). The supported list is in the README.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sluice::query::logql {

// What a template sees of one entry. The views must stay valid during Execute.
struct TemplateInput {
  // The value of label `name`, or nullopt when the entry has no such label (a missing key reads
  // as the empty string, as in Loki's map[string]string).
  std::function<std::optional<std::string_view>(std::string_view name)> label;
  std::string_view line;     // __line__
  int64_t timestamp_ns = 0;  // __timestamp__
  // Optional: calls `fn` for every label of the entry, sorted by name. Only templates that use
  // the whole map need it (`{{ . }}`, `{{ range $k, $v := . }}`, `len .`); without it they fail
  // at execution (and `{{ if . }}` counts the map as non-empty). The views passed to the callback
  // must stay valid until Execute returns.
  std::function<void(const std::function<void(std::string_view name, std::string_view value)>&)>
      for_each_label;
};

class Template {
 public:
  // InvalidArgument with Go's text (`template: line:1: function "foo" not defined`) when the
  // text does not parse or calls an unknown function.
  static Result<std::unique_ptr<Template>> Parse(std::string_view text);
  // The same, naming the template `name` in messages: Loki names line_format's template "line"
  // (the default) and label_format's "label" (`template: label:1:2: executing "label" at ...`).
  static Result<std::unique_ptr<Template>> Parse(std::string_view text, std::string_view name);
  ~Template();

  // Appends the output to *out. An error at execution time (a failing function such as a bad
  // regex in regexReplaceAll, or div by zero) is returned with Go's text (`template:
  // line:1:2: executing "line" at <.foo>: ...`) and *out is left as it was; Loki then sets
  // __error__=TemplateFormatErr (and __error_details__ to the message) and keeps the entry.
  // Safe to call from several threads at once.
  Status Execute(const TemplateInput& input, std::string* out) const;

  // The label names the template reads as fields (`.a`, `.a.b` gives a and b), first use first,
  // without duplicates: Loki's RequiredLabelNames, for parser hints.
  std::vector<std::string> RequiredLabelNames() const;

 private:
  Template();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::query::logql
