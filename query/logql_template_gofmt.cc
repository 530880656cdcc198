// fmt: Go's Sprint, Sprintln and Sprintf over Values (print, println, printf, and how an action
// prints its value). Not supported: %x/%X/%b of floats and the '#' flag for floats, %+q's ASCII
// quoting, and Go-syntax (%#v) output beyond quoting strings.
#include <fmt/format.h>

#include <cmath>
#include <cstdio>

#include "query/logql_template_internal.h"

namespace sluice::query::logql::template_internal {
namespace {

class Printer {
 public:
  explicit Printer(std::string* out) : out_(out) {}

  // fmt.Fprint of one value (%v), as an action prints what its pipeline gives.
  void PrintV(const Value& v) {
    f_ = Flags{};
    PrintArg(v, 'v', 0);
  }

  // fmt.Sprint: spaces between operands when neither is a string.
  void Sprint(std::span<const Value> args) {
    bool prev_string = false;
    for (size_t i = 0; i < args.size(); ++i) {
      bool is_string = args[i].kind == Kind::kString;
      if (i > 0 && !is_string && !prev_string) out_->push_back(' ');
      f_ = Flags{};
      PrintArg(args[i], 'v', 0);
      prev_string = is_string;
    }
  }

  void Sprintln(std::span<const Value> args) {
    for (size_t i = 0; i < args.size(); ++i) {
      if (i > 0) out_->push_back(' ');
      f_ = Flags{};
      PrintArg(args[i], 'v', 0);
    }
    out_->push_back('\n');
  }

  void Sprintf(std::string_view format, std::span<const Value> args);

 private:
  struct Flags {
    bool plus = false, minus = false, sharp = false, space = false, zero = false;
    bool plus_v = false, sharp_v = false;
    bool wid_present = false, prec_present = false;
    int wid = 0, prec = 0;
  };

  void WritePadding(int n) {
    if (n <= 0) return;
    out_->append(static_cast<size_t>(n), f_.zero ? '0' : ' ');
  }
  void Pad(std::string_view s) {
    if (!f_.wid_present || f_.wid == 0) {
      out_->append(s);
      return;
    }
    int width = f_.wid - static_cast<int>(RuneCount(s));
    if (!f_.minus) {
      WritePadding(width);
      out_->append(s);
    } else {
      out_->append(s);
      WritePadding(width);
    }
  }
  // Strings are never padded with zeros (Go 1.23 on).
  void PadString(std::string_view s) {
    bool zero = f_.zero;
    f_.zero = false;
    Pad(s);
    f_.zero = zero;
  }
  std::string_view Truncate(std::string_view s) const {
    if (!f_.prec_present) return s;
    size_t pos = 0;
    for (int n = 0; n < f_.prec && pos < s.size(); ++n) pos += RuneAt(s, pos).second;
    return s.substr(0, pos);
  }

  void BadVerb(const Value& v, int32_t verb) {
    out_->append("%!");
    AppendUtf8(out_, static_cast<uint32_t>(verb));
    out_->push_back('(');
    if (v.kind == Kind::kNil) {
      out_->append("<nil>");
    } else {
      out_->append(TypeName(v));
      out_->push_back('=');
      PrintArg(v, 'v', 0);
    }
    out_->push_back(')');
  }

  void FmtInteger(const Value& v, int32_t verb) {
    switch (verb) {
      case 'v':
      case 'd':
        return FmtIntegerBase(v.i, 10, verb, kLowerHex);
      case 'b':
        return FmtIntegerBase(v.i, 2, verb, kLowerHex);
      case 'o':
      case 'O':
        return FmtIntegerBase(v.i, 8, verb, kLowerHex);
      case 'x':
        return FmtIntegerBase(v.i, 16, verb, kLowerHex);
      case 'X':
        return FmtIntegerBase(v.i, 16, verb, kUpperHex);
      case 'c': {
        std::string s;
        uint64_t u = static_cast<uint64_t>(v.i);
        AppendUtf8(&s, u > 0x10FFFF || (u >= 0xD800 && u <= 0xDFFF) ? kRuneError
                                                                    : static_cast<uint32_t>(u));
        return Pad(s);
      }
      case 'q': {
        uint64_t u = static_cast<uint64_t>(v.i);
        int32_t r = u > 0x10FFFF ? kRuneError : static_cast<int32_t>(u);
        return Pad(promql::QuoteRune(r));
      }
      case 'U': {
        uint64_t u = static_cast<uint64_t>(v.i);
        std::string s = "U+";
        std::string hex = fmt::format("{:X}", u);
        int prec = f_.prec_present && f_.prec > 4 ? f_.prec : 4;
        if (static_cast<int>(hex.size()) < prec) s.append(prec - hex.size(), '0');
        s += hex;
        if (f_.sharp && u <= 0x10FFFF && IsPrint(static_cast<uint32_t>(u))) {
          s += " '";
          AppendUtf8(&s, static_cast<uint32_t>(u));
          s += '\'';
        }
        bool zero = f_.zero;
        f_.zero = false;
        Pad(s);
        f_.zero = zero;
        return;
      }
      default:
        return BadVerb(v, verb);
    }
  }

