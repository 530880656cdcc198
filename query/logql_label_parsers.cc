// Loki's parser stages and Go's conversions, as pkg/logql/log/parser.go and the Go libraries it
// uses compute them. See logql_label_parsers.h.
#include "query/logql_label_parsers.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <utility>

#include "base/utf8.h"
#include "query/go_duration.h"
#include "query/go_numbers.h"
#include "query/logql_line_filter.h"
#include "query/promql_lexer.h"  // GoQuote: strconv.Quote
#include "storage/labels.h"

namespace sluice::query::logql {
namespace {

namespace od = simdjson::ondemand;

bool IsLabelChar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The length of the Go rune at s[i]: an invalid byte is a rune of its own (utf8.RuneError).
size_t RuneLength(std::string_view s, size_t i) {
  size_t n = Utf8SequenceLength(s, i);
  return n == 0 ? 1 : n;
}

// Go's unicode.IsSpace for the white space that occurs in keys: ASCII, U+0085 and U+00A0.
size_t LeadingSpace(std::string_view s, size_t i) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= '\t' && c <= '\r')) return 1;
  if (c == 0xC2 && i + 1 < s.size() &&
      (static_cast<unsigned char>(s[i + 1]) == 0x85 ||
       static_cast<unsigned char>(s[i + 1]) == 0xA0)) {
    return 2;
  }
  return 0;
}

// strings.TrimSpace.
std::string_view TrimSpace(std::string_view s) {
  size_t n = 0;
  while (!s.empty() && (n = LeadingSpace(s, 0)) > 0) s.remove_prefix(n);
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
      s.remove_suffix(1);
    } else if (s.size() >= 2 && static_cast<unsigned char>(s[s.size() - 2]) == 0xC2 &&
               (c == 0x85 || c == 0xA0)) {
      s.remove_suffix(2);
    } else {
      break;
    }
  }
  return s;
}

// Every rune that may not be in a label name becomes one `_`.
void AppendMappedRunes(std::string_view key, std::string* out) {
  size_t valid = 0;
  while (valid < key.size() && IsLabelChar(static_cast<unsigned char>(key[valid]))) ++valid;
  out->append(key.substr(0, valid));  // most keys are valid names already
  for (size_t i = valid; i < key.size();) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c < 0x80) {
      out->push_back(IsLabelChar(c) ? static_cast<char>(c) : '_');
      ++i;
    } else {
      out->push_back('_');
      i += RuneLength(key, i);
    }
  }
}

constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";

}  // namespace

// ---- Label names ----------------------------------------------------------------------------

void AppendSanitizedLabelKey(std::string_view key, bool is_prefix, std::string* out) {
  key = TrimSpace(key);
  if (key.empty()) return;
  if (is_prefix && IsDigit(key[0])) out->push_back('_');
  AppendMappedRunes(key, out);
}

std::string SanitizeLabelKey(std::string_view key, bool is_prefix) {
  std::string out;
  AppendSanitizedLabelKey(key, is_prefix, &out);
  return out;
}

void AppendSanitizedJsonKey(std::string_view key, std::string* to) {
  key = TrimSpace(key);
  if (key.empty()) return;
  if (to->empty() && IsDigit(key[0])) to->push_back('_');
  AppendMappedRunes(key, to);
}

bool HasRuneError(std::string_view s) {
  // Text is mostly ASCII: one pass to find out.
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, s.data() + i, 8);
    if ((word & 0x8080808080808080ULL) != 0) break;
  }
  while (i < s.size() && static_cast<unsigned char>(s[i]) < 0x80) ++i;
  if (i == s.size()) return false;
  s.remove_prefix(i);
  return !IsValidUtf8(s) || s.find(kReplacementChar) != std::string_view::npos;
}

// ---- Go conversions -------------------------------------------------------------------------

bool ParseGoFloat(std::string_view s, double* value, std::string* error) {
  if (std::optional<double> v = GoParseFloat(s)) {
    *value = *v;
    return true;
  }
  // Go tells a number too large (a range error) from text that is no number.
  bool range = false;
  if (!s.empty() && (IsDigit(s[0]) || s[0] == '.' || s[0] == '+' || s[0] == '-')) {
    std::string text(s);
    char* end = nullptr;
    errno = 0;
    double v = std::strtod(text.c_str(), &end);
    range = end == text.c_str() + text.size() && std::isinf(v) && errno == ERANGE;
  }
  error->assign("strconv.ParseFloat: parsing ");
  error->append(promql::GoQuote(s));
  error->append(range ? ": value out of range" : ": invalid syntax");
  return false;
}

