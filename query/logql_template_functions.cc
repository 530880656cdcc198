// The template functions: text/template's builtins, Loki's own, the sprig functions Loki
// registers, and Prometheus' (template/template.go, for alert templates).
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstring>

#include "query/go_duration.h"
#include "query/go_numbers.h"
#include "query/logql_ip.h"
#include "query/logql_lexer.h"  // ParsePrometheusDuration
#include "query/logql_template_internal.h"
#include "query/promql_go.h"

namespace sluice::query::logql::template_internal {
namespace {

using Args = std::span<const Value>;

Value KeepStr(Exec& ex, std::string_view s) { return Value::Str(ex.Keep(s)); }

// --- builtins (text/template/funcs.go) ---

bool FnUnreachable(Exec&, const Value*, Args, Value*) { return true; }  // and, or, call

bool FnNot(Exec& ex, const Value*, Args a, Value* out) {
  *out = Value::Bool(!ex.IsTrue(a[0]));
  return true;
}

bool FnLen(Exec& ex, const Value*, Args a, Value* out) {
  const Value& v = a[0];
  switch (v.kind) {
    case Kind::kString:
      *out = Value::Int(static_cast<int64_t>(v.s.size()));
      return true;
    case Kind::kLabels: {
      int64_t n = ex.LabelCount();
      if (n < 0) return ex.CallError("len of the labels needs the label list");
      *out = Value::Int(n);
      return true;
    }
    case Kind::kJsonMap:
    case Kind::kJsonArray:
      *out = Value::Int(static_cast<int64_t>(v.json->items.size()));
      return true;
    case Kind::kStringMap:
      *out = Value::Int(static_cast<int64_t>(v.MapEntries().size()));
      return true;
    case Kind::kNil:
      return ex.CallError("reflect: call of reflect.Value.Type on zero Value");
    default:
      return ex.CallError(fmt::format("len of type {}", TypeName(v)));
  }
}

// indexArg: an integer index into something of length `cap`.
bool IndexArg(Exec& ex, const Value& index, size_t cap, int64_t* x) {
  if (index.IsInteger()) {
    *x = index.i;
  } else if (index.kind == Kind::kNil) {
    return ex.CallError("cannot index slice/array with nil");
  } else {
    return ex.CallError(fmt::format("cannot index slice/array with type {}", TypeName(index)));
  }
  if (*x < 0 || static_cast<uint64_t>(*x) > cap) {
    return ex.CallError(fmt::format("index out of range: {}", *x));
  }
  return true;
}

bool FnIndex(Exec& ex, const Value*, Args a, Value* out) {
  Value item = a[0];
  if (item.kind == Kind::kNil) return ex.CallError("index of untyped nil");
  for (size_t k = 1; k < a.size(); ++k) {
    const Value& index = a[k];
    switch (item.kind) {
      case Kind::kNil:
        return ex.CallError("index of nil pointer");
      case Kind::kString:
      case Kind::kJsonArray: {
        size_t len = item.kind == Kind::kString ? item.s.size() : item.json->items.size();
        int64_t x = 0;
        if (!IndexArg(ex, index, len, &x)) return false;
        if (static_cast<size_t>(x) == len) {
          return ex.CallError(item.kind == Kind::kString ? "reflect: string index out of range"
                                                         : "reflect: slice index out of range");
        }
        if (item.kind == Kind::kString) {
          item = Value::Int(static_cast<unsigned char>(item.s[static_cast<size_t>(x)]));
        } else {
          item = ValueOfJson(item.json->items[static_cast<size_t>(x)]);
        }
        break;
      }
      case Kind::kLabels:
      case Kind::kJsonMap:
      case Kind::kStringMap: {
        if (index.kind == Kind::kNil) return ex.CallError("value is nil; should be of type string");
        if (index.kind != Kind::kString) {
          return ex.CallError(fmt::format("value has type {}; should be string", TypeName(index)));
        }
        if (item.kind == Kind::kLabels) {
          item = Value::Str(ex.Label(index.s));
          break;
        }
        if (item.kind == Kind::kStringMap) {  // a missing key is the zero value
          item = Value::Str(item.MapValue(index.s));
          break;
        }
        const auto& keys = item.json->keys;
        auto it = std::lower_bound(keys.begin(), keys.end(), index.s);
        if (it != keys.end() && *it == index.s) {
          item = ValueOfJson(item.json->items[static_cast<size_t>(it - keys.begin())]);
        } else {
          item = Value();
          item.in_interface = true;
        }
        break;
      }
      default:
        return ex.CallError(fmt::format("can't index item of type {}", TypeName(item)));
    }
  }
  *out = item;
  return true;
}

bool FnSlice(Exec& ex, const Value*, Args a, Value* out) {
  const Value& item = a[0];
  if (item.kind == Kind::kNil) return ex.CallError("slice of untyped nil");
  size_t n = a.size() - 1;
  if (n > 3) return ex.CallError(fmt::format("too many slice indexes: {}", n));
  size_t cap;
  if (item.kind == Kind::kString) {
    if (n == 3) return ex.CallError("cannot 3-index slice a string");
    cap = item.s.size();
  } else if (item.kind == Kind::kJsonArray) {
    cap = item.json->items.size();
  } else {
    return ex.CallError(fmt::format("can't slice item of type {}", TypeName(item)));
  }
  std::array<int64_t, 3> idx = {0, static_cast<int64_t>(cap), 0};
  for (size_t i = 0; i < n; ++i) {
    if (!IndexArg(ex, a[i + 1], cap, &idx[i])) return false;
  }
  if (idx[0] > idx[1]) {
    return ex.CallError(fmt::format("invalid slice index: {} > {}", idx[0], idx[1]));
  }
  if (n == 3 && idx[1] > idx[2]) {
    return ex.CallError(fmt::format("invalid slice index: {} > {}", idx[1], idx[2]));
  }
  auto from = static_cast<size_t>(idx[0]);
  auto to = static_cast<size_t>(idx[1]);
  if (item.kind == Kind::kString) {
    *out = Value::Str(item.s.substr(from, to - from));
    return true;
  }
  JsonNode* node = ex.NewJson();
  node->type = JsonNode::Type::kArray;
  node->items.assign(item.json->items.begin() + static_cast<ptrdiff_t>(from),
                     item.json->items.begin() + static_cast<ptrdiff_t>(to));
  *out = ValueOfJson(*node);
  return true;
}

bool FnPrint(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  GoSprint(&s, a, ex.labels());
  *out = KeepStr(ex, s);
  return true;
}

bool FnPrintln(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  GoSprintln(&s, a, ex.labels());
  *out = KeepStr(ex, s);
  return true;
}

bool FnPrintf(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  GoSprintf(&s, a[0].s, a.subspan(1), ex.labels());
  *out = KeepStr(ex, s);
  return true;
}

// evalArgs: the text of html/js/urlquery's arguments.
std::string EvalArgsText(Exec& ex, Args a) {
  if (a.size() == 1 && a[0].kind == Kind::kString) return std::string(a[0].s);
  std::vector<Value> printable(a.begin(), a.end());
  for (Value& v : printable) {
    if (v.kind == Kind::kNil) v = Value::Str("<no value>");
  }
  std::string s;
  GoSprint(&s, printable, ex.labels());
  return s;
}

bool FnHtml(Exec& ex, const Value*, Args a, Value* out) {
  std::string text = EvalArgsText(ex, a);
  std::string& s = ex.Tmp();
  for (char c : text) {
    switch (c) {
      case '\0':
        s += "\xEF\xBF\xBD";
        break;
      case '"':
        s += "&#34;";
        break;
      case '\'':
        s += "&#39;";
        break;
      case '&':
        s += "&amp;";
        break;
      case '<':
        s += "&lt;";
        break;
      case '>':
        s += "&gt;";
        break;
      default:
        s += c;
    }
  }
  *out = KeepStr(ex, s);
  return true;
}

bool FnJs(Exec& ex, const Value*, Args a, Value* out) {
  std::string text = EvalArgsText(ex, a);
  std::string& s = ex.Tmp();
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
        case '\\':
          s += "\\\\";
          break;
        case '\'':
          s += "\\'";
          break;
        case '"':
          s += "\\\"";
          break;
        case '<':
          s += "\\u003C";
          break;
        case '>':
          s += "\\u003E";
          break;
        case '&':
          s += "\\u0026";
          break;
        case '=':
          s += "\\u003D";
          break;
        default:
          if (c < ' ') {
            s += "\\u00";
            s += kUpperHex[c >> 4];
            s += kUpperHex[c & 0xF];
          } else {
            s += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    auto [r, w] = RuneAt(text, i);
    if (IsPrint(static_cast<uint32_t>(r))) {
      s.append(text, i, w);
    } else {
      s += fmt::format("\\u{:04X}", r);
    }
    i += w;
  }
  *out = KeepStr(ex, s);
  return true;
}

// url.QueryEscape.
void AppendQueryEscaped(std::string* out, std::string_view s) {
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out->push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out->push_back('+');
    } else {
      out->push_back('%');
      out->push_back(kUpperHex[c >> 4]);
      out->push_back(kUpperHex[c & 0xF]);
    }
  }
}

bool FnUrlquery(Exec& ex, const Value*, Args a, Value* out) {
  std::string text = EvalArgsText(ex, a);
  std::string& s = ex.Tmp();
  AppendQueryEscaped(&s, text);
  *out = KeepStr(ex, s);
  return true;
}

// Comparisons: Go's basic kinds, with ints of any size comparable with each other.
enum class Basic : uint8_t { kInvalid, kBool, kInt, kFloat, kString };
Basic BasicKind(const Value& v) {
  switch (v.kind) {
    case Kind::kBool:
      return Basic::kBool;
    case Kind::kInt:
    case Kind::kInt64:
      return Basic::kInt;
    case Kind::kFloat:
      return Basic::kFloat;
    case Kind::kString:
      return Basic::kString;
    default:
      return Basic::kInvalid;
  }
}

