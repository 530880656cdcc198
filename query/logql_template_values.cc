// The template engine's dynamically typed values, and Go's number conversions as text/template,
// spf13/cast and shopspring/decimal (sprig's arithmetic) do them.
#include <fmt/format.h>

#include <cstdlib>
#include <iterator>
#include <limits>

#include "query/go_numbers.h"
#include "query/logql_template_internal.h"
#include "query/promql_go.h"

namespace sluice::query::logql::template_internal {

// ---- Values ---------------------------------------------------------------------------------

GoTime TimeUnix(int64_t sec, int64_t nsec) {
  if (nsec < 0 || nsec >= 1'000'000'000) {
    int64_t n = nsec / 1'000'000'000;
    sec += n;
    nsec -= n * 1'000'000'000;
    if (nsec < 0) {
      nsec += 1'000'000'000;
      --sec;
    }
  }
  GoTime t;
  t.sec = sec;
  t.nsec = static_cast<int32_t>(nsec);
  return t;
}

Value ValueOfJson(const JsonNode& n) {
  Value v;
  switch (n.type) {
    case JsonNode::Type::kNull:
      v.in_interface = true;
      return v;
    case JsonNode::Type::kBool:
      return Value::Bool(n.b);
    case JsonNode::Type::kNumber:
      return Value::Float(n.n);
    case JsonNode::Type::kString:
      return Value::Str(n.str);
    case JsonNode::Type::kArray:
      v.kind = Kind::kJsonArray;
      break;
    case JsonNode::Type::kObject:
      v.kind = Kind::kJsonMap;
      break;
  }
  v.json = &n;
  return v;
}

std::string_view TypeName(const Value& v) {
  switch (v.kind) {
    case Kind::kNil:
      return "<nil>";
    case Kind::kString:
      return "string";
    case Kind::kInt:
      return "int";
    case Kind::kInt64:
      return "int64";
    case Kind::kFloat:
      return "float64";
    case Kind::kBool:
      return "bool";
    case Kind::kTime:
      return "time.Time";
    case Kind::kLabels:
      return "map[string]string";
    case Kind::kJsonMap:
      return "map[string]interface {}";
    case Kind::kJsonArray:
      return "[]interface {}";
    case Kind::kStringMap:
      return "map[string]string";
    case Kind::kStruct:
      return v.stype->type_name;
    case Kind::kDuration:
      return "*time.Duration";
  }
  return "?";
}

// ---- Go numbers -----------------------------------------------------------------------------

std::optional<uint64_t> GoParseUint(std::string_view s, int base) {
  if (s.empty()) return std::nullopt;
  std::string_view s0 = s;
  bool base0 = base == 0;
  if (base0) {
    base = 10;
    if (s[0] == '0') {
      char p = s.size() >= 3 ? static_cast<char>(s[1] | 0x20) : '\0';
      if (p == 'b') {
        base = 2;
        s.remove_prefix(2);
      } else if (p == 'o') {
        base = 8;
        s.remove_prefix(2);
      } else if (p == 'x') {
        base = 16;
        s.remove_prefix(2);
      } else {
        base = 8;
        s.remove_prefix(1);
      }
    }
  }
  uint64_t n = 0;
  bool underscores = false;
  for (char c : s) {
    int d;
    if (c == '_' && base0) {
      underscores = true;
      continue;
    } else if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') {
      d = (c | 0x20) - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (d >= base) return std::nullopt;
    if (n > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) /
                static_cast<uint64_t>(base)) {
      return std::nullopt;
    }
    n = n * static_cast<uint64_t>(base) + static_cast<uint64_t>(d);
  }
  if (underscores && !go_numbers_detail::GoUnderscoresOk(s0)) return std::nullopt;
  return n;
}

std::optional<int64_t> GoParseInt(std::string_view s, int base) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  auto u = GoParseUint(s, base);
  if (!u) return std::nullopt;
  constexpr uint64_t kCutoff = uint64_t{1} << 63;
  if (!neg && *u >= kCutoff) return std::nullopt;
  if (neg && *u > kCutoff) return std::nullopt;
  return neg ? static_cast<int64_t>(0 - *u) : static_cast<int64_t>(*u);
}

std::string FormatFloatV(double v) { return query::promql::internal::GoFormatFloatV(v); }

