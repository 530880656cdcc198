// Internals of the LogQL template engine (logql_template.h: Go's text/template with the functions
// Loki registers), shared by its files; not an interface for the rest of Sluice.
//
// A template is parsed once into a tree; Execute walks it with values that borrow their bytes
// (labels, the line, literals in the tree, or a per-thread arena reset per execution), so that a
// simple template allocates nothing per entry once warm.
//
// The files, and what each defines of this header:
//   logql_template_text.cc       text and Unicode helpers
//   logql_template_values.cc     dynamically typed values; Go numbers (strconv, decimal)
//   logql_template_gotime.cc     Go time: calendar, layouts
//   logql_template_gofmt.cc      fmt's verbs: how values print
//   logql_template_parse.cc      the lexer, the parse tree and the parser
//   logql_template_exec.cc       the evaluator
//   logql_template_functions.cc  the functions: text/template's builtins, Loki's, sprig's and
//                                Prometheus' (alert_template.h)
//   logql_template.cc            the public Template
#pragma once

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "query/logql_template.h"
#include "query/promql_lexer.h"            // GoQuote: strconv.Quote
#include "query/promql_parser_internal.h"  // DecodeRune, AppendUtf8, IsPrint, UnicodeName, QuoteRune
#include "storage/labels.h"

namespace sluice::query::logql::template_internal {

using promql::AppendUtf8;
using promql::GoQuote;
using promql::IsPrint;
using promql::kRuneError;

// ---- Text and Unicode helpers (logql_template_text.cc) --------------------------------------

// utf8.DecodeRuneInString: (rune, width); (0xFFFD, 1) for a byte that is not UTF-8; (-1, 0) at
// the end.
inline std::pair<int32_t, size_t> RuneAt(std::string_view s, size_t pos) {
  if (pos >= s.size()) return {-1, 0};
  if (static_cast<unsigned char>(s[pos]) < 0x80) return {static_cast<unsigned char>(s[pos]), 1};
  return promql::DecodeRune(s, pos);
}

// The width of the last rune of s[:end] (utf8.DecodeLastRuneInString's).
size_t LastRuneWidth(std::string_view s, size_t end);
size_t RuneCount(std::string_view s);
// unicode.IsSpace.
bool IsSpaceRune(int32_t r);
// unicode.IsDigit: ASCII and the common decimal digit blocks.
bool IsDigitRune(int32_t r);
// unicode.IsLetter, approximated outside ASCII and Latin-1: every rune that is not a digit,
// space, punctuation or symbol block, control, surrogate or private use counts as a letter.
bool IsLetterRune(int32_t r);
// Simple case mappings (unicode.ToUpper/ToLower) for ASCII, Latin-1, Latin Extended-A and
// Additional, Greek, Cyrillic, Armenian and fullwidth Latin; other runes are left alone.
int32_t CaseMap(int32_t r, bool upper);
// strings.ToUpper / strings.ToLower: strings.Map over runes, bytes that are not UTF-8 becoming
// U+FFFD (only when the string is not all ASCII, as in Go's fast path).
void AppendCaseMapped(std::string* out, std::string_view s, bool upper);
// strings.Title's isSeparator.
bool IsWordSeparator(int32_t r);

// Go's "%!verb" helpers and strconv-style escapes need hex digits.
inline constexpr char kLowerHex[] = "0123456789abcdef";
inline constexpr char kUpperHex[] = "0123456789ABCDEF";

// A per-execution bump allocator for the strings functions make.
class Arena {
 public:
  char* Alloc(size_t n) {
    if (n > kBlockSize / 4) {
      big_.push_back(std::make_unique<char[]>(n));
      return big_.back().get();
    }
    if (blocks_.empty()) blocks_.push_back(std::make_unique<char[]>(kBlockSize));
    if (used_ + n > kBlockSize) {
      ++current_;
      if (current_ == blocks_.size()) blocks_.push_back(std::make_unique<char[]>(kBlockSize));
      used_ = 0;
    }
    char* p = blocks_[current_].get() + used_;
    used_ += n;
    return p;
  }
  std::string_view Copy(std::string_view s) {
    if (s.empty()) return {};
    char* p = Alloc(s.size());
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  void Reset() {
    current_ = 0;
    used_ = 0;
    big_.clear();
    if (blocks_.size() > kKeptBlocks) blocks_.resize(kKeptBlocks);  // after a huge execution
  }

 private:
  static constexpr size_t kBlockSize = 16 * 1024;
  static constexpr size_t kKeptBlocks = 64;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::vector<std::unique_ptr<char[]>> big_;
  size_t current_ = 0;
  size_t used_ = 0;
};

// ---- Values (logql_template_values.cc) ------------------------------------------------------

// A time.Time: Unix seconds and nanoseconds, and the zone it is shown in.
struct GoTime {
  static constexpr int64_t kZeroUnix = -62135596800;  // time.Time{}: January 1, year 1, UTC
  int64_t sec = kZeroUnix;
  int32_t nsec = 0;
  int32_t offset = 0;  // seconds east of UTC
  std::array<char, 7> zone = {'U', 'T', 'C'};
  uint8_t zone_len = 3;  // 0: a fixed offset without a name, shown as "-0700"