bool ParseGoDuration(std::string_view s, int64_t* nanoseconds, std::string* error) {
  Result<int64_t> d = query::ParseGoDuration(s);
  if (!d.ok()) {
    *error = d.status().message();
    return false;
  }
  *nanoseconds = *d;
  return true;
}

bool ParseHumanBytes(std::string_view s, uint64_t* bytes, std::string* error) {
  size_t digits = 0;
  bool comma = false;
  while (digits < s.size() && (IsDigit(s[digits]) || s[digits] == '.' || s[digits] == ',')) {
    comma |= s[digits] == ',';
    ++digits;
  }
  std::string_view number = s.substr(0, digits);
  std::string without_commas;
  if (comma) {
    for (char c : number) {
      if (c != ',') without_commas.push_back(c);
    }
    number = without_commas;
  }
  double f = 0;
  if (!ParseGoFloat(number, &f, error)) return false;
  std::string_view extra = TrimSpace(s.substr(digits));
  if (extra.size() > 3) {
    std::string lowered(extra);
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    *error = fmt::format("unhandled size name: {}", lowered);
    return false;
  }
  char lower[3] = {};
  for (size_t i = 0; i < extra.size(); ++i) {
    lower[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(extra[i])));
  }
  std::string_view unit(lower, extra.size());
  static constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1e3},
      {"kb", 1e3},
      {"ki", 1024.0},
      {"kib", 1024.0},
      {"m", 1e6},
      {"mb", 1e6},
      {"mi", 1048576.0},
      {"mib", 1048576.0},
      {"g", 1e9},
      {"gb", 1e9},
      {"gi", 1073741824.0},
      {"gib", 1073741824.0},
      {"t", 1e12},
      {"tb", 1e12},
      {"ti", 1099511627776.0},
      {"tib", 1099511627776.0},
      {"p", 1e15},
      {"pb", 1e15},
      {"pi", 1125899906842624.0},
      {"pib", 1125899906842624.0},
      {"e", 1e18},
      {"eb", 1e18},
      {"ei", 1152921504606846976.0},
      {"eib", 1152921504606846976.0},
  };
  for (const auto& [name, multiplier] : kUnits) {
    if (name != unit) continue;
    f *= multiplier;
    if (f >= 18446744073709551615.0) {
      *error = fmt::format("too large: {}", s);
      return false;
    }
    *bytes = static_cast<uint64_t>(f);
    return true;
  }
  *error = fmt::format("unhandled size name: {}", unit);
  return false;
}

// ---- logfmt ---------------------------------------------------------------------------------

void LogfmtDecoder::Reset(std::string_view line) {
  line_ = line;
  pos_ = 0;
  key_ = value_ = {};
  error_.clear();
}

void LogfmtDecoder::SyntaxError(std::string_view message) {
  error_ = fmt::format("logfmt syntax error at pos {} : {}", pos_ + 1, message);
}

void LogfmtDecoder::UnexpectedByte(char c) {
  // Go's %q of a byte: a quoted character literal.
  std::string quoted = c == '\'' ? "'\\''" : c == '\\' ? "'\\\\'" : std::string{'\'', c, '\''};
  error_ = fmt::format("logfmt syntax error at pos {} : unexpected {}", pos_ + 1, quoted);
}

// The states of go-logfmt's decoder, as Loki's copy has them (key, equal, value, quoted value,
// skipping a bad pair), so that errors and their positions are the same.
bool LogfmtDecoder::ScanKeyval() {
  key_ = value_ = {};
  const std::string_view line = line_;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(line[i]); };
  auto invalid_key = [&](std::string_view key, bool multibyte) {
    return multibyte && HasRuneError(key);
  };

  // Skip what precedes the key.
  while (pos_ < line.size() && byte(pos_) <= ' ') ++pos_;
  if (pos_ >= line.size()) return false;

  // The key.
  size_t start = pos_;
  bool multibyte = false;
  for (; pos_ < line.size(); ++pos_) {
    unsigned char c = byte(pos_);
    if (c == '=') {
      if (pos_ > start) {
        key_ = line.substr(start, pos_ - start);
        if (invalid_key(key_, multibyte)) {
          SyntaxError("invalid key");
          goto skip_value;
        }
      }
      if (key_.empty()) {
        UnexpectedByte('=');
        goto skip_value;
      }
      goto equal;
    }
    if (c == '"') {
      UnexpectedByte('"');
      goto skip_value;
    }
    if (c <= ' ') {
      key_ = line.substr(start, pos_ - start);
      if (invalid_key(key_, multibyte)) {
        SyntaxError("invalid key");
        return false;
      }
      return true;
    }
    if (c >= 0x80) multibyte = true;
  }
  key_ = line.substr(start);
  if (invalid_key(key_, multibyte)) {
    SyntaxError("invalid key");
    return false;
  }
  return true;