namespace {

// spf13/cast's trimZeroDecimal: "12.00" -> "12".
std::string_view TrimZeroDecimal(std::string_view s) {
  bool found_zero = false;
  for (size_t i = s.size(); i > 0; --i) {
    switch (s[i - 1]) {
      case '.':
        if (found_zero) return s.substr(0, i - 1);
        break;
      case '0':
        found_zero = true;
        break;
      default:
        return s;
    }
  }
  return s;
}

}  // namespace

int64_t CastToInt64(const Value& v) {
  switch (v.kind) {
    case Kind::kInt:
    case Kind::kInt64:
      return v.i;
    case Kind::kFloat:
      return GoFloatToInt64(v.f);
    case Kind::kBool:
      return v.b ? 1 : 0;
    case Kind::kString:
      return GoParseInt(TrimZeroDecimal(v.s), 0).value_or(0);
    default:
      return 0;
  }
}

double CastToFloat64(const Value& v) {
  switch (v.kind) {
    case Kind::kInt:
    case Kind::kInt64:
      return static_cast<double>(v.i);
    case Kind::kFloat:
      return v.f;
    case Kind::kBool:
      return v.b ? 1 : 0;
    case Kind::kString:
      return GoParseFloat(v.s).value_or(0);
    default:
      return 0;
  }
}

Decimal Decimal::FromDouble(double v) {
  Decimal d;
  if (v == 0) return d;
  auto digits = query::promql::internal::go_detail::ShortestDigits(v);
  d.neg_ = digits.negative;
  d.exp_ = digits.exponent - static_cast<int64_t>(digits.digits.size()) + 1;
  d.SetDigits(digits.digits);
  return d;
}

double Decimal::ToDouble() const {
  if (IsZero()) return 0;
  fmt::memory_buffer s;
  if (neg_) s.push_back('-');
  fmt::format_to(std::back_inserter(s), "{}", mag_.back());
  for (size_t i = mag_.size() - 1; i-- > 0;)
    fmt::format_to(std::back_inserter(s), "{:09d}", mag_[i]);
  fmt::format_to(std::back_inserter(s), "e{}", exp_);
  s.push_back('\0');
  return std::strtod(s.data(), nullptr);
}

Decimal Decimal::Add(const Decimal& o) const {
  int64_t e = std::min(exp_, o.exp_);
  Limbs a = MulPow10(mag_, exp_ - e);
  Limbs b = MulPow10(o.mag_, o.exp_ - e);
  Decimal r;
  r.exp_ = e;
  if (neg_ == o.neg_) {
    r.mag_ = AddMag(a, b);
    r.neg_ = neg_;
  } else if (Cmp(a, b) >= 0) {
    r.mag_ = SubMag(a, b);
    r.neg_ = neg_;
  } else {
    r.mag_ = SubMag(b, a);
    r.neg_ = o.neg_;
  }
  r.Normalize();
  return r;
}

Decimal Decimal::Negated() const {
  Decimal r = *this;
  if (!r.IsZero()) r.neg_ = !r.neg_;
  return r;
}

Decimal Decimal::Mul(const Decimal& o) const {
  Decimal r;
  r.mag_ = MulSmall(mag_, o.Small());
  r.exp_ = exp_ + o.exp_;
  r.neg_ = neg_ != o.neg_;
  r.Normalize();
  return r;
}

Decimal Decimal::Div(const Decimal& o) const {
  constexpr int64_t kPrecision = 16;
  uint64_t m2 = o.Small();
  int64_t k = exp_ - o.exp_ + kPrecision;
  Limbs q;
  bool round_up;
  if (k >= 0) {
    uint64_t rem = 0;
    q = DivSmall(MulPow10(mag_, k), m2, &rem);
    round_up = rem >= m2 - rem;  // 2*rem >= m2
  } else {
    uint64_t ignored = 0;
    // floor(m1 / (m2 * 10^-k)) == floor(floor(m1 / m2) / 10^-k)
    q = DivPow10(DivSmall(mag_, m2, &ignored), -k);
    Limbs divisor = MulPow10(MulSmall(Limbs{1}, m2), -k);
    Limbs rem = SubMag(mag_, MulPow10(MulSmall(q, m2), -k));
    round_up = Cmp(MulSmall(rem, 2), divisor) >= 0;
  }
  if (round_up) q = AddMag(q, Limbs{1});
  Decimal r;
  r.mag_ = std::move(q);
  r.exp_ = -kPrecision;
  r.neg_ = neg_ != o.neg_;
  r.Normalize();
  return r;
}

