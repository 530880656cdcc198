// Go's time package as the template functions use it: the calendar, Time.Format and
// time.Parse's layouts (time.ParseDuration is go_duration.h's).
//
// Go's Local zone is taken to be UTC (as in Loki's container images); named zones other than UTC
// and Local are not known and fall back to UTC, as unknown names do in Go.
#include <chrono>
#include <cstdlib>

#include "query/logql_template_internal.h"
#include "query/promql_go.h"

namespace sluice::query::logql::template_internal {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}
int64_t FloorMod(int64_t a, int64_t b) { return a - FloorDiv(a, b) * b; }

namespace {

constexpr std::array<std::string_view, 12> kLongMonthNames = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kLongDayNames = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

}  // namespace

Civil CivilOf(const GoTime& t) {
  int64_t local = t.sec + t.offset;
  query::promql::internal::GoDate d = query::promql::internal::GoDateOf(local);
  Civil c;
  c.year = d.year;
  c.month = d.month;
  c.day = d.day;
  c.yday = d.yday + 1;
  int64_t sod = FloorMod(local, 86400);
  c.hour = static_cast<int>(sod / 3600);
  c.minute = static_cast<int>(sod % 3600 / 60);
  c.second = static_cast<int>(sod % 60);
  c.weekday = static_cast<int>(FloorMod(FloorDiv(local, 86400) + 4, 7));  // 1970-01-01: Thursday
  return c;
}

namespace {

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

int DaysIn(int month, int64_t year) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && query::promql::internal::IsLeap(year)) return 29;
  return kDays[static_cast<size_t>(month - 1)];
}

// Go's appendInt: zero-padded to `width` digits, with a leading '-' for negatives.
void AppendInt(std::string* out, int64_t x, int width) {
  uint64_t u = x < 0 ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
  if (x < 0) out->push_back('-');
  char buf[24];
  int n = 0;
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u != 0);
  for (int i = n; i < width; ++i) out->push_back('0');
  while (n > 0) out->push_back(buf[--n]);
}

// The layout elements of Go's time package (time/format.go).
enum Std : int {
  kStdNone = 0,
  kStdLongMonth,
  kStdMonth,
  kStdNumMonth,
  kStdZeroMonth,
  kStdLongWeekDay,
  kStdWeekDay,
  kStdDay,
  kStdUnderDay,
  kStdZeroDay,
  kStdUnderYearDay,
  kStdZeroYearDay,
  kStdHour,
  kStdHour12,
  kStdZeroHour12,
  kStdMinute,
  kStdZeroMinute,
  kStdSecond,
  kStdZeroSecond,
  kStdLongYear,
  kStdYear,
  kStdPM,
  kStdpm,
  kStdTZ,
  kStdISO8601TZ,
  kStdISO8601SecondsTZ,
  kStdISO8601ShortTZ,
  kStdISO8601ColonTZ,
  kStdISO8601ColonSecondsTZ,
  kStdNumTZ,
  kStdNumSecondsTz,
  kStdNumShortTZ,
  kStdNumColonTZ,
  kStdNumColonSecondsTZ,
  kStdFracSecond0,
  kStdFracSecond9,
};

struct StdChunk {
  std::string_view prefix;
  int std = kStdNone;
  int frac_digits = 0;
  char frac_sep = '.';
  std::string_view suffix;
};

