// LabelMatcher: one `name op "value"` term of a stream or series selector, as in Prometheus and
// Loki: =, !=, =~ and !~, where regexes are RE2 and fully anchored (`job=~"api"` does not match
// "api-2"). A missing label matches as the empty string, so {x!="a"} selects streams without x.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "storage/labels.h"

namespace sluice::storage {

enum class MatchOp { kEqual, kNotEqual, kRegexMatch, kRegexNoMatch };

std::string_view MatchOpString(MatchOp op);

class LabelMatcher {
 public:
  // Compiles the regex for =~ and !~; InvalidArgument with RE2's reason if it does not parse.
  static Result<LabelMatcher> Make(MatchOp op, std::string name, std::string value);

  bool Matches(std::string_view value) const;
  bool MatchesLabels(const Labels& labels) const { return Matches(LabelValue(labels, name_)); }
  // Whether the empty string (an absent label) matches.
  bool MatchesEmpty() const { return Matches(""); }

  MatchOp op() const { return op_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // `name="value"` with the value quoted.
  std::string ToString() const;

 private:
  MatchOp op_ = MatchOp::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const RE2> regex_;  // shared: matchers are copied into query plans
};

using LabelMatchers = std::vector<LabelMatcher>;

}  // namespace sluice::storage
