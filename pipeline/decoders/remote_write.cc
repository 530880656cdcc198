#include "pipeline/decoders/remote_write.h"

#include <fmt/format.h>

#include <bit>
#include <cstring>

namespace sluice::pipeline {
namespace {

using storage::LabelView;
using storage::Sample;

enum WireType : uint32_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,
  kEndGroup = 4,
  kFixed32 = 5,
};

constexpr uint32_t Tag(uint32_t field, WireType type) { return field << 3 | type; }

// Groups are long deprecated, but a decoder must still skip them; bounded so that a body of
// nested start-group tags cannot exhaust the stack.
constexpr int kMaxGroupDepth = 64;

std::string_view WireTypeName(uint32_t type) {
  switch (type) {
    case kVarint:
      return "varint";
    case kFixed64:
      return "fixed64";
    case kLengthDelimited:
      return "length-delimited";
    case kStartGroup:
      return "start-group";
    case kEndGroup:
      return "end-group";
    case kFixed32:
      return "fixed32";
  }
  return "invalid";
}

// Decodes one WriteRequest into a MetricBatch. The hot loop works on raw pointers; errors are
// rare, so their text is built only when one happens (what_ at the failing field, path_ grown
// on the way out: "timeseries[3].samples[0]").
class Decoder {
 public:
  Decoder(const MetricDecodeContext& ctx, storage::MetricBatch* batch, MetricDecodeResult* result,
          RemoteWriteStats* stats)
      : limits_(*ctx.limits), batch_(batch), result_(result), stats_(stats) {
    labels_.reserve(32);
    samples_.reserve(8);
  }

  Status Decode(std::string_view body) {
    const char* p = body.data();
    const char* end = p + body.size();
    int64_t series_index = 0;
    int64_t metadata_index = 0;
    while (p < end) {
      uint32_t tag = 0;
      if (!ReadTag(p, end, &tag)) return Error();
      std::string_view message;
      if (tag == Tag(1, kLengthDelimited)) {
        if (!ReadBytes(p, end, 1, &message) ||
            !DecodeSeries(message.data(), message.data() + message.size())) {
          return Error(fmt::format("timeseries[{}]", series_index));
        }
        ++series_index;
      } else if (tag == Tag(3, kLengthDelimited)) {
        if (!ReadBytes(p, end, 3, &message) ||
            !DecodeMetadata(message.data(), message.data() + message.size())) {
          return Error(fmt::format("metadata[{}]", metadata_index));
        }
        ++metadata_index;
      } else if (!SkipUnknown(tag, p, end, {1, 3})) {
        return Error();
      }
    }
    if (stats_ != nullptr) {
      stats_->ignored_exemplars += exemplars_;
      stats_->ignored_histograms += histograms_;
    }
    return Status::Ok();
  }

 private:
  bool DecodeSeries(const char* p, const char* end) {
    labels_.clear();
    samples_.clear();
    while (p < end) {
      uint32_t tag = 0;
      if (!ReadTag(p, end, &tag)) return false;
      std::string_view message;
      switch (tag) {
        case Tag(1, kLengthDelimited): {
          LabelView& label = labels_.emplace_back();
          if (!ReadBytes(p, end, 1, &message) || !DecodeLabel(message, &label)) {
            return Wrap(fmt::format("labels[{}]", labels_.size() - 1));
          }
          break;
        }
        case Tag(2, kLengthDelimited): {
          Sample& sample = samples_.emplace_back();
          if (!ReadBytes(p, end, 2, &message) || !DecodeSample(message, &sample)) {
            return Wrap(fmt::format("samples[{}]", samples_.size() - 1));
          }
          break;
        }
        case Tag(3, kLengthDelimited):
          if (!ReadBytes(p, end, 3, &message)) return false;
          ++exemplars_;
          break;
        case Tag(4, kLengthDelimited):
          if (!ReadBytes(p, end, 4, &message)) return false;
          ++histograms_;
          break;
        default:
          if (!SkipUnknown(tag, p, end, {1, 2, 3, 4})) return false;
      }
    }
    if (samples_.empty()) return true;
    Status valid = ValidateSeriesLabels(labels_, limits_);
    if (!valid.ok()) {
      result_->Reject(valid.message(), static_cast<int64_t>(samples_.size()));
      return true;
    }
    uint32_t series = batch_->AddSeries(labels_);
    for (const Sample& s : samples_) batch_->AddSample(series, s.timestamp_ms, s.value);
    return true;
  }

