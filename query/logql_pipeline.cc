// The LogQL log pipeline with Loki's semantics (pkg/logql/log): labels.go for the builder,
// label_filter.go, fmt.go, drop_labels.go, keep_labels.go, ip.go, metrics_extraction.go and
// pipeline.go for the stages. Parsers are in logql_label_parsers.cc, line filters and patterns in
// logql_line_filter.cc, ip() patterns in logql_ip.cc, templates in logql_template.cc.
#include "query/logql_pipeline.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <functional>
#include <utility>
#include <variant>

#include "query/logql_ip.h"
#include "query/logql_label_parsers.h"
#include "query/logql_line_filter.h"
#include "query/logql_template.h"

namespace sluice::query::logql {

// ---- LabelsBuilder --------------------------------------------------------------------------

namespace {

constexpr size_t kCategories = 3;

size_t Index(LabelCategory c) { return static_cast<size_t>(c); }

// One label added to a category. Slots are reused from entry to entry: their strings keep their
// capacity, so a warm builder does not allocate.
struct Slot {
  std::string name;
  std::string value;
};

struct SlotList {
  std::vector<Slot> slots;
  size_t size = 0;

  Slot* Find(std::string_view name) {
    for (size_t i = 0; i < size; ++i) {
      if (slots[i].name == name) return &slots[i];
    }
    return nullptr;
  }
  const Slot* Find(std::string_view name) const {
    for (size_t i = 0; i < size; ++i) {
      if (slots[i].name == name) return &slots[i];
    }
    return nullptr;
  }
  bool Has(std::string_view name) const { return Find(name) != nullptr; }
  void Remove(std::string_view name) {
    for (size_t i = 0; i < size; ++i) {
      if (slots[i].name != name) continue;
      // Order does not matter (labels are sorted when materialized); swapping keeps capacity.
      std::swap(slots[i], slots[size - 1]);
      --size;
      return;
    }
  }
  void Add(std::string_view name, std::string_view value) {
    if (size == slots.size()) slots.emplace_back();
    Slot& s = slots[size++];
    s.name.assign(name);
    s.value.assign(value);
  }
};

// Writes name=value into (*out)[*n], reusing the element's strings.
void Emit(std::string_view name, std::string_view value, storage::Labels* out, size_t* n) {
  if (*n < out->size()) {
    (*out)[*n].name.assign(name);
    (*out)[*n].value.assign(value);
  } else {
    out->push_back(storage::Label{std::string(name), std::string(value)});
  }
  ++*n;
}

void Finish(storage::Labels* out, size_t n) {
  out->resize(n);
  std::sort(out->begin(), out->end(),
            [](const storage::Label& a, const storage::Label& b) { return a.name < b.name; });
}

const storage::Labels kNoLabels;

}  // namespace

struct LabelsBuilder::Impl {
  const storage::Labels* base = &kNoLabels;
  SlotList add[kCategories];
  std::vector<std::string> deleted;
  size_t deleted_size = 0;
  std::string error;
  std::string details;
  std::string name_copy;  // Set's arguments may view the builder's own labels
  std::string value_copy;

  SlotList& Added(LabelCategory c) { return add[Index(c)]; }
  const SlotList& Added(LabelCategory c) const { return add[Index(c)]; }

  const storage::Label* BaseFind(std::string_view name) const {
    auto it =
        std::lower_bound(base->begin(), base->end(), name,
                         [](const storage::Label& l, std::string_view n) { return l.name < n; });
    return it != base->end() && it->name == name ? &*it : nullptr;
  }
  bool IsDeleted(std::string_view name) const {
    for (size_t i = 0; i < deleted_size; ++i) {
      if (deleted[i] == name) return true;
    }
    return false;
  }