// eq: arg1 == arg2 || arg1 == arg3 ...; std::nullopt (with the error set) on a bad comparison.
std::optional<bool> Equal(Exec& ex, const Value& a1, Args rest) {
  if (rest.empty()) {
    ex.CallError("missing argument for comparison");
    return std::nullopt;
  }
  Basic k1 = BasicKind(a1);
  for (const Value& a : rest) {
    Basic k2 = BasicKind(a);
    bool truth = false;
    if (k1 != k2) {
      if (a1.kind != Kind::kNil && a.kind != Kind::kNil) {
        ex.CallError(
            fmt::format("incompatible types for comparison: {} and {}", TypeName(a1), TypeName(a)));
        return std::nullopt;
      }
    } else {
      switch (k1) {
        case Basic::kBool:
          truth = a1.b == a.b;
          break;
        case Basic::kInt:
          truth = a1.i == a.i;
          break;
        case Basic::kFloat:
          truth = a1.f == a.f;
          break;
        case Basic::kString:
          truth = a1.s == a.s;
          break;
        case Basic::kInvalid: {
          bool nil1 = a1.kind == Kind::kNil;
          bool nil2 = a.kind == Kind::kNil;
          if (a1.kind != a.kind && !nil1 && !nil2) {
            std::string v1, v2;
            GoPrint(&v1, a1, ex.labels());
            GoPrint(&v2, a, ex.labels());
            ex.CallError(fmt::format("non-comparable types {}: {}, {}: {}", v1, TypeName(a1),
                                     TypeName(a), v2));
            return std::nullopt;
          }
          if (nil1 || nil2) {
            truth = nil1 == nil2;
          } else if (a.kind == Kind::kTime) {
            truth = a1.t == a.t;
          } else if (a.kind == Kind::kDuration) {  // pointers, each call's own: equal values
            truth = a1.i == a.i;
          } else {
            std::string v;
            GoPrint(&v, a, ex.labels());
            ex.CallError(fmt::format("non-comparable type {}: {}", v, TypeName(a)));
            return std::nullopt;
          }
          break;
        }
      }
    }
    if (truth) return true;
  }
  return false;
}

std::optional<bool> Less(Exec& ex, const Value& a1, const Value& a2) {
  Basic k1 = BasicKind(a1);
  Basic k2 = BasicKind(a2);
  if (k1 == Basic::kInvalid || k2 == Basic::kInvalid) {
    ex.CallError("invalid type for comparison");
    return std::nullopt;
  }
  if (k1 != k2) {
    ex.CallError(
        fmt::format("incompatible types for comparison: {} and {}", TypeName(a1), TypeName(a2)));
    return std::nullopt;
  }
  switch (k1) {
    case Basic::kInt:
      return a1.i < a2.i;
    case Basic::kFloat:
      return a1.f < a2.f;
    case Basic::kString:
      return a1.s < a2.s;
    default:
      ex.CallError("invalid type for comparison");
      return std::nullopt;
  }
}

bool FnEq(Exec& ex, const Value*, Args a, Value* out) {
  auto r = Equal(ex, a[0], a.subspan(1));
  if (!r) return false;
  *out = Value::Bool(*r);
  return true;
}
bool FnNe(Exec& ex, const Value*, Args a, Value* out) {
  auto r = Equal(ex, a[0], a.subspan(1));
  if (!r) return false;
  *out = Value::Bool(!*r);
  return true;
}
bool FnLt(Exec& ex, const Value*, Args a, Value* out) {
  auto r = Less(ex, a[0], a[1]);
  if (!r) return false;
  *out = Value::Bool(*r);
  return true;
}
// le: lt || eq.
std::optional<bool> LessOrEqual(Exec& ex, const Value& a1, const Value& a2) {
  auto lt = Less(ex, a1, a2);
  if (!lt || *lt) return lt;
  return Equal(ex, a1, std::span(&a2, 1));
}
bool FnLe(Exec& ex, const Value*, Args a, Value* out) {
  auto r = LessOrEqual(ex, a[0], a[1]);
  if (!r) return false;
  *out = Value::Bool(*r);
  return true;
}
bool FnGt(Exec& ex, const Value*, Args a, Value* out) {
  auto r = LessOrEqual(ex, a[0], a[1]);
  if (!r) return false;
  *out = Value::Bool(!*r);
  return true;
}
bool FnGe(Exec& ex, const Value*, Args a, Value* out) {
  auto r = Less(ex, a[0], a[1]);
  if (!r) return false;
  *out = Value::Bool(!*r);
  return true;
}

// --- strings (Go's strings package, Loki's and sprig's wrappers) ---

bool FnToUpper(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  AppendCaseMapped(&s, a[0].s, true);
  *out = s == a[0].s ? a[0] : KeepStr(ex, s);
  return true;
}
bool FnToLower(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  AppendCaseMapped(&s, a[0].s, false);
  *out = s == a[0].s ? a[0] : KeepStr(ex, s);
  return true;
}

bool FnTitle(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view in = a[0].s;
  std::string& s = ex.Tmp();
  int32_t prev = ' ';
  for (size_t i = 0; i < in.size();) {
    auto [r, w] = RuneAt(in, i);
    AppendUtf8(&s, static_cast<uint32_t>(IsWordSeparator(prev) ? CaseMap(r, true) : r));
    prev = r;
    i += w;
  }
  *out = KeepStr(ex, s);
  return true;
}

// strings.Replace.
void GoReplace(std::string* out, std::string_view s, std::string_view old_s, std::string_view new_s,
               int64_t n) {
  if (old_s == new_s || n == 0) {
    out->append(s);
    return;
  }
  int64_t m = 0;
  if (old_s.empty()) {
    m = static_cast<int64_t>(RuneCount(s)) + 1;
  } else {
    for (size_t p = s.find(old_s); p != std::string_view::npos;
         p = s.find(old_s, p + old_s.size())) {
      ++m;
    }
  }
  if (m == 0) {
    out->append(s);
    return;
  }
  if (n < 0 || m < n) n = m;
  size_t start = 0;
  for (int64_t i = 0; i < n; ++i) {
    size_t j = start;
    if (old_s.empty()) {
      if (i > 0) j += RuneAt(s, start).second;
    } else {
      j = s.find(old_s, start);
    }
    out->append(s.substr(start, j - start));
    out->append(new_s);
    start = j + old_s.size();
  }
  out->append(s.substr(std::min(start, s.size())));
}

bool FnReplaceGo(Exec& ex, const Value*, Args a, Value* out) {  // Replace(s, old, new, n)
  std::string& s = ex.Tmp();
  GoReplace(&s, a[0].s, a[1].s, a[2].s, a[3].i);
  *out = KeepStr(ex, s);
  return true;
}
bool FnReplaceSprig(Exec& ex, const Value*, Args a, Value* out) {  // replace(old, new, src)
  std::string& s = ex.Tmp();
  GoReplace(&s, a[2].s, a[0].s, a[1].s, -1);
  *out = KeepStr(ex, s);
  return true;
}

// strings.Trim / TrimLeft / TrimRight with a cutset of runes.
std::string_view TrimCutset(std::string_view s, std::string_view cutset, bool left, bool right) {
  if (s.empty() || cutset.empty()) return s;
  auto in_cutset = [&](int32_t r) {
    for (size_t i = 0; i < cutset.size();) {
      auto [c, w] = RuneAt(cutset, i);
      if (c == r) return true;
      i += w;
    }
    return false;
  };
  if (left) {
    while (!s.empty()) {
      auto [r, w] = RuneAt(s, 0);
      if (!in_cutset(r)) break;
      s.remove_prefix(w);
    }
  }
  if (right) {
    while (!s.empty()) {
      size_t w = LastRuneWidth(s, s.size());
      int32_t r = RuneAt(s, s.size() - w).first;
      if (w == 1 && static_cast<unsigned char>(s.back()) >= 0x80) r = kRuneError;
      if (!in_cutset(r)) break;
      s.remove_suffix(w);
    }
  }
  return s;
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty()) {
    auto [r, w] = RuneAt(s, 0);
    if (!IsSpaceRune(r)) break;
    s.remove_prefix(w);
  }
  while (!s.empty()) {
    size_t w = LastRuneWidth(s, s.size());
    int32_t r = RuneAt(s, s.size() - w).first;
    if (!IsSpaceRune(r)) break;
    s.remove_suffix(w);
  }
  return s;
}

bool FnTrim(Exec&, const Value*, Args a, Value* out) {  // Trim(s, cutset)
  *out = Value::Str(TrimCutset(a[0].s, a[1].s, true, true));
  return true;
}
bool FnTrimLeft(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Str(TrimCutset(a[0].s, a[1].s, true, false));
  return true;
}
bool FnTrimRight(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Str(TrimCutset(a[0].s, a[1].s, false, true));
  return true;
}
bool FnTrimAll(Exec&, const Value*, Args a, Value* out) {  // trimAll(cutset, s)
  *out = Value::Str(TrimCutset(a[1].s, a[0].s, true, true));
  return true;
}
bool FnTrimPrefixGo(Exec&, const Value*, Args a, Value* out) {  // TrimPrefix(s, prefix)
  std::string_view s = a[0].s;
  if (s.starts_with(a[1].s)) s.remove_prefix(a[1].s.size());
  *out = Value::Str(s);
  return true;
}
bool FnTrimSuffixGo(Exec&, const Value*, Args a, Value* out) {  // TrimSuffix(s, suffix)
  std::string_view s = a[0].s;
  if (s.ends_with(a[1].s)) s.remove_suffix(a[1].s.size());
  *out = Value::Str(s);
  return true;
}
bool FnTrimPrefixSprig(Exec&, const Value*, Args a, Value* out) {  // trimPrefix(prefix, s)
  std::string_view s = a[1].s;
  if (s.starts_with(a[0].s)) s.remove_prefix(a[0].s.size());
  *out = Value::Str(s);
  return true;
}
bool FnTrimSuffixSprig(Exec&, const Value*, Args a, Value* out) {  // trimSuffix(suffix, s)
  std::string_view s = a[1].s;
  if (s.ends_with(a[0].s)) s.remove_suffix(a[0].s.size());
  *out = Value::Str(s);
  return true;
}
bool FnTrimSpace(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Str(TrimSpace(a[0].s));
  return true;
}