bool StartsWithLower(std::string_view s) { return !s.empty() && s[0] >= 'a' && s[0] <= 'z'; }
bool IsDigitAt(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

// time.nextStdChunk.
StdChunk NextStdChunk(std::string_view layout) {
  auto chunk = [&](size_t i, int std, size_t len) {
    StdChunk c;
    c.prefix = layout.substr(0, i);
    c.std = std;
    c.suffix = layout.substr(i + len);
    return c;
  };
  auto has = [&](size_t i, std::string_view what) { return layout.substr(i).starts_with(what); };
  for (size_t i = 0; i < layout.size(); ++i) {
    switch (layout[i]) {
      case 'J':
        if (has(i, "Jan")) {
          if (has(i, "January")) return chunk(i, kStdLongMonth, 7);
          if (!StartsWithLower(layout.substr(i + 3))) return chunk(i, kStdMonth, 3);
        }
        break;
      case 'M':
        if (has(i, "Mon")) {
          if (has(i, "Monday")) return chunk(i, kStdLongWeekDay, 6);
          if (!StartsWithLower(layout.substr(i + 3))) return chunk(i, kStdWeekDay, 3);
        }
        if (has(i, "MST")) return chunk(i, kStdTZ, 3);
        break;
      case '0':
        if (i + 1 < layout.size() && layout[i + 1] >= '1' && layout[i + 1] <= '6') {
          static constexpr std::array<int, 6> kStd0x = {
              kStdZeroMonth, kStdZeroDay, kStdZeroHour12, kStdZeroMinute, kStdZeroSecond, kStdYear};
          return chunk(i, kStd0x[static_cast<size_t>(layout[i + 1] - '1')], 2);
        }
        if (has(i, "002")) return chunk(i, kStdZeroYearDay, 3);
        break;
      case '1':
        if (has(i, "15")) return chunk(i, kStdHour, 2);
        return chunk(i, kStdNumMonth, 1);
      case '2':
        if (has(i, "2006")) return chunk(i, kStdLongYear, 4);
        return chunk(i, kStdDay, 1);
      case '_':
        if (has(i, "_2")) {
          if (has(i + 1, "2006")) {  // a literal _ and the long year
            StdChunk c = chunk(i + 1, kStdLongYear, 4);
            return c;
          }
          return chunk(i, kStdUnderDay, 2);
        }
        if (has(i, "__2")) return chunk(i, kStdUnderYearDay, 3);
        break;
      case '3':
        return chunk(i, kStdHour12, 1);
      case '4':
        return chunk(i, kStdMinute, 1);
      case '5':
        return chunk(i, kStdSecond, 1);
      case 'P':
        if (has(i, "PM")) return chunk(i, kStdPM, 2);
        break;
      case 'p':
        if (has(i, "pm")) return chunk(i, kStdpm, 2);
        break;
      case '-':
        if (has(i, "-070000")) return chunk(i, kStdNumSecondsTz, 7);
        if (has(i, "-07:00:00")) return chunk(i, kStdNumColonSecondsTZ, 9);
        if (has(i, "-0700")) return chunk(i, kStdNumTZ, 5);
        if (has(i, "-07:00")) return chunk(i, kStdNumColonTZ, 6);
        if (has(i, "-07")) return chunk(i, kStdNumShortTZ, 3);
        break;
      case 'Z':
        if (has(i, "Z070000")) return chunk(i, kStdISO8601SecondsTZ, 7);
        if (has(i, "Z07:00:00")) return chunk(i, kStdISO8601ColonSecondsTZ, 9);
        if (has(i, "Z0700")) return chunk(i, kStdISO8601TZ, 5);
        if (has(i, "Z07:00")) return chunk(i, kStdISO8601ColonTZ, 6);
        if (has(i, "Z07")) return chunk(i, kStdISO8601ShortTZ, 3);
        break;
      case '.':
      case ',':
        if (i + 1 < layout.size() && (layout[i + 1] == '0' || layout[i + 1] == '9')) {
          char ch = layout[i + 1];
          size_t j = i + 1;
          while (j < layout.size() && layout[j] == ch) ++j;
          if (!IsDigitAt(layout, j)) {
            StdChunk c = chunk(i, ch == '0' ? kStdFracSecond0 : kStdFracSecond9, j - i);
            c.frac_digits = static_cast<int>(j - (i + 1));
            c.frac_sep = layout[i];
            return c;
          }
        }
        break;
      default:
        break;
    }
  }
  StdChunk c;
  c.prefix = layout;
  return c;
}

bool IsISOZone(int std) {
  return std == kStdISO8601TZ || std == kStdISO8601ColonTZ || std == kStdISO8601SecondsTZ ||
         std == kStdISO8601ShortTZ || std == kStdISO8601ColonSecondsTZ;
}

}  // namespace