  // The stream labels as the entry has them now, in order.
  template <typename F>
  void ForEachStreamLabel(F f) const {
    const SlotList& stream = Added(LabelCategory::kStream);
    for (const storage::Label& l : *base) {
      if (IsDeleted(l.name) || Added(LabelCategory::kStructuredMetadata).Has(l.name) ||
          Added(LabelCategory::kParsed).Has(l.name)) {
        continue;
      }
      const Slot* changed = stream.Find(l.name);
      f(l.name, changed != nullptr ? std::string_view(changed->value) : l.value);
    }
  }
};

LabelsBuilder::LabelsBuilder() : impl_(std::make_unique<Impl>()) {}
LabelsBuilder::~LabelsBuilder() = default;

void LabelsBuilder::Reset(const storage::Labels& stream) {
  Impl& b = *impl_;
  b.base = &stream;
  for (SlotList& l : b.add) l.size = 0;
  b.deleted_size = 0;
  b.error.clear();
  b.details.clear();
}

void LabelsBuilder::AddStructuredMetadata(std::string_view name, std::string_view value) {
  Impl& b = *impl_;
  // Loki's Add: a name the stream has gets the suffix, like a parsed one.
  std::string& n = b.name_copy;
  n.assign(name);
  if (StreamHas(n)) n.append(kExtractedSuffix);
  b.value_copy.assign(value);
  if (n == kErrorLabel) {
    b.error.assign(b.value_copy);
  } else if (n == kErrorDetailsLabel) {
    b.details.assign(b.value_copy);
  } else {
    SetUnaliased(LabelCategory::kStructuredMetadata, n, b.value_copy);
  }
}

std::optional<std::string_view> LabelsBuilder::GetLabel(std::string_view name) const {
  const Impl& b = *impl_;
  for (const SlotList& l : b.add) {
    if (const Slot* s = l.Find(name)) return std::string_view(s->value);
  }
  if (b.IsDeleted(name)) return std::nullopt;
  if (const storage::Label* l = b.BaseFind(name)) return std::string_view(l->value);
  return std::nullopt;
}

std::optional<std::string_view> LabelsBuilder::Get(std::string_view name) const {
  const Impl& b = *impl_;
  if (name == kErrorLabel) {
    if (b.error.empty()) return std::nullopt;
    return std::string_view(b.error);
  }
  if (name == kErrorDetailsLabel) {
    if (b.details.empty()) return std::nullopt;
    return std::string_view(b.details);
  }
  return GetLabel(name);
}

bool LabelsBuilder::StreamHas(std::string_view name) const {
  return impl_->BaseFind(name) != nullptr;
}

void LabelsBuilder::SetParsed(std::string_view name, std::string_view value) {
  Impl& b = *impl_;
  b.value_copy.assign(value);
  b.name_copy.assign(name);
  if (StreamHas(b.name_copy)) b.name_copy.append(kExtractedSuffix);
  SetUnaliased(LabelCategory::kParsed, b.name_copy, b.value_copy);
}

void LabelsBuilder::Set(std::string_view name, std::string_view value) {
  const Impl& b = *impl_;
  LabelCategory category = LabelCategory::kParsed;
  if (b.Added(LabelCategory::kStructuredMetadata).Has(name)) {
    category = LabelCategory::kStructuredMetadata;
  } else if (!b.Added(LabelCategory::kParsed).Has(name) && !b.IsDeleted(name) &&
             b.BaseFind(name) != nullptr) {
    category = LabelCategory::kStream;
  }
  Set(category, name, value);
}

void LabelsBuilder::Set(LabelCategory category, std::string_view name, std::string_view value) {
  Impl& b = *impl_;
  b.name_copy.assign(name);
  b.value_copy.assign(value);
  SetUnaliased(category, b.name_copy, b.value_copy);
}

void LabelsBuilder::SetUnaliased(LabelCategory category, std::string_view n, std::string_view v) {
  Impl& b = *impl_;
  // The error is not a label of any category: there is one.
  if (n.size() >= 9 && n[0] == '_' && n[1] == '_') {
    if (n == kErrorLabel) {
      b.error.assign(v);
      return;
    }
    if (n == kErrorDetailsLabel) {
      b.details.assign(v);
      return;
    }
  }
  SlotList& stream = b.Added(LabelCategory::kStream);
  SlotList& metadata = b.Added(LabelCategory::kStructuredMetadata);
  SlotList& parsed = b.Added(LabelCategory::kParsed);
  switch (category) {
    case LabelCategory::kParsed:
      metadata.Remove(n);
      stream.Remove(n);
      break;
    case LabelCategory::kStructuredMetadata:
      stream.Remove(n);
      if (parsed.Has(n)) return;
      break;
    case LabelCategory::kStream:
      if (metadata.Has(n) || parsed.Has(n)) return;
      break;
  }
  SlotList& list = b.Added(category);
  if (Slot* s = list.Find(n)) {
    s->value.assign(v);
    return;
  }
  list.Add(n, v);
}

void LabelsBuilder::Delete(std::string_view name) {
  Impl& b = *impl_;
  b.name_copy.assign(name);
  for (SlotList& l : b.add) l.Remove(b.name_copy);
  if (b.IsDeleted(b.name_copy)) return;
  if (b.deleted_size == b.deleted.size()) b.deleted.emplace_back();
  b.deleted[b.deleted_size++].assign(b.name_copy);
}

void LabelsBuilder::SetError(std::string_view error, std::string_view details) {
  impl_->error.assign(error);
  impl_->details.assign(details);
}

bool LabelsBuilder::HasError() const { return !impl_->error.empty(); }
std::string_view LabelsBuilder::error() const { return impl_->error; }
std::string_view LabelsBuilder::error_details() const { return impl_->details; }
void LabelsBuilder::ResetError() { impl_->error.clear(); }
void LabelsBuilder::ResetErrorDetails() { impl_->details.clear(); }

void LabelsBuilder::Materialize(storage::Labels* out) const {
  const Impl& b = *impl_;
  size_t n = 0;
  b.ForEachStreamLabel(
      [&](std::string_view name, std::string_view value) { Emit(name, value, out, &n); });
  const SlotList& metadata = b.Added(LabelCategory::kStructuredMetadata);
  const SlotList& parsed = b.Added(LabelCategory::kParsed);
  for (size_t i = 0; i < metadata.size; ++i) {
    Emit(metadata.slots[i].name, metadata.slots[i].value, out, &n);
  }
  for (size_t i = 0; i < parsed.size; ++i) {
    Emit(parsed.slots[i].name, parsed.slots[i].value, out, &n);
  }
  if (!b.error.empty()) Emit(kErrorLabel, b.error, out, &n);
  if (!b.details.empty()) Emit(kErrorDetailsLabel, b.details, out, &n);
  Finish(out, n);
}

void LabelsBuilder::MaterializeCategorized(storage::Labels* stream, storage::Labels* metadata,
                                           storage::Labels* parsed) const {
  const Impl& b = *impl_;
  size_t ns = 0;
  size_t nm = 0;
  size_t np = 0;
  b.ForEachStreamLabel(
      [&](std::string_view name, std::string_view value) { Emit(name, value, stream, &ns); });
  const SlotList& m = b.Added(LabelCategory::kStructuredMetadata);
  const SlotList& p = b.Added(LabelCategory::kParsed);
  for (size_t i = 0; i < m.size; ++i) Emit(m.slots[i].name, m.slots[i].value, metadata, &nm);
  for (size_t i = 0; i < p.size; ++i) Emit(p.slots[i].name, p.slots[i].value, parsed, &np);
  if (!b.error.empty()) Emit(kErrorLabel, b.error, parsed, &np);
  if (!b.details.empty()) Emit(kErrorDetailsLabel, b.details, parsed, &np);
  Finish(stream, ns);
  Finish(metadata, nm);
  Finish(parsed, np);
}

bool LabelsBuilder::Changed() const {
  const Impl& b = *impl_;
  if (b.deleted_size > 0 || !b.error.empty() || !b.details.empty()) return true;
  for (const SlotList& l : b.add) {
    if (l.size > 0) return true;
  }
  return false;
}

// ---- Compiled stages ------------------------------------------------------------------------

namespace {

// A compiled label filter expression.
struct FilterNode {
  LabelFilterExpr::Kind kind = LabelFilterExpr::Kind::kComparison;
  std::unique_ptr<FilterNode> lhs, rhs;
  LiteralKind literal = LiteralKind::kString;
  CompareOp op = CompareOp::kEqual;
  std::string label;
  std::optional<storage::LabelMatcher> matcher;  // strings
  double number = 0;
  int64_t duration_ns = 0;
  uint64_t bytes = 0;
  std::optional<IpMatcher> ip;
};

template <typename T>
bool Compare(CompareOp op, T a, T b) {
  switch (op) {
    case CompareOp::kEqual:
      return a == b;
    case CompareOp::kNotEqual:
      return a != b;
    case CompareOp::kGreater:
      return a > b;
    case CompareOp::kGreaterEqual:
      return a >= b;
    case CompareOp::kLess:
      return a < b;
    case CompareOp::kLessEqual:
      return a <= b;
    case CompareOp::kRegexMatch:
    case CompareOp::kRegexNoMatch:
      break;
  }
  return false;
}

Result<std::unique_ptr<FilterNode>> CompileFilter(const LabelFilterExpr& e) {
  auto node = std::make_unique<FilterNode>();
  node->kind = e.kind;
  if (e.kind != LabelFilterExpr::Kind::kComparison) {
    if (!e.lhs || !e.rhs) return Status::InvalidArgument("label filter without operands");
    SLUICE_ASSIGN_OR_RETURN(node->lhs, CompileFilter(*e.lhs));
    SLUICE_ASSIGN_OR_RETURN(node->rhs, CompileFilter(*e.rhs));
    return node;
  }
  const LabelComparison& c = e.comparison;
  node->label = c.label;
  node->op = c.op;
  node->literal = c.kind;
  bool regex_op = c.op == CompareOp::kRegexMatch || c.op == CompareOp::kRegexNoMatch;
  if (c.kind != LiteralKind::kString && regex_op) {
    return Status::InvalidArgument(
        fmt::format("invalid operator {} for a {} comparison of '{}'", CompareOpString(c.op),
                    c.kind == LiteralKind::kIp ? "ip" : "numeric", c.label));
  }
  std::string error;
  switch (c.kind) {
    case LiteralKind::kString: {
      storage::MatchOp op = storage::MatchOp::kEqual;
      switch (c.op) {
        case CompareOp::kEqual:
          op = storage::MatchOp::kEqual;
          break;
        case CompareOp::kNotEqual:
          op = storage::MatchOp::kNotEqual;
          break;
        case CompareOp::kRegexMatch:
          op = storage::MatchOp::kRegexMatch;
          break;
        case CompareOp::kRegexNoMatch:
          op = storage::MatchOp::kRegexNoMatch;
          break;
        default:
          return Status::InvalidArgument(
              fmt::format("invalid operator {} for the string comparison of '{}'",
                          CompareOpString(c.op), c.label));
      }
      SLUICE_ASSIGN_OR_RETURN(storage::LabelMatcher m,
                              storage::LabelMatcher::Make(op, c.label, c.text));
      node->matcher = std::move(m);
      break;
    }
    case LiteralKind::kNumber:
      node->number = c.number;
      break;
    case LiteralKind::kDuration:
      // Exact nanoseconds from the literal when it reads as one; else the parsed seconds.
      if (!ParseGoDuration(c.text, &node->duration_ns, &error)) {
        node->duration_ns = static_cast<int64_t>(std::llround(c.number * 1e9));
      }
      break;
    case LiteralKind::kBytes:
      if (!ParseHumanBytes(c.text, &node->bytes, &error)) {
        node->bytes = static_cast<uint64_t>(c.number);
      }
      break;
    case LiteralKind::kIp: {
      if (c.op != CompareOp::kEqual && c.op != CompareOp::kNotEqual) {
        return Status::InvalidArgument("ip: invalid operation");
      }
      std::string_view pattern = c.text;
      // The literal may be written out as `ip("...")`.
      if (pattern.starts_with("ip(\"") && pattern.ends_with("\")")) {
        pattern = pattern.substr(4, pattern.size() - 6);
      }
      SLUICE_ASSIGN_OR_RETURN(IpMatcher ip, IpMatcher::Parse(pattern));
      node->ip = std::move(ip);
      break;
    }
  }
  return node;
}

struct LineFilterStage {
  LineFilterMatcher matcher;
};
struct ParserStage {
  std::unique_ptr<LineParser> parser;
  bool changes_line = false;  // unpack
};
struct LabelFilterStage {
  std::unique_ptr<FilterNode> root;
};
struct LineFormatStage {
  std::unique_ptr<Template> tmpl;
};
struct LabelFormatStage {
  struct Item {
    std::string label;
    std::string source;              // a rename's source label
    std::unique_ptr<Template> tmpl;  // null for a rename
  };
  // Move-only, said out loud: a vector of move-only items still declares a copy constructor,
  // which clang instantiates (and fails on) when std::variant weighs its conversions.
  LabelFormatStage() = default;
  LabelFormatStage(LabelFormatStage&&) = default;
  LabelFormatStage& operator=(LabelFormatStage&&) = default;
  LabelFormatStage(const LabelFormatStage&) = delete;
  LabelFormatStage& operator=(const LabelFormatStage&) = delete;