bool FnContains(Exec&, const Value*, Args a, Value* out) {  // contains(substr, s)
  *out = Value::Bool(a[1].s.find(a[0].s) != std::string_view::npos);
  return true;
}
bool FnHasPrefix(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Bool(a[1].s.starts_with(a[0].s));
  return true;
}
bool FnHasSuffix(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Bool(a[1].s.ends_with(a[0].s));
  return true;
}

// sprig's trunc: bytes, not runes.
bool FnTrunc(Exec&, const Value*, Args a, Value* out) {
  int64_t c = a[0].i;
  std::string_view s = a[1].s;
  auto len = static_cast<int64_t>(s.size());
  if (c < 0 && len + c > 0) {
    s = s.substr(static_cast<size_t>(len + c));
  } else if (c >= 0 && len > c) {
    s = s.substr(0, static_cast<size_t>(c));
  }
  *out = Value::Str(s);
  return true;
}

// sprig's substr: byte offsets, with Go's slice bounds panics as errors.
bool FnSubstr(Exec& ex, const Value*, Args a, Value* out) {
  int64_t start = a[0].i;
  int64_t end = a[1].i;
  std::string_view s = a[2].s;
  auto len = static_cast<int64_t>(s.size());
  if (start < 0) {
    if (end < 0)
      return ex.CallError(fmt::format("runtime error: slice bounds out of range [:{}]", end));
    if (end > len) {
      return ex.CallError(
          fmt::format("runtime error: slice bounds out of range [:{}] with length {}", end, len));
    }
    *out = Value::Str(s.substr(0, static_cast<size_t>(end)));
    return true;
  }
  if (end < 0 || end > len) {
    if (start > len) {
      return ex.CallError(
          fmt::format("runtime error: slice bounds out of range [{}:{}]", start, len));
    }
    *out = Value::Str(s.substr(static_cast<size_t>(start)));
    return true;
  }
  if (start > end) {
    return ex.CallError(
        fmt::format("runtime error: slice bounds out of range [{}:{}]", start, end));
  }
  *out = Value::Str(s.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)));
  return true;
}

// strings.Repeat, refusing results larger than 64 MiB (Go would try to allocate them).
bool Repeat(Exec& ex, std::string* out, std::string_view s, int64_t count) {
  if (count < 0) return ex.CallError("strings: negative Repeat count");
  constexpr uint64_t kMaxResult = 64 << 20;
  if (!s.empty() && static_cast<uint64_t>(count) > kMaxResult / s.size()) {
    return ex.CallError("strings: Repeat output length overflow");
  }
  for (int64_t i = 0; i < count; ++i) out->append(s);
  return true;
}

bool FnRepeat(Exec& ex, const Value*, Args a, Value* out) {  // repeat(count, s)
  std::string& s = ex.Tmp();
  if (!Repeat(ex, &s, a[1].s, a[0].i)) return false;
  *out = KeepStr(ex, s);
  return true;
}

bool Indent(Exec& ex, Args a, bool newline, Value* out) {
  std::string pad;
  if (!Repeat(ex, &pad, " ", a[0].i)) return false;
  std::string& s = ex.Tmp();
  if (newline) s += '\n';
  s += pad;
  GoReplace(&s, a[1].s, "\n", "\n" + pad, -1);
  *out = KeepStr(ex, s);
  return true;
}
bool FnIndent(Exec& ex, const Value*, Args a, Value* out) { return Indent(ex, a, false, out); }
bool FnNindent(Exec& ex, const Value*, Args a, Value* out) { return Indent(ex, a, true, out); }

// Loki's alignLeft/alignRight: runes.
bool Align(Args a, bool left, Value* out, Exec& ex) {
  int64_t count = a[0].i;
  std::string_view src = a[1].s;
  auto len = static_cast<int64_t>(RuneCount(src));
  if (count < 0 || count == len) {
    *out = a[1];
    return true;
  }
  if (count > len) {
    std::string& s = ex.Tmp();
    if (!left) s.append(static_cast<size_t>(count - len), ' ');
    s += src;
    if (left) s.append(static_cast<size_t>(count - len), ' ');
    *out = KeepStr(ex, s);
    return true;
  }
  // Keep `count` runes from the left (alignLeft) or the right (alignRight).
  size_t skip = static_cast<size_t>(left ? count : len - count);
  size_t pos = 0;
  for (size_t i = 0; i < skip; ++i) pos += RuneAt(src, pos).second;
  *out = Value::Str(left ? src.substr(0, pos) : src.substr(pos));
  return true;
}
bool FnAlignLeft(Exec& ex, const Value*, Args a, Value* out) { return Align(a, true, out, ex); }
bool FnAlignRight(Exec& ex, const Value*, Args a, Value* out) { return Align(a, false, out, ex); }

// --- regular expressions (Go's regexp, as Loki's regexReplaceAll, regexReplaceAllLiteral and
// count call them) ---

// The regexp to use: the one compiled at parse time for a literal pattern, else compiled now.
const CompiledRegex* GetRegex(Exec& ex, std::string_view pattern,
                              std::shared_ptr<CompiledRegex>* holder) {
  const CompiledRegex* pre = ex.literal_regex();
  if (pre != nullptr && pre->pattern == pattern) return pre;
  *holder = CompileRegex(pattern);
  return holder->get();
}

// Regexp.replaceAll: every match replaced, an empty match right after a match skipped.
bool ReplaceAll(Exec& ex, Args a, bool literal, Value* out) {
  std::shared_ptr<CompiledRegex> holder;
  const CompiledRegex* c = GetRegex(ex, a[0].s, &holder);
  if (!c->re) return ex.CallError(c->error);
  const re2::RE2& re = *c->re;
  std::string_view src = a[1].s;
  std::string_view repl = a[2].s;
  int ngroups = literal ? 1 : re.NumberOfCapturingGroups() + 1;
  std::vector<re2::StringPiece> groups(static_cast<size_t>(ngroups));
  std::vector<std::string_view> views(static_cast<size_t>(ngroups));
  std::string& s = ex.Tmp();
  size_t last_end = 0;
  size_t search = 0;
  bool matched_any = false;
  while (search <= src.size()) {
    if (!re.Match(src, search, src.size(), re2::RE2::UNANCHORED, groups.data(), ngroups)) break;
    matched_any = true;
    size_t m0 = static_cast<size_t>(groups[0].data() - src.data());
    size_t m1 = m0 + groups[0].size();
    s.append(src.substr(last_end, m0 - last_end));
    if (m1 > last_end || m0 == 0) {
      if (literal) {
        s.append(repl);
      } else {
        for (size_t g = 0; g < groups.size(); ++g) {
          views[g] = std::string_view(groups[g].data(), groups[g].size());
        }
        s += query::promql::internal::GoExpand(repl, views, c->named_groups);
      }
    }
    last_end = m1;
    size_t width = RuneAt(src, search).second;
    if (search + width > m1) {
      search += width;
    } else if (search + 1 > m1) {
      ++search;
    } else {
      search = m1;
    }
  }
  if (!matched_any) {
    *out = a[1];
    return true;
  }
  s.append(src.substr(last_end));
  *out = KeepStr(ex, s);
  return true;
}

bool FnRegexReplaceAll(Exec& ex, const Value*, Args a, Value* out) {
  return ReplaceAll(ex, a, false, out);
}
bool FnRegexReplaceAllLiteral(Exec& ex, const Value*, Args a, Value* out) {
  return ReplaceAll(ex, a, true, out);
}

// count: len(FindAllStringIndex(s, -1)).
bool FnCount(Exec& ex, const Value*, Args a, Value* out) {
  std::shared_ptr<CompiledRegex> holder;
  const CompiledRegex* c = GetRegex(ex, a[0].s, &holder);
  if (!c->re) return ex.CallError(c->error);
  std::string_view s = a[1].s;
  int64_t n = 0;
  size_t pos = 0;
  int64_t prev_end = -1;
  re2::StringPiece m;
  while (pos <= s.size()) {
    if (!c->re->Match(s, pos, s.size(), re2::RE2::UNANCHORED, &m, 1)) break;
    auto m0 = static_cast<size_t>(m.data() - s.data());
    size_t m1 = m0 + m.size();
    bool accept = true;
    if (m1 == pos) {  // an empty match
      if (static_cast<int64_t>(m0) == prev_end) accept = false;
      size_t width = RuneAt(s, pos).second;
      pos = width > 0 ? pos + width : s.size() + 1;
    } else {
      pos = m1;
    }
    prev_end = static_cast<int64_t>(m1);
    if (accept) ++n;
  }
  *out = Value::Int(n);
  return true;
}

// --- encodings ---

bool FnUrlencode(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  AppendQueryEscaped(&s, a[0].s);
  *out = KeepStr(ex, s);
  return true;
}

// url.QueryUnescape.
bool FnUrldecode(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view in = a[0].s;
  std::string& s = ex.Tmp();
  for (size_t i = 0; i < in.size();) {
    if (in[i] == '%') {
      int hi = i + 1 < in.size() ? promql::DigitValue(static_cast<unsigned char>(in[i + 1])) : 16;
      int lo = i + 2 < in.size() ? promql::DigitValue(static_cast<unsigned char>(in[i + 2])) : 16;
      if (hi >= 16 || lo >= 16) {
        return ex.CallError("invalid URL escape " + GoQuote(in.substr(i, 3)));
      }
      s.push_back(static_cast<char>(hi * 16 + lo));
      i += 3;
    } else {
      s.push_back(in[i] == '+' ? ' ' : in[i]);
      ++i;
    }
  }
  *out = KeepStr(ex, s);
  return true;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

bool FnB64Enc(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view in = a[0].s;
  std::string& s = ex.Tmp();
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                 static_cast<unsigned char>(in[i + 2]);
    for (int k = 3; k >= 0; --k) s += kBase64[(v >> (6 * k)) & 63];
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) v |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    s += kBase64[(v >> 18) & 63];
    s += kBase64[(v >> 12) & 63];
    s += rest == 2 ? kBase64[(v >> 6) & 63] : '=';
    s += '=';
  }
  *out = KeepStr(ex, s);
  return true;
}