  // fmt.fmtInteger.
  void FmtIntegerBase(int64_t x, int base, int32_t verb, const char* digits) {
    bool negative = x < 0;
    uint64_t u = negative ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
    int prec = 0;
    if (f_.prec_present) {
      prec = f_.prec;
      if (prec == 0 && u == 0) {
        bool zero = f_.zero;
        f_.zero = false;
        WritePadding(f_.wid);
        f_.zero = zero;
        return;
      }
    } else if (f_.zero && !f_.minus && f_.wid_present) {
      prec = f_.wid;
      if (negative || f_.plus || f_.space) --prec;
    }
    std::string buf;
    do {
      buf.push_back(digits[u % static_cast<uint64_t>(base)]);
      u /= static_cast<uint64_t>(base);
    } while (u != 0);
    while (static_cast<int>(buf.size()) < prec) buf.push_back('0');
    if (f_.sharp) {
      if (base == 2) {
        buf += "b0";
      } else if (base == 8) {
        if (buf.back() != '0') buf.push_back('0');
      } else if (base == 16) {
        buf.push_back(digits == kUpperHex ? 'X' : 'x');
        buf.push_back('0');
      }
    }
    if (verb == 'O') buf += "o0";
    if (negative) {
      buf.push_back('-');
    } else if (f_.plus) {
      buf.push_back('+');
    } else if (f_.space) {
      buf.push_back(' ');
    }
    std::reverse(buf.begin(), buf.end());
    bool zero = f_.zero;
    f_.zero = false;
    Pad(buf);
    f_.zero = zero;
  }

  // strconv.AppendFloat(v, fmt, prec, 64) for fmt in e E f g G.
  static std::string FormatFloat(double v, char fmt_char, int prec) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    if (prec < 0) {  // the shortest representation ('g'/'G' only reach here)
      std::string s = FormatFloatV(v);
      if (fmt_char == 'G') {
        for (char& c : s) {
          if (c == 'e') c = 'E';
        }
      }
      return s;
    }
    char spec[8] = {'%', '.', '*', fmt_char == 'F' ? 'f' : fmt_char, '\0'};
    char buf[512];
    int n = std::snprintf(buf, sizeof(buf), spec, prec, v);
    if (n < 0) return {};
    if (static_cast<size_t>(n) < sizeof(buf)) return std::string(buf, static_cast<size_t>(n));
    std::string big(static_cast<size_t>(n) + 1, '\0');
    std::snprintf(big.data(), big.size(), spec, prec, v);
    big.resize(static_cast<size_t>(n));
    return big;
  }

  void FmtFloat(const Value& v, int32_t verb) {
    int prec;
    char fmt_char;
    switch (verb) {
      case 'v':
        fmt_char = 'g';
        prec = -1;
        break;
      case 'g':
      case 'G':
        fmt_char = static_cast<char>(verb);
        prec = -1;
        break;
      case 'e':
      case 'E':
      case 'f':
      case 'F':
        fmt_char = static_cast<char>(verb);
        prec = 6;
        break;
      default:
        return BadVerb(v, verb);
    }
    if (f_.prec_present) prec = f_.prec;
    std::string num = FormatFloat(v.f, fmt_char, prec);
    if (num[0] != '-' && num[0] != '+') num.insert(num.begin(), '+');
    if (f_.space && num[0] == '+' && !f_.plus) num[0] = ' ';
    if (num[1] == 'I' || num[1] == 'N') {
      bool zero = f_.zero;
      f_.zero = false;
      if (num[1] == 'N' && !f_.space && !f_.plus) num.erase(0, 1);
      Pad(num);
      f_.zero = zero;
      return;
    }
    if (f_.plus || num[0] != '+') {
      if (f_.zero && !f_.minus && f_.wid_present && f_.wid > static_cast<int>(num.size())) {
        out_->push_back(num[0]);
        WritePadding(f_.wid - static_cast<int>(num.size()));
        out_->append(num, 1);
        return;
      }
      Pad(num);
      return;
    }
    Pad(std::string_view(num).substr(1));
  }