  std::string_view ZoneName() const { return {zone.data(), zone_len}; }
  void SetZone(std::string_view name, int32_t off) {
    offset = off;
    zone_len = static_cast<uint8_t>(std::min<size_t>(name.size(), zone.size()));
    if (zone_len > 0) std::memcpy(zone.data(), name.data(), zone_len);  // name.data() may be null
  }
  bool operator==(const GoTime& o) const {
    return sec == o.sec && nsec == o.nsec && offset == o.offset && ZoneName() == o.ZoneName();
  }
};

// time.Unix(sec, nsec) in UTC.
GoTime TimeUnix(int64_t sec, int64_t nsec);

struct JsonNode {
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };
  Type type = Type::kNull;
  bool b = false;
  double n = 0;
  std::string str;
  std::vector<JsonNode> items;    // array elements, or object values
  std::vector<std::string> keys;  // object keys, sorted and unique; items holds the values
};

enum class Kind : uint8_t {
  kNil,  // no value: Go's invalid reflect.Value or a nil interface
  kString,
  kInt,    // Go's int (literals, len, count, int)
  kInt64,  // sprig's integer arithmetic
  kFloat,
  kBool,
  kTime,
  kLabels,  // the entry's labels: `.` and `$`
  kJsonMap,
  kJsonArray,
  // Only in alert templates (alert_template.h):
  kStringMap,  // a map[string]string: `obj` is a canonical storage::Labels, null for a nil map
  kStruct,     // a struct: `obj` described by `stype`
  kDuration,   // a *time.Duration (toDuration): `i` nanoseconds
};

struct Value;
// A Go struct given as data (the `.` of alert templates): its type's name as reflect prints it,
// its field names in order, and a field's value by index.
struct StructType {
  std::string_view type_name;
  std::span<const std::string_view> field_names;
  Value (*field)(const void* self, size_t index);
};

struct Value {
  Kind kind = Kind::kNil;
  // kNil inside an interface (a JSON null or missing key): a field of it is an error.
  bool in_interface = false;
  union {
    int64_t i = 0;  // kInt, kInt64
    double f;       // kFloat
    bool b;         // kBool
  };
  std::string_view s;
  const JsonNode* json = nullptr;
  const void* obj = nullptr;          // kStringMap, kStruct
  const StructType* stype = nullptr;  // kStruct
  GoTime t;