// base64.StdEncoding.DecodeString (newlines ignored); sprig returns the error's text.
std::optional<std::string> Base64Decode(std::string_view src, size_t* bad) {
  auto decode = [](char c) -> int {
    const char* p = std::strchr(kBase64, c);
    return c != '\0' && p != nullptr ? static_cast<int>(p - kBase64) : -1;
  };
  auto skip_newlines = [&](size_t i) {
    while (i < src.size() && (src[i] == '\n' || src[i] == '\r')) ++i;
    return i;
  };
  std::string out;
  size_t si = 0;
  while (true) {
    std::array<int, 4> quantum = {0, 0, 0, 0};
    size_t dlen = 4;
    size_t j = 0;
    bool end = false;
    for (; j < 4; ++j) {
      si = skip_newlines(si);
      if (si == src.size()) {
        if (j == 0) return out;
        *bad = si - j;
        return std::nullopt;
      }
      char in = src[si++];
      int v = decode(in);
      if (v >= 0) {
        quantum[j] = v;
        continue;
      }
      if (in != '=') {
        *bad = si - 1;
        return std::nullopt;
      }
      // Padding: "==" after two characters, "=" after three.
      if (j < 2) {
        *bad = si - 1;
        return std::nullopt;
      }
      if (j == 2) {
        si = skip_newlines(si);
        if (si == src.size()) {
          *bad = src.size();
          return std::nullopt;
        }
        if (src[si] != '=') {
          *bad = si - 1;
          return std::nullopt;
        }
        ++si;
      }
      si = skip_newlines(si);
      if (si < src.size()) {
        *bad = si;
        return std::nullopt;
      }
      dlen = j;
      end = true;
      break;
    }
    uint32_t v = static_cast<uint32_t>(quantum[0]) << 18 | static_cast<uint32_t>(quantum[1]) << 12 |
                 static_cast<uint32_t>(quantum[2]) << 6 | static_cast<uint32_t>(quantum[3]);
    if (dlen >= 2) out += static_cast<char>(v >> 16);
    if (dlen >= 3) out += static_cast<char>((v >> 8) & 0xFF);
    if (dlen == 4) out += static_cast<char>(v & 0xFF);
    if (end) return out;
  }
}

bool FnB64Dec(Exec& ex, const Value*, Args a, Value* out) {
  size_t bad = 0;
  auto decoded = Base64Decode(a[0].s, &bad);
  if (!decoded) {
    *out = KeepStr(ex, fmt::format("illegal base64 data at input byte {}", bad));
  } else {
    *out = KeepStr(ex, *decoded);
  }
  return true;
}

// --- numbers (sprig with spf13/cast; Loki's bytes and duration) ---

bool FnInt(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Int(CastToInt64(a[0]));
  return true;
}
bool FnFloat64(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Float(CastToFloat64(a[0]));
  return true;
}

// Go's wrapping int64 arithmetic.
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

bool FnAdd(Exec&, const Value*, Args a, Value* out) {
  int64_t sum = 0;
  for (const Value& v : a) sum = WrapAdd(sum, CastToInt64(v));
  *out = Value::Int(sum, Kind::kInt64);
  return true;
}
bool FnSub(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Int(WrapAdd(CastToInt64(a[0]), WrapMul(CastToInt64(a[1]), -1)), Kind::kInt64);
  return true;
}
bool FnMul(Exec&, const Value*, Args a, Value* out) {
  int64_t p = CastToInt64(a[0]);
  for (const Value& v : a.subspan(1)) p = WrapMul(p, CastToInt64(v));
  *out = Value::Int(p, Kind::kInt64);
  return true;
}
bool DivMod(Exec& ex, Args a, bool mod, Value* out) {
  int64_t x = CastToInt64(a[0]);
  int64_t y = CastToInt64(a[1]);
  if (y == 0) return ex.CallError("runtime error: integer divide by zero");
  int64_t r;
  if (y == -1) {
    r = mod ? 0 : WrapMul(x, -1);
  } else {
    r = mod ? x % y : x / y;
  }
  *out = Value::Int(r, Kind::kInt64);
  return true;
}
bool FnDiv(Exec& ex, const Value*, Args a, Value* out) { return DivMod(ex, a, false, out); }
bool FnMod(Exec& ex, const Value*, Args a, Value* out) { return DivMod(ex, a, true, out); }

bool FnMax(Exec&, const Value*, Args a, Value* out) {
  int64_t m = CastToInt64(a[0]);
  for (const Value& v : a.subspan(1)) m = std::max(m, CastToInt64(v));
  *out = Value::Int(m, Kind::kInt64);
  return true;
}
bool FnMin(Exec&, const Value*, Args a, Value* out) {
  int64_t m = CastToInt64(a[0]);
  for (const Value& v : a.subspan(1)) m = std::min(m, CastToInt64(v));
  *out = Value::Int(m, Kind::kInt64);
  return true;
}
bool FnMaxf(Exec&, const Value*, Args a, Value* out) {
  double m = CastToFloat64(a[0]);
  for (const Value& v : a.subspan(1)) m = query::promql::internal::GoMax(m, CastToFloat64(v));
  *out = Value::Float(m);
  return true;
}
bool FnMinf(Exec&, const Value*, Args a, Value* out) {
  double m = CastToFloat64(a[0]);
  for (const Value& v : a.subspan(1)) m = query::promql::internal::GoMin(m, CastToFloat64(v));
  *out = Value::Float(m);
  return true;
}

// sprig's execDecimalOp: the operands through shopspring/decimal.
enum class DecOp : uint8_t { kAdd, kSub, kMul, kDiv };
bool DecimalOp(Exec& ex, const Value& first, Args rest, DecOp op, Value* out) {
  auto to_decimal = [&](const Value& v, Decimal* d) {
    double f = CastToFloat64(v);
    if (!std::isfinite(f)) {
      return ex.CallError(fmt::format("Cannot create a Decimal from {}", FormatFloatV(f)));
    }
    *d = Decimal::FromDouble(f);
    return true;
  };
  Decimal acc;
  if (!to_decimal(first, &acc)) return false;
  for (const Value& v : rest) {
    Decimal d;
    if (!to_decimal(v, &d)) return false;
    switch (op) {
      case DecOp::kAdd:
        acc = acc.Add(d);
        break;
      case DecOp::kSub:
        acc = acc.Add(d.Negated());
        break;
      case DecOp::kMul:
        acc = acc.Mul(d);
        break;
      case DecOp::kDiv:
        if (d.IsZero()) return ex.CallError("decimal division by 0");
        acc = acc.Div(d);
        break;
    }
  }
  *out = Value::Float(acc.ToDouble());
  return true;
}
bool FnAddf(Exec& ex, const Value*, Args a, Value* out) {
  return DecimalOp(ex, Value::Float(0), a, DecOp::kAdd, out);
}
bool FnSubf(Exec& ex, const Value*, Args a, Value* out) {
  return DecimalOp(ex, a[0], a.subspan(1), DecOp::kSub, out);
}
bool FnMulf(Exec& ex, const Value*, Args a, Value* out) {
  return DecimalOp(ex, a[0], a.subspan(1), DecOp::kMul, out);
}
bool FnDivf(Exec& ex, const Value*, Args a, Value* out) {
  return DecimalOp(ex, a[0], a.subspan(1), DecOp::kDiv, out);
}

bool FnCeil(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Float(std::ceil(CastToFloat64(a[0])));
  return true;
}
bool FnFloor(Exec&, const Value*, Args a, Value* out) {
  *out = Value::Float(std::floor(CastToFloat64(a[0])));
  return true;
}

// round(a, places, roundOn=.5): sprig's rounding through math.Modf.
bool FnRound(Exec&, const Value*, Args a, Value* out) {
  double round_on = a.size() > 2 ? a[2].f : .5;
  double val = CastToFloat64(a[0]);
  double pow = std::pow(10.0, static_cast<double>(a[1].i));
  double digit = pow * val;
  double int_part = 0;
  double frac = std::modf(digit, &int_part);
  double r = frac >= round_on ? std::ceil(digit) : std::floor(digit);
  *out = Value::Float(r / pow);
  return true;
}

// humanize.ParseBytes as a float64.
bool FnBytes(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view s = a[0].s;
  size_t last = 0;
  bool comma = false;
  while (last < s.size() &&
         ((s[last] >= '0' && s[last] <= '9') || s[last] == '.' || s[last] == ',')) {
    comma = comma || s[last] == ',';
    ++last;
  }
  std::string num(s.substr(0, last));
  if (comma) num.erase(std::remove(num.begin(), num.end(), ','), num.end());
  auto f = GoParseFloat(num);
  if (!f) {
    return ex.CallError(
        fmt::format("strconv.ParseFloat: parsing {}: invalid syntax", GoQuote(num)));
  }
  std::string unit;
  AppendCaseMapped(&unit, TrimSpace(s.substr(last)), false);
  static constexpr std::array<std::pair<std::string_view, double>, 26> kUnits = {{
      {"b", 1},
      {"", 1},
      {"kib", 1024.0},
      {"ki", 1024.0},
      {"kb", 1e3},
      {"k", 1e3},
      {"mib", 1048576.0},
      {"mi", 1048576.0},
      {"mb", 1e6},
      {"m", 1e6},
      {"gib", 1073741824.0},
      {"gi", 1073741824.0},
      {"gb", 1e9},
      {"g", 1e9},
      {"tib", 1099511627776.0},
      {"ti", 1099511627776.0},
      {"tb", 1e12},
      {"t", 1e12},
      {"pib", 1125899906842624.0},
      {"pi", 1125899906842624.0},
      {"pb", 1e15},
      {"p", 1e15},
      {"eib", 1152921504606846976.0},
      {"ei", 1152921504606846976.0},
      {"eb", 1e18},
      {"e", 1e18},
  }};
  for (const auto& [name, mult] : kUnits) {
    if (name == unit) {
      double v = *f * mult;
      if (v >= 18446744073709551615.0) return ex.CallError(fmt::format("too large: {}", s));
      *out = Value::Float(static_cast<double>(static_cast<uint64_t>(v)));
      return true;
    }
  }
  return ex.CallError(fmt::format("unhandled size name: {}", unit));
}