  std::vector<Item> items;
};
struct DropKeepStage {
  bool keep = false;
  std::vector<DropKeepItem> items;
};
struct DecolorizeStage {};

using CompiledStage = std::variant<LineFilterStage, ParserStage, LabelFilterStage, LineFormatStage,
                                   LabelFormatStage, DropKeepStage, DecolorizeStage>;

// Whether a line filter placed after the stage may run before it instead: the stage keeps the
// line as it is and filters commute.
bool KeepsLine(const CompiledStage& s) {
  if (const auto* p = std::get_if<ParserStage>(&s)) return !p->changes_line;
  return std::holds_alternative<LabelFilterStage>(s) ||
         std::holds_alternative<LabelFormatStage>(s) || std::holds_alternative<DropKeepStage>(s);
}

// The ANSI escape sequences Loki's decolorize removes (github.com/acarl005/stripansi); \x9b is
// the one-rune CSI, U+009B.
const RE2& AnsiPattern() {
  static const RE2* re = [] {
    RE2::Options options;
    options.set_log_errors(false);
    return new RE2(
        "[\\x{1b}\\x{9b}][\\[\\]()#;?]*(?:(?:(?:[a-zA-Z\\d]*(?:;[a-zA-Z\\d]*)*)?\\x{07})|"
        "(?:(?:\\d{1,4}(?:;\\d{0,4})*)?[\\dA-PRZcf-ntqry=><~]))",
        options);
  }();
  return *re;
}

bool MayHaveAnsi(std::string_view line) {
  return line.find('\x1b') != std::string_view::npos ||
         line.find("\xC2\x9B") != std::string_view::npos;
}

}  // namespace

struct Pipeline::Impl {
  std::vector<CompiledStage> stages;
  bool line_filters_only = true;
  bool has_unwrap = false;
  std::string unwrap_label;
  Unwrap::Conversion conversion = Unwrap::Conversion::kNone;
  std::vector<std::unique_ptr<FilterNode>> post_filters;