equal:
  ++pos_;
  if (pos_ >= line.size()) return true;
  if (byte(pos_) <= ' ') return true;
  if (byte(pos_) == '"') goto quoted_value;
  start = pos_;
  for (; pos_ < line.size(); ++pos_) {
    unsigned char c = byte(pos_);
    if (c == '=' || c == '"') {
      UnexpectedByte(static_cast<char>(c));
      goto skip_value;
    }
    if (c <= ' ') {
      value_ = line.substr(start, pos_ - start);
      return true;
    }
  }
  value_ = line.substr(start);
  return true;

skip_value:
  while (pos_ < line.size() && byte(pos_) > ' ') ++pos_;
  return false;

quoted_value:
  bool has_escape = false;
  bool escaped = false;
  start = pos_;
  for (size_t p = pos_ + 1; p < line.size(); ++p) {
    unsigned char c = byte(p);
    if (escaped) {
      escaped = false;
    } else if (c == '\\') {
      has_escape = escaped = true;
    } else if (c == '"') {
      pos_ = p + 1;
      if (has_escape) {
        if (!UnquoteLogfmt(line.substr(start, pos_ - start), &unquoted_)) {
          SyntaxError("invalid quoted value");
          return false;
        }
        value_ = unquoted_;
      } else {
        value_ = line.substr(start + 1, pos_ - 1 - (start + 1));
      }
      return true;
    }
  }
  pos_ = line.size();
  SyntaxError("unterminated quoted value");
  return false;
}

namespace {

// Four hex digits after `\u` at s[i], or -1.
int32_t ReadU4(std::string_view s, size_t i) {
  if (i + 6 > s.size() || s[i] != '\\' || s[i + 1] != 'u') return -1;
  int32_t r = 0;
  for (size_t k = i + 2; k < i + 6; ++k) {
    char c = s[k];
    int d = c >= '0' && c <= '9'   ? c - '0'
            : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                   : -1;
    if (d < 0) return -1;
    r = r * 16 + d;
  }
  return r;
}

}  // namespace

bool UnquoteLogfmt(std::string_view quoted, std::string* out) {
  if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return false;
  std::string_view s = quoted.substr(1, quoted.size() - 2);
  out->clear();
  for (size_t r = 0; r < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[r]);
    if (c == '\\') {
      ++r;
      if (r >= s.size()) return false;
      switch (s[r]) {
        case '"':
        case '\\':
        case '/':
        case '\'':
          out->push_back(s[r++]);
          break;
        case 'b':
          out->push_back('\b'), ++r;
          break;
        case 'f':
          out->push_back('\f'), ++r;
          break;
        case 'n':
          out->push_back('\n'), ++r;
          break;
        case 'r':
          out->push_back('\r'), ++r;
          break;
        case 't':
          out->push_back('\t'), ++r;
          break;
        case 'u': {
          --r;
          int32_t rr = ReadU4(s, r);
          if (rr < 0) return false;
          r += 6;
          if (rr >= 0xD800 && rr < 0xE000) {
            int32_t rr1 = ReadU4(s, r);
            if (rr < 0xDC00 && rr1 >= 0xDC00 && rr1 < 0xE000) {
              r += 6;
              AppendUtf8(out,
                         static_cast<uint32_t>(0x10000 + ((rr - 0xD800) << 10) + (rr1 - 0xDC00)));
              break;
            }
            rr = 0xFFFD;
          }
          AppendUtf8(out, static_cast<uint32_t>(rr));
          break;
        }
        default:
          return false;
      }
    } else if (c == '"') {
      return false;
    } else if (c < 0x80) {
      out->push_back(static_cast<char>(c));
      ++r;
    } else {
      size_t n = Utf8SequenceLength(s, r);
      if (n == 0) {
        out->append(kReplacementChar);
        ++r;
      } else {
        out->append(s.substr(r, n));
        r += n;
      }
    }
  }
  return true;
}

// ---- JSON paths ----------------------------------------------------------------------------