  void FmtString(const Value& v, std::string_view s, int32_t verb) {
    switch (verb) {
      case 'v':
        if (f_.sharp_v) return FmtQ(s);
        return PadString(Truncate(s));
      case 's':
        return PadString(Truncate(s));
      case 'x':
      case 'X':
        return FmtSx(s, verb == 'X' ? kUpperHex : kLowerHex);
      case 'q':
        return FmtQ(s);
      default:
        return BadVerb(v, verb);
    }
  }

  void FmtQ(std::string_view s) {
    s = Truncate(s);
    if (f_.sharp) {
      bool can_backquote = s.find('`') == std::string_view::npos;
      for (size_t i = 0; i < s.size() && can_backquote;) {
        auto [r, w] = RuneAt(s, i);
        if ((r == kRuneError && w == 1) || r == 0xFEFF || (r < ' ' && r != '\t') || r == 0x7F) {
          can_backquote = false;
        }
        i += w;
      }
      if (can_backquote) {
        PadString("`" + std::string(s) + "`");
        return;
      }
    }
    PadString(GoQuote(s));
  }

  void FmtSx(std::string_view s, const char* digits) {
    size_t length = s.size();
    if (f_.prec_present && f_.prec >= 0 && static_cast<size_t>(f_.prec) < length) {
      length = static_cast<size_t>(f_.prec);
    }
    int width = static_cast<int>(2 * length);
    if (width > 0) {
      if (f_.space) {
        if (f_.sharp) width *= 2;
        width += static_cast<int>(length) - 1;
      } else if (f_.sharp) {
        width += 2;
      }
    } else {
      if (f_.wid_present) WritePadding(f_.wid);
      return;
    }
    if (f_.wid_present && f_.wid > width && !f_.minus) WritePadding(f_.wid - width);
    char x = digits == kUpperHex ? 'X' : 'x';
    if (f_.sharp) {
      out_->push_back('0');
      out_->push_back(x);
    }
    for (size_t i = 0; i < length; ++i) {
      if (f_.space && i > 0) {
        out_->push_back(' ');
        if (f_.sharp) {
          out_->push_back('0');
          out_->push_back(x);
        }
      }
      auto c = static_cast<unsigned char>(s[i]);
      out_->push_back(digits[c >> 4]);
      out_->push_back(digits[c & 0xF]);
    }
    if (f_.wid_present && f_.wid > width && f_.minus) WritePadding(f_.wid - width);
  }

