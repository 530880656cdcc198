// YamlMapReader: reads one YAML mapping of the config into typed fields, collecting every error
// with its key path and position, and rejecting keys nobody asked for. Internal to config/.
//
//   YamlMapReader server(root_node["server"], "server", &errors, &env);
//   server.Int("io_threads", cfg.io_threads, 0, 1024);
//   server.Finish();   // reports "server.iothreads at f.yaml:3:3: unknown key (did you mean
//   io_threads?)"
//
// A key that is absent, or present with a null value, leaves the field at its default.
// Values pass through ${VAR} expansion before they are converted.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "config/env_expansion.h"

namespace sluice::config {

class ConfigErrors {
 public:
  explicit ConfigErrors(std::string file_name) : file_name_(std::move(file_name)) {}

  // `mark` is yaml-cpp's 0-based position; it is printed 1-based.
  void Add(std::string_view key_path, const YAML::Mark& mark, std::string_view message);
  bool empty() const { return lines_.empty(); }
  const std::string& file_name() const { return file_name_; }

  // InvalidArgument with one line per error: "<key path> at <file>:<line>:<column>: <message>".
  Status ToStatus() const;

 private:
  std::string file_name_;
  std::vector<std::string> lines_;
};

class YamlMapReader {
 public:
  YamlMapReader(const YAML::Node& node, std::string path, ConfigErrors* errors,
                const EnvLookup* env);

  void Int(std::string_view key, int& out, int min, int max);
  void Size(std::string_view key, uint64_t& out, uint64_t min, uint64_t max);
  void Duration(std::string_view key, std::chrono::nanoseconds& out, std::chrono::nanoseconds min,
                std::chrono::nanoseconds max);
  void Bool(std::string_view key, bool& out);
  void String(std::string_view key, std::string& out, bool allow_empty = false);
  // A YAML list of strings, or one comma-separated string.
  void StringList(std::string_view key, std::vector<std::string>& out);
  // A mapping of strings to strings, in the file's order.
  void StringMap(std::string_view key, std::vector<std::pair<std::string, std::string>>& out);
  template <typename E>
  void Enum(std::string_view key, E& out,
            std::initializer_list<std::pair<std::string_view, E>> choices);

  // Whether `key` is present (an explicit null counts as present): for lists an override must
  // tell "not mentioned" from "empty".
  bool Has(std::string_view key) const;

  // The mapping under `key` (an empty one when absent).
  YamlMapReader Child(std::string_view key);
  // The mappings of the list under `key` (none when absent), each read like Child's.
  std::vector<YamlMapReader> ChildList(std::string_view key);
  // The mapping under `key` whose values are mappings: each key with its value's reader.
  std::vector<std::pair<std::string, YamlMapReader>> ChildMap(std::string_view key);

  // Reports `message` against `key` (a key this reader asked for), for checks that look at more
  // than one value.
  void Reject(std::string_view key, std::string_view message);
  const std::string& path() const { return path_; }

  // Reports the keys of this mapping that no call above asked for. Call once, last.
  void Finish();

 private:
  struct Entry {
    std::string key;
    YAML::Mark mark;
    YAML::Node value;
    bool used = false;
  };

  // The entry for `key`, or nullptr when absent or null. Records `key` as known.
  Entry* Find(std::string_view key);
  // The scalar text after ${VAR} expansion, or nullopt after reporting why there is none.
  std::optional<std::string> Scalar(Entry& entry, std::string_view expected);
  std::string PathOf(std::string_view key) const;
  void Error(const Entry& entry, std::string_view message);
  bool EnumChoice(Entry& entry, const std::vector<std::string_view>& names, size_t& index);

  std::string path_;
  ConfigErrors* errors_;
  const EnvLookup* env_;
  YAML::Mark mark_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_keys_;
};

template <typename E>
void YamlMapReader::Enum(std::string_view key, E& out,
                         std::initializer_list<std::pair<std::string_view, E>> choices) {
  Entry* entry = Find(key);
  if (entry == nullptr) return;
  std::vector<std::string_view> names;
  for (const auto& c : choices) names.push_back(c.first);
  size_t index = 0;
  if (EnumChoice(*entry, names, index)) out = (choices.begin() + index)->second;
}

}  // namespace sluice::config