Result<std::vector<JsonPathStep>> ParseJsonPath(std::string_view expression) {
  auto fail = [&](std::string_view why) {
    return Status::InvalidArgument(
        fmt::format("cannot parse expression [{}]: syntax error: {}", expression, why));
  };
  auto is_start = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  };
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  std::vector<JsonPathStep> steps;
  size_t i = 0;
  auto skip_space = [&] {
    while (i < expression.size() && is_space(expression[i])) ++i;
  };
  auto field = [&]() -> bool {
    skip_space();
    if (i >= expression.size() || !is_start(expression[i])) return false;
    size_t start = i;
    while (i < expression.size() && (is_start(expression[i]) || IsDigit(expression[i]))) ++i;
    steps.push_back(JsonPathStep{std::string(expression.substr(start, i - start)), -1});
    return true;
  };
  // `["key"]` or `[index]`, the `[` consumed.
  auto bracket = [&]() -> std::optional<Status> {
    skip_space();
    if (i < expression.size() && expression[i] == '"') {
      size_t start = ++i;
      while (i < expression.size() && expression[i] != '"' && expression[i] != ']') ++i;
      steps.push_back(JsonPathStep{std::string(expression.substr(start, i - start)), -1});
      if (i < expression.size() && expression[i] == '"') ++i;
    } else if (i < expression.size() && IsDigit(expression[i])) {
      int64_t index = 0;
      while (i < expression.size() && IsDigit(expression[i])) {
        index = index * 10 + (expression[i] - '0');
        if (index > std::numeric_limits<int32_t>::max()) return fail("index too large");
        ++i;
      }
      if (i < expression.size() && expression[i] == '.') {
        return Status::InvalidArgument(fmt::format(
            "cannot parse expression [{}]: cannot use float as array index", expression));
      }
      steps.push_back(JsonPathStep{{}, index});
    } else {
      return fail("expected a string or an index in brackets");
    }
    skip_space();
    if (i >= expression.size() || expression[i] != ']') return fail("missing ]");
    ++i;
    return std::nullopt;
  };

  skip_space();
  if (i < expression.size() && expression[i] == '[') {
    ++i;
    if (auto st = bracket()) return *st;
  } else if (!field()) {
    return fail(expression.empty() ? "empty expression" : "unexpected character");
  }
  while (true) {
    skip_space();
    if (i >= expression.size()) break;
    if (expression[i] == '.') {
      ++i;
      if (!field()) return fail("expected a field after .");
    } else if (expression[i] == '[') {
      ++i;
      if (auto st = bracket()) return *st;
    } else {
      return fail(fmt::format("unexpected char {}", expression[i]));
    }
  }
  return steps;
}

// ---- Parser scratch ------------------------------------------------------------------------

struct ParserScratch::Impl {
  od::parser json;
  std::string padded;  // the line, with simdjson's padding
  std::string prefix;  // flattened name of the JSON object being walked
  std::string name;    // the label name being built
  std::string value;
  std::string entry;                                         // unpack's `_entry`
  std::vector<std::pair<std::string, std::string>> pending;  // unpack's labels
  size_t pending_size = 0;
  std::vector<std::string_view> captures;
  std::vector<re2::StringPiece> groups;
  LogfmtDecoder logfmt;

  // Starts a JSON document over a padded copy of `line`. Bytes that are not UTF-8 become U+FFFD
  // (Go sees them as utf8.RuneError, which Loki then blanks) rather than failing the document.
  simdjson::error_code Load(std::string_view line, od::document* doc) {
    if (simdjson::validate_utf8(line.data(), line.size())) {
      padded.resize(line.size() + simdjson::SIMDJSON_PADDING);
      std::memcpy(padded.data(), line.data(), line.size());
      return json.iterate(simdjson::padded_string_view(padded.data(), line.size(), padded.size()))
          .get(*doc);
    }
    padded.clear();
    for (size_t i = 0; i < line.size();) {
      size_t n = Utf8SequenceLength(line, i);
      if (n == 0) {
        padded.append(kReplacementChar);
        ++i;
      } else {
        padded.append(line.substr(i, n));
        i += n;
      }
    }
    size_t size = padded.size();
    padded.resize(size + simdjson::SIMDJSON_PADDING);
    return json.iterate(simdjson::padded_string_view(padded.data(), size, padded.size())).get(*doc);
  }
};

ParserScratch::ParserScratch() : impl_(std::make_unique<Impl>()) {}
ParserScratch::~ParserScratch() = default;

