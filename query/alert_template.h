// Alert templates: Go text/template as Prometheus expands alerting rules' labels and annotations
// (template.Expander in prometheus/template/template.go). The text sees
//   $labels / .Labels                  the alert's labels (a map of strings: a missing key is "")
//   $value / .Value                    the sample value (float64)
//   $externalLabels / .ExternalLabels  the configured external labels
//   $externalURL / .ExternalURL        the configured external URL
// and Prometheus' function set on top of text/template's builtins: humanize, humanize1024,
// humanizeDuration, humanizePercentage, humanizeTimestamp, title, toUpper, toLower, match,
// reReplaceAll, safeHtml, stripPort, stripDomain, parseDuration, toTime, pathPrefix, externalURL,
// printf, ... (the supported list is in the README).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "storage/labels.h"

namespace sluice::query {

struct AlertTemplateData {
  const storage::Labels* labels = nullptr;           // canonical; required
  const storage::Labels* external_labels = nullptr;  // canonical; nullptr: none
  std::string_view external_url;
  double value = 0;
  // What `now` returns (Prometheus: the rule evaluation's time), in Unix milliseconds; nullopt:
  // the wall clock at Execute.
  std::optional<int64_t> now_ms;
};

class AlertTemplate {
 public:
  // `name` is what errors call the template (Prometheus: "__alert_" + the alert's name).
  // InvalidArgument with Go's text when it does not parse or calls an unknown function.
  static Result<std::unique_ptr<AlertTemplate>> Parse(std::string_view text, std::string_view name);
  ~AlertTemplate();

  // Appends the expansion to *out. Errors at execution are returned with Go's text; Prometheus
  // then uses "<error expanding template: ...>" as the value (the caller decides), its Expand
  // having put "error executing template NAME: " (or "error parsing template NAME: ") before
  // the text. On an error *out is left as it was.
  // Safe to call from several threads at once.
  Status Execute(const AlertTemplateData& data, std::string* out) const;

 private:
  AlertTemplate();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::query
