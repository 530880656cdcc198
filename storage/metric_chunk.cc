#include "storage/metric_chunk.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <numeric>
#include <utility>

#include "base/coding.h"

namespace sluice::storage {
namespace {

constexpr uint8_t kChunkVersion = 1;
enum ValueEncoding : uint8_t { kXor = 0, kDecimal = 1 };

constexpr int kMaxExponent = 22;  // 10^22 is the largest power of ten a double holds exactly
constexpr double kPow10[kMaxExponent + 1] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                             1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                             1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr int64_t kMaxMantissa = (int64_t{1} << 53) - 1;
constexpr double kTwo53 = 9007199254740992.0;

// Every sealed-chunk token covers at most this many samples, which bounds count by chunk size.
constexpr size_t kMaxRun = 128;
constexpr uint64_t kMaxSamplesPerByte = 64;

Status Corrupt(std::string_view what) {
  return Status::Corruption(fmt::format("corrupt metric chunk: {}", what));
}

uint64_t UnsignedAbs(int64_t v) { return v < 0 ? 0 - static_cast<uint64_t>(v) : v; }

// m * 10^e. With |m| < 2^53 and |e| <= 22 both operands are exact, so IEEE rounding makes this the
// double nearest to the decimal, the same one a correctly rounding parser gives.
double DecimalToDouble(int64_t m, int e) {
  return e >= 0 ? static_cast<double>(m) * kPow10[e] : static_cast<double>(m) / kPow10[-e];
}

// A decimal form of `v` with |m| < 2^53, found by trying the exponents in turn; false when there
// is none (NaN, ±Inf, -0.0, values with too many digits). Zero gets e = kNoExponent: it fits any.
constexpr int kNoExponent = std::numeric_limits<int>::max();
bool ToDecimal(double v, int64_t* m, int* e) {
  if (v == 0) {
    *m = 0;
    *e = kNoExponent;
    return !std::signbit(v);
  }
  double a = std::fabs(v);
  if (!(a < std::numeric_limits<double>::infinity())) return false;
  if (a < kTwo53) {
    if (v == std::trunc(v)) {
      *m = static_cast<int64_t>(v);
      *e = 0;
      return true;
    }
    for (int k = 1; k <= kMaxExponent; ++k) {
      double scaled = v * kPow10[k];
      if (std::fabs(scaled) >= kTwo53) return false;
      double r = std::nearbyint(scaled);
      if (r / kPow10[k] == v) {
        *m = static_cast<int64_t>(r);
        *e = -k;
        return true;
      }
    }
    return false;
  }
  for (int k = 1; k <= kMaxExponent; ++k) {
    double r = std::nearbyint(v / kPow10[k]);
    if (std::fabs(r) < kTwo53 && r * kPow10[k] == v) {
      *m = static_cast<int64_t>(r);
      *e = k;
      return true;
    }
  }
  return false;
}

// ---- Bit streams (most significant bit first, as Prometheus' bstream).

// Writes the low `nbits` (1..64) of `value` at bit `pos` of `data`, which must have room. Bits
// after `pos` in its byte must be zero; bytes after it may hold anything (they are assigned).
void WriteBitsAt(uint8_t* data, uint64_t pos, uint64_t value, int nbits) {
  if (nbits < 64) value &= (uint64_t{1} << nbits) - 1;
  size_t byte = pos >> 3;
  int used = static_cast<int>(pos & 7);
  int free = 8 - used;
  uint8_t first = used == 0 ? 0 : data[byte];
  if (nbits <= free) {
    data[byte] = static_cast<uint8_t>(first | (value << (free - nbits)));
    return;
  }
  nbits -= free;
  data[byte++] = static_cast<uint8_t>(first | (value >> nbits));
  while (nbits >= 8) {
    nbits -= 8;
    data[byte++] = static_cast<uint8_t>(value >> nbits);
  }
  if (nbits > 0) data[byte] = static_cast<uint8_t>(value << (8 - nbits));
}

class BitReader {
 public:
  BitReader(const uint8_t* data, uint64_t size_bits) : data_(data), size_bits_(size_bits) {}

  // The next 64 bits, zeros past the end.
  uint64_t Peek() const {
    size_t byte = pos_ >> 3;
    size_t size = (size_bits_ + 7) >> 3;
    int shift = static_cast<int>(pos_ & 7);
    uint64_t w = 0;
    if (byte + 9 <= size) {
      std::memcpy(&w, data_ + byte, 8);
      w = __builtin_bswap64(w);
      if (shift > 0) w = (w << shift) | (data_[byte + 8] >> (8 - shift));
      return w;
    }
    for (size_t i = 0; i < 9; ++i) {
      uint64_t b = byte + i < size ? data_[byte + i] : 0;
      int at = 56 - 8 * static_cast<int>(i) + shift;  // where the byte's lowest bit lands
      w |= at >= 0 ? b << at : b >> -at;
    }
    return w;
  }
  // False (and nothing consumed) when fewer than `nbits` (0..64) bits remain.
  bool Read(int nbits, uint64_t* value) {
    if (static_cast<uint64_t>(nbits) > size_bits_ - pos_) return false;
    *value = nbits == 0 ? 0 : Peek() >> (64 - nbits);
    pos_ += static_cast<uint64_t>(nbits);
    return true;
  }
  bool ReadBit(bool* bit) {
    if (pos_ == size_bits_) return false;
    *bit = (data_[pos_ >> 3] >> (7 - (pos_ & 7))) & 1;
    ++pos_;
    return true;
  }
  uint64_t remaining() const { return size_bits_ - pos_; }
  void Skip(int nbits) { pos_ += static_cast<uint64_t>(nbits); }  // at most remaining()
  uint64_t position() const { return pos_; }