namespace {

// The error texts of the JSON parser Loki uses (buger/jsonparser), for __error_details__.
std::string_view JsonErrorDetails(simdjson::error_code e) {
  switch (e) {
    case simdjson::UNCLOSED_STRING:
      return "Value is string, but can't find closing '\"' symbol";
    case simdjson::STRING_ERROR:
      return "Encountered an invalid escape sequence in a string";
    case simdjson::NUMBER_ERROR:
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
      return "Value looks like Number/Boolean/None, but can't find its end: ',' or '}' symbol";
    default:
      return "Value looks like object, but can't find closing '}' symbol";
  }
}

// The length of the JSON object or array `s` starts with (after white space), or npos when it
// does not close. Loki's parser stops at the end of the object, ignoring what follows; simdjson
// refuses a document with trailing content, so a failed parse is retried on the object alone.
size_t JsonContainerEnd(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
  if (i == s.size() || (s[i] != '{' && s[i] != '[')) return std::string_view::npos;
  int depth = 0;
  bool in_string = false;
  for (; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return std::string_view::npos;
}

// Runs `parse` over the line, and again over its leading object when that fails and something
// follows the object.
template <typename F>
simdjson::error_code ParseLenient(std::string_view line, F parse) {
  simdjson::error_code e = parse(line);
  if (!e) return e;
  size_t end = JsonContainerEnd(line);
  if (end == std::string_view::npos || end >= line.size()) return e;
  return parse(line.substr(0, end));
}

std::string_view TrimJsonToken(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\n' ||
                            token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

// Appends `_extracted` when the stream has the label already.
void SuffixIfStreamHas(const LabelsBuilder& labels, std::string* name) {
  if (labels.StreamHas(*name)) name->append(kExtractedSuffix);
}

// ---- json ------------------------------------------------------------------------------------

class JsonParser final : public LineParser {
 public:
  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    ParserScratch::Impl& s = scratch.impl();
    simdjson::error_code e = ParseLenient(line, [&](std::string_view text) {
      od::document doc;
      od::object object;
      simdjson::error_code err = s.Load(text, &doc);
      if (!err) err = doc.get_object().get(object);
      s.prefix.clear();
      if (!err) err = Walk(object, labels, s);
      return err;
    });
    if (e) labels.SetError(kJsonParserErr, JsonErrorDetails(e));
  }

 private:
  // Loki flattens nested objects (a.b → a_b) and skips arrays and nulls.
  static simdjson::error_code Walk(od::object object, LabelsBuilder& labels,
                                   ParserScratch::Impl& s) {
    for (auto field_result : object) {
      od::field field;
      std::string_view key;
      od::value value;
      od::json_type type;
      if (auto e = std::move(field_result).get(field)) return e;
      if (auto e = field.unescaped_key().get(key)) return e;
      value = field.value();
      if (auto e = value.type().get(type)) return e;
      switch (type) {
        case od::json_type::object: {
          size_t length = s.prefix.size();
          if (!s.prefix.empty()) s.prefix.push_back('_');
          AppendSanitizedJsonKey(key, &s.prefix);
          od::object inner;
          simdjson::error_code e = value.get_object().get(inner);
          if (!e) e = Walk(inner, labels, s);
          s.prefix.resize(length);
          if (e) return e;
          break;
        }
        case od::json_type::string: {
          std::string_view text;
          if (auto e = value.get_string().get(text)) return e;
          Set(key, HasRuneError(text) ? std::string_view() : text, labels, s);
          break;
        }
        case od::json_type::number: {
          std::string_view token = value.raw_json_token();
          Set(key, TrimJsonToken(token), labels, s);
          break;
        }
        case od::json_type::boolean: {
          std::string_view token = value.raw_json_token();
          Set(key, TrimJsonToken(token) == "true" ? "true" : "false", labels, s);
          break;
        }
        case od::json_type::array:
        case od::json_type::null:
          break;
      }
    }
    return simdjson::SUCCESS;
  }

  static void Set(std::string_view key, std::string_view value, LabelsBuilder& labels,
                  ParserScratch::Impl& s) {
    s.name.clear();
    if (s.prefix.empty()) {
      AppendSanitizedLabelKey(key, true, &s.name);
    } else {
      s.name.append(s.prefix);
      s.name.push_back('_');
      AppendSanitizedJsonKey(key, &s.name);
    }
    if (s.name.empty()) return;  // Loki would make a label without a name
    SuffixIfStreamHas(labels, &s.name);
    labels.SetUnaliased(LabelCategory::kParsed, s.name, value);
  }
};

// `| json a="x.y", b="list[0]"`.
class JsonExpressionParser final : public LineParser {
 public:
  struct Param {
    std::string label;
    std::vector<JsonPathStep> path;
  };
  explicit JsonExpressionParser(std::vector<Param> params) : params_(std::move(params)) {}

  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    if (line.empty()) return;
    if (line[0] != '"' && line[0] != '{' && line[0] != '[') {
      labels.SetError(kJsonParserErr);
      return;
    }
    ParserScratch::Impl& s = scratch.impl();
    simdjson::error_code e = ParseLenient(line, [&](std::string_view text) {
      od::document doc;
      simdjson::error_code err = s.Load(text, &doc);
      for (const Param& p : params_) {
        if (err) break;
        doc.rewind();
        od::value root;
        err = doc.get_value().get(root);
        if (err == simdjson::SCALAR_DOCUMENT_AS_VALUE) return simdjson::SUCCESS;  // no path
        if (err) break;
        bool found = false;
        err = Extract(root, p.path, &s.value, &found);
        if (err || !found) continue;
        s.name = p.label;
        SuffixIfStreamHas(labels, &s.name);
        labels.SetUnaliased(LabelCategory::kParsed, s.name, s.value);
      }
      return err;
    });
    if (e) labels.SetError(kJsonParserErr, JsonErrorDetails(e));
    // Every label of the expression exists, empty when its path led nowhere.
    for (const Param& p : params_) {
      if (!labels.GetLabel(p.label)) labels.SetUnaliased(LabelCategory::kParsed, p.label, "");
    }
  }

 private:
  // The text at `path`: strings unescaped, numbers and booleans as written, null as "", objects
  // and arrays as their JSON text. *found false when the path leads nowhere.
  static simdjson::error_code Extract(od::value value, const std::vector<JsonPathStep>& path,
                                      std::string* out, bool* found) {
    auto missing = [](simdjson::error_code e) {
      return e == simdjson::NO_SUCH_FIELD || e == simdjson::INCORRECT_TYPE ||
             e == simdjson::INDEX_OUT_OF_BOUNDS;
    };
    for (const JsonPathStep& step : path) {
      od::value next;
      if (step.index >= 0) {
        od::array array;
        if (auto e = value.get_array().get(array)) return missing(e) ? simdjson::SUCCESS : e;
        int64_t i = 0;
        bool have = false;
        for (auto element : array) {
          if (auto e = element.get(next)) return e;
          if (i++ == step.index) {
            have = true;
            break;
          }
        }
        if (!have) return simdjson::SUCCESS;
      } else {
        simdjson::error_code e = value.find_field_unordered(step.field).get(next);
        if (e) return missing(e) ? simdjson::SUCCESS : e;
      }
      value = next;
    }
    od::json_type type;
    if (auto e = value.type().get(type)) return e;
    std::string_view text;
    switch (type) {
      case od::json_type::string:
        if (auto e = value.get_string().get(text)) return e;
        if (HasRuneError(text)) text = {};
        break;
      case od::json_type::number:
      case od::json_type::boolean:
        text = value.raw_json_token();
        text = TrimJsonToken(text);
        break;
      case od::json_type::null:
        break;
      case od::json_type::object: {
        od::object object;
        if (auto e = value.get_object().get(object)) return e;
        if (auto e = object.raw_json().get(text)) return e;
        break;
      }
      case od::json_type::array: {
        od::array array;
        if (auto e = value.get_array().get(array)) return e;
        if (auto e = array.raw_json().get(text)) return e;
        break;
      }
    }
    out->assign(text);
    *found = true;
    return simdjson::SUCCESS;
  }

  std::vector<Param> params_;
};

// ---- unpack ---------------------------------------------------------------------------------

// Promtail's pack format: a JSON object whose `_entry` is the original line and whose other
// string fields are labels. Without `_entry` the line is left alone and no label is added.
class UnpackParser final : public LineParser {
 public:
  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    if (line.empty()) return;
    if (line[0] != '{') {
      labels.SetError(kJsonParserErr, "expecting json object(6), but it is not");
      return;
    }
    ParserScratch::Impl& s = scratch.impl();
    std::string_view entry;
    bool packed = false;
    simdjson::error_code e = ParseLenient(line, [&](std::string_view text) {
      s.pending_size = 0;
      packed = false;
      od::document doc;
      od::object object;
      simdjson::error_code err = s.Load(text, &doc);
      if (!err) err = doc.get_object().get(object);
      if (!err) err = Walk(object, labels, s, &entry, &packed);
      return err;
    });
    if (e) {
      labels.SetError(kJsonParserErr, JsonErrorDetails(e));
      return;
    }
    if (!packed) return;
    for (size_t i = 0; i < s.pending_size; ++i) {
      labels.SetUnaliased(LabelCategory::kParsed, s.pending[i].first, s.pending[i].second);
    }
    s.entry.assign(entry);
    *line_out = s.entry;
  }

