// Byte-level encodings for on-disk formats: LEB128 varints, zigzag for signed values, and
// big-endian fixed-width integers for RocksDB keys (so byte order is numeric order).
//
// Decoders take a cursor (std::string_view&) and advance it; they return false on truncated or
// overlong input and never read past the view, so corrupt data cannot crash a reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

inline uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
}

inline void PutVarint(std::string* out, uint64_t v) {
  char buf[10];
  size_t n = 0;
  while (v >= 0x80) {
    buf[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  buf[n++] = static_cast<char>(v);
  out->append(buf, n);
}

inline bool GetVarint(std::string_view& in, uint64_t* v) {
  uint64_t result = 0;
  for (unsigned shift = 0; shift <= 63 && !in.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    if (shift == 63 && byte > 1) return false;  // would overflow 64 bits
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}

// A varint length followed by that many bytes.
inline void PutLengthPrefixed(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

inline bool GetLengthPrefixed(std::string_view& in, std::string_view* s) {
  uint64_t n = 0;
  if (!GetVarint(in, &n) || n > in.size()) return false;
  *s = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

inline void PutFixed64BE(std::string* out, uint64_t v) {
  char buf[8];
  for (int i = 7; i >= 0; --i) {
    buf[i] = static_cast<char>(v & 0xFF);
    v >>= 8;
  }
  out->append(buf, 8);
}

inline bool GetFixed64BE(std::string_view& in, uint64_t* v) {
  if (in.size() < 8) return false;
  uint64_t r = 0;
  for (int i = 0; i < 8; ++i) r = (r << 8) | static_cast<uint8_t>(in[i]);
  in.remove_prefix(8);
  *v = r;
  return true;
}

// Signed values as big-endian with the sign bit flipped, so negative < positive in byte order.
inline void PutOrderedInt64(std::string* out, int64_t v) {
  PutFixed64BE(out, static_cast<uint64_t>(v) ^ (uint64_t{1} << 63));
}
inline bool GetOrderedInt64(std::string_view& in, int64_t* v) {
  uint64_t u = 0;
  if (!GetFixed64BE(in, &u)) return false;
  *v = static_cast<int64_t>(u ^ (uint64_t{1} << 63));
  return true;
}

}  // namespace sluice