  Status Add(const Stage& stage);
};

Status Pipeline::Impl::Add(const Stage& stage) {
  CompiledStage compiled = DecolorizeStage{};
  if (const auto* f = std::get_if<LineFilter>(&stage.node)) {
    SLUICE_ASSIGN_OR_RETURN(LineFilterMatcher m, LineFilterMatcher::Make(*f));
    // Run it as early as it gives the same answer: a line dropped before parsing costs less.
    size_t at = stages.size();
    while (at > 0 && KeepsLine(stages[at - 1])) --at;
    stages.insert(stages.begin() + static_cast<ptrdiff_t>(at), LineFilterStage{std::move(m)});
    return Status::Ok();
  }
  if (const auto* dk = std::get_if<DropKeep>(&stage.node); dk != nullptr && line_filters_only) {
    // Before any stage that can set an error, `| drop __error__` (which Grafana's log volume
    // query adds) removes nothing: leave it out, so that the pipeline stays line filters only.
    bool error_labels_only =
        !dk->keep && std::all_of(dk->items.begin(), dk->items.end(), [](const DropKeepItem& i) {
          return !i.matcher && (i.label == kErrorLabel || i.label == kErrorDetailsLabel);
        });
    if (error_labels_only) return Status::Ok();
  }
  line_filters_only = false;
  if (const auto* p = std::get_if<Parser>(&stage.node)) {
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<LineParser> parser, CompileLineParser(*p));
    compiled = ParserStage{std::move(parser), p->kind == ParserKind::kUnpack};
  } else if (const auto* lf = std::get_if<LabelFilterPtr>(&stage.node)) {
    if (!*lf) return Status::InvalidArgument("empty label filter");
    SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<FilterNode> root, CompileFilter(**lf));
    compiled = LabelFilterStage{std::move(root)};
  } else if (const auto* fmt_line = std::get_if<LineFormat>(&stage.node)) {
    auto t = Template::Parse(fmt_line->template_text);
    if (!t.ok()) {
      return Status::InvalidArgument(
          fmt::format("invalid line template: {}", t.status().message()));
    }
    compiled = LineFormatStage{std::move(*t)};
  } else if (const auto* fmt_labels = std::get_if<LabelFormat>(&stage.node)) {
    LabelFormatStage s;
    for (const LabelFormatItem& item : fmt_labels->items) {
      if (item.label == kErrorLabel) {
        return Status::InvalidArgument(fmt::format("{} cannot be formatted", item.label));
      }
      for (const LabelFormatStage::Item& other : s.items) {
        if (other.label == item.label) {
          return Status::InvalidArgument(fmt::format(
              "multiple label name '{}' not allowed in a single format operation", item.label));
        }
      }
      LabelFormatStage::Item& out = s.items.emplace_back();
      out.label = item.label;
      if (item.rename) {
        out.source = item.value;
        continue;
      }
      auto t = Template::Parse(item.value);
      if (!t.ok()) {
        return Status::InvalidArgument(
            fmt::format("invalid template for label '{}': {}", item.label, t.status().message()));
      }
      out.tmpl = std::move(*t);
    }
    compiled = std::move(s);
  } else if (const auto* dk = std::get_if<DropKeep>(&stage.node)) {
    compiled = DropKeepStage{dk->keep, dk->items};
  }
  stages.push_back(std::move(compiled));
  return Status::Ok();
}