// time.ParseDuration(s).Seconds().
bool FnDuration(Exec& ex, const Value*, Args a, Value* out) {
  Result<int64_t> d = query::ParseGoDuration(a[0].s);
  if (!d.ok()) return ex.CallError(d.status().message());
  int64_t sec = *d / 1'000'000'000;
  int64_t nsec = *d % 1'000'000'000;
  *out = Value::Float(static_cast<double>(sec) + static_cast<double>(nsec) / 1e9);
  return true;
}

// sprig's default: `given` when set (not empty), else the default.
bool IsEmpty(Exec& ex, const Value& v) {
  switch (v.kind) {
    case Kind::kNil:
      return true;
    case Kind::kString:
      return v.s.empty();
    case Kind::kBool:
      return !v.b;
    case Kind::kInt:
    case Kind::kInt64:
      return v.i == 0;
    case Kind::kFloat:
      return v.f == 0;
    case Kind::kTime:
      return false;
    case Kind::kLabels:
      return ex.LabelCount() == 0;
    case Kind::kJsonMap:
    case Kind::kJsonArray:
      return v.json->items.empty();
    case Kind::kStringMap:
      return v.MapEntries().empty();
    case Kind::kStruct:
    case Kind::kDuration:  // a non-nil pointer
      return false;
  }
  return true;
}

bool FnDefault(Exec& ex, const Value*, Args a, Value* out) {
  *out = (a.size() < 2 || IsEmpty(ex, a[1])) ? a[0] : a[1];
  return true;
}

// --- JSON (sprig's fromJson: encoding/json into interface{}; null or invalid JSON is nil) ---

class JsonParser {
 public:
  explicit JsonParser(std::string_view s) : s_(s) {}

  bool ParseDocument(JsonNode* out) {
    if (!ParseValue(out, 0)) return false;
    SkipSpace();
    return i_ == s_.size();
  }

 private:
  void SkipSpace() {
    while (i_ < s_.size() &&
           (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) {
      ++i_;
    }
  }
  bool Literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) return false;
    i_ += word.size();
    return true;
  }
  bool ParseValue(JsonNode* out, int depth) {
    if (depth > 200) return false;  // Go allows 10000 levels on its growable stacks
    SkipSpace();
    if (i_ >= s_.size()) return false;
    char c = s_[i_];
    switch (c) {
      case '{':
        return ParseObject(out, depth);
      case '[': {
        ++i_;
        out->type = JsonNode::Type::kArray;
        SkipSpace();
        if (i_ < s_.size() && s_[i_] == ']') {
          ++i_;
          return true;
        }
        while (true) {
          out->items.emplace_back();
          if (!ParseValue(&out->items.back(), depth + 1)) return false;
          SkipSpace();
          if (i_ >= s_.size()) return false;
          if (s_[i_] == ']') {
            ++i_;
            return true;
          }
          if (s_[i_++] != ',') return false;
        }
      }
      case '"':
        out->type = JsonNode::Type::kString;
        return ParseString(&out->str);
      case 't':
        out->type = JsonNode::Type::kBool;
        out->b = true;
        return Literal("true");
      case 'f':
        out->type = JsonNode::Type::kBool;
        return Literal("false");
      case 'n':
        return Literal("null");
      default:
        return ParseNumber(out);
    }
  }
  bool ParseObject(JsonNode* out, int depth) {
    ++i_;
    out->type = JsonNode::Type::kObject;
    std::vector<std::string> keys;
    std::vector<JsonNode> values;
    SkipSpace();
    if (i_ < s_.size() && s_[i_] == '}') {
      ++i_;
      return true;
    }
    while (true) {
      SkipSpace();
      if (i_ >= s_.size() || s_[i_] != '"') return false;
      keys.emplace_back();
      if (!ParseString(&keys.back())) return false;
      SkipSpace();
      if (i_ >= s_.size() || s_[i_++] != ':') return false;
      values.emplace_back();
      if (!ParseValue(&values.back(), depth + 1)) return false;
      SkipSpace();
      if (i_ >= s_.size()) return false;
      if (s_[i_] == '}') {
        ++i_;
        break;
      }
      if (s_[i_++] != ',') return false;
    }
    // A map: sorted keys, the last of duplicates winning.
    std::vector<size_t> order(keys.size());
    for (size_t k = 0; k < order.size(); ++k) order[k] = k;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t x, size_t y) { return keys[x] < keys[y]; });
    for (size_t k = 0; k < order.size(); ++k) {
      if (k + 1 < order.size() && keys[order[k]] == keys[order[k + 1]]) continue;
      out->keys.push_back(std::move(keys[order[k]]));
      out->items.push_back(std::move(values[order[k]]));
    }
    return true;
  }
  bool ParseNumber(JsonNode* out) {
    size_t start = i_;
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ >= s_.size()) return false;
    if (s_[i_] == '0') {
      ++i_;
    } else if (s_[i_] >= '1' && s_[i_] <= '9') {
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
    } else {
      return false;
    }
    if (i_ < s_.size() && s_[i_] == '.') {
      ++i_;
      size_t digits = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == digits) return false;
    }
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      size_t digits = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      if (i_ == digits) return false;
    }
    auto f = GoParseFloat(s_.substr(start, i_ - start));
    if (f) {
      out->type = JsonNode::Type::kNumber;
      out->n = *f;
    }  // else: out of range; Go leaves the value nil
    return true;
  }
  bool ParseString(std::string* out) {
    ++i_;  // the opening quote
    while (true) {
      if (i_ >= s_.size()) return false;
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        if (i_ + 1 >= s_.size()) return false;
        char e = s_[i_ + 1];
        i_ += 2;
        switch (e) {
          case '"':
          case '\\':
          case '/':
            out->push_back(e);
            break;
          case 'b':
            out->push_back('\b');
            break;
          case 'f':
            out->push_back('\f');
            break;
          case 'n':
            out->push_back('\n');
            break;
          case 'r':
            out->push_back('\r');
            break;
          case 't':
            out->push_back('\t');
            break;
          case 'u': {
            auto hex4 = [&](size_t at, uint32_t* v) {
              if (at + 4 > s_.size()) return false;
              *v = 0;
              for (size_t k = 0; k < 4; ++k) {
                int d = promql::DigitValue(static_cast<unsigned char>(s_[at + k]));
                if (d >= 16) return false;
                *v = *v * 16 + static_cast<uint32_t>(d);
              }
              return true;
            };
            uint32_t r = 0;
            if (!hex4(i_, &r)) return false;
            i_ += 4;
            if (r >= 0xD800 && r < 0xDC00) {
              uint32_t r2 = 0;
              if (i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u' && hex4(i_ + 2, &r2) &&
                  r2 >= 0xDC00 && r2 < 0xE000) {
                r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                i_ += 6;
              } else {
                r = kRuneError;
              }
            } else if (r >= 0xDC00 && r < 0xE000) {
              r = kRuneError;
            }
            AppendUtf8(out, r);
            break;
          }
          default:
            return false;
        }
        continue;
      }
      auto [r, w] = RuneAt(s_, i_);
      if (r == kRuneError && w == 1) {
        AppendUtf8(out, static_cast<uint32_t>(kRuneError));
      } else {
        out->append(s_.substr(i_, w));
      }
      i_ += w;
    }
  }

  std::string_view s_;
  size_t i_ = 0;
};

bool FnFromJson(Exec& ex, const Value*, Args a, Value* out) {
  JsonNode* root = ex.NewJson();
  if (!JsonParser(a[0].s).ParseDocument(root)) {
    *out = Value();
    return true;
  }
  *out = ValueOfJson(*root);
  return true;
}

// --- time (sprig's date functions with Local = UTC, and Loki's) ---

bool FnNow(Exec&, const Value*, Args, Value* out) {
  *out = Value::Time(NowUtc());
  return true;
}

bool FnLine(Exec& ex, const Value*, Args, Value* out) {
  *out = Value::Str(ex.input().line);
  return true;
}

bool FnTimestamp(Exec& ex, const Value*, Args, Value* out) {
  int64_t ns = ex.input().timestamp_ns;
  *out = Value::Time(TimeUnix(FloorDiv(ns, 1'000'000'000), FloorMod(ns, 1'000'000'000)));
  return true;
}

// date(fmt, date): a time, or int seconds since the epoch; anything else is now.
bool FnDate(Exec& ex, const Value*, Args a, Value* out) {
  GoTime t;
  if (a[1].kind == Kind::kTime) {
    t = a[1].t;
  } else if (a[1].IsInteger()) {
    t = TimeUnix(a[1].i, 0);
  } else {
    t = NowUtc();
  }
  t.SetZone("UTC", 0);  // t.In(Local)
  std::string& s = ex.Tmp();
  FormatTime(&s, t, a[0].s);
  *out = KeepStr(ex, s);
  return true;
}

bool FnToDate(Exec&, const Value*, Args a, Value* out) {  // toDate(fmt, str)
  *out = Value::Time(ParseTime(a[0].s, a[1].s).value_or(GoTime()));
  return true;
}

bool FnToDateInZone(Exec&, const Value*, Args a, Value* out) {  // toDateInZone(fmt, zone, str)
  *out = Value::Time(ParseTime(a[0].s, a[2].s).value_or(GoTime()));
  return true;
}