 public:
  // printArg (depth 0) and printValue (inside maps and slices).
  void PrintArg(const Value& v, int32_t verb, int depth) {
    if (v.kind == Kind::kNil) {
      if (depth > 0) {
        out_->append("<nil>");
      } else if (verb == 'T' || verb == 'v') {
        Pad("<nil>");
      } else {
        BadVerb(v, verb);
      }
      return;
    }
    if (verb == 'T') return PadString(TypeName(v));
    switch (v.kind) {
      case Kind::kBool:
        if (verb == 't' || verb == 'v') return PadString(v.b ? "true" : "false");
        return BadVerb(v, verb);
      case Kind::kInt:
      case Kind::kInt64:
        return FmtInteger(v, verb);
      case Kind::kFloat:
        return FmtFloat(v, verb);
      case Kind::kString:
        return FmtString(v, v.s, verb);
      case Kind::kTime:
        if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q') {
          std::string s;
          AppendTimeString(&s, v.t);
          return FmtString(v, s, verb);
        }
        return BadVerb(v, verb);
      case Kind::kLabels:
        return PrintLabels(verb, depth);
      case Kind::kJsonMap: {
        out_->append("map[");
        for (size_t i = 0; i < v.json->keys.size(); ++i) {
          if (i > 0) out_->push_back(' ');
          PrintArg(Value::Str(v.json->keys[i]), verb, depth + 1);
          out_->push_back(':');
          PrintArg(ValueOfJson(v.json->items[i]), verb, depth + 1);
        }
        out_->push_back(']');
        return;
      }
      case Kind::kJsonArray: {
        out_->push_back('[');
        for (size_t i = 0; i < v.json->items.size(); ++i) {
          if (i > 0) out_->push_back(' ');
          PrintArg(ValueOfJson(v.json->items[i]), verb, depth + 1);
        }
        out_->push_back(']');
        return;
      }
      case Kind::kStringMap: {
        out_->append("map[");
        bool first = true;
        for (const storage::Label& l : v.MapEntries()) {
          if (!first) out_->push_back(' ');
          first = false;
          PrintArg(Value::Str(l.name), verb, depth + 1);
          out_->push_back(':');
          PrintArg(Value::Str(l.value), verb, depth + 1);
        }
        out_->push_back(']');
        return;
      }
      case Kind::kStruct: {
        out_->push_back('{');
        for (size_t i = 0; i < v.stype->field_names.size(); ++i) {
          if (i > 0) out_->push_back(' ');
          PrintArg(v.stype->field(v.obj, i), verb, depth + 1);
        }
        out_->push_back('}');
        return;
      }
      case Kind::kDuration:
        // A *time.Duration: its String() for the verbs fmt hands to a Stringer.
        if (verb == 'v' || verb == 's' || verb == 'x' || verb == 'X' || verb == 'q') {
          std::string s;
          AppendGoDuration(&s, v.i);
          return FmtString(v, s, verb);
        }
        return BadVerb(v, verb);
      case Kind::kNil:
        break;
    }
  }

  // Set by the evaluator: lists the labels for `.` (nullptr when the input cannot).
  const LabelLister* labels = nullptr;

 private:
  void PrintLabels(int32_t verb, int depth) {
    out_->append("map[");
    bool first = true;
    if (labels != nullptr && *labels) {
      (*labels)([&](std::string_view name, std::string_view value) {
        if (!first) out_->push_back(' ');
        first = false;
        PrintArg(Value::Str(name), verb, depth + 1);
        out_->push_back(':');
        PrintArg(Value::Str(value), verb, depth + 1);
      });
    }
    out_->push_back(']');
  }

  std::string* out_;
  Flags f_;
};

// fmt's parsenum.
bool ParseNum(std::string_view s, size_t* i, int* num) {
  bool isnum = false;
  *num = 0;
  while (*i < s.size() && s[*i] >= '0' && s[*i] <= '9') {
    if (*num > 1000000) return false;
    *num = *num * 10 + (s[*i] - '0');
    isnum = true;
    ++*i;
  }
  return isnum;
}

