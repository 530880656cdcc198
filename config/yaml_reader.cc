#include "config/yaml_reader.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "base/units.h"

namespace sluice::config {
namespace {

size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::string Quote(std::string_view s) { return fmt::format("\"{}\"", s); }

}  // namespace

void ConfigErrors::Add(std::string_view key_path, const YAML::Mark& mark,
                       std::string_view message) {
  std::string where = file_name_;
  if (!mark.is_null()) where += fmt::format(":{}:{}", mark.line + 1, mark.column + 1);
  std::string_view path = key_path.empty() ? std::string_view("(top level)") : key_path;
  lines_.push_back(fmt::format("{} at {}: {}", path, where, message));
}

Status ConfigErrors::ToStatus() const {
  if (lines_.empty()) return Status::Ok();
  return Status::InvalidArgument(fmt::format("{}", fmt::join(lines_, "\n")));
}

YamlMapReader::YamlMapReader(const YAML::Node& node, std::string path, ConfigErrors* errors,
                             const EnvLookup* env)
    : path_(std::move(path)), errors_(errors), env_(env) {
  if (!node.IsDefined() || node.IsNull()) return;
  mark_ = node.Mark();
  if (!node.IsMap()) {
    errors_->Add(path_, mark_, "expected a mapping of keys to values");
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    Entry entry;
    entry.mark = it->first.Mark();
    entry.value = it->second;
    if (!it->first.IsScalar()) {
      errors_->Add(path_, entry.mark, "keys must be plain strings");
      continue;
    }
    entry.key = it->first.Scalar();
    bool duplicate = std::any_of(entries_.begin(), entries_.end(),
                                 [&](const Entry& e) { return e.key == entry.key; });
    if (duplicate) {
      errors_->Add(PathOf(entry.key), entry.mark, "duplicate key");
      continue;
    }
    entries_.push_back(std::move(entry));
  }
}

std::string YamlMapReader::PathOf(std::string_view key) const {
  return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
}

void YamlMapReader::Error(const Entry& entry, std::string_view message) {
  errors_->Add(PathOf(entry.key), entry.mark, message);
}

YamlMapReader::Entry* YamlMapReader::Find(std::string_view key) {
  known_keys_.emplace_back(key);
  for (Entry& e : entries_) {
    if (e.key == key) {
      e.used = true;
      return e.value.IsNull() ? nullptr : &e;
    }
  }
  return nullptr;
}

std::optional<std::string> YamlMapReader::Scalar(Entry& entry, std::string_view expected) {
  if (!entry.value.IsScalar()) {
    Error(entry,
          fmt::format("expected {}, got a {}", expected, entry.value.IsMap() ? "mapping" : "list"));
    return std::nullopt;
  }
  Result<std::string> expanded = ExpandEnv(entry.value.Scalar(), *env_);
  if (!expanded.ok()) {
    Error(entry, expanded.status().message());
    return std::nullopt;
  }
  return std::move(expanded).value();
}

void YamlMapReader::Int(std::string_view key, int& out, int min, int max) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::optional<std::string> text = Scalar(*entry, "an integer");
  if (!text) return;
  int value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size()) {
    Error(*entry, fmt::format("expected an integer, got {}", Quote(*text)));
  } else if (value < min || value > max) {
    Error(*entry, fmt::format("must be between {} and {}, got {}", min, max, value));
  } else {
    out = value;
  }
}

void YamlMapReader::Size(std::string_view key, uint64_t& out, uint64_t min, uint64_t max) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::optional<std::string> text = Scalar(*entry, "a size like 256KiB");
  if (!text) return;
  Result<uint64_t> value = ParseByteSize(*text);
  if (!value.ok()) {
    Error(*entry, fmt::format("expected a size like 256KiB, got {}", Quote(*text)));
  } else if (*value < min || *value > max) {
    Error(*entry, fmt::format("must be between {} and {}, got {}", FormatByteSize(min),
                              FormatByteSize(max), *text));
  } else {
    out = *value;
  }
}

void YamlMapReader::Duration(std::string_view key, std::chrono::nanoseconds& out,
                             std::chrono::nanoseconds min, std::chrono::nanoseconds max) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::optional<std::string> text = Scalar(*entry, "a duration like 30s");
  if (!text) return;
  Result<std::chrono::nanoseconds> value = ParseDuration(*text);
  if (!value.ok()) {
    Error(*entry, fmt::format("expected a duration like 30s or 5m, got {}", Quote(*text)));
  } else if (*value < min || *value > max) {
    Error(*entry, fmt::format("must be between {} and {}, got {}", FormatDuration(min),
                              FormatDuration(max), *text));
  } else {
    out = *value;
  }
}

void YamlMapReader::Bool(std::string_view key, bool& out) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::optional<std::string> text = Scalar(*entry, "true or false");
  if (!text) return;
  if (*text == "true") {
    out = true;
  } else if (*text == "false") {
    out = false;
  } else {
    Error(*entry, fmt::format("expected true or false, got {}", Quote(*text)));
  }
}

void YamlMapReader::String(std::string_view key, std::string& out, bool allow_empty) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::optional<std::string> text = Scalar(*entry, "a string");
  if (!text) return;
  if (text->empty() && !allow_empty) {
    Error(*entry, "must not be empty");
    return;
  }
  out = std::move(*text);
}