  bool DecodeLabel(std::string_view message, LabelView* label) {
    const char* p = message.data();
    const char* end = p + message.size();
    // What every sender writes: name (field 1) then value (field 2), each shorter than 128 bytes
    // so that its length is one byte. Anything else takes the general loop.
    if (message.size() >= 4 && p[0] == Tag(1, kLengthDelimited)) {
      auto name_size = static_cast<uint8_t>(p[1]);
      if (name_size < 0x80 && name_size + size_t{4} <= message.size() &&
          p[2 + name_size] == Tag(2, kLengthDelimited)) {
        auto value_size = static_cast<uint8_t>(p[3 + name_size]);
        if (value_size < 0x80 && name_size + value_size + size_t{4} == message.size()) {
          label->name = std::string_view(p + 2, name_size);
          label->value = std::string_view(p + 4 + name_size, value_size);
          return true;
        }
      }
    }
    while (p < end) {
      uint32_t tag = 0;
      if (!ReadTag(p, end, &tag)) return false;
      if (tag == Tag(1, kLengthDelimited)) {
        if (!ReadBytes(p, end, 1, &label->name)) return false;
      } else if (tag == Tag(2, kLengthDelimited)) {
        if (!ReadBytes(p, end, 2, &label->value)) return false;
      } else if (!SkipUnknown(tag, p, end, {1, 2})) {
        return false;
      }
    }
    return true;
  }

  bool DecodeSample(std::string_view message, Sample* sample) {
    const char* p = message.data();
    const char* end = p + message.size();
    // The usual layout, value (field 1) then timestamp (field 2), read straight through; the
    // general loop below takes over at the first byte that does not fit it.
    if (end - p >= 9 && p[0] == Tag(1, kFixed64)) {
      uint64_t bits = 0;
      std::memcpy(&bits, p + 1, 8);
      if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
      sample->value = std::bit_cast<double>(bits);
      p += 9;
      if (p < end && *p == Tag(2, kVarint)) {
        const char* q = p + 1;
        uint64_t ts = 0;
        if (ReadVarint(q, end, &ts)) {
          sample->timestamp_ms = static_cast<int64_t>(ts);
          p = q;
        }
      }
    }
    while (p < end) {
      uint32_t tag = 0;
      if (!ReadTag(p, end, &tag)) return false;
      if (tag == Tag(1, kFixed64)) {
        uint64_t bits = 0;
        if (!ReadFixed64(p, end, 1, &bits)) return false;
        sample->value = std::bit_cast<double>(bits);
      } else if (tag == Tag(2, kVarint)) {
        uint64_t ts = 0;
        if (!ReadVarint(p, end, &ts)) return Fail("field 2 (timestamp): ", varint_error_);
        sample->timestamp_ms = static_cast<int64_t>(ts);
      } else if (!SkipUnknown(tag, p, end, {1, 2})) {
        return false;
      }
    }
    return true;
  }

  bool DecodeMetadata(const char* p, const char* end) {
    storage::MetricMetadata metadata;
    while (p < end) {
      uint32_t tag = 0;
      if (!ReadTag(p, end, &tag)) return false;
      std::string_view text;
      switch (tag) {
        case Tag(1, kVarint): {
          uint64_t type = 0;
          if (!ReadVarint(p, end, &type)) return Fail("field 1 (type): ", varint_error_);
          metadata.type = type <= static_cast<uint64_t>(storage::MetricType::kStateset)
                              ? static_cast<storage::MetricType>(type)
                              : storage::MetricType::kUnknown;
          break;
        }
        case Tag(2, kLengthDelimited):
          if (!ReadBytes(p, end, 2, &text)) return false;
          metadata.family.assign(text);
          break;
        case Tag(4, kLengthDelimited):
          if (!ReadBytes(p, end, 4, &text)) return false;
          metadata.help.assign(text);
          break;
        case Tag(5, kLengthDelimited):
          if (!ReadBytes(p, end, 5, &text)) return false;
          metadata.unit.assign(text);
          break;
        default:
          if (!SkipUnknown(tag, p, end, {1, 2, 4, 5})) return false;
      }
    }
    batch_->AddMetadata(std::move(metadata));
    return true;
  }

  // --- wire primitives: return false with what_ set ---

  bool ReadVarint(const char*& p, const char* end, uint64_t* v) {
    if (p < end && static_cast<uint8_t>(*p) < 0x80) [[likely]] {
      *v = static_cast<uint8_t>(*p++);
      return true;
    }
    return ReadVarintSlow(p, end, v);
  }

  bool ReadVarintSlow(const char*& p, const char* end, uint64_t* v) {
    uint64_t result = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
      if (p >= end) {
        varint_error_ = "truncated varint";
        return false;
      }
      auto byte = static_cast<uint8_t>(*p++);
      if (shift == 63 && byte > 1) {
        varint_error_ = "varint longer than 64 bits";
        return false;
      }
      result |= static_cast<uint64_t>(byte & 0x7F) << shift;
      if (byte < 0x80) {
        *v = result;
        return true;
      }
    }
    varint_error_ = "varint longer than 64 bits";
    return false;
  }