Pipeline::Pipeline() : impl_(std::make_unique<Impl>()) {}
Pipeline::~Pipeline() = default;

Result<std::unique_ptr<Pipeline>> Pipeline::Compile(const LogSelector& selector,
                                                    const Unwrap* unwrap) {
  std::unique_ptr<Pipeline> p(new Pipeline());
  Impl& impl = *p->impl_;
  for (const Stage& stage : selector.stages) SLUICE_RETURN_IF_ERROR(impl.Add(stage));
  if (unwrap != nullptr) {
    impl.has_unwrap = true;
    impl.line_filters_only = false;
    impl.unwrap_label = unwrap->label;
    impl.conversion = unwrap->conversion;
    for (const LabelFilterPtr& f : unwrap->post_filters) {
      if (!f) return Status::InvalidArgument("empty label filter");
      SLUICE_ASSIGN_OR_RETURN(std::unique_ptr<FilterNode> node, CompileFilter(*f));
      impl.post_filters.push_back(std::move(node));
    }
  }
  return p;
}

bool Pipeline::LineFiltersOnly() const { return impl_->line_filters_only; }

bool Pipeline::Matches(std::string_view line) const {
  for (const CompiledStage& s : impl_->stages) {
    const auto* f = std::get_if<LineFilterStage>(&s);
    if (f != nullptr && !f->matcher.Matches(line)) return false;
  }
  return true;
}