void FormatTime(std::string* out, const GoTime& t, std::string_view layout) {
  Civil c = CivilOf(t);
  while (true) {
    StdChunk ch = NextStdChunk(layout);
    out->append(ch.prefix);
    if (ch.std == kStdNone) break;
    layout = ch.suffix;
    switch (ch.std) {
      case kStdYear:
        AppendInt(out, c.year % 100, 2);
        break;
      case kStdLongYear:
        AppendInt(out, c.year, 4);
        break;
      case kStdMonth:
        out->append(kLongMonthNames[static_cast<size_t>(c.month - 1)].substr(0, 3));
        break;
      case kStdLongMonth:
        out->append(kLongMonthNames[static_cast<size_t>(c.month - 1)]);
        break;
      case kStdNumMonth:
        AppendInt(out, c.month, 0);
        break;
      case kStdZeroMonth:
        AppendInt(out, c.month, 2);
        break;
      case kStdWeekDay:
        out->append(kLongDayNames[static_cast<size_t>(c.weekday)].substr(0, 3));
        break;
      case kStdLongWeekDay:
        out->append(kLongDayNames[static_cast<size_t>(c.weekday)]);
        break;
      case kStdDay:
        AppendInt(out, c.day, 0);
        break;
      case kStdUnderDay:
        if (c.day < 10) out->push_back(' ');
        AppendInt(out, c.day, 0);
        break;
      case kStdZeroDay:
        AppendInt(out, c.day, 2);
        break;
      case kStdUnderYearDay:
        if (c.yday < 100) {
          out->push_back(' ');
          if (c.yday < 10) out->push_back(' ');
        }
        AppendInt(out, c.yday, 0);
        break;
      case kStdZeroYearDay:
        AppendInt(out, c.yday, 3);
        break;
      case kStdHour:
        AppendInt(out, c.hour, 2);
        break;
      case kStdHour12:
      case kStdZeroHour12: {
        int hr = c.hour % 12;
        if (hr == 0) hr = 12;
        AppendInt(out, hr, ch.std == kStdZeroHour12 ? 2 : 0);
        break;
      }
      case kStdMinute:
      case kStdZeroMinute:
        AppendInt(out, c.minute, ch.std == kStdZeroMinute ? 2 : 0);
        break;
      case kStdSecond:
      case kStdZeroSecond:
        AppendInt(out, c.second, ch.std == kStdZeroSecond ? 2 : 0);
        break;
      case kStdPM:
        out->append(c.hour >= 12 ? "PM" : "AM");
        break;
      case kStdpm:
        out->append(c.hour >= 12 ? "pm" : "am");
        break;
      case kStdTZ:
        if (t.zone_len > 0) {
          out->append(t.ZoneName());
        } else {
          int zone = t.offset / 60;
          out->push_back(zone < 0 ? '-' : '+');
          zone = std::abs(zone);
          AppendInt(out, zone / 60, 2);
          AppendInt(out, zone % 60, 2);
        }
        break;
      case kStdFracSecond0:
      case kStdFracSecond9: {
        int n = std::min(ch.frac_digits, 9);
        bool trim = ch.std == kStdFracSecond9;
        if (trim && (n == 0 || t.nsec == 0)) break;
        std::string digits;
        AppendInt(&digits, t.nsec, 9);
        digits.resize(static_cast<size_t>(n));
        if (trim) {
          while (!digits.empty() && digits.back() == '0') digits.pop_back();
          if (digits.empty()) break;
        }
        out->push_back(ch.frac_sep);
        out->append(digits);
        break;
      }
      default: {  // numeric zones
        int std = ch.std;
        if (t.offset == 0 && IsISOZone(std)) {
          out->push_back('Z');
          break;
        }
        int zone = t.offset / 60;
        int absoffset = t.offset;
        if (zone < 0) {
          out->push_back('-');
          zone = -zone;
          absoffset = -absoffset;
        } else {
          out->push_back('+');
        }
        AppendInt(out, zone / 60, 2);
        if (std == kStdISO8601ColonTZ || std == kStdNumColonTZ ||
            std == kStdISO8601ColonSecondsTZ || std == kStdNumColonSecondsTZ) {
          out->push_back(':');
        }
        if (std != kStdNumShortTZ && std != kStdISO8601ShortTZ) AppendInt(out, zone % 60, 2);
        if (std == kStdISO8601SecondsTZ || std == kStdNumSecondsTz ||
            std == kStdNumColonSecondsTZ || std == kStdISO8601ColonSecondsTZ) {
          if (std == kStdNumColonSecondsTZ || std == kStdISO8601ColonSecondsTZ) {
            out->push_back(':');
          }
          AppendInt(out, absoffset % 60, 2);
        }
        break;
      }
    }
  }
}