  bool ReadTag(const char*& p, const char* end, uint32_t* tag) {
    if (p < end) {
      auto byte = static_cast<uint8_t>(*p);
      if (byte < 0x80 && byte >= 0x08) [[likely]] {
        ++p;
        *tag = byte;
        return true;
      }
    }
    uint64_t v = 0;
    if (!ReadVarintSlow(p, end, &v)) return Fail("field tag: ", varint_error_);
    if (v >> 3 == 0 || v > UINT32_MAX) {
      return Fail(fmt::format("invalid field number {} (field tag {})", v >> 3, v));
    }
    *tag = static_cast<uint32_t>(v);
    return true;
  }

  bool ReadBytes(const char*& p, const char* end, uint32_t field, std::string_view* out) {
    uint64_t n = 0;
    if (!ReadVarint(p, end, &n)) {
      return Fail(fmt::format("field {} length: {}", field, varint_error_));
    }
    if (n > static_cast<uint64_t>(end - p)) {
      return Fail(fmt::format("field {} (length-delimited) truncated: needs {} bytes, {} left",
                              field, n, end - p));
    }
    *out = std::string_view(p, n);
    p += n;
    return true;
  }

  bool ReadFixed64(const char*& p, const char* end, uint32_t field, uint64_t* out) {
    if (end - p < 8) {
      return Fail(
          fmt::format("field {} (fixed64) truncated: needs 8 bytes, {} left", field, end - p));
    }
    uint64_t v = 0;
    std::memcpy(&v, p, 8);
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    *out = v;
    p += 8;
    return true;
  }

  // Skips a field this decoder does not know. A known field number with another wire type is
  // an error rather than something to skip: it means the sender speaks another schema.
  bool SkipUnknown(uint32_t tag, const char*& p, const char* end,
                   std::initializer_list<uint32_t> known) {
    uint32_t field = tag >> 3;
    for (uint32_t k : known) {
      if (k == field) {
        return Fail(fmt::format("field {} has wire type {} ({}), not the schema's", field, tag & 7,
                                WireTypeName(tag & 7)));
      }
    }
    return SkipField(tag, p, end, 0);
  }

  bool SkipField(uint32_t tag, const char*& p, const char* end, int depth) {
    uint32_t field = tag >> 3;
    uint64_t v = 0;
    std::string_view bytes;
    switch (tag & 7) {
      case kVarint:
        if (!ReadVarint(p, end, &v)) return Fail(fmt::format("field {}: {}", field, varint_error_));
        return true;
      case kFixed64:
        return ReadFixed64(p, end, field, &v);
      case kLengthDelimited:
        return ReadBytes(p, end, field, &bytes);
      case kFixed32:
        if (end - p < 4) {
          return Fail(
              fmt::format("field {} (fixed32) truncated: needs 4 bytes, {} left", field, end - p));
        }
        p += 4;
        return true;
      case kStartGroup: {
        if (depth >= kMaxGroupDepth) return Fail("groups nested too deeply");
        while (true) {
          uint32_t inner = 0;
          if (p >= end) return Fail(fmt::format("group of field {} has no end", field));
          if (!ReadTag(p, end, &inner)) return false;
          if ((inner & 7) == kEndGroup) {
            if (inner >> 3 != field) {
              return Fail(fmt::format("group of field {} ended by field {}", field, inner >> 3));
            }
            return true;
          }
          if (!SkipField(inner, p, end, depth + 1)) return false;
        }
      }
      case kEndGroup:
        return Fail(fmt::format("end of group {} without a start", field));
      default:
        return Fail(fmt::format("field {} has invalid wire type {}", field, tag & 7));
    }
  }

  // --- error text (cold) ---

  [[gnu::cold]] bool Fail(std::string what) {
    what_ = std::move(what);
    return false;
  }
  [[gnu::cold]] bool Fail(std::string_view prefix, std::string_view what) {
    return Fail(std::string(prefix) + std::string(what));
  }
  [[gnu::cold]] bool Wrap(std::string_view component) {
    path_ = path_.empty() ? std::string(component) : fmt::format("{}.{}", component, path_);
    return false;
  }
  [[gnu::cold]] Status Error(std::string_view component = {}) {
    if (!component.empty()) Wrap(component);
    if (path_.empty()) return Status::InvalidArgument("malformed remote write request: " + what_);
    return Status::InvalidArgument(
        fmt::format("malformed remote write request at {}: {}", path_, what_));
  }