bool Pipeline::has_unwrap() const { return impl_->has_unwrap; }

// ---- PipelineRun ----------------------------------------------------------------------------

struct PipelineRun::Impl {
  explicit Impl(const Pipeline::Impl& p) : pipeline(p) {
    line_input.label = [this](std::string_view name) { return labels->Get(name); };
    snapshot_input.label = [this](std::string_view name) -> std::optional<std::string_view> {
      auto it =
          std::lower_bound(snapshot.begin(), snapshot.end(), name,
                           [](const storage::Label& l, std::string_view n) { return l.name < n; });
      if (it == snapshot.end() || it->name != name) return std::nullopt;
      return std::string_view(it->value);
    };
  }

  bool Run(const CompiledStage& stage);
  bool Run(const LineFilterStage& s) { return s.matcher.Matches(line); }
  bool Run(const ParserStage& s);
  bool Run(const LabelFilterStage& s) { return Eval(*s.root); }
  bool Run(const LineFormatStage& s);
  bool Run(const LabelFormatStage& s);
  bool Run(const DropKeepStage& s);
  bool Run(const DecolorizeStage& s);
  bool RunUnwrap();
  bool Eval(const FilterNode& n);

  // The line buffer `line` is not in, emptied: where a stage writes a new line.
  std::string& Spare() {
    spare_index = line_buffer == 0 ? 1 : 0;
    lines[spare_index].clear();
    return lines[spare_index];
  }
  void UseSpare() {
    line = lines[spare_index];
    line_buffer = spare_index;
  }