 private:
  static simdjson::error_code Walk(od::object object, const LabelsBuilder& labels,
                                   ParserScratch::Impl& s, std::string_view* entry, bool* packed) {
    for (auto field_result : object) {
      od::field field;
      std::string_view key;
      od::json_type type;
      if (auto e = std::move(field_result).get(field)) return e;
      if (auto e = field.unescaped_key().get(key)) return e;
      od::value value = field.value();
      if (auto e = value.type().get(type)) return e;
      if (type != od::json_type::string) continue;
      std::string_view text;
      if (auto e = value.get_string().get(text)) return e;
      if (key == "_entry") {
        *entry = text;
        *packed = true;
        continue;
      }
      s.name.assign(key);
      SuffixIfStreamHas(labels, &s.name);
      if (s.pending_size == s.pending.size()) s.pending.emplace_back();
      auto& [name, v] = s.pending[s.pending_size++];
      name.clear();
      AppendSanitizedLabelKey(s.name, true, &name);
      v.assign(HasRuneError(text) ? std::string_view() : text);
    }
    return simdjson::SUCCESS;
  }
};

// ---- logfmt ---------------------------------------------------------------------------------

class LogfmtParser final : public LineParser {
 public:
  LogfmtParser(bool strict, bool keep_empty) : strict_(strict), keep_empty_(keep_empty) {}

  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    ParserScratch::Impl& s = scratch.impl();
    LogfmtDecoder& dec = s.logfmt;
    dec.Reset(line);
    while (!dec.AtEnd()) {
      if (!dec.ScanKeyval()) {
        if (strict_) break;
        continue;
      }
      s.name.clear();
      AppendSanitizedLabelKey(dec.key(), true, &s.name);
      if (s.name.empty()) continue;
      SuffixIfStreamHas(labels, &s.name);
      std::string_view value = dec.value();
      if (HasRuneError(value)) value = {};
      if (!keep_empty_ && value.empty()) continue;
      labels.SetUnaliased(LabelCategory::kParsed, s.name, value);
    }
    if (strict_ && !dec.error().empty()) labels.SetError(kLogfmtParserErr, dec.error());
  }

 private:
  bool strict_;
  bool keep_empty_;
};