  static Value Str(std::string_view v) {
    Value x;
    x.kind = Kind::kString;
    x.s = v;
    return x;
  }
  static Value Int(int64_t v, Kind k = Kind::kInt) {
    Value x;
    x.kind = k;
    x.i = v;
    return x;
  }
  static Value Float(double v) {
    Value x;
    x.kind = Kind::kFloat;
    x.f = v;
    return x;
  }
  static Value Bool(bool v) {
    Value x;
    x.kind = Kind::kBool;
    x.b = v;
    return x;
  }
  static Value Time(const GoTime& v) {
    Value x;
    x.kind = Kind::kTime;
    x.t = v;
    return x;
  }
  static Value StringMap(const storage::Labels* labels) {
    Value x;
    x.kind = Kind::kStringMap;
    x.obj = labels;
    return x;
  }
  static Value Struct(const StructType* type, const void* self) {
    Value x;
    x.kind = Kind::kStruct;
    x.stype = type;
    x.obj = self;
    return x;
  }
  static Value Duration(int64_t ns) {
    Value x;
    x.kind = Kind::kDuration;
    x.i = ns;
    return x;
  }
  bool IsInteger() const { return kind == Kind::kInt || kind == Kind::kInt64; }
  // kStringMap: the map's entries, sorted by name (a nil map has none).
  std::span<const storage::Label> MapEntries() const {
    if (obj == nullptr) return {};
    return *static_cast<const storage::Labels*>(obj);
  }
  // kStringMap: the value of a key, "" when absent (the zero value).
  std::string_view MapValue(std::string_view key) const {
    auto entries = MapEntries();
    auto it =
        std::lower_bound(entries.begin(), entries.end(), key,
                         [](const storage::Label& l, std::string_view k) { return l.name < k; });
    if (it == entries.end() || it->name != key) return {};
    return it->value;
  }
};

// A value of a JSON document (fromJson): null is a nil interface.
Value ValueOfJson(const JsonNode& n);
// reflect.Type.String() of a value.
std::string_view TypeName(const Value& v);

// ---- Go numbers (logql_template_values.cc) --------------------------------------------------

// strconv.ParseUint(s, base, 64) for base 0 (prefixes 0b 0o 0x, a leading 0 for octal, and
// underscores) or 10.
std::optional<uint64_t> GoParseUint(std::string_view s, int base);
// strconv.ParseInt(s, base, 64).
std::optional<int64_t> GoParseInt(std::string_view s, int base);
// fmt's %v of a float64.
std::string FormatFloatV(double v);
// cast.ToInt64 (and ToInt: the same on 64 bits): failures are 0.
int64_t CastToInt64(const Value& v);
// cast.ToFloat64.
double CastToFloat64(const Value& v);

// shopspring/decimal as sprig's addf/subf/mulf/divf use it: a float64 becomes its shortest
// decimal, sums and products are exact, quotients round half away from zero to 16 places, and
// the result is the float64 nearest to the decimal. The magnitude is kept in base-10^9 limbs.
class Decimal {
 public:
  static Decimal FromDouble(double v);
  double ToDouble() const;
  bool IsZero() const { return mag_.empty(); }
  Decimal Add(const Decimal& o) const;
  Decimal Negated() const;
  // o comes from FromDouble: its magnitude fits in 64 bits.
  Decimal Mul(const Decimal& o) const;
  // Decimal.Div (DivRound to 16 places); o comes from FromDouble and is not zero.
  Decimal Div(const Decimal& o) const;

 private:
  using Limbs = std::vector<uint32_t>;  // little-endian base 10^9
  static constexpr uint32_t kBase = 1'000'000'000;
  __extension__ using U128 = unsigned __int128;

  void SetDigits(std::string_view digits);
  uint64_t Small() const;
  void Normalize();
  static void Trim(Limbs* l);
  static int Cmp(const Limbs& a, const Limbs& b);
  static Limbs AddMag(const Limbs& a, const Limbs& b);
  // Precondition: a >= b.
  static Limbs SubMag(const Limbs& a, const Limbs& b);
  static Limbs MulSmall(const Limbs& a, uint64_t m);
  static Limbs DivSmall(const Limbs& a, uint64_t d, uint64_t* rem);
  static Limbs MulPow10(const Limbs& a, int64_t k);
  static Limbs DivPow10(const Limbs& a, int64_t k);