void AppendTimeString(std::string* out, const GoTime& t) {
  FormatTime(out, t, "2006-01-02 15:04:05.999999999 -0700 MST");
}

namespace {

// time's getnum: one or two digits (exactly two when fixed).
bool GetNum(std::string_view* s, bool fixed, int* out) {
  if (!IsDigitAt(*s, 0)) return false;
  if (!IsDigitAt(*s, 1)) {
    if (fixed) return false;
    *out = (*s)[0] - '0';
    s->remove_prefix(1);
    return true;
  }
  *out = ((*s)[0] - '0') * 10 + ((*s)[1] - '0');
  s->remove_prefix(2);
  return true;
}

bool GetNum3(std::string_view* s, bool fixed, int* out) {
  int n = 0;
  size_t i = 0;
  for (; i < 3 && IsDigitAt(*s, i); ++i) n = n * 10 + ((*s)[i] - '0');
  if (i == 0 || (fixed && i != 3)) return false;
  *out = n;
  s->remove_prefix(i);
  return true;
}

// time's lookup: a case-insensitive (ASCII) prefix match against a table of names.
bool LookupName(std::string_view* s, std::span<const std::string_view> names, size_t len,
                int* index) {
  for (size_t i = 0; i < names.size(); ++i) {
    std::string_view name = len ? names[i].substr(0, len) : names[i];
    if (s->size() < name.size()) continue;
    bool match = true;
    for (size_t j = 0; j < name.size() && match; ++j) {
      char a = (*s)[j];
      char b = name[j];
      if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
      if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + 32);
      match = a == b;
    }
    if (match) {
      *index = static_cast<int>(i);
      s->remove_prefix(name.size());
      return true;
    }
  }
  return false;
}

// time.parseSignedOffset: the length of "+h" or "-hh" (hours up to 12) at the start of s, or 0.
size_t SignedOffsetLength(std::string_view s) {
  if (s.empty() || (s[0] != '+' && s[0] != '-')) return 0;
  size_t i = 1;
  uint64_t x = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    if (x > (uint64_t{1} << 63) / 10) return 0;
    x = x * 10 + static_cast<uint64_t>(s[i] - '0');
  }
  if (i == 1 || x > 12) return 0;
  return i;
}

// time.parseTimeZone: the length of a zone abbreviation at the start of s, or 0.
size_t ParseTimeZoneLength(std::string_view s) {
  if (s.size() < 3) return 0;
  if (s.size() >= 4 && (s.substr(0, 4) == "ChST" || s.substr(0, 4) == "MeST")) return 4;
  if (s.substr(0, 3) == "GMT") return 3 + SignedOffsetLength(s.substr(3));
  if (s[0] == '+' || s[0] == '-') return SignedOffsetLength(s);
  size_t upper = 0;
  while (upper < 6 && upper < s.size() && s[upper] >= 'A' && s[upper] <= 'Z') ++upper;
  switch (upper) {
    case 3:
      return 3;
    case 4:
      return (s[3] == 'T' || s.substr(0, 4) == "WITA") ? 4 : 0;
    case 5:
      return s[4] == 'T' ? 5 : 0;
    default:
      return 0;
  }
}

}  // namespace