void YamlMapReader::StringList(std::string_view key, std::vector<std::string>& out) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::vector<std::string> items;
  if (entry->value.IsSequence()) {
    for (const YAML::Node& item : entry->value) {
      if (!item.IsScalar()) {
        Error(*entry, "expected a list of strings");
        return;
      }
      Result<std::string> expanded = ExpandEnv(item.Scalar(), *env_);
      if (!expanded.ok()) {
        Error(*entry, expanded.status().message());
        return;
      }
      if (!expanded->empty()) items.push_back(std::move(expanded).value());
    }
  } else {
    std::optional<std::string> text = Scalar(*entry, "a list of strings");
    if (!text) return;
    std::string_view rest = *text;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
      if (!item.empty()) items.emplace_back(item);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  out = std::move(items);
}

bool YamlMapReader::EnumChoice(Entry& entry, const std::vector<std::string_view>& names,
                               size_t& index) {
  std::string expected = fmt::format("one of {}", fmt::join(names, ", "));
  std::optional<std::string> text = Scalar(entry, expected);
  if (!text) return false;
  auto it = std::find(names.begin(), names.end(), *text);
  if (it == names.end()) {
    Error(entry, fmt::format("expected {}, got {}", expected, Quote(*text)));
    return false;
  }
  index = static_cast<size_t>(it - names.begin());
  return true;
}

void YamlMapReader::StringMap(std::string_view key,
                              std::vector<std::pair<std::string, std::string>>& out) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  if (!entry->value.IsMap()) {
    Error(*entry, "expected a mapping of strings to strings");
    return;
  }
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& item : entry->value) {
    if (!item.first.IsScalar() || !item.second.IsScalar()) {
      Error(*entry, "expected a mapping of strings to strings");
      return;
    }
    Result<std::string> expanded = ExpandEnv(item.second.Scalar(), *env_);
    if (!expanded.ok()) {
      Error(*entry, expanded.status().message());
      return;
    }
    items.emplace_back(item.first.Scalar(), std::move(expanded).value());
  }
  out = std::move(items);
}

YamlMapReader YamlMapReader::Child(std::string_view key) {
  Entry* entry = Find(key);
  if (entry == nullptr) return YamlMapReader(YAML::Node(), PathOf(key), errors_, env_);
  if (!entry->value.IsMap()) {
    Error(*entry, "expected a mapping of keys to values");
    return YamlMapReader(YAML::Node(), PathOf(key), errors_, env_);
  }
  return YamlMapReader(entry->value, PathOf(key), errors_, env_);
}

bool YamlMapReader::Has(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [&](const Entry& e) { return e.key == key; });
}

std::vector<YamlMapReader> YamlMapReader::ChildList(std::string_view key) {
  std::vector<YamlMapReader> out;
  Entry* entry = Find(key);
  if (entry == nullptr) return out;
  if (!entry->value.IsSequence()) {
    Error(*entry, "expected a list of mappings");
    return out;
  }
  for (size_t i = 0; i < entry->value.size(); ++i) {
    const YAML::Node item = entry->value[i];
    std::string item_path = fmt::format("{}[{}]", PathOf(key), i);
    if (!item.IsMap()) {
      errors_->Add(item_path, item.Mark(), "expected a mapping of keys to values");
      continue;
    }
    out.emplace_back(item, std::move(item_path), errors_, env_);
  }
  return out;
}

std::vector<std::pair<std::string, YamlMapReader>> YamlMapReader::ChildMap(std::string_view key) {
  std::vector<std::pair<std::string, YamlMapReader>> out;
  Entry* entry = Find(key);
  if (entry == nullptr) return out;
  if (!entry->value.IsMap()) {
    Error(*entry, "expected a mapping of names to mappings");
    return out;
  }
  for (auto it = entry->value.begin(); it != entry->value.end(); ++it) {
    const YAML::Node name = it->first;
    const YAML::Node value = it->second;
    if (!name.IsScalar()) {
      errors_->Add(PathOf(key), name.Mark(), "keys must be plain strings");
      continue;
    }
    std::string item_path = fmt::format("{}.{}", PathOf(key), name.Scalar());
    if (!value.IsNull() && !value.IsMap()) {
      errors_->Add(item_path, value.Mark(), "expected a mapping of keys to values");
      continue;
    }
    out.emplace_back(name.Scalar(), YamlMapReader(value, std::move(item_path), errors_, env_));
  }
  return out;
}

void YamlMapReader::Reject(std::string_view key, std::string_view message) {
  for (const Entry& e : entries_) {
    if (e.key == key) return Error(e, message);
  }
  errors_->Add(PathOf(key), mark_, message);
}

void YamlMapReader::Finish() {
  for (const Entry& e : entries_) {
    if (e.used) continue;
    std::string message = "unknown key";
    const std::string* best = nullptr;
    size_t best_distance = 0;
    for (const std::string& k : known_keys_) {
      size_t d = EditDistance(e.key, k);
      if (best == nullptr || d < best_distance) {
        best = &k;
        best_distance = d;
      }
    }
    if (best != nullptr && best_distance <= std::max<size_t>(2, best->size() / 3)) {
      message += fmt::format(" (did you mean {}?)", *best);
    } else if (!known_keys_.empty()) {
      message += fmt::format(" (known keys: {})", fmt::join(known_keys_, ", "));
    }
    Error(e, message);
  }
}

}  // namespace sluice::config