void Printer::Sprintf(std::string_view format, std::span<const Value> args) {
  size_t end = format.size();
  size_t arg_num = 0;
  bool after_index = false;
  bool reordered = false;
  bool good_arg_num = true;

  // argNumber: an explicit [n] index.
  auto arg_number = [&](size_t* i) {
    if (*i >= end || format[*i] != '[') return false;
    reordered = true;
    size_t close = format.find(']', *i + 1);
    if (format.size() - *i < 3 || close == std::string_view::npos) {
      good_arg_num = false;
      *i += 1;
      return false;
    }
    size_t j = *i + 1;
    int n = 0;
    bool ok = ParseNum(format, &j, &n) && j == close;
    *i = close + 1;
    if (ok && n - 1 >= 0 && static_cast<size_t>(n - 1) < args.size()) {
      arg_num = static_cast<size_t>(n - 1);
      return true;
    }
    good_arg_num = false;
    return ok;
  };
  // intFromArg: a * width or precision.
  auto int_from_arg = [&](int* num) {
    bool is_int = false;
    *num = 0;
    if (arg_num < args.size()) {
      const Value& a = args[arg_num];
      if (a.IsInteger() && a.i >= -1000000 && a.i <= 1000000) {
        *num = static_cast<int>(a.i);
        is_int = true;
      }
      ++arg_num;
    }
    return is_int;
  };

  for (size_t i = 0; i < end;) {
    good_arg_num = true;
    size_t lasti = i;
    while (i < end && format[i] != '%') ++i;
    if (i > lasti) out_->append(format.substr(lasti, i - lasti));
    if (i >= end) break;
    ++i;
    f_ = Flags{};
    bool simple_done = false;
    for (; i < end; ++i) {
      char c = format[i];
      if (c == '#') {
        f_.sharp = true;
      } else if (c == '0') {
        f_.zero = !f_.minus;
      } else if (c == '+') {
        f_.plus = true;
      } else if (c == '-') {
        f_.minus = true;
        f_.zero = false;
      } else if (c == ' ') {
        f_.space = true;
      } else {
        if (c >= 'a' && c <= 'z' && arg_num < args.size()) {
          if (c == 'v') {
            f_.sharp_v = f_.sharp;
            f_.sharp = false;
            f_.plus_v = f_.plus;
            f_.plus = false;
          }
          PrintArg(args[arg_num], c, 0);
          ++arg_num;
          ++i;
          simple_done = true;
        }
        break;
      }
    }
    if (simple_done) continue;

    after_index = arg_number(&i);
    if (i < end && format[i] == '*') {
      ++i;
      f_.wid_present = int_from_arg(&f_.wid);
      if (!f_.wid_present) out_->append("%!(BADWIDTH)");
      if (f_.wid < 0) {
        f_.wid = -f_.wid;
        f_.minus = true;
        f_.zero = false;
      }
      after_index = false;
    } else {
      f_.wid_present = ParseNum(format, &i, &f_.wid);
      if (after_index && f_.wid_present) good_arg_num = false;
    }
    if (i + 1 < end && format[i] == '.') {
      ++i;
      if (after_index) good_arg_num = false;
      after_index = arg_number(&i);
      if (i < end && format[i] == '*') {
        ++i;
        f_.prec_present = int_from_arg(&f_.prec);
        if (f_.prec < 0) {
          f_.prec = 0;
          f_.prec_present = false;
        }
        if (!f_.prec_present) out_->append("%!(BADPREC)");
        after_index = false;
      } else {
        f_.prec_present = ParseNum(format, &i, &f_.prec);
        if (!f_.prec_present) {
          f_.prec = 0;
          f_.prec_present = true;
        }
      }
    }
    if (!after_index) after_index = arg_number(&i);
    if (i >= end) {
      out_->append("%!(NOVERB)");
      break;
    }
    auto [verb, size] = RuneAt(format, i);
    i += size;
    if (verb == '%') {
      out_->push_back('%');
    } else if (!good_arg_num) {
      out_->append("%!");
      AppendUtf8(out_, static_cast<uint32_t>(verb));
      out_->append("(BADINDEX)");
    } else if (arg_num >= args.size()) {
      out_->append("%!");
      AppendUtf8(out_, static_cast<uint32_t>(verb));
      out_->append("(MISSING)");
    } else {
      if (verb == 'v') {
        f_.sharp_v = f_.sharp;
        f_.sharp = false;
        f_.plus_v = f_.plus;
        f_.plus = false;
      }
      PrintArg(args[arg_num], verb, 0);
      ++arg_num;
    }
  }
  if (!reordered && arg_num < args.size()) {
    f_ = Flags{};
    out_->append("%!(EXTRA ");
    for (size_t i = arg_num; i < args.size(); ++i) {
      if (i > arg_num) out_->append(", ");
      if (args[i].kind == Kind::kNil) {
        out_->append("<nil>");
      } else {
        out_->append(TypeName(args[i]));
        out_->push_back('=');
        PrintArg(args[i], 'v', 0);
      }
    }
    out_->push_back(')');
  }
}

Printer MakePrinter(std::string* out, const LabelLister* labels) {
  Printer p(out);
  p.labels = labels;
  return p;
}

}  // namespace

void GoPrint(std::string* out, const Value& v, const LabelLister* labels) {
  MakePrinter(out, labels).PrintV(v);
}

void GoSprint(std::string* out, std::span<const Value> args, const LabelLister* labels) {
  MakePrinter(out, labels).Sprint(args);
}

void GoSprintln(std::string* out, std::span<const Value> args, const LabelLister* labels) {
  MakePrinter(out, labels).Sprintln(args);
}

void GoSprintf(std::string* out, std::string_view format, std::span<const Value> args,
               const LabelLister* labels) {
  MakePrinter(out, labels).Sprintf(format, args);
}

}  // namespace sluice::query::logql::template_internal