  bool neg_ = false;
  Limbs mag_;
  int64_t exp_ = 0;
};

// ---- Go time (logql_template_gotime.cc) -----------------------------------------------------

// Division and remainder rounding towards negative infinity.
int64_t FloorDiv(int64_t a, int64_t b);
int64_t FloorMod(int64_t a, int64_t b);

struct Civil {
  int64_t year = 1;
  int month = 1;  // 1..12
  int day = 1;
  int yday = 1;  // 1..366
  int hour = 0;
  int minute = 0;
  int second = 0;
  int weekday = 0;  // Sunday = 0
};
// The calendar date and clock of t in its zone.
Civil CivilOf(const GoTime& t);

// Time.Format.
void FormatTime(std::string* out, const GoTime& t, std::string_view layout);
// Time.String().
void AppendTimeString(std::string* out, const GoTime& t);
// time.ParseInLocation(layout, value, UTC); nullopt where Go returns an error.
std::optional<GoTime> ParseTime(std::string_view layout, std::string_view value);
// time.Now() in UTC.
GoTime NowUtc();
// time.Duration.String(): "1h2m3.5s", "1.5ms", "0s".
void AppendGoDuration(std::string* out, int64_t ns);

// ---- fmt (logql_template_gofmt.cc) ----------------------------------------------------------

// Lists the entry's labels, for printing `.` (TemplateInput::for_each_label).
using LabelLister = decltype(TemplateInput::for_each_label);

// fmt.Fprint of one value (%v), as an action prints what its pipeline gives. `labels` may be
// null, as may the function it points to: `.` then prints as an empty map.
void GoPrint(std::string* out, const Value& v, const LabelLister* labels);
// fmt.Sprint: spaces between operands when neither is a string.
void GoSprint(std::string* out, std::span<const Value> args, const LabelLister* labels);
// fmt.Sprintln.
void GoSprintln(std::string* out, std::span<const Value> args, const LabelLister* labels);
// fmt.Sprintf.
void GoSprintf(std::string* out, std::string_view format, std::span<const Value> args,
               const LabelLister* labels);

// ---- Functions (logql_template_functions.cc) ------------------------------------------------

class Exec;
// A function's parameter type, as text/template converts arguments to it.
enum class PT : uint8_t { kString, kInt, kFloat, kBool, kTime, kAny, kNone };
using FuncImpl = bool (*)(Exec& ex, const Value* receiver, std::span<const Value> args, Value* out);
enum class Special : uint8_t { kNone, kAnd, kOr, kCall };
struct FuncDef {
  std::string_view name;
  std::array<PT, 4> params;
  uint8_t nparams;  // fixed parameters
  bool variadic;
  PT variadic_type;
  FuncImpl impl;
  Special special;
};
// Which functions a template may call, besides text/template's builtins: Loki's (line_format,
// label_format) or Prometheus' (alert templates).
enum class FunctionSet : uint8_t { kLoki, kPrometheus };
// The function of a name: text/template's builtins, Loki's and sprig's; nullptr when unknown.
const FuncDef* FindFunction(std::string_view name);
// The same in a function set.
const FuncDef* FindFunction(FunctionSet set, std::string_view name);
// The method of time.Time of a name (`{{ __timestamp__.Unix }}`); nullptr when unknown.
const FuncDef* FindTimeMethod(std::string_view name);
// The method of time.Duration of a name (`{{ (toDuration 90).Minutes }}`); nullptr when unknown.
const FuncDef* FindDurationMethod(std::string_view name);

// ---- Parse tree and parser (logql_template_parse.cc) ----------------------------------------

// A regular expression compiled once (a literal pattern) or per call, with Go's error text.
struct CompiledRegex {
  std::string pattern;
  std::unique_ptr<re2::RE2> re;  // null when the pattern does not compile
  std::string error;
  std::map<std::string, int> named_groups;
};
// The pattern compiled, or the error Go's regexp.Compile gives.
std::shared_ptr<CompiledRegex> CompileRegex(std::string_view pattern);

struct PipeNode;

enum class ArgType : uint8_t {
  kDot,
  kNil,
  kBool,
  kNumber,
  kString,
  kField,
  kVariable,
  kIdentifier,
  kPipe,
  kChain
};

struct NumberInfo {
  bool is_int = false, is_uint = false, is_float = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
};

// An operand: a literal, `.`, a field chain, a variable, a function name, a parenthesized
// pipeline, or a chain of fields on one of the last two.
struct ArgNode {
  ArgType type = ArgType::kDot;
  size_t pos = 0;
  bool b = false;
  NumberInfo num;
  std::string_view text;                 // numbers and strings as written; identifiers
  std::string str;                       // kString: the value
  std::vector<std::string_view> idents;  // kField: names; kVariable: "$x" then fields; kChain
  const FuncDef* func = nullptr;         // kIdentifier
  std::unique_ptr<PipeNode> pipe;        // kPipe
  std::unique_ptr<ArgNode> base;         // kChain
};

struct CommandNode {
  size_t pos = 0;
  std::vector<ArgNode> args;
  // regexReplaceAll, regexReplaceAllLiteral and count with a literal pattern: compiled once.
  std::shared_ptr<const CompiledRegex> regex;
};

struct PipeNode {
  size_t pos = 0;
  bool is_assign = false;
  std::vector<std::string_view> decl;
  std::vector<CommandNode> cmds;
};

enum class NodeType : uint8_t {
  kText,
  kAction,
  kIf,
  kWith,
  kRange,
  kBreak,
  kContinue,
  kEnd,
  kElse
};

struct Node {
  NodeType type = NodeType::kText;
  size_t pos = 0;
  std::string_view text;           // kText
  std::unique_ptr<PipeNode> pipe;  // kAction, kIf, kWith, kRange
  std::vector<Node> list;
  std::vector<Node> else_list;
  bool has_else = false;
};

// node.go's String() methods, for error contexts.
void RenderArg(const ArgNode& a, std::string* out);
void RenderCommand(const CommandNode& c, std::string* out);
void RenderPipe(const PipeNode& p, std::string* out);
void RenderNode(const Node& n, std::string* out);

// 1-based line and 0-based byte column of `pos`, as ErrorContext computes them.
std::pair<int, size_t> LineAndColumn(std::string_view text, size_t pos);

// Parses `text` (named `name` in errors) into `root`: Go's Tree.Parse, with its error text as an
// InvalidArgument (`template: line:1: function "foo" not defined`). The tree's views point into
// `text`.
// `functions` says which functions the text may call.
Status ParseTemplate(std::string_view text, std::string_view name, std::vector<Node>* root,
                     FunctionSet functions = FunctionSet::kLoki);

// Loki's listNodeFields: the names of field nodes, in the order they appear.
void CollectFields(const std::vector<Node>& nodes, std::vector<std::string>* out);

// ---- Evaluator (logql_template_exec.cc) -----------------------------------------------------

struct TemplateTree {
  std::string text;
  std::string name;
  std::vector<Node> root;
  // `{{.name}}` alone: the label's value is the output (Loki's fast path too).
  std::optional<std::string_view> simple_key;
};

// What one execution needs besides the tree; kept per thread so that warm executions reuse it.
struct Scratch {
  Arena arena;
  std::vector<std::pair<std::string_view, Value>> vars;
  std::vector<std::unique_ptr<JsonNode>> json;
  std::vector<std::pair<std::string_view, std::string_view>> labels;  // ranged over, stacked
  std::vector<Value> args;                                            // function arguments, stacked
  std::string tmp;
  bool busy = false;
};

// What an execution sees besides the tree when the data is not a LogQL entry (alert templates).
struct ExecData {
  Value root;                     // `.` and `$` at the start
  std::string_view external_url;  // externalURL, pathPrefix
  int64_t now_ms = 0;             // now
};

// What the functions see of one execution; the evaluator is one.
class Exec {
 public:
  bool CallError(std::string message) {
    call_error_ = std::move(message);
    return false;
  }
  std::string_view Keep(std::string_view s) { return s_.arena.Copy(s); }
  std::string& Tmp() {
    s_.tmp.clear();
    return s_.tmp;
  }
  const TemplateInput& input() const { return in_; }
  // Null for LogQL templates.
  const ExecData* data() const { return data_; }
  const CompiledRegex* literal_regex() const { return current_regex_; }
  JsonNode* NewJson() {
    s_.json.push_back(std::make_unique<JsonNode>());
    return s_.json.back().get();
  }
  // For GoPrint and its siblings.
  const LabelLister* labels() const { return &in_.for_each_label; }
  std::string_view Label(std::string_view name) const {
    if (!in_.label) return {};
    return in_.label(name).value_or(std::string_view());
  }
  // The number of labels; -1 when the input cannot list them.
  int64_t LabelCount() const;
  // text/template's truth of a value (if, with, and, or, not).
  bool IsTrue(const Value& v) const;

 protected:
  Exec(const TemplateInput& in, Scratch& s) : in_(in), s_(s) {}

  const TemplateInput& in_;
  Scratch& s_;
  const ExecData* data_ = nullptr;
  std::string call_error_;                        // a function's error (CallError)
  const CompiledRegex* current_regex_ = nullptr;  // the pattern compiled with the called command
};

// Runs the tree over one entry, appending to *out; on an error (Go's text), *out is left as it
// was.
Status Execute(const TemplateTree& tree, const TemplateInput& input, std::string* out,
               Scratch& scratch);
// The same over other data: `.` is data.root instead of the entry's labels.
Status Execute(const TemplateTree& tree, const ExecData& data, std::string* out, Scratch& scratch);

}  // namespace sluice::query::logql::template_internal