// `| logfmt a, b="c"`: only the named keys, `b` taking the value of key `c`.
class LogfmtExpressionParser final : public LineParser {
 public:
  struct Param {
    std::string label;
    std::string key;
  };
  LogfmtExpressionParser(std::vector<Param> params, bool strict)
      : params_(std::move(params)), strict_(strict) {}

  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    for (const Param& p : params_) {
      if (!labels.StreamHas(p.label)) labels.SetUnaliased(LabelCategory::kParsed, p.label, "");
    }
    ParserScratch::Impl& s = scratch.impl();
    LogfmtDecoder& dec = s.logfmt;
    dec.Reset(line);
    while (!dec.AtEnd()) {
      if (!dec.ScanKeyval()) {
        if (strict_) break;
        continue;
      }
      s.name.clear();
      AppendSanitizedLabelKey(dec.key(), true, &s.name);
      if (s.name.empty()) continue;
      const Param* param = nullptr;
      for (const Param& p : params_) {
        if (p.key == s.name) {
          param = &p;
          break;
        }
      }
      if (param == nullptr) {
        // Loki also takes a key named like one of the labels.
        for (const Param& p : params_) {
          if (p.label == s.name) {
            param = &p;
            break;
          }
        }
      }
      if (param == nullptr) continue;
      s.name = param->label;
      SuffixIfStreamHas(labels, &s.name);
      std::string_view value = dec.value();
      if (HasRuneError(value)) value = {};
      labels.SetUnaliased(LabelCategory::kParsed, s.name, value);
    }
    if (strict_ && !dec.error().empty()) labels.SetError(kLogfmtParserErr, dec.error());
  }

 private:
  std::vector<Param> params_;
  bool strict_;
};

// ---- regexp ---------------------------------------------------------------------------------

class RegexpParser final : public LineParser {
 public:
  struct Group {
    int index;
    std::string name;
    std::string extracted;  // name + `_extracted`
  };