void Decimal::SetDigits(std::string_view digits) {
  mag_.clear();
  for (size_t end = digits.size(); end > 0;) {
    size_t start = end >= 9 ? end - 9 : 0;
    uint32_t limb = 0;
    for (size_t i = start; i < end; ++i) limb = limb * 10 + static_cast<uint32_t>(digits[i] - '0');
    mag_.push_back(limb);
    end = start;
  }
  Normalize();
}

uint64_t Decimal::Small() const {
  uint64_t v = 0;
  for (size_t i = mag_.size(); i-- > 0;) v = v * kBase + mag_[i];
  return v;
}

void Decimal::Normalize() {
  Trim(&mag_);
  if (mag_.empty()) {
    neg_ = false;
    exp_ = 0;
  }
}

void Decimal::Trim(Limbs* l) {
  while (!l->empty() && l->back() == 0) l->pop_back();
}

int Decimal::Cmp(const Limbs& a, const Limbs& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  for (size_t i = a.size(); i-- > 0;) {
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return 0;
}

Decimal::Limbs Decimal::AddMag(const Limbs& a, const Limbs& b) {
  Limbs r(std::max(a.size(), b.size()) + 1, 0);
  uint64_t carry = 0;
  for (size_t i = 0; i < r.size(); ++i) {
    uint64_t s = carry + (i < a.size() ? a[i] : 0) + (i < b.size() ? b[i] : 0);
    r[i] = static_cast<uint32_t>(s % kBase);
    carry = s / kBase;
  }
  Trim(&r);
  return r;
}

Decimal::Limbs Decimal::SubMag(const Limbs& a, const Limbs& b) {
  Limbs r(a.size(), 0);
  int64_t borrow = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    int64_t d = static_cast<int64_t>(a[i]) - borrow - (i < b.size() ? b[i] : 0);
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += kBase;
    r[i] = static_cast<uint32_t>(d);
  }
  Trim(&r);
  return r;
}

Decimal::Limbs Decimal::MulSmall(const Limbs& a, uint64_t m) {
  Limbs r;
  r.reserve(a.size() + 3);
  U128 carry = 0;
  for (uint32_t limb : a) {
    U128 p = static_cast<U128>(limb) * m + carry;
    r.push_back(static_cast<uint32_t>(p % kBase));
    carry = p / kBase;
  }
  while (carry != 0) {
    r.push_back(static_cast<uint32_t>(carry % kBase));
    carry /= kBase;
  }
  Trim(&r);
  return r;
}

Decimal::Limbs Decimal::DivSmall(const Limbs& a, uint64_t d, uint64_t* rem) {
  Limbs q(a.size(), 0);
  U128 r = 0;
  for (size_t i = a.size(); i-- > 0;) {
    U128 cur = r * kBase + a[i];
    q[i] = static_cast<uint32_t>(cur / d);
    r = cur % d;
  }
  *rem = static_cast<uint64_t>(r);
  Trim(&q);
  return q;
}

Decimal::Limbs Decimal::MulPow10(const Limbs& a, int64_t k) {
  if (a.empty() || k == 0) return a;
  Limbs r(static_cast<size_t>(k / 9), 0);
  r.insert(r.end(), a.begin(), a.end());
  uint64_t m = 1;
  for (int64_t i = 0; i < k % 9; ++i) m *= 10;
  return m == 1 ? r : MulSmall(r, m);
}

Decimal::Limbs Decimal::DivPow10(const Limbs& a, int64_t k) {
  if (k == 0) return a;
  if (static_cast<size_t>(k / 9) >= a.size()) return {};
  Limbs r(a.begin() + k / 9, a.end());
  uint64_t m = 1;
  for (int64_t i = 0; i < k % 9; ++i) m *= 10;
  uint64_t ignored = 0;
  return m == 1 ? r : DivSmall(r, m, &ignored);
}

}  // namespace sluice::query::logql::template_internal