bool FnUnixEpoch(Exec& ex, const Value*, Args a, Value* out) {
  *out = KeepStr(ex, fmt::format("{}", a[0].t.sec));
  return true;
}
bool FnUnixEpochMillis(Exec& ex, const Value*, Args a, Value* out) {
  *out = KeepStr(ex, fmt::format("{}", WrapAdd(WrapMul(a[0].t.sec, 1000), a[0].t.nsec / 1000000)));
  return true;
}
bool FnUnixEpochNanos(Exec& ex, const Value*, Args a, Value* out) {
  *out = KeepStr(ex, fmt::format("{}", WrapAdd(WrapMul(a[0].t.sec, 1000000000), a[0].t.nsec)));
  return true;
}

// Loki's unixToTime: days, seconds, milliseconds, microseconds or nanoseconds by length.
bool FnUnixToTime(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view epoch = a[0].s;
  auto i = GoParseInt(epoch, 10);
  if (!i) {
    std::string_view why = "invalid syntax";
    std::string_view digits = epoch;
    if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
    if (!digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      why = "value out of range";
    }
    return ex.CallError(fmt::format("unable to parse time '{}': strconv.ParseInt: parsing {}: {}",
                                    epoch, GoQuote(epoch), why));
  }
  switch (epoch.size()) {
    case 5:
      *out = Value::Time(TimeUnix(WrapMul(*i, 86400), 0));
      return true;
    case 10:
      *out = Value::Time(TimeUnix(*i, 0));
      return true;
    case 13:
      *out = Value::Time(TimeUnix(0, WrapMul(*i, 1000000)));
      return true;
    case 16:
      *out = Value::Time(TimeUnix(0, WrapMul(*i, 1000)));
      return true;
    case 19:
      *out = Value::Time(TimeUnix(0, *i));
      return true;
    default:
      return ex.CallError(fmt::format("unable to parse time '{}': %!w(<nil>)", epoch));
  }
}

// --- time.Time's methods (`{{ __timestamp__.Unix }}`, `{{ (now).Format "15:04" }}`) ---

bool MethodInt(Value* out, int64_t v, Kind k) {
  *out = Value::Int(v, k);
  return true;
}
bool FnTUnix(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, t->t.sec, Kind::kInt64);
}
bool FnTUnixMilli(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, WrapAdd(WrapMul(t->t.sec, 1000), t->t.nsec / 1000000), Kind::kInt64);
}
bool FnTUnixMicro(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, WrapAdd(WrapMul(t->t.sec, 1000000), t->t.nsec / 1000), Kind::kInt64);
}
bool FnTUnixNano(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, WrapAdd(WrapMul(t->t.sec, 1000000000), t->t.nsec), Kind::kInt64);
}
bool FnTYear(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, CivilOf(t->t).year, Kind::kInt);
}
bool FnTYearDay(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, CivilOf(t->t).yday, Kind::kInt);
}
bool FnTDay(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, CivilOf(t->t).day, Kind::kInt);
}
bool FnTHour(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, CivilOf(t->t).hour, Kind::kInt);
}
bool FnTMinute(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, CivilOf(t->t).minute, Kind::kInt);
}
bool FnTSecond(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, CivilOf(t->t).second, Kind::kInt);
}
bool FnTNanosecond(Exec&, const Value* t, Args, Value* out) {
  return MethodInt(out, t->t.nsec, Kind::kInt);
}
bool FnTFormat(Exec& ex, const Value* t, Args a, Value* out) {
  std::string& s = ex.Tmp();
  FormatTime(&s, t->t, a[0].s);
  *out = KeepStr(ex, s);
  return true;
}
bool FnTString(Exec& ex, const Value* t, Args, Value* out) {
  std::string& s = ex.Tmp();
  AppendTimeString(&s, t->t);
  *out = KeepStr(ex, s);
  return true;
}
bool FnTUTC(Exec&, const Value* t, Args, Value* out) {
  GoTime u = t->t;
  u.SetZone("UTC", 0);
  *out = Value::Time(u);
  return true;
}

// --- Prometheus' (template/template.go and prometheus/common's helpers/templates) ---

// Go's "%.4g" of a float64, then `suffix`.
Value Format4g(Exec& ex, double v, std::string_view suffix) {
  std::string& s = ex.Tmp();
  Value arg = Value::Float(v);
  GoSprintf(&s, "%.4g", std::span<const Value>(&arg, 1), nullptr);
  s.append(suffix);
  return KeepStr(ex, s);
}

// ConvertToFloat: float64, string (strconv.ParseFloat), and Go's integer types.
bool ConvertToFloat(Exec& ex, const Value& v, double* out) {
  switch (v.kind) {
    case Kind::kFloat:
      *out = v.f;
      return true;
    case Kind::kInt:
    case Kind::kInt64:
      *out = static_cast<double>(v.i);
      return true;
    case Kind::kString: {
      if (auto f = GoParseFloat(v.s)) {
        *out = *f;
        return true;
      }
      // GoParseFloat refuses an overflow too, which Go reports as a range error.
      std::string_view digits = v.s;
      if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) digits.remove_prefix(1);
      double ignored = 0;
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), ignored);
      bool range = !digits.empty() && r.ptr == digits.data() + digits.size() &&
                   r.ec == std::errc::result_out_of_range;
      return ex.CallError(fmt::format("strconv.ParseFloat: parsing {}: {}", GoQuote(v.s),
                                      range ? "value out of range" : "invalid syntax"));
    }
    default:
      return ex.CallError(fmt::format("can't convert {} to float", TypeName(v)));
  }
}