  static Result<std::unique_ptr<LineParser>> Make(const std::string& expression) {
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_unique<RE2>(expression, options);
    if (!re->ok()) {
      return Status::InvalidArgument(fmt::format("error parsing regexp: {}", re->error()));
    }
    std::vector<Group> groups;
    for (const auto& [index, name] : re->CapturingGroupNames()) {
      if (!storage::IsValidLabelName(name)) {
        return Status::InvalidArgument(fmt::format("invalid extracted label name '{}'", name));
      }
      std::string sanitized = SanitizeLabelKey(name, true);
      groups.push_back(Group{index, sanitized, sanitized + std::string(kExtractedSuffix)});
    }
    if (groups.empty()) {
      return Status::InvalidArgument("at least one named capture must be supplied");
    }
    std::sort(groups.begin(), groups.end(),
              [](const Group& a, const Group& b) { return a.index < b.index; });
    auto parser = std::unique_ptr<RegexpParser>(new RegexpParser());
    parser->re_ = std::move(re);
    parser->groups_ = std::move(groups);
    return std::unique_ptr<LineParser>(std::move(parser));
  }

  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    std::vector<re2::StringPiece>& found = scratch.impl().groups;
    int n = re_->NumberOfCapturingGroups() + 1;
    found.resize(static_cast<size_t>(n));
    if (!re_->Match(re2::StringPiece(line.data(), line.size()), 0, line.size(), RE2::UNANCHORED,
                    found.data(), n)) {
      return;
    }
    for (const Group& g : groups_) {
      const re2::StringPiece& v = found[static_cast<size_t>(g.index)];
      labels.SetUnaliased(
          LabelCategory::kParsed, labels.StreamHas(g.name) ? g.extracted : g.name,
          v.data() == nullptr ? std::string_view() : std::string_view(v.data(), v.size()));
    }
  }

 private:
  RegexpParser() = default;
  std::unique_ptr<RE2> re_;
  std::vector<Group> groups_;
};

// ---- pattern --------------------------------------------------------------------------------

class PatternParser final : public LineParser {
 public:
  static Result<std::unique_ptr<LineParser>> Make(const std::string& expression) {
    SLUICE_ASSIGN_OR_RETURN(Pattern pattern, Pattern::Compile(expression));
    auto parser = std::unique_ptr<PatternParser>(new PatternParser(std::move(pattern)));
    for (const std::string& name : parser->pattern_.names()) {
      if (!storage::IsValidLabelName(name)) {
        return Status::InvalidArgument(fmt::format("invalid capture label name '{}'", name));
      }
      parser->extracted_.push_back(name + std::string(kExtractedSuffix));
    }
    return std::unique_ptr<LineParser>(std::move(parser));
  }

  void Process(std::string_view line, LabelsBuilder& labels, ParserScratch& scratch,
               std::string_view* line_out) const override {
    *line_out = line;
    std::vector<std::string_view>& captures = scratch.impl().captures;
    captures.clear();
    if (line.empty()) return;
    // Loki keeps what a partial match captured (the last capture runs to the end of the line).
    pattern_.Match(line, &captures);
    const std::vector<std::string>& names = pattern_.names();
    for (size_t i = 0; i < captures.size() && i < names.size(); ++i) {
      labels.SetUnaliased(LabelCategory::kParsed,
                          labels.StreamHas(names[i]) ? extracted_[i] : names[i], captures[i]);
    }
  }

 private:
  explicit PatternParser(Pattern pattern) : pattern_(std::move(pattern)) {}
  Pattern pattern_;
  std::vector<std::string> extracted_;
};

Status CheckExtractedLabel(const std::string& label) {
  if (!storage::IsValidLabelName(label)) {
    return Status::InvalidArgument(fmt::format("invalid extracted label name '{}'", label));
  }
  return Status::Ok();
}

}  // namespace

Result<std::unique_ptr<LineParser>> CompileLineParser(const Parser& parser) {
  switch (parser.kind) {
    case ParserKind::kJson: {
      if (parser.params.empty()) return std::unique_ptr<LineParser>(new JsonParser());
      std::vector<JsonExpressionParser::Param> params;
      for (const ExtractionParam& p : parser.params) {
        const std::string& expression = p.expression.empty() ? p.label : p.expression;
        SLUICE_ASSIGN_OR_RETURN(std::vector<JsonPathStep> path, ParseJsonPath(expression));
        SLUICE_RETURN_IF_ERROR(CheckExtractedLabel(p.label));
        params.push_back({p.label, std::move(path)});
      }
      return std::unique_ptr<LineParser>(new JsonExpressionParser(std::move(params)));
    }
    case ParserKind::kLogfmt: {
      if (parser.params.empty()) {
        return std::unique_ptr<LineParser>(new LogfmtParser(parser.strict, parser.keep_empty));
      }
      std::vector<LogfmtExpressionParser::Param> params;
      for (const ExtractionParam& p : parser.params) {
        SLUICE_RETURN_IF_ERROR(CheckExtractedLabel(p.label));
        params.push_back({p.label, p.expression.empty() ? p.label : p.expression});
      }
      return std::unique_ptr<LineParser>(
          new LogfmtExpressionParser(std::move(params), parser.strict));
    }
    case ParserKind::kRegexp:
      return RegexpParser::Make(parser.argument);
    case ParserKind::kPattern:
      return PatternParser::Make(parser.argument);
    case ParserKind::kUnpack:
      return std::unique_ptr<LineParser>(new UnpackParser());
  }
  return Status::Internal("unknown parser");
}

}  // namespace sluice::query::logql