  const Pipeline::Impl& pipeline;
  ParserScratch scratch;
  LabelsBuilder* labels = nullptr;
  int64_t timestamp_ns = 0;
  std::string_view line;
  std::string lines[2];
  int line_buffer = -1;  // which of lines[] `line` views, -1 for none
  int spare_index = 0;
  std::string text;  // template output, copies, conversion errors
  storage::Labels snapshot;
  bool have_snapshot = false;
  TemplateInput line_input;
  TemplateInput snapshot_input;
  std::optional<double> unwrapped;
};

bool PipelineRun::Impl::Run(const CompiledStage& stage) {
  return std::visit([this](const auto& s) { return Run(s); }, stage);
}

bool PipelineRun::Impl::Run(const ParserStage& s) {
  std::string_view out;
  s.parser->Process(line, *labels, scratch, &out);
  if (out.data() != line.data() || out.size() != line.size()) {
    line = out;  // unpack's `_entry`, in the scratch
    line_buffer = -1;
  }
  return true;
}

bool PipelineRun::Impl::Run(const LineFormatStage& s) {
  std::string& out = Spare();
  line_input.line = line;
  line_input.timestamp_ns = timestamp_ns;
  Status st = s.tmpl->Execute(line_input, &out);
  if (!st.ok()) {
    labels->SetError(kTemplateFormatErr, st.message());
    return true;  // the line stays as it was
  }
  UseSpare();
  return true;
}

bool PipelineRun::Impl::Run(const LabelFormatStage& s) {
  // Loki's templates see the labels as they were before the stage's first template.
  have_snapshot = false;
  for (const LabelFormatStage::Item& item : s.items) {
    if (item.tmpl == nullptr) {
      std::optional<std::string_view> v = labels->GetLabel(item.source);
      if (!v) continue;
      text.assign(*v);
      labels->SetUnaliased(LabelCategory::kParsed, item.label, text);
      labels->Delete(item.source);
      continue;
    }
    if (!have_snapshot || snapshot.empty()) {
      labels->Materialize(&snapshot);
      have_snapshot = true;
    }
    text.clear();
    snapshot_input.line = line;
    snapshot_input.timestamp_ns = timestamp_ns;
    Status st = item.tmpl->Execute(snapshot_input, &text);
    if (!st.ok()) {
      labels->SetError(kTemplateFormatErr, st.message());
      continue;
    }
    labels->SetUnaliased(LabelCategory::kParsed, item.label, text);
  }
  return true;
}

bool PipelineRun::Impl::Run(const DropKeepStage& s) {
  if (!s.keep) {
    for (const DropKeepItem& item : s.items) {
      const std::string& name = item.matcher ? item.matcher->name() : item.label;
      if (name == kErrorLabel) {
        if (!item.matcher || item.matcher->Matches(labels->error())) labels->ResetError();
        continue;
      }
      if (name == kErrorDetailsLabel) {
        if (!item.matcher || item.matcher->Matches(labels->error_details())) {
          labels->ResetErrorDetails();
        }
        continue;
      }
      std::optional<std::string_view> v = labels->GetLabel(name);
      if (v && (!item.matcher || item.matcher->Matches(*v))) labels->Delete(name);
    }
    return true;
  }
  if (s.items.empty()) return true;
  labels->Materialize(&snapshot);
  have_snapshot = false;
  for (const storage::Label& l : snapshot) {
    if (l.name == kErrorLabel || l.name == kErrorDetailsLabel || l.name == "__preserve_error__") {
      continue;
    }
    bool keep = false;
    for (const DropKeepItem& item : s.items) {
      if (item.matcher ? item.matcher->name() == l.name && item.matcher->Matches(l.value)
                       : item.label == l.name) {
        keep = true;
        break;
      }
    }
    if (!keep) labels->Delete(l.name);
  }
  return true;
}

bool PipelineRun::Impl::Run(const DecolorizeStage&) {
  if (!MayHaveAnsi(line)) return true;
  std::string& out = Spare();
  out.assign(line);
  RE2::GlobalReplace(&out, AnsiPattern(), "");
  UseSpare();
  return true;
}

