// JsonWriter: appends compact JSON to a string, inserting commas itself.
//
//   JsonWriter w(&out);
//   w.BeginObject(); w.Key("status"); w.String("success"); w.EndObject();
//
// Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become U+FFFD, as Go's
// encoding/json (Prometheus, Loki) does, so every reply is valid JSON whatever the data holds.
// Not thread-safe. The caller keeps the nesting balanced (checked by assert in debug builds).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sluice {

class JsonWriter {
 public:
  explicit JsonWriter(std::string* out) : out_(out) {}

  void BeginObject();
  void EndObject();
  void BeginArray();
  void EndArray();
  void Key(std::string_view key);
  void String(std::string_view value);
  void Int(int64_t value);
  void Uint(uint64_t value);
  // Finite values in the shortest form that round-trips; NaN and infinities are not JSON, so
  // callers encode those as strings (as Prometheus does) before they reach here.
  void Double(double value);
  void Bool(bool value);
  void Null();
  // Inserts already-encoded JSON as one value.
  void Raw(std::string_view json);

  // Appends `value` escaped, without quotes.
  static void AppendEscaped(std::string* out, std::string_view value);

 private:
  void BeforeValue();

  std::string* out_;
  // One entry per open object/array: whether a value was already written at that level.
  std::vector<bool> has_value_;
  bool after_key_ = false;
};

}  // namespace sluice
