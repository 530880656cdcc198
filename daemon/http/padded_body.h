// PaddedStringBody: Beast's string_body for requests, except that the string keeps
// pipeline::kParsePadding bytes of spare capacity, so the body can go to simdjson without a copy.
// Internal to the HTTP server (it pulls in Beast).
#pragma once

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>
#include <cstdint>
#include <string>

#include "pipeline/buffer_pool.h"
#include "pipeline/content_decoding.h"

namespace sluice::daemon {

struct PaddedStringBody {
  using value_type = std::string;

  static std::uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool isRequest, class Fields>
    explicit reader(boost::beast::http::header<isRequest, Fields>&, value_type& body)
        : body_(body) {}

    void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
      if (length) {
        if (*length > body_.max_size() - pipeline::kParsePadding) {
          ec = boost::beast::http::error::buffer_overflow;
          return;
        }
        body_ = pipeline::BufferPool::RequestBodies().Take(static_cast<size_t>(*length) +
                                                           pipeline::kParsePadding);
      }
      ec = {};
    }

    template <class ConstBufferSequence>
    std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      size_t extra = boost::beast::buffer_bytes(buffers);
      size_t size = body_.size();
      if (extra > body_.max_size() - pipeline::kParsePadding - size) {
        ec = boost::beast::http::error::buffer_overflow;
        return 0;
      }
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(b.data()), b.size());  // no zero-fill first
      }
      ec = {};
      return extra;
    }

    void finish(boost::beast::error_code& ec) {
      // Only a chunked body of unknown length can end without its padding.
      if (body_.capacity() < body_.size() + pipeline::kParsePadding) {
        body_.reserve(body_.size() + pipeline::kParsePadding);
      }
      ec = {};
    }

   private:
    value_type& body_;
  };
};

}  // namespace sluice::daemon
