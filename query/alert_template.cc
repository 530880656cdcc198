// Alert templates on the LogQL template engine (logql_template_internal.h), with Prometheus'
// function set and an alert's data as `.`.
#include "query/alert_template.h"

#include <chrono>

#include "query/logql_template_internal.h"

namespace sluice::query {

namespace ti = logql::template_internal;

namespace {

// Prometheus' AlertTemplateData: struct { Labels; ExternalLabels; ExternalURL; Value }.
constexpr std::string_view kFieldNames[] = {"Labels", "ExternalLabels", "ExternalURL", "Value"};

ti::Value AlertField(const void* self, size_t index) {
  const auto& d = *static_cast<const AlertTemplateData*>(self);
  switch (index) {
    case 0:
      return ti::Value::StringMap(d.labels);
    case 1:
      return ti::Value::StringMap(d.external_labels);
    case 2:
      return ti::Value::Str(d.external_url);
    default:
      return ti::Value::Float(d.value);
  }
}

const ti::StructType kAlertDataType = {
    "struct { Labels map[string]string; ExternalLabels map[string]string; ExternalURL string; "
    "Value interface {} }",
    kFieldNames, AlertField};

// What Prometheus' alerting rule puts before every label and annotation template, so that the
// variables exist (and error columns count from the start of this text, as there).
constexpr std::string_view kPrelude =
    "{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}"
    "{{$externalURL := .ExternalURL}}{{$value := .Value}}";

}  // namespace

struct AlertTemplate::Impl {
  ti::TemplateTree tree;
};

AlertTemplate::AlertTemplate() : impl_(std::make_unique<Impl>()) {}
AlertTemplate::~AlertTemplate() = default;

Result<std::unique_ptr<AlertTemplate>> AlertTemplate::Parse(std::string_view text,
                                                            std::string_view name) {
  std::unique_ptr<AlertTemplate> t(new AlertTemplate());
  ti::TemplateTree& tree = t->impl_->tree;
  tree.text.reserve(kPrelude.size() + text.size());
  tree.text.append(kPrelude).append(text);
  tree.name = std::string(name);
  SLUICE_RETURN_IF_ERROR(
      ti::ParseTemplate(tree.text, tree.name, &tree.root, ti::FunctionSet::kPrometheus));
  return t;
}

Status AlertTemplate::Execute(const AlertTemplateData& data, std::string* out) const {
  if (data.labels == nullptr) return Status::InvalidArgument("alert template without labels");
  ti::ExecData exec;
  exec.root = ti::Value::Struct(&kAlertDataType, &data);
  exec.external_url = data.external_url;
  exec.now_ms = data.now_ms.has_value() ? *data.now_ms
                                        : std::chrono::duration_cast<std::chrono::milliseconds>(
                                              std::chrono::system_clock::now().time_since_epoch())
                                              .count();
  // Per thread, reused: a warm execution allocates little. Nothing here calls back into
  // Execute, so one scratch per thread is never used twice at once.
  thread_local ti::Scratch scratch;
  return ti::Execute(impl_->tree, exec, out, scratch);
}

}  // namespace sluice::query