  const MetricLimits& limits_;
  storage::MetricBatch* batch_;
  MetricDecodeResult* result_;
  RemoteWriteStats* stats_;
  std::vector<LabelView> labels_;  // of the current series, views into the body
  std::vector<Sample> samples_;    // of the current series
  int64_t exemplars_ = 0;
  int64_t histograms_ = 0;
  const char* varint_error_ = "";
  std::string what_;
  std::string path_;
};

// --- encoding ---

size_t VarintSize(uint64_t v) {
  return v < 0x80 ? 1 : (static_cast<size_t>(std::bit_width(v)) + 6) / 7;
}

// Tag (one byte: every field number here is below 16), length, bytes; nothing for "".
size_t StringFieldSize(std::string_view s) {
  return s.empty() ? 0 : 1 + VarintSize(s.size()) + s.size();
}
size_t MessageFieldSize(size_t n) { return 1 + VarintSize(n) + n; }

size_t LabelSize(const storage::Label& l) {
  return StringFieldSize(l.name) + StringFieldSize(l.value);
}
size_t SampleSize(const Sample& s) {
  return (std::bit_cast<uint64_t>(s.value) != 0 ? 9 : 0) +
         (s.timestamp_ms != 0 ? 1 + VarintSize(static_cast<uint64_t>(s.timestamp_ms)) : 0);
}
size_t SeriesSize(const RemoteWriteSeries& series) {
  size_t n = 0;
  for (const storage::Label& l : series.labels) n += MessageFieldSize(LabelSize(l));
  for (const Sample& s : series.samples) n += MessageFieldSize(SampleSize(s));
  return n;
}
size_t MetadataSize(const storage::MetricMetadata& m) {
  auto type = static_cast<uint64_t>(m.type);
  return (type != 0 ? 1 + VarintSize(type) : 0) + StringFieldSize(m.family) +
         StringFieldSize(m.help) + StringFieldSize(m.unit);
}

// Writes into a buffer sized beforehand, so no append checks capacity.
class Writer {
 public:
  explicit Writer(char* p) : p_(p) {}
  char* position() const { return p_; }

  void Varint(uint64_t v) {
    while (v >= 0x80) {
      *p_++ = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    *p_++ = static_cast<char>(v);
  }
  void Byte(uint32_t b) { *p_++ = static_cast<char>(b); }
  void String(uint32_t field, std::string_view s) {
    if (s.empty()) return;
    Byte(Tag(field, kLengthDelimited));
    Varint(s.size());
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void MessageHeader(uint32_t field, size_t size) {
    Byte(Tag(field, kLengthDelimited));
    Varint(size);
  }
  void Fixed64(uint64_t v) {
    if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
    std::memcpy(p_, &v, 8);
    p_ += 8;
  }

 private:
  char* p_;
};

}  // namespace

Status DecodeRemoteWrite(std::string_view body, const MetricDecodeContext& ctx,
                         storage::MetricBatch* batch, MetricDecodeResult* result,
                         RemoteWriteStats* stats) {
  return Decoder(ctx, batch, result, stats).Decode(body);
}

void EncodeRemoteWrite(const std::vector<RemoteWriteSeries>& series,
                       const std::vector<storage::MetricMetadata>& metadata, std::string* out) {
  size_t total = 0;
  for (const RemoteWriteSeries& s : series) total += MessageFieldSize(SeriesSize(s));
  for (const storage::MetricMetadata& m : metadata) total += MessageFieldSize(MetadataSize(m));
  out->resize(total);
  Writer w(out->data());
  for (const RemoteWriteSeries& s : series) {
    w.MessageHeader(1, SeriesSize(s));
    for (const storage::Label& l : s.labels) {
      w.MessageHeader(1, LabelSize(l));
      w.String(1, l.name);
      w.String(2, l.value);
    }
    for (const Sample& sample : s.samples) {
      w.MessageHeader(2, SampleSize(sample));
      uint64_t bits = std::bit_cast<uint64_t>(sample.value);
      if (bits != 0) {
        w.Byte(Tag(1, kFixed64));
        w.Fixed64(bits);
      }
      if (sample.timestamp_ms != 0) {
        w.Byte(Tag(2, kVarint));
        w.Varint(static_cast<uint64_t>(sample.timestamp_ms));
      }
    }
  }
  for (const storage::MetricMetadata& m : metadata) {
    w.MessageHeader(3, MetadataSize(m));
    if (m.type != storage::MetricType::kUnknown) {
      w.Byte(Tag(1, kVarint));
      w.Varint(static_cast<uint64_t>(m.type));
    }
    w.String(2, m.family);
    w.String(4, m.help);
    w.String(5, m.unit);
  }
}

}  // namespace sluice::pipeline