std::optional<GoTime> ParseTime(std::string_view layout, std::string_view value) {
  int64_t year = 0;
  int month = -1;
  int day = -1;
  int yday = -1;
  int hour = 0;
  int minute = 0;
  int sec = 0;
  int64_t nsec = 0;
  bool am_set = false;
  bool pm_set = false;
  bool utc = false;
  int zone_offset = -1;
  bool have_offset = false;
  std::string_view zone_name;

  auto skip = [](std::string_view* v, std::string_view prefix) {
    while (!prefix.empty()) {
      if (prefix[0] == ' ') {
        if (!v->empty() && (*v)[0] != ' ') return false;
        while (!prefix.empty() && prefix[0] == ' ') prefix.remove_prefix(1);
        while (!v->empty() && (*v)[0] == ' ') v->remove_prefix(1);
        continue;
      }
      if (v->empty() || (*v)[0] != prefix[0]) return false;
      prefix.remove_prefix(1);
      v->remove_prefix(1);
    }
    return true;
  };
  // parseNanoseconds: value[0] is the separator, then ndigit-1 digits.
  auto nanos = [](std::string_view v, size_t nbytes, int64_t* ns) {
    if (v.empty() || (v[0] != '.' && v[0] != ',')) return false;
    if (nbytes > 10) nbytes = 10;
    auto n = GoParseInt(v.substr(1, nbytes - 1), 10);
    if (!n || *n < 0) return false;
    int64_t x = *n;
    for (size_t i = 0; i < 10 - nbytes; ++i) x *= 10;
    *ns = x;
    return true;
  };

  while (true) {
    StdChunk ch = NextStdChunk(layout);
    if (!skip(&value, ch.prefix)) return std::nullopt;
    if (ch.std == kStdNone) {
      if (!value.empty()) return std::nullopt;
      break;
    }
    layout = ch.suffix;
    bool ok = true;
    switch (ch.std) {
      case kStdYear: {
        if (value.size() < 2) return std::nullopt;
        auto y = GoParseInt(value.substr(0, 2), 10);
        if (!y || !IsDigitAt(value, 0)) return std::nullopt;
        value.remove_prefix(2);
        year = *y >= 69 ? *y + 1900 : *y + 2000;
        break;
      }
      case kStdLongYear: {
        if (value.size() < 4 || !IsDigitAt(value, 0)) return std::nullopt;
        auto y = GoParseInt(value.substr(0, 4), 10);
        if (!y) return std::nullopt;
        year = *y;
        value.remove_prefix(4);
        break;
      }
      case kStdMonth:
      case kStdLongMonth:
        ok = LookupName(&value, kLongMonthNames, ch.std == kStdMonth ? 3 : 0, &month);
        ++month;
        break;
      case kStdNumMonth:
      case kStdZeroMonth:
        ok = GetNum(&value, ch.std == kStdZeroMonth, &month);
        if (ok && (month <= 0 || month > 12)) return std::nullopt;
        break;
      case kStdWeekDay:
      case kStdLongWeekDay: {
        int ignored = 0;
        ok = LookupName(&value, kLongDayNames, ch.std == kStdWeekDay ? 3 : 0, &ignored);
        break;
      }
      case kStdDay:
      case kStdUnderDay:
      case kStdZeroDay:
        if (ch.std == kStdUnderDay && !value.empty() && value[0] == ' ') value.remove_prefix(1);
        ok = GetNum(&value, ch.std == kStdZeroDay, &day);
        break;
      case kStdUnderYearDay:
      case kStdZeroYearDay:
        for (int i = 0; i < 2; ++i) {
          if (ch.std == kStdUnderYearDay && !value.empty() && value[0] == ' ') {
            value.remove_prefix(1);
          }
        }
        ok = GetNum3(&value, ch.std == kStdZeroYearDay, &yday);
        break;
      case kStdHour:
        ok = GetNum(&value, false, &hour);
        if (hour < 0 || hour >= 24) return std::nullopt;
        break;
      case kStdHour12:
      case kStdZeroHour12:
        ok = GetNum(&value, ch.std == kStdZeroHour12, &hour);
        if (hour < 0 || hour > 12) return std::nullopt;
        break;
      case kStdMinute:
      case kStdZeroMinute:
        ok = GetNum(&value, ch.std == kStdZeroMinute, &minute);
        if (minute < 0 || minute >= 60) return std::nullopt;
        break;
      case kStdSecond:
      case kStdZeroSecond: {
        ok = GetNum(&value, ch.std == kStdZeroSecond, &sec);
        if (!ok) break;
        if (sec < 0 || sec >= 60) return std::nullopt;
        // A fractional second in the value that the layout does not ask for.
        if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && IsDigitAt(value, 1)) {
          int next = NextStdChunk(layout).std;
          if (next == kStdFracSecond0 || next == kStdFracSecond9) break;
          size_t n = 2;
          while (IsDigitAt(value, n)) ++n;
          if (!nanos(value, n, &nsec)) return std::nullopt;
          value.remove_prefix(n);
        }
        break;
      }
      case kStdPM:
      case kStdpm: {
        if (value.size() < 2) return std::nullopt;
        std::string_view p = value.substr(0, 2);
        value.remove_prefix(2);
        bool upper = ch.std == kStdPM;
        if (p == (upper ? "PM" : "pm")) {
          pm_set = true;
        } else if (p == (upper ? "AM" : "am")) {
          am_set = true;
        } else {
          return std::nullopt;
        }
        break;
      }
      case kStdTZ: {
        if (value.size() >= 3 && value.substr(0, 3) == "UTC") {
          utc = true;
          value.remove_prefix(3);
          break;
        }
        size_t n = ParseTimeZoneLength(value);
        if (n == 0) return std::nullopt;
        zone_name = value.substr(0, n);
        value.remove_prefix(n);
        break;
      }
      case kStdFracSecond0: {
        size_t ndigit = 1 + static_cast<size_t>(ch.frac_digits);
        if (value.size() < ndigit) return std::nullopt;
        if (!nanos(value, ndigit, &nsec)) return std::nullopt;
        value.remove_prefix(ndigit);
        break;
      }
      case kStdFracSecond9: {
        if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || !IsDigitAt(value, 1)) {
          break;  // fractional second omitted
        }
        size_t i = 0;
        while (IsDigitAt(value, i + 1)) ++i;
        if (!nanos(value, 1 + i, &nsec)) return std::nullopt;
        value.remove_prefix(1 + i);
        break;
      }
      default: {  // numeric zones
        int std = ch.std;
        if (IsISOZone(std) && !value.empty() && value[0] == 'Z') {
          value.remove_prefix(1);
          utc = true;
          break;
        }
        std::string_view sign, hh, mm, ss = "00";
        if (std == kStdISO8601ColonTZ || std == kStdNumColonTZ) {
          if (value.size() < 6 || value[3] != ':') return std::nullopt;
          sign = value.substr(0, 1);
          hh = value.substr(1, 2);
          mm = value.substr(4, 2);
          value.remove_prefix(6);
        } else if (std == kStdNumShortTZ || std == kStdISO8601ShortTZ) {
          if (value.size() < 3) return std::nullopt;
          sign = value.substr(0, 1);
          hh = value.substr(1, 2);
          mm = "00";
          value.remove_prefix(3);
        } else if (std == kStdISO8601ColonSecondsTZ || std == kStdNumColonSecondsTZ) {
          if (value.size() < 9 || value[3] != ':' || value[6] != ':') return std::nullopt;
          sign = value.substr(0, 1);
          hh = value.substr(1, 2);
          mm = value.substr(4, 2);
          ss = value.substr(7, 2);
          value.remove_prefix(9);
        } else if (std == kStdISO8601SecondsTZ || std == kStdNumSecondsTz) {
          if (value.size() < 7) return std::nullopt;
          sign = value.substr(0, 1);
          hh = value.substr(1, 2);
          mm = value.substr(3, 2);
          ss = value.substr(5, 2);
          value.remove_prefix(7);
        } else {
          if (value.size() < 5) return std::nullopt;
          sign = value.substr(0, 1);
          hh = value.substr(1, 2);
          mm = value.substr(3, 2);
          value.remove_prefix(5);
        }
        int h = 0, m = 0, s = 0;
        if (!GetNum(&hh, true, &h) || !GetNum(&mm, true, &m) || !GetNum(&ss, true, &s)) {
          return std::nullopt;
        }
        if (h > 24 || m > 60 || s > 60) return std::nullopt;
        zone_offset = (h * 60 + m) * 60 + s;
        if (sign[0] == '-') {
          zone_offset = -zone_offset;
        } else if (sign[0] != '+') {
          return std::nullopt;
        }
        have_offset = true;
        break;
      }
    }
    if (!ok) return std::nullopt;
  }
  if (pm_set && hour < 12) {
    hour += 12;
  } else if (am_set && hour == 12) {
    hour = 0;
  }
  if (yday >= 0) {
    int d = 0;
    int m = 0;
    if (query::promql::internal::IsLeap(year)) {
      if (yday == 31 + 29) {
        m = 2;
        d = 29;
      } else if (yday > 31 + 29) {
        --yday;
      }
    }
    if (yday < 1 || yday > 365) return std::nullopt;
    if (m == 0) {
      m = (yday - 1) / 31 + 1;
      static constexpr std::array<int, 13> kBefore = {0,   31,  59,  90,  120, 151, 181,
                                                      212, 243, 273, 304, 334, 365};
      if (kBefore[static_cast<size_t>(m)] < yday) ++m;
      d = yday - kBefore[static_cast<size_t>(m - 1)];
    }
    if (month >= 0 && month != m) return std::nullopt;
    month = m;
    if (day >= 0 && day != d) return std::nullopt;
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > DaysIn(month, year)) return std::nullopt;

  int64_t wall = DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + sec;
  GoTime t = TimeUnix(wall, nsec);
  if (utc) return t;
  if (have_offset) {
    t.sec -= zone_offset;
    if (zone_offset != 0 || !zone_name.empty()) t.SetZone(zone_name, zone_offset);
    return t;
  }
  if (!zone_name.empty()) {
    int offset = 0;
    if (zone_name.size() > 3 && zone_name.substr(0, 3) == "GMT") {
      offset = static_cast<int>(GoParseInt(zone_name.substr(3), 10).value_or(0)) * 3600;
    }
    t.SetZone(zone_name, offset);  // Go keeps the instant read as UTC, only showing the offset
  }
  return t;
}

