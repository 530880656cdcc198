// Compressing test inputs the way clients do (gzip, zlib and raw deflate), for decoder tests.
#pragma once

#include <zlib.h>

#include <string>
#include <string_view>

namespace sluice::testing {

// window_bits: 15 + 16 gzip, 15 zlib, -15 raw deflate.
inline std::string Deflate(std::string_view in, int window_bits) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

inline std::string Gzip(std::string_view in) { return Deflate(in, 15 + 16); }

}  // namespace sluice::testing
