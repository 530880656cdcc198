// Go's text/template (as Go 1.24 parses and executes it, with Option("missingkey=zero")) and the
// function map Loki 3.x registers for line_format and label_format (pkg/logql/log/fmt.go: its own
// functions plus a list of sprig v3.3.0's, which convert with spf13/cast v1.7 and compute the
// f-variants with shopspring/decimal).
//
// This file is the public Template; the engine is in the files logql_template_internal.h lists.
#include "query/logql_template.h"

#include <algorithm>

#include "query/logql_template_internal.h"

namespace sluice::query::logql {

using template_internal::ArgType;
using template_internal::CollectFields;
using template_internal::NodeType;
using template_internal::ParseTemplate;
using template_internal::PipeNode;
using template_internal::Scratch;
using template_internal::TemplateTree;

struct Template::Impl {
  TemplateTree tree;
};

Template::Template() : impl_(std::make_unique<Impl>()) {}
Template::~Template() = default;

Result<std::unique_ptr<Template>> Template::Parse(std::string_view text) {
  return Parse(text, "line");
}

Result<std::unique_ptr<Template>> Template::Parse(std::string_view text, std::string_view name) {
  std::unique_ptr<Template> t(new Template());
  TemplateTree& tree = t->impl_->tree;
  tree.text = std::string(text);
  tree.name = std::string(name);
  SLUICE_RETURN_IF_ERROR(ParseTemplate(tree.text, tree.name, &tree.root));
  if (tree.root.size() == 1 && tree.root[0].type == NodeType::kAction) {
    const PipeNode& p = *tree.root[0].pipe;
    if (p.decl.empty() && p.cmds.size() == 1 && p.cmds[0].args.size() == 1 &&
        p.cmds[0].args[0].type == ArgType::kField && p.cmds[0].args[0].idents.size() == 1) {
      tree.simple_key = p.cmds[0].args[0].idents[0];
    }
  }
  return t;
}

Status Template::Execute(const TemplateInput& input, std::string* out) const {
  if (impl_->tree.simple_key) {
    if (input.label) out->append(input.label(*impl_->tree.simple_key).value_or(""));
    return Status::Ok();
  }
  thread_local Scratch scratch;
  if (scratch.busy) {  // re-entered from a label callback: use a fresh scratch
    Scratch nested;
    nested.busy = true;
    return template_internal::Execute(impl_->tree, input, out, nested);
  }
  scratch.busy = true;
  Status s = template_internal::Execute(impl_->tree, input, out, scratch);
  scratch.busy = false;
  return s;
}

std::vector<std::string> Template::RequiredLabelNames() const {
  std::vector<std::string> all;
  CollectFields(impl_->tree.root, &all);
  std::vector<std::string> unique;
  for (std::string& name : all) {
    if (!name.empty() && std::find(unique.begin(), unique.end(), name) == unique.end()) {
      unique.push_back(std::move(name));
    }
  }
  return unique;
}

}  // namespace sluice::query::logql