GoTime NowUtc() {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::system_clock::now().time_since_epoch())
                .count();
  return TimeUnix(FloorDiv(ns, 1'000'000'000), FloorMod(ns, 1'000'000'000));
}

void AppendGoDuration(std::string* out, int64_t ns) {
  // Built from the right, as Go's Duration.format does.
  char buf[32];
  size_t w = sizeof(buf);
  bool neg = ns < 0;
  uint64_t u = neg ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  // fmtFrac: the fraction of u / 10^prec without trailing zeros (nor the point when it is 0).
  auto frac = [&](int prec) {
    bool print = false;
    for (int i = 0; i < prec; ++i) {
      auto digit = static_cast<char>(u % 10);
      print = print || digit != 0;
      if (print) buf[--w] = static_cast<char>('0' + digit);
      u /= 10;
    }
    if (print) buf[--w] = '.';
  };
  auto integer = [&](uint64_t v) {
    if (v == 0) {
      buf[--w] = '0';
      return;
    }
    for (; v > 0; v /= 10) buf[--w] = static_cast<char>('0' + v % 10);
  };
  buf[--w] = 's';
  if (u < 1'000'000'000) {
    // Under a second: the largest unit of ns, µs and ms that keeps an integer part.
    if (u == 0) {
      out->append("0s");
      return;
    }
    int prec = 0;
    if (u < 1000) {
      buf[--w] = 'n';
    } else if (u < 1'000'000) {
      prec = 3;
      buf[--w] = '\xB5';  // U+00B5 'µ'
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    frac(prec);
    integer(u);
  } else {
    frac(9);
    integer(u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      integer(u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        integer(u);
      }
    }
  }
  if (neg) buf[--w] = '-';
  out->append(buf + w, sizeof(buf) - w);
}

}  // namespace sluice::query::logql::template_internal