bool PipelineRun::Impl::Eval(const FilterNode& n) {
  switch (n.kind) {
    case LabelFilterExpr::Kind::kAnd: {
      // Both sides run, as in Loki: the right one may set an error even when the left failed.
      bool left = Eval(*n.lhs);
      bool right = Eval(*n.rhs);
      return left && right;
    }
    case LabelFilterExpr::Kind::kOr:
      return Eval(*n.lhs) || Eval(*n.rhs);
    case LabelFilterExpr::Kind::kComparison:
      break;
  }
  if (n.literal == LiteralKind::kString) {
    // A missing label compares as "", and `__error__` reads the entry's error.
    return n.matcher->Matches(labels->Get(n.label).value_or(std::string_view()));
  }
  if (n.literal == LiteralKind::kIp) {
    if (labels->HasError()) return true;  // Loki: only string filters drop erroneous entries
    std::optional<std::string_view> v = labels->GetLabel(n.label);
    if (!v) return false;
    bool match = n.ip->MatchesIn(*v);
    return n.op == CompareOp::kEqual ? match : !match;
  }
  std::optional<std::string_view> v = labels->GetLabel(n.label);
  if (!v) return false;
  bool ok = false;
  bool result = false;
  switch (n.literal) {
    case LiteralKind::kNumber: {
      double value = 0;
      ok = ParseGoFloat(*v, &value, &text);
      result = ok && Compare(n.op, value, n.number);
      break;
    }
    case LiteralKind::kDuration: {
      int64_t value = 0;
      ok = ParseGoDuration(*v, &value, &text);
      result = ok && Compare(n.op, value, n.duration_ns);
      break;
    }
    case LiteralKind::kBytes: {
      uint64_t value = 0;
      ok = ParseHumanBytes(*v, &value, &text);
      result = ok && Compare(n.op, value, n.bytes);
      break;
    }
    default:
      break;
  }
  if (!ok) {
    // The entry stays, marked; a more useful error already there is kept.
    if (!labels->HasError()) labels->SetError(kLabelFilterErr, text);
    return true;
  }
  return result;
}

bool PipelineRun::Impl::RunUnwrap() {
  std::optional<std::string_view> v = labels->GetLabel(pipeline.unwrap_label);
  // No sample from an entry without the label (Loki issue 6713).
  if (!v || v->empty()) return false;
  bool ok = false;
  double value = 0;
  switch (pipeline.conversion) {
    case Unwrap::Conversion::kNone:
      ok = ParseGoFloat(*v, &value, &text);
      break;
    case Unwrap::Conversion::kDuration:
    case Unwrap::Conversion::kDurationSeconds: {
      int64_t ns = 0;
      ok = ParseGoDuration(*v, &ns, &text);
      // Go's Duration.Seconds.
      value = static_cast<double>(ns / 1000000000) + static_cast<double>(ns % 1000000000) / 1e9;
      break;
    }
    case Unwrap::Conversion::kBytes: {
      uint64_t bytes = 0;
      ok = ParseHumanBytes(*v, &bytes, &text);
      value = static_cast<double>(bytes);
      break;
    }
  }
  if (ok) {
    unwrapped = value;
  } else {
    labels->SetError(kSampleExtractionErr, text);
  }
  for (const auto& f : pipeline.post_filters) {
    if (!Eval(*f)) return false;
  }
  return true;
}

PipelineRun::PipelineRun(const Pipeline& pipeline)
    : impl_(std::make_unique<Impl>(*pipeline.impl_)) {}
PipelineRun::~PipelineRun() = default;

bool PipelineRun::Process(int64_t timestamp_ns, std::string_view line, LabelsBuilder& labels,
                          std::string_view* line_out) {
  Impl& r = *impl_;
  const Pipeline::Impl& p = r.pipeline;
  r.unwrapped.reset();
  if (p.line_filters_only) {
    for (const CompiledStage& s : p.stages) {
      if (!std::get<LineFilterStage>(s).matcher.Matches(line)) return false;
    }
    *line_out = line;
    return true;
  }
  r.labels = &labels;
  r.timestamp_ns = timestamp_ns;
  r.line = line;
  r.line_buffer = -1;
  for (const CompiledStage& s : p.stages) {
    if (!r.Run(s)) return false;
  }
  if (p.has_unwrap && !r.RunUnwrap()) return false;
  *line_out = r.line;
  return true;
}

std::optional<double> PipelineRun::unwrapped() const { return impl_->unwrapped; }

}  // namespace sluice::query::logql