 private:
  const uint8_t* data_;
  uint64_t size_bits_;
  uint64_t pos_ = 0;
};

// Appends bits to a std::string, for the value stream of sealed chunks.
class StringBitWriter {
 public:
  explicit StringBitWriter(std::string* out) : out_(out), start_(out->size()) {}
  void Write(uint64_t value, int nbits) {
    size_t need = start_ + static_cast<size_t>((pos_ + static_cast<uint64_t>(nbits) + 7) >> 3);
    if (out_->size() < need) out_->resize(need);
    WriteBitsAt(reinterpret_cast<uint8_t*>(out_->data() + start_), pos_, value, nbits);
    pos_ += static_cast<uint64_t>(nbits);
  }

 private:
  std::string* out_;
  size_t start_;
  uint64_t pos_ = 0;
};

// Gorilla's value encoding: '0' for an unchanged value; '10' and the meaningful bits when the XOR
// fits the previous window of leading/trailing zeros; else '11', 5 bits of leading zeros, 6 of
// meaningful bits (64 written as 0) and the bits.
template <typename Write>
void WriteXorValue(Write write, uint64_t bits, uint64_t previous, uint8_t* leading,
                   uint8_t* trailing) {
  uint64_t x = bits ^ previous;
  if (x == 0) {
    write(0, 1);
    return;
  }
  int lead = std::min(std::countl_zero(x), 31);  // 5 bits hold at most 31
  int trail = std::countr_zero(x);
  if (*leading != 0xff && lead >= *leading && trail >= *trailing) {
    write(0b10, 2);
    write(x >> *trailing, 64 - *leading - *trailing);
    return;
  }
  *leading = static_cast<uint8_t>(lead);
  *trailing = static_cast<uint8_t>(trail);
  int sig = 64 - lead - trail;
  write(
      (uint64_t{0b11} << 11) | (static_cast<uint64_t>(lead) << 6) | static_cast<uint64_t>(sig & 63),
      13);
  write(x >> trail, sig);
}

bool ReadXorValue(BitReader& r, uint64_t* value, uint8_t* leading, uint8_t* trailing) {
  bool changed = false;
  if (!r.ReadBit(&changed)) return false;
  if (!changed) return true;
  bool new_window = false;
  if (!r.ReadBit(&new_window)) return false;
  if (new_window) {
    uint64_t header = 0;
    if (!r.Read(11, &header)) return false;
    int lead = static_cast<int>(header >> 6);
    int sig = static_cast<int>(header & 63);
    if (sig == 0) sig = 64;
    if (lead + sig > 64) return false;
    *leading = static_cast<uint8_t>(lead);
    *trailing = static_cast<uint8_t>(64 - lead - sig);
  } else if (*leading == 0xff) {
    return false;  // a window is reused before one was set
  }
  uint64_t bits = 0;
  if (!r.Read(64 - *leading - *trailing, &bits)) return false;
  *value ^= bits << *trailing;
  return true;
}

// Delta-of-delta buckets (Prometheus' millisecond variant of Gorilla's): does `x` fit `nbits`?
bool BitRange(int64_t x, int nbits) {
  return -((int64_t{1} << (nbits - 1)) - 1) <= x && x <= (int64_t{1} << (nbits - 1));
}

// ---- Integer sequences of sealed chunks.

size_t VarintLength(uint64_t v) { return 1 + static_cast<size_t>((std::bit_width(v | 1) - 1) / 7); }

enum Transform : int { kValues = 0, kDeltas = 1, kMinusBase = 2 };
// Rice codes: q = u >> k in unary (ones, then a zero), then the k low bits; from kRiceEscape ones
// on, 6 bits of bit width and the bits, so that an outlier costs ~30 bits rather than millions.
constexpr int kRiceEscape = 16;
constexpr int kMaxRiceK = 56;

struct Scratch {
  std::vector<int64_t> ints;
  std::vector<int64_t> sorted;
  std::vector<uint64_t> trial, best;  // zigzagged transforms of an int_seq
  std::vector<int64_t> mantissas;     // of the values that are not exceptions, in order
  std::vector<int> exponents;
  std::vector<uint32_t> exceptions;  // indices of values stored as raw bits
};

// What a transform of an int_seq would cost: the mean of its zigzagged values (capped at 2^52
// each), which places the Rice parameter, and its size as tokens (what PutTokens writes).
struct TransformCost {
  double mean = 0;
  size_t token_bytes = 0;
};

// Fills `u` with the zigzagged transform of `q` and measures it, in one pass.
TransformCost ApplyTransform(const std::vector<int64_t>& q, Transform t, int64_t base,
                             std::vector<uint64_t>* u) {
  u->resize(q.size());
  uint64_t* out = u->data();
  uint64_t previous = 0;
  double sum = 0;
  size_t bytes = 0;
  size_t run = 0;  // zeros in a row, written as run tokens
  auto flush_run = [&] {
    bytes += run / kMaxRun * 2 + (run % kMaxRun == 0 ? 0 : run % kMaxRun == 1 ? 1 : 2);
    run = 0;
  };
  for (int64_t x : q) {
    auto ux = static_cast<uint64_t>(x);
    uint64_t v = t == kValues   ? ux
                 : t == kDeltas ? ux - previous
                                : ux - static_cast<uint64_t>(base);
    previous = ux;
    uint64_t z = ZigZagEncode(static_cast<int64_t>(v));
    sum += static_cast<double>(std::min(z, uint64_t{1} << 52));
    *out++ = z;
    if (z == 0) {
      ++run;
      continue;
    }
    flush_run();
    bytes += z == ~uint64_t{0} ? 2 : VarintLength(z + 1);
  }
  flush_run();
  return TransformCost{sum / static_cast<double>(q.size()), bytes};
}

void PutTokens(const std::vector<uint64_t>& u, std::string* out) {
  size_t run = 0;
  auto flush_run = [&] {
    while (run > 0) {
      size_t n = std::min(run, kMaxRun);
      if (n == 1) {
        out->push_back(1);
      } else {
        out->push_back(0);
        out->push_back(static_cast<char>(n - 1));
      }
      run -= n;
    }
  };
  for (uint64_t x : u) {
    if (x == 0) {
      ++run;
      continue;
    }
    flush_run();
    if (x == ~uint64_t{0}) {
      out->append(2, '\0');  // INT64_MIN
    } else {
      PutVarint(out, x + 1);
    }
  }
  flush_run();
}

// Bits of the Rice codes of `u` for each parameter in `k`.
template <size_t N>
void RiceBits(const std::vector<uint64_t>& u, const int (&k)[N], uint64_t (&bits)[N]) {
  for (size_t j = 0; j < N; ++j) bits[j] = 0;
  for (uint64_t x : u) {
    // Both costs computed and one selected without a branch: which applies varies from value
    // to value, and mispredictions were most of the encoder's time.
    uint64_t escaped = kRiceEscape + 6 + static_cast<uint64_t>(std::bit_width(x));
    for (size_t j = 0; j < N; ++j) {
      uint64_t q = x >> k[j];
      uint64_t coded = q + 1 + static_cast<uint64_t>(k[j]);
      bits[j] += q < kRiceEscape ? coded : escaped;
    }
  }
}

void PutRice(const std::vector<uint64_t>& u, int k, std::string* out) {
  out->push_back(static_cast<char>(k));
  StringBitWriter w(out);
  for (uint64_t x : u) {
    uint64_t q = x >> k;
    if (q < kRiceEscape) {
      w.Write((uint64_t{1} << (q + 1)) - 2, static_cast<int>(q) + 1);
      if (k > 0) w.Write(x, k);
    } else {
      int width = std::bit_width(x);
      w.Write((((uint64_t{1} << kRiceEscape) - 1) << 6) | static_cast<uint64_t>(width - 1),
              kRiceEscape + 6);
      w.Write(x, width);
    }
  }
}

// The element at index size/2 of `d` sorted (not empty). Most int_seqs have a value that fills
// more than half of them (a scrape interval, a counter's steady rate), which is then the median:
// found in two passes (Boyer-Moore's majority vote, then a count) rather than by a selection,
// which was a quarter of the encoder's time.
int64_t Median(const std::vector<int64_t>& d, std::vector<int64_t>& scratch) {
  int64_t candidate = d.front();
  size_t votes = 0;
  for (int64_t x : d) {
    if (votes == 0) {
      candidate = x;
      votes = 1;
    } else if (x == candidate) {
      ++votes;
    } else {
      --votes;
    }
  }
  if (static_cast<size_t>(std::count(d.begin(), d.end(), candidate)) > d.size() / 2) {
    return candidate;
  }
  scratch.assign(d.begin(), d.end());
  auto middle = scratch.begin() + static_cast<ptrdiff_t>(scratch.size() / 2);
  std::nth_element(scratch.begin(), middle, scratch.end());
  return *middle;
}

// Encodes `d` (not empty; divided by its gcd in place): the transform and code that take the
// fewest bytes.
void PutIntSeq(std::vector<int64_t>& d, Scratch& s, std::string* out) {
  uint64_t g = 0;
  for (int64_t v : d) {
    if (v == std::numeric_limits<int64_t>::min()) {
      g = 1;
      break;
    }
    g = std::gcd(g, UnsignedAbs(v));
    if (g == 1) break;
  }
  if (g == 0 || g > (uint64_t{1} << 60)) g = 1;
  if (g > 1) {
    for (int64_t& v : d) v /= static_cast<int64_t>(g);
  }
  // The median: deltas scatter around a rate (counters, scrape intervals) and what is left after
  // subtracting it is small.
  int64_t base = Median(d, s.sorted);

  size_t best_bytes = std::numeric_limits<size_t>::max();
  Transform best_transform = kValues;
  int best_k = -1;  // -1: tokens
  for (Transform t : {kValues, kDeltas, kMinusBase}) {
    if (t == kMinusBase && base == 0) continue;
    TransformCost cost = ApplyTransform(d, t, base, &s.trial);
    size_t header = t == kMinusBase ? VarintLength(ZigZagEncode(base)) : 0;
    bool improved = false;
    size_t tokens = header + cost.token_bytes;
    if (tokens < best_bytes) {
      best_bytes = tokens;
      best_transform = t;
      best_k = -1;
      improved = true;
    }
    // Rice parameters around log2 of the mean, where the optimum lies for geometric-like data.
    int center =
        std::min(static_cast<int>(std::bit_width(static_cast<uint64_t>(cost.mean))), kMaxRiceK);
    const int candidates[] = {0, std::max(center - 2, 0), std::max(center - 1, 0), center};
    uint64_t bits[std::size(candidates)];
    RiceBits(s.trial, candidates, bits);
    for (size_t i = 0; i < std::size(candidates); ++i) {
      size_t rice = header + 1 + static_cast<size_t>((bits[i] + 7) / 8);
      if (rice < best_bytes) {
        best_bytes = rice;
        best_transform = t;
        best_k = candidates[i];
        improved = true;
      }
    }
    if (improved) std::swap(s.trial, s.best);
  }
  PutVarint(out, (g << 3) | (static_cast<uint64_t>(best_transform) << 1) | (best_k >= 0 ? 1 : 0));
  if (best_transform == kMinusBase) PutVarint(out, ZigZagEncode(base));
  if (best_k >= 0) {
    PutRice(s.best, best_k, out);
  } else {
    PutTokens(s.best, out);
  }
}

// Reads an int_seq of `k` values, calling `sink(uint64_t d)` for each (wrapping arithmetic: the
// caller validates). False when malformed; `sink` returning false stops with false.
template <typename Sink>
bool GetIntSeq(std::string_view& in, uint64_t k, Sink sink) {
  uint64_t header = 0;
  if (!GetVarint(in, &header) || (header >> 3) == 0) return false;
  uint64_t g = header >> 3;
  auto transform = static_cast<int>((header >> 1) & 3);
  bool rice = (header & 1) != 0;
  uint64_t base = 0;
  if (transform == kMinusBase) {
    if (!GetVarint(in, &base)) return false;
    base = static_cast<uint64_t>(ZigZagDecode(base));
  } else if (transform != kValues && transform != kDeltas) {
    return false;
  }
  uint64_t acc = 0;
  auto emit = [&](uint64_t v) {
    acc = transform == kValues ? v : transform == kDeltas ? acc + v : base + v;
    return sink(acc * g);
  };
  if (rice) {
    if (in.empty()) return false;
    int rk = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (rk > kMaxRiceK) return false;
    BitReader r(reinterpret_cast<const uint8_t*>(in.data()), uint64_t{in.size()} * 8);
    for (uint64_t i = 0; i < k; ++i) {
      uint64_t w = r.Peek();
      int ones = std::countl_one(w);  // the unary part, up to kRiceEscape
      uint64_t u = 0;
      if (ones < kRiceEscape) {
        int n = ones + 1 + rk;  // up to 16 + 1 + 56 bits: usually all within `w`
        if (static_cast<uint64_t>(n) > r.remaining()) return false;
        if (n <= 64) {
          uint64_t low = rk == 0 ? 0 : (w << (ones + 1)) >> (64 - rk);
          u = (static_cast<uint64_t>(ones) << rk) | low;
          r.Skip(n);
        } else {
          r.Skip(ones + 1);
          uint64_t low = 0;
          (void)r.Read(rk, &low);
          u = (static_cast<uint64_t>(ones) << rk) | low;
        }
      } else {
        if (r.remaining() < kRiceEscape) return false;
        r.Skip(kRiceEscape);
        uint64_t width = 0;
        if (!r.Read(6, &width) || !r.Read(static_cast<int>(width) + 1, &u)) return false;
      }
      if (!emit(static_cast<uint64_t>(ZigZagDecode(u)))) return false;
    }
    in.remove_prefix(static_cast<size_t>((r.position() + 7) / 8));
    return true;
  }
  uint64_t produced = 0;
  while (produced < k) {
    uint64_t t = 0;
    if (!GetVarint(in, &t)) return false;
    if (t >= 2) {
      if (!emit(static_cast<uint64_t>(ZigZagDecode(t - 1)))) return false;
      ++produced;
      continue;
    }
    if (t == 1) {
      if (!emit(0)) return false;
      ++produced;
      continue;
    }
    if (in.empty()) return false;
    auto r = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (r == 0) {
      if (!emit(uint64_t{1} << 63)) return false;
      ++produced;
    } else if (r < kMaxRun) {
      if (r + 1u > k - produced) return false;
      for (unsigned i = 0; i <= r; ++i) {
        if (!emit(0)) return false;
      }
      produced += r + 1u;
    } else {
      return false;
    }
  }
  return true;
}

// ---- Value encodings of sealed chunks.

// Fills scratch.mantissas/exceptions and returns the common exponent when the decimal encoding
// applies; false when too many values have no decimal form or the exponents are too far apart.
bool ToDecimals(std::span<const Sample> samples, Scratch& s, int* exponent) {
  s.mantissas.clear();
  s.exponents.clear();
  s.exceptions.clear();
  // A value without a decimal form costs ~10 bytes as an exception, about what XOR spends on a
  // value that changes unpredictably; with more of them XOR is the better bet.
  size_t max_exceptions = std::max<size_t>(1, samples.size() / 8);
  int e = kNoExponent;
  for (size_t i = 0; i < samples.size(); ++i) {
    int64_t m = 0;
    int ei = 0;
    if (!ToDecimal(samples[i].value, &m, &ei)) {
      s.exceptions.push_back(static_cast<uint32_t>(i));
      if (s.exceptions.size() > max_exceptions) return false;
      continue;
    }
    // Trailing zeros go into the exponent, so that values far apart in magnitude (1e20, 3e21)
    // still share one within 2^53.
    while (m != 0 && m % 10 == 0 && ei < kMaxExponent) {
      m /= 10;
      ++ei;
    }
    s.mantissas.push_back(m);
    s.exponents.push_back(ei);
    e = std::min(e, ei);
  }
  if (s.mantissas.empty()) return false;
  if (e == kNoExponent) e = 0;  // all zeros
  static constexpr int64_t kIntPow10[] = {1,
                                          10,
                                          100,
                                          1000,
                                          10000,
                                          100000,
                                          1000000,
                                          10000000,
                                          100000000,
                                          1000000000,
                                          10000000000,
                                          100000000000,
                                          1000000000000,
                                          10000000000000,
                                          100000000000000,
                                          1000000000000000};
  constexpr int kMaxScale = static_cast<int>(std::size(kIntPow10)) - 1;
  for (size_t i = 0; i < s.mantissas.size(); ++i) {
    int64_t& m = s.mantissas[i];
    if (m == 0 || s.exponents[i] == e) continue;
    int scale = s.exponents[i] - e;
    if (scale > kMaxScale ||
        UnsignedAbs(m) > static_cast<uint64_t>(kMaxMantissa / kIntPow10[scale])) {
      return false;
    }
    m *= kIntPow10[scale];
  }
  // The scaling argument says this holds; checking costs a division per value and makes the
  // round trip a property of the encoder rather than of a proof.
  size_t exception = 0, regular = 0;
  for (size_t i = 0; i < samples.size(); ++i) {
    if (exception < s.exceptions.size() && s.exceptions[exception] == i) {
      ++exception;
      continue;
    }
    double back = DecimalToDouble(s.mantissas[regular++], e);
    if (std::bit_cast<uint64_t>(back) != std::bit_cast<uint64_t>(samples[i].value)) return false;
  }
  *exponent = e;
  return true;
}

void PutDecimalValues(std::span<const Sample> samples, Scratch& s, int exponent, std::string* out) {
  PutVarint(out, ZigZagEncode(exponent));
  PutVarint(out, s.exceptions.size());
  uint32_t next = 0;
  for (uint32_t i : s.exceptions) {
    PutVarint(out, i - next);
    next = i + 1;
    uint64_t bits = std::bit_cast<uint64_t>(samples[i].value);
    char buf[8];
    for (char& c : buf) {
      c = static_cast<char>(bits & 0xff);
      bits >>= 8;
    }
    out->append(buf, 8);
  }
  PutVarint(out, ZigZagEncode(s.mantissas.front()));
  if (s.mantissas.size() < 2) return;
  s.ints.clear();
  for (size_t i = 1; i < s.mantissas.size(); ++i) {
    s.ints.push_back(s.mantissas[i] - s.mantissas[i - 1]);
  }
  PutIntSeq(s.ints, s, out);
}

void PutXorValues(std::span<const Sample> samples, std::string* out) {
  StringBitWriter w(out);
  uint64_t previous = std::bit_cast<uint64_t>(samples.front().value);
  w.Write(previous, 64);
  uint8_t leading = 0xff, trailing = 0;
  for (size_t i = 1; i < samples.size(); ++i) {
    uint64_t bits = std::bit_cast<uint64_t>(samples[i].value);
    WriteXorValue([&w](uint64_t v, int n) { w.Write(v, n); }, bits, previous, &leading, &trailing);
    previous = bits;
  }
}

bool GetFixed64LE(std::string_view& in, uint64_t* v) {
  if (in.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 7; i >= 0; --i) r = (r << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  *v = r;
  return true;
}

// Parses the header; `rest` is what follows the value_encoding byte.
bool ParseHeader(std::string_view chunk, ChunkHeader* header, uint8_t* encoding,
                 std::string_view* rest) {
  if (chunk.empty() || static_cast<uint8_t>(chunk[0]) != kChunkVersion) return false;
  std::string_view in = chunk.substr(1);
  uint64_t count = 0, min_zz = 0, span = 0;
  if (!GetVarint(in, &count) || !GetVarint(in, &min_zz) || !GetVarint(in, &span) || in.empty()) {
    return false;
  }
  // Each token of a chunk covers at most kMaxRun samples, so a chunk cannot hold more samples
  // than this; a damaged count cannot make a reader allocate more.
  if (count > std::numeric_limits<uint32_t>::max() || count > kMaxSamplesPerByte * chunk.size()) {
    return false;
  }
  int64_t min_ts = ZigZagDecode(min_zz);
  uint64_t room =
      static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) - static_cast<uint64_t>(min_ts);
  if (span > room || (count < 2 && span != 0)) return false;
  header->count = static_cast<uint32_t>(count);
  header->min_ts = min_ts;
  header->max_ts = static_cast<int64_t>(static_cast<uint64_t>(min_ts) + span);
  *encoding = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  *rest = in;
  return true;
}

Status DecodeTimestamps(std::string_view& in, const ChunkHeader& h, Sample* out) {
  out[0].timestamp_ms = h.min_ts;
  if (h.count < 2) return Status::Ok();
  uint64_t span = static_cast<uint64_t>(h.max_ts) - static_cast<uint64_t>(h.min_ts);
  uint64_t offset = 0;
  size_t i = 1;
  bool ok = GetIntSeq(in, h.count - 1, [&](uint64_t d) {
    if (d == 0 || d > span - offset) return false;
    offset += d;
    out[i++].timestamp_ms = static_cast<int64_t>(static_cast<uint64_t>(h.min_ts) + offset);
    return true;
  });
  if (!ok) return Corrupt("bad timestamps");
  if (offset != span) return Corrupt("timestamps do not end at the chunk's maximum");
  return Status::Ok();
}

Status DecodeDecimalValues(std::string_view& in, uint32_t count, Sample* out) {
  uint64_t e_zz = 0, exception_count = 0;
  if (!GetVarint(in, &e_zz) || !GetVarint(in, &exception_count)) return Corrupt("truncated");
  int64_t e = ZigZagDecode(e_zz);
  if (e < -kMaxExponent || e > kMaxExponent) return Corrupt("decimal exponent out of range");
  if (exception_count >= count) return Corrupt("too many exceptions");
  // Validated here, applied while the regular values are filled in.
  std::string_view exceptions = in;
  uint64_t next = 0;
  for (uint64_t j = 0; j < exception_count; ++j) {
    uint64_t gap = 0, bits = 0;
    if (!GetVarint(in, &gap) || gap >= count - next || !GetFixed64LE(in, &bits)) {
      return Corrupt("bad exceptions");
    }
    next += gap + 1;
  }
  uint64_t first_zz = 0;
  if (!GetVarint(in, &first_zz)) return Corrupt("truncated mantissas");
  uint64_t regular = count - exception_count;
  uint64_t next_exception = count;  // index of the next exception, count when none is left
  uint64_t exceptions_left = exception_count;
  auto advance_exception = [&](uint64_t from) {
    if (exceptions_left == 0) {
      next_exception = count;
      return;
    }
    uint64_t gap = 0, bits = 0;
    (void)GetVarint(exceptions, &gap);
    (void)GetFixed64LE(exceptions, &bits);
    --exceptions_left;
    next_exception = from + gap;
    out[next_exception].value = std::bit_cast<double>(bits);
  };
  advance_exception(0);
  uint64_t i = 0;
  // Places the next regular value, stepping over exceptions.
  auto place = [&](int64_t m) {
    if (m > kMaxMantissa || m < -kMaxMantissa) return false;
    while (i == next_exception) advance_exception(++i);
    if (i >= count) return false;
    out[i++].value = DecimalToDouble(m, static_cast<int>(e));
    return true;
  };
  auto m = static_cast<uint64_t>(ZigZagDecode(first_zz));
  if (!place(static_cast<int64_t>(m))) return Corrupt("mantissa out of range");
  if (regular >= 2 && !GetIntSeq(in, regular - 1, [&](uint64_t d) {
        m += d;
        return place(static_cast<int64_t>(m));
      })) {
    return Corrupt("bad mantissas");
  }
  // Exceptions after the last regular value.
  while (i == next_exception && i < count) advance_exception(++i);
  return Status::Ok();
}

Status DecodeXorValues(std::string_view& in, uint32_t count, Sample* out) {
  BitReader r(reinterpret_cast<const uint8_t*>(in.data()), uint64_t{in.size()} * 8);
  uint64_t bits = 0;
  if (!r.Read(64, &bits)) return Corrupt("truncated values");
  out[0].value = std::bit_cast<double>(bits);
  uint8_t leading = 0xff, trailing = 0;
  for (uint32_t i = 1; i < count; ++i) {
    if (!ReadXorValue(r, &bits, &leading, &trailing)) return Corrupt("bad XOR values");
    out[i].value = std::bit_cast<double>(bits);
  }
  in.remove_prefix(static_cast<size_t>((r.position() + 7) / 8));
  return Status::Ok();
}

}  // namespace

// ---- XorChunk

XorChunk::XorChunk(const XorChunk& other)
    : count_(other.count_),
      leading_(other.leading_),
      trailing_(other.trailing_),
      first_ts_(other.first_ts_),
      last_ts_(other.last_ts_),
      last_delta_(other.last_delta_),
      last_value_bits_(other.last_value_bits_) {
  size_t bytes = (other.bit_size_ + 7) / 8;
  if (bytes > 0) {
    Grow(bytes);
    std::memcpy(data_, other.data_, bytes);
  }
  bit_size_ = other.bit_size_;
}

XorChunk& XorChunk::operator=(const XorChunk& other) {
  if (this != &other) *this = XorChunk(other);
  return *this;
}

XorChunk::XorChunk(XorChunk&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      capacity_(std::exchange(other.capacity_, 0)),
      bit_size_(other.bit_size_),
      count_(other.count_),
      leading_(other.leading_),
      trailing_(other.trailing_),
      first_ts_(other.first_ts_),
      last_ts_(other.last_ts_),
      last_delta_(other.last_delta_),
      last_value_bits_(other.last_value_bits_) {
  other.Clear();
}

XorChunk& XorChunk::operator=(XorChunk&& other) noexcept {
  if (this != &other) {
    std::free(data_);
    data_ = std::exchange(other.data_, nullptr);
    capacity_ = std::exchange(other.capacity_, 0);
    bit_size_ = other.bit_size_;
    count_ = other.count_;
    leading_ = other.leading_;
    trailing_ = other.trailing_;
    first_ts_ = other.first_ts_;
    last_ts_ = other.last_ts_;
    last_delta_ = other.last_delta_;
    last_value_bits_ = other.last_value_bits_;
    other.Clear();
  }
  return *this;
}

XorChunk::~XorChunk() { std::free(data_); }

void XorChunk::Clear() {
  bit_size_ = 0;
  count_ = 0;
  leading_ = 0xff;
  trailing_ = 0;
  first_ts_ = last_ts_ = 0;
  last_delta_ = 0;
  last_value_bits_ = 0;
}

void XorChunk::Grow(size_t min_bytes) {
  // Half again, in steps of 8 bytes: a chunk of 120 scraped samples ends near 200 bytes.
  size_t capacity = std::max<size_t>({min_bytes, capacity_ + capacity_ / 2, 16});
  capacity = (capacity + 7) & ~size_t{7};
  void* grown = std::realloc(data_, capacity);
  if (grown == nullptr) throw std::bad_alloc();
  data_ = static_cast<uint8_t*>(grown);
  capacity_ = static_cast<uint32_t>(capacity);
}

void XorChunk::WriteBits(uint64_t value, int nbits) {
  size_t need = (size_t{bit_size_} + static_cast<size_t>(nbits) + 7) / 8;
  if (need > capacity_) Grow(need);
  WriteBitsAt(data_, bit_size_, value, nbits);
  bit_size_ += static_cast<uint32_t>(nbits);
}

void XorChunk::Append(int64_t timestamp_ms, double value) {
  uint64_t bits = std::bit_cast<uint64_t>(value);
  if (count_ == 0) {
    first_ts_ = last_ts_ = timestamp_ms;
    last_delta_ = 0;
    leading_ = 0xff;
    trailing_ = 0;
    WriteBits(bits, 64);
    last_value_bits_ = bits;
    count_ = 1;
    return;
  }
  // The first delta is coded as a delta-of-delta against 0: one code path, and 15 s fit the
  // 17-bit bucket (20 bits, where Prometheus spends a 3-byte varint).
  uint64_t delta = static_cast<uint64_t>(timestamp_ms) - static_cast<uint64_t>(last_ts_);
  auto dod = static_cast<int64_t>(delta - last_delta_);
  auto dod_bits = static_cast<uint64_t>(dod);
  if (dod == 0) {
    WriteBits(0, 1);
  } else if (BitRange(dod, 14)) {
    WriteBits((uint64_t{0b10} << 14) | (dod_bits & 0x3fff), 16);
  } else if (BitRange(dod, 17)) {
    WriteBits((uint64_t{0b110} << 17) | (dod_bits & 0x1ffff), 20);
  } else if (BitRange(dod, 20)) {
    WriteBits((uint64_t{0b1110} << 20) | (dod_bits & 0xfffff), 24);
  } else {
    WriteBits(0b1111, 4);
    WriteBits(dod_bits, 64);
  }
  WriteXorValue([this](uint64_t v, int n) { WriteBits(v, n); }, bits, last_value_bits_, &leading_,
                &trailing_);
  last_ts_ = timestamp_ms;
  last_delta_ = delta;
  last_value_bits_ = bits;
  ++count_;
}

void XorChunk::Decode(std::vector<Sample>* out) const {
  if (count_ == 0) return;
  out->reserve(out->size() + count_);
  BitReader r(data_, bit_size_);
  uint64_t bits = 0;
  if (!r.Read(64, &bits)) return;
  out->push_back(Sample{first_ts_, std::bit_cast<double>(bits)});
  uint64_t ts = static_cast<uint64_t>(first_ts_);
  uint64_t delta = 0;
  uint8_t leading = 0xff, trailing = 0;
  for (uint32_t i = 1; i < count_; ++i) {
    // Prefix: 0, 10, 110, 1110 or 1111.
    int ones = 0;
    bool bit = true;
    while (ones < 4) {
      if (!r.ReadBit(&bit)) return;
      if (!bit) break;
      ++ones;
    }
    int64_t dod = 0;
    uint64_t raw = 0;
    if (ones == 4) {
      if (!r.Read(64, &raw)) return;
      dod = static_cast<int64_t>(raw);
    } else if (ones > 0) {
      static constexpr int kBucketBits[] = {0, 14, 17, 20};
      int n = kBucketBits[ones];
      if (!r.Read(n, &raw)) return;
      // Negative values come back as large unsigned ones (see BitRange).
      dod = raw > (uint64_t{1} << (n - 1)) ? static_cast<int64_t>(raw) - (int64_t{1} << n)
                                           : static_cast<int64_t>(raw);
    }
    delta += static_cast<uint64_t>(dod);
    ts += delta;
    if (!ReadXorValue(r, &bits, &leading, &trailing)) return;
    out->push_back(Sample{static_cast<int64_t>(ts), std::bit_cast<double>(bits)});
  }
}

// ---- Sealed chunks

void EncodeChunk(std::span<const Sample> samples, std::string* out) {
  thread_local Scratch scratch;
  out->push_back(static_cast<char>(kChunkVersion));
  PutVarint(out, samples.size());
  if (samples.empty()) {
    PutVarint(out, 0);
    PutVarint(out, 0);
    out->push_back(static_cast<char>(kXor));
    return;
  }
  int64_t min_ts = samples.front().timestamp_ms;
  int64_t max_ts = samples.back().timestamp_ms;
  PutVarint(out, ZigZagEncode(min_ts));
  PutVarint(out, static_cast<uint64_t>(max_ts) - static_cast<uint64_t>(min_ts));
  int exponent = 0;
  bool decimal = ToDecimals(samples, scratch, &exponent);
  out->push_back(static_cast<char>(decimal ? kDecimal : kXor));
  if (samples.size() >= 2) {
    scratch.ints.clear();
    for (size_t i = 1; i < samples.size(); ++i) {
      scratch.ints.push_back(
          static_cast<int64_t>(static_cast<uint64_t>(samples[i].timestamp_ms) -
                               static_cast<uint64_t>(samples[i - 1].timestamp_ms)));
    }
    PutIntSeq(scratch.ints, scratch, out);
  }
  if (decimal) {
    PutDecimalValues(samples, scratch, exponent, out);
  } else {
    PutXorValues(samples, out);
  }
}

bool ReadChunkHeader(std::string_view chunk, ChunkHeader* header) {
  uint8_t encoding = 0;
  std::string_view rest;
  return ParseHeader(chunk, header, &encoding, &rest);
}

Status DecodeChunk(std::string_view chunk, std::vector<Sample>* out) {
  ChunkHeader h;
  uint8_t encoding = 0;
  std::string_view in;
  if (!ParseHeader(chunk, &h, &encoding, &in)) return Corrupt("bad header");
  if (encoding != kXor && encoding != kDecimal) return Corrupt("unknown value encoding");
  if (h.count == 0) {
    return in.empty() ? Status::Ok() : Corrupt("bytes after an empty chunk");
  }
  size_t base = out->size();
  out->resize(base + h.count);
  Sample* samples = out->data() + base;
  Status s = DecodeTimestamps(in, h, samples);
  if (s.ok()) {
    s = encoding == kDecimal ? DecodeDecimalValues(in, h.count, samples)
                             : DecodeXorValues(in, h.count, samples);
  }
  if (s.ok() && !in.empty()) s = Corrupt("bytes after the values");
  if (!s.ok()) out->resize(base);
  return s;
}

}  // namespace sluice::storage