bool FnHumanize(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  if (v == 0 || std::isnan(v) || std::isinf(v)) {
    *out = Format4g(ex, v, "");
    return true;
  }
  static constexpr std::string_view kBig[] = {"k", "M", "G", "T", "P", "E", "Z", "Y"};
  static constexpr std::string_view kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string_view prefix;
  if (std::fabs(v) >= 1) {
    for (std::string_view p : kBig) {
      if (std::fabs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
  } else {
    for (std::string_view p : kSmall) {
      if (std::fabs(v) >= 1) break;
      prefix = p;
      v *= 1000;
    }
  }
  *out = Format4g(ex, v, prefix);
  return true;
}

bool FnHumanize1024(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  if (std::fabs(v) <= 1 || std::isnan(v) || std::isinf(v)) {
    *out = Format4g(ex, v, "");
    return true;
  }
  static constexpr std::string_view kPrefixes[] = {"ki", "Mi", "Gi", "Ti", "Pi", "Ei", "Zi", "Yi"};
  std::string_view prefix;
  for (std::string_view p : kPrefixes) {
    if (std::fabs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  *out = Format4g(ex, v, prefix);
  return true;
}

bool FnHumanizeDuration(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  if (std::isnan(v) || std::isinf(v)) {
    *out = Format4g(ex, v, "");
    return true;
  }
  if (v == 0) {
    *out = Format4g(ex, v, "s");
    return true;
  }
  if (std::fabs(v) >= 1) {
    std::string_view sign;
    if (v < 0) {
      sign = "-";
      v = -v;
    }
    // Whole seconds from a minute up; four significant digits below.
    int64_t duration = GoFloatToInt64(v);
    int64_t seconds = duration % 60;
    int64_t minutes = (duration / 60) % 60;
    int64_t hours = (duration / 60 / 60) % 24;
    int64_t days = duration / 60 / 60 / 24;
    std::string text;
    if (days != 0) {
      text = fmt::format("{}{}d {}h {}m {}s", sign, days, hours, minutes, seconds);
    } else if (hours != 0) {
      text = fmt::format("{}{}h {}m {}s", sign, hours, minutes, seconds);
    } else if (minutes != 0) {
      text = fmt::format("{}{}m {}s", sign, minutes, seconds);
    } else {
      Value r = Format4g(ex, v, "s");
      text = fmt::format("{}{}", sign, r.s);
    }
    *out = KeepStr(ex, text);
    return true;
  }
  static constexpr std::string_view kSmall[] = {"m", "u", "n", "p", "f", "a", "z", "y"};
  std::string prefix;
  for (std::string_view p : kSmall) {
    if (std::fabs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  prefix += 's';
  *out = Format4g(ex, v, prefix);
  return true;
}

bool FnHumanizePercentage(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  *out = Format4g(ex, v * 100, "%");
  return true;
}

// FloatToTime: seconds since the epoch, truncated to milliseconds (model.TimeFromUnixNano), in
// UTC. False with the error set when v is not finite (`nan_inf`: whether that is why) or its
// nanoseconds overflow int64.
bool FloatToTime(Exec& ex, double v, GoTime* t, bool* nan_inf) {
  *nan_inf = std::isnan(v) || std::isinf(v);
  if (*nan_inf) return ex.CallError("value is NaN or Inf");
  double timestamp = v * 1e9;
  if (timestamp > 9223372036854775807.0 || timestamp < -9223372036854775808.0) {
    return ex.CallError(
        fmt::format("{} cannot be represented as a nanoseconds timestamp since it overflows int64",
                    FormatFloatV(v)));
  }
  int64_t ms = GoFloatToInt64(timestamp) / 1'000'000;
  *t = TimeUnix(ms / 1000, (ms % 1000) * 1'000'000);
  return true;
}

bool FnHumanizeTimestamp(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  GoTime t;
  bool nan_inf = false;
  if (!FloatToTime(ex, v, &t, &nan_inf)) {
    if (!nan_inf) return false;
    *out = Format4g(ex, v, "");
    return true;
  }
  std::string& s = ex.Tmp();
  AppendTimeString(&s, t);
  *out = KeepStr(ex, s);
  return true;
}

bool FnToTime(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  GoTime t;
  bool nan_inf = false;
  if (!FloatToTime(ex, v, &t, &nan_inf)) return false;
  *out = Value::Time(t);
  return true;
}

bool FnToDuration(Exec& ex, const Value*, Args a, Value* out) {
  double v = 0;
  if (!ConvertToFloat(ex, a[0], &v)) return false;
  *out = Value::Duration(GoFloatToInt64(v * 1e9));
  return true;
}

bool FnNowSeconds(Exec& ex, const Value*, Args, Value* out) {
  int64_t ms = ex.data() != nullptr ? ex.data()->now_ms : 0;
  *out = Value::Float(static_cast<double>(ms) / 1000.0);
  return true;
}

// Whether a rune is Unicode word breaking's MidLetter, MidNumLet or Single_Quote.
bool IsWordMid(int32_t r) {
  switch (r) {
    case '\'':
    case '.':
    case ':':
    case 0xB7:
    case 0x387:
    case 0x5F4:
    case 0x2018:
    case 0x2019:
    case 0x2024:
    case 0x2027:
    case 0xFE13:
    case 0xFE52:
    case 0xFE55:
    case 0xFF07:
    case 0xFF0E:
    case 0xFF1A:
      return true;
    default:
      return false;
  }
}

// cases.Title(language.AmericanEnglish, cases.NoLower): the first cased letter of each word
// upper-cased, the rest left alone. Words are an approximation of Unicode word breaking, as
// x/text does it: letters, digits and '_' never break; one '.', ':' or apostrophe between letters
// does not break ("don't" -> "Don't", "foo.example.com" -> "Foo.example.com"); anything else does.
// Digits do not start a word's casing either: "1st" -> "1St".
bool FnTitleCases(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view in = a[0].s;
  std::string& s = ex.Tmp();
  bool mid_word = false;
  bool prev_mid = false;
  for (size_t i = 0; i < in.size();) {
    auto [r, w] = RuneAt(in, i);
    i += w;
    bool mid = IsWordMid(r);
    if (prev_mid && mid) mid_word = false;
    int32_t upper = CaseMap(r, true);
    bool cased = upper != r || CaseMap(r, false) != r;
    if (cased) {
      AppendUtf8(&s, static_cast<uint32_t>(mid_word ? r : upper));
      mid_word = true;
    } else {
      AppendUtf8(&s, static_cast<uint32_t>(r));
      bool letter = r == '_' || IsDigitRune(r) || IsLetterRune(r);
      if (!letter && !mid) mid_word = false;
    }
    prev_mid = mid;
  }
  *out = s == in ? a[0] : KeepStr(ex, s);
  return true;
}

// regexp.MatchString.
bool FnMatch(Exec& ex, const Value*, Args a, Value* out) {
  std::shared_ptr<CompiledRegex> holder;
  const CompiledRegex* c = GetRegex(ex, a[0].s, &holder);
  if (!c->re) return ex.CallError(c->error);
  *out = Value::Bool(re2::RE2::PartialMatch(a[1].s, *c->re));
  return true;
}

// regexp.MustCompile(pattern).ReplaceAllString(text, repl): a bad pattern panics, which
// text/template turns into the call's error.
bool FnReReplaceAll(Exec& ex, const Value*, Args a, Value* out) {
  std::shared_ptr<CompiledRegex> holder;
  const CompiledRegex* c = GetRegex(ex, a[0].s, &holder);
  if (!c->re) {
    // regexp's quote(): backquoted when strconv.CanBackquote allows it.
    std::string_view p = a[0].s;
    bool backquote = p.find('`') == std::string_view::npos && storage::IsValidUtf8(p) &&
                     p.find("\xEF\xBB\xBF") == std::string_view::npos &&
                     std::none_of(p.begin(), p.end(), [](char ch) {
                       auto u = static_cast<unsigned char>(ch);
                       return (u < 0x20 && u != '\t') || u == 0x7F;
                     });
    std::string quoted = backquote ? fmt::format("`{}`", p) : GoQuote(p);
    return ex.CallError(fmt::format("regexp: Compile({}): {}", quoted, c->error));
  }
  // Loki's regexReplaceAll takes (regex, text, replacement).
  std::array<Value, 3> args = {a[0], a[2], a[1]};
  return ReplaceAll(ex, args, false, out);
}

bool FnIdentity(Exec&, const Value*, Args a, Value* out) {  // safeHtml: html/template.HTML(s)
  *out = a[0];
  return true;
}

// net.SplitHostPort; false where it returns an error.
bool SplitHostPort(std::string_view hostport, std::string_view* host, std::string_view* port) {
  size_t i = hostport.rfind(':');
  if (i == std::string_view::npos) return false;
  size_t j = 0, k = 0;
  if (hostport[0] == '[') {
    size_t end = hostport.find(']');
    if (end == std::string_view::npos || end + 1 != i) return false;
    *host = hostport.substr(1, end - 1);
    j = 1;
    k = end + 1;
  } else {
    *host = hostport.substr(0, i);
    if (host->find(':') != std::string_view::npos) return false;
  }
  if (hostport.substr(j).find('[') != std::string_view::npos) return false;
  if (hostport.substr(k).find(']') != std::string_view::npos) return false;
  *port = hostport.substr(i + 1);
  return true;
}

bool FnStripPort(Exec&, const Value*, Args a, Value* out) {
  std::string_view host, port;
  *out = SplitHostPort(a[0].s, &host, &port) ? Value::Str(host) : a[0];
  return true;
}

// stripDomain: the first label of a host name, the port kept; addresses are left alone.
bool FnStripDomain(Exec& ex, const Value*, Args a, Value* out) {
  std::string_view host, port;
  if (!SplitHostPort(a[0].s, &host, &port)) {
    host = a[0].s;
    port = {};
  }
  IpAddress ip;
  if (ParseIp(host, &ip)) {
    *out = a[0];
    return true;
  }
  host = host.substr(0, host.find('.'));
  if (port.empty()) {
    *out = Value::Str(host);
    return true;
  }
  // net.JoinHostPort.
  bool brackets = host.find(':') != std::string_view::npos;
  *out =
      KeepStr(ex, fmt::format("{}{}{}:{}", brackets ? "[" : "", host, brackets ? "]" : "", port));
  return true;
}

bool ExpressionLink(Exec& ex, std::string_view expr, char tab, Value* out) {
  std::string& s = ex.Tmp();
  s = "/graph?g0.expr=";
  AppendQueryEscaped(&s, expr);
  s += "&g0.tab=";
  s += tab;
  *out = KeepStr(ex, s);
  return true;
}
bool FnGraphLink(Exec& ex, const Value*, Args a, Value* out) {
  return ExpressionLink(ex, a[0].s, '0', out);
}
bool FnTableLink(Exec& ex, const Value*, Args a, Value* out) {
  return ExpressionLink(ex, a[0].s, '1', out);
}

// model.ParseDuration in seconds.
bool FnParseDuration(Exec& ex, const Value*, Args a, Value* out) {
  int64_t ns = 0;
  std::string error;
  if (!ParsePrometheusDuration(a[0].s, &ns, &error)) return ex.CallError(error);
  *out = Value::Float(static_cast<double>(ns) / 1e9);
  return true;
}

bool FnUrlQueryEscape(Exec& ex, const Value*, Args a, Value* out) {
  std::string& s = ex.Tmp();
  AppendQueryEscaped(&s, a[0].s);
  *out = s == a[0].s ? a[0] : KeepStr(ex, s);
  return true;
}

bool FnExternalURL(Exec& ex, const Value*, Args, Value* out) {
  *out = Value::Str(ex.data() != nullptr ? ex.data()->external_url : std::string_view());
  return true;
}

// The external URL's path, unescaped (url.URL.Path).
bool FnPathPrefix(Exec& ex, const Value*, Args, Value* out) {
  std::string_view u = ex.data() != nullptr ? ex.data()->external_url : std::string_view();
  u = u.substr(0, u.find_first_of("?#"));
  if (size_t scheme = u.find("://"); scheme != std::string_view::npos) {
    u.remove_prefix(scheme + 3);
    size_t slash = u.find('/');
    u = slash == std::string_view::npos ? std::string_view() : u.substr(slash);
  }
  std::string& s = ex.Tmp();
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < u.size(); ++i) {
    if (u[i] == '%' && i + 2 < u.size() && hex(u[i + 1]) >= 0 && hex(u[i + 2]) >= 0) {
      s.push_back(static_cast<char>(hex(u[i + 1]) * 16 + hex(u[i + 2])));
      i += 2;
    } else {
      s.push_back(u[i]);
    }
  }
  *out = KeepStr(ex, s);
  return true;
}

// --- time.Duration's methods (`{{ (toDuration 90).Minutes }}`) ---

bool FnDHours(Exec&, const Value* d, Args, Value* out) {
  int64_t hour = 3'600'000'000'000;
  *out = Value::Float(static_cast<double>(d->i / hour) +
                      static_cast<double>(d->i % hour) / static_cast<double>(hour));
  return true;
}
bool FnDMinutes(Exec&, const Value* d, Args, Value* out) {
  int64_t minute = 60'000'000'000;
  *out = Value::Float(static_cast<double>(d->i / minute) +
                      static_cast<double>(d->i % minute) / static_cast<double>(minute));
  return true;
}
bool FnDSeconds(Exec&, const Value* d, Args, Value* out) {
  int64_t second = 1'000'000'000;
  *out = Value::Float(static_cast<double>(d->i / second) +
                      static_cast<double>(d->i % second) / static_cast<double>(second));
  return true;
}
bool FnDMilliseconds(Exec&, const Value* d, Args, Value* out) {
  *out = Value::Int(d->i / 1'000'000, Kind::kInt64);
  return true;
}
bool FnDMicroseconds(Exec&, const Value* d, Args, Value* out) {
  *out = Value::Int(d->i / 1'000, Kind::kInt64);
  return true;
}
bool FnDNanoseconds(Exec&, const Value* d, Args, Value* out) {
  *out = Value::Int(d->i, Kind::kInt64);
  return true;
}
bool FnDString(Exec& ex, const Value* d, Args, Value* out) {
  std::string& s = ex.Tmp();
  AppendGoDuration(&s, d->i);
  *out = KeepStr(ex, s);
  return true;
}

// --- the function map ---

constexpr PT S = PT::kString;
constexpr PT I = PT::kInt;
constexpr PT F = PT::kFloat;
constexpr PT A = PT::kAny;
constexpr PT T = PT::kTime;

FuncDef Fixed(std::string_view name, std::initializer_list<PT> params, FuncImpl impl) {
  FuncDef f{name, {}, static_cast<uint8_t>(params.size()), false, PT::kAny, impl, Special::kNone};
  std::copy(params.begin(), params.end(), f.params.begin());
  return f;
}
FuncDef Variadic(std::string_view name, std::initializer_list<PT> params, PT rest, FuncImpl impl,
                 Special special = Special::kNone) {
  FuncDef f = Fixed(name, params, impl);
  f.variadic = true;
  f.variadic_type = rest;
  f.special = special;
  return f;
}

const FuncDef* FindFunctionIn(const std::vector<FuncDef>& table, std::string_view name) {
  for (const FuncDef& f : table) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::vector<FuncDef>& Functions() {
  static const std::vector<FuncDef> kFunctions = [] {
    std::vector<FuncDef> v = {
        // text/template's builtins
        Variadic("and", {A}, A, FnUnreachable, Special::kAnd),
        Variadic("or", {A}, A, FnUnreachable, Special::kOr),
        Variadic("call", {A}, A, FnUnreachable, Special::kCall),
        Fixed("not", {A}, FnNot),
        Fixed("len", {A}, FnLen),
        Variadic("index", {A}, A, FnIndex),
        Variadic("slice", {A}, A, FnSlice),
        Variadic("print", {}, A, FnPrint),
        Variadic("printf", {S}, A, FnPrintf),
        Variadic("println", {}, A, FnPrintln),
        Variadic("html", {}, A, FnHtml),
        Variadic("js", {}, A, FnJs),
        Variadic("urlquery", {}, A, FnUrlquery),
        Variadic("eq", {A}, A, FnEq),
        Fixed("ne", {A, A}, FnNe),
        Fixed("lt", {A, A}, FnLt),
        Fixed("le", {A, A}, FnLe),
        Fixed("gt", {A, A}, FnGt),
        Fixed("ge", {A, A}, FnGe),
        // Loki's (pkg/logql/log/fmt.go)
        Fixed("ToLower", {S}, FnToLower),
        Fixed("ToUpper", {S}, FnToUpper),
        Fixed("Replace", {S, S, S, I}, FnReplaceGo),
        Fixed("Trim", {S, S}, FnTrim),
        Fixed("TrimLeft", {S, S}, FnTrimLeft),
        Fixed("TrimRight", {S, S}, FnTrimRight),
        Fixed("TrimPrefix", {S, S}, FnTrimPrefixGo),
        Fixed("TrimSuffix", {S, S}, FnTrimSuffixGo),
        Fixed("TrimSpace", {S}, FnTrimSpace),
        Fixed("regexReplaceAll", {S, S, S}, FnRegexReplaceAll),
        Fixed("regexReplaceAllLiteral", {S, S, S}, FnRegexReplaceAllLiteral),
        Fixed("count", {S, S}, FnCount),
        Fixed("urldecode", {S}, FnUrldecode),
        Fixed("urlencode", {S}, FnUrlencode),
        Fixed("bytes", {S}, FnBytes),
        Fixed("duration", {S}, FnDuration),
        Fixed("duration_seconds", {S}, FnDuration),
        Fixed("unixEpochMillis", {T}, FnUnixEpochMillis),
        Fixed("unixEpochNanos", {T}, FnUnixEpochNanos),
        Fixed("toDateInZone", {S, S, S}, FnToDateInZone),
        Fixed("unixToTime", {S}, FnUnixToTime),
        Fixed("alignLeft", {I, S}, FnAlignLeft),
        Fixed("alignRight", {I, S}, FnAlignRight),
        Fixed("__line__", {}, FnLine),
        Fixed("__timestamp__", {}, FnTimestamp),
        // sprig's, as Loki lists them
        Fixed("b64enc", {S}, FnB64Enc),
        Fixed("b64dec", {S}, FnB64Dec),
        Fixed("lower", {S}, FnToLower),
        Fixed("upper", {S}, FnToUpper),
        Fixed("title", {S}, FnTitle),
        Fixed("trunc", {I, S}, FnTrunc),
        Fixed("substr", {I, I, S}, FnSubstr),
        Fixed("contains", {S, S}, FnContains),
        Fixed("hasPrefix", {S, S}, FnHasPrefix),
        Fixed("hasSuffix", {S, S}, FnHasSuffix),
        Fixed("indent", {I, S}, FnIndent),
        Fixed("nindent", {I, S}, FnNindent),
        Fixed("replace", {S, S, S}, FnReplaceSprig),
        Fixed("repeat", {I, S}, FnRepeat),
        Fixed("trim", {S}, FnTrimSpace),
        Fixed("trimAll", {S, S}, FnTrimAll),
        Fixed("trimSuffix", {S, S}, FnTrimSuffixSprig),
        Fixed("trimPrefix", {S, S}, FnTrimPrefixSprig),
        Fixed("int", {A}, FnInt),
        Fixed("float64", {A}, FnFloat64),
        Variadic("add", {}, A, FnAdd),
        Fixed("sub", {A, A}, FnSub),
        Variadic("mul", {A}, A, FnMul),
        Fixed("div", {A, A}, FnDiv),
        Fixed("mod", {A, A}, FnMod),
        Variadic("addf", {}, A, FnAddf),
        Variadic("subf", {A}, A, FnSubf),
        Variadic("mulf", {A}, A, FnMulf),
        Variadic("divf", {A}, A, FnDivf),
        Variadic("max", {A}, A, FnMax),
        Variadic("min", {A}, A, FnMin),
        Variadic("maxf", {A}, A, FnMaxf),
        Variadic("minf", {A}, A, FnMinf),
        Fixed("ceil", {A}, FnCeil),
        Fixed("floor", {A}, FnFloor),
        Variadic("round", {A, I}, F, FnRound),
        Fixed("fromJson", {S}, FnFromJson),
        Fixed("date", {S, A}, FnDate),
        Fixed("toDate", {S, S}, FnToDate),
        Fixed("now", {}, FnNow),
        Fixed("unixEpoch", {T}, FnUnixEpoch),
        Variadic("default", {A}, A, FnDefault),
    };
    return v;
  }();
  return kFunctions;
}

// Prometheus' NewTemplateExpander function map over text/template's builtins. Left out: the
// functions that need a query engine or named templates (query, first, label, value, strvalue,
// sortByLabel, args, tmpl).
const std::vector<FuncDef>& PrometheusFunctions() {
  static const std::vector<FuncDef> kFunctions = [] {
    std::vector<FuncDef> v;
    for (std::string_view builtin :
         {"and", "or", "call", "not", "len", "index", "slice", "print", "printf", "println", "html",
          "js", "urlquery", "eq", "ne", "lt", "le", "gt", "ge"}) {
      v.push_back(*FindFunctionIn(Functions(), builtin));
    }
    std::vector<FuncDef> prometheus = {
        Fixed("humanize", {A}, FnHumanize),
        Fixed("humanize1024", {A}, FnHumanize1024),
        Fixed("humanizeDuration", {A}, FnHumanizeDuration),
        Fixed("humanizePercentage", {A}, FnHumanizePercentage),
        Fixed("humanizeTimestamp", {A}, FnHumanizeTimestamp),
        Fixed("toTime", {A}, FnToTime),
        Fixed("toDuration", {A}, FnToDuration),
        Fixed("now", {}, FnNowSeconds),
        Fixed("title", {S}, FnTitleCases),
        Fixed("toUpper", {S}, FnToUpper),
        Fixed("toLower", {S}, FnToLower),
        Fixed("match", {S, S}, FnMatch),
        Fixed("reReplaceAll", {S, S, S}, FnReReplaceAll),
        Fixed("safeHtml", {S}, FnIdentity),
        Fixed("stripPort", {S}, FnStripPort),
        Fixed("stripDomain", {S}, FnStripDomain),
        Fixed("graphLink", {S}, FnGraphLink),
        Fixed("tableLink", {S}, FnTableLink),
        Fixed("parseDuration", {S}, FnParseDuration),
        Fixed("urlQueryEscape", {S}, FnUrlQueryEscape),
        Fixed("pathPrefix", {}, FnPathPrefix),
        Fixed("externalURL", {}, FnExternalURL),
    };
    v.insert(v.end(), prometheus.begin(), prometheus.end());
    return v;
  }();
  return kFunctions;
}

}  // namespace

const FuncDef* FindFunction(std::string_view name) {
  for (const FuncDef& f : Functions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FuncDef* FindFunction(FunctionSet set, std::string_view name) {
  if (set == FunctionSet::kLoki) return FindFunction(name);
  for (const FuncDef& f : PrometheusFunctions()) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FuncDef* FindDurationMethod(std::string_view name) {
  static const std::vector<FuncDef> kMethods = {
      Fixed("Hours", {}, FnDHours),
      Fixed("Minutes", {}, FnDMinutes),
      Fixed("Seconds", {}, FnDSeconds),
      Fixed("Milliseconds", {}, FnDMilliseconds),
      Fixed("Microseconds", {}, FnDMicroseconds),
      Fixed("Nanoseconds", {}, FnDNanoseconds),
      Fixed("String", {}, FnDString),
  };
  for (const FuncDef& f : kMethods) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const FuncDef* FindTimeMethod(std::string_view name) {
  static const std::vector<FuncDef> kMethods = {
      Fixed("Unix", {}, FnTUnix),
      Fixed("UnixMilli", {}, FnTUnixMilli),
      Fixed("UnixMicro", {}, FnTUnixMicro),
      Fixed("UnixNano", {}, FnTUnixNano),
      Fixed("Year", {}, FnTYear),
      Fixed("YearDay", {}, FnTYearDay),
      Fixed("Day", {}, FnTDay),
      Fixed("Hour", {}, FnTHour),
      Fixed("Minute", {}, FnTMinute),
      Fixed("Second", {}, FnTSecond),
      Fixed("Nanosecond", {}, FnTNanosecond),
      Fixed("Format", {S}, FnTFormat),
      Fixed("String", {}, FnTString),
      Fixed("UTC", {}, FnTUTC),
      Fixed("Local", {}, FnTUTC),
  };
  for (const FuncDef& f : kMethods) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace sluice::query::logql::template_internal
