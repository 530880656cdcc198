// The server side of TLS: an OpenSSL context from the configured PEM files, TLS 1.2 or newer,
// optionally requiring client certificates signed by a CA (mTLS).
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>

#include "base/result.h"
#include "config/config.h"

namespace sluice::daemon {

// Reads the files now; an error names the file and what OpenSSL said about it.
Result<std::shared_ptr<boost::asio::ssl::context>> LoadServerTlsContext(
    const config::TlsConfig& tls);

}  // namespace sluice::daemon
