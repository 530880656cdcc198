#include "daemon/http/tls_context.h"

#include <fmt/format.h>

namespace sluice::daemon {

namespace ssl = boost::asio::ssl;

Result<std::shared_ptr<ssl::context>> LoadServerTlsContext(const config::TlsConfig& tls) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  auto load = [](std::string_view what, const std::string& path, auto&& call) -> Status {
    boost::system::error_code ec;
    call(ec);
    if (ec) {
      return Status::InvalidArgument(
          fmt::format("cannot use {} {} for TLS: {}", what, path, ec.message()));
    }
    return Status::Ok();
  };
  SLUICE_RETURN_IF_ERROR(load("certificate file", tls.cert_file, [&](auto& ec) {
    context->use_certificate_chain_file(tls.cert_file, ec);
  }));
  SLUICE_RETURN_IF_ERROR(load("key file", tls.key_file, [&](auto& ec) {
    context->use_private_key_file(tls.key_file, ssl::context::pem, ec);
  }));
  if (SSL_CTX_check_private_key(context->native_handle()) != 1) {
    return Status::InvalidArgument(fmt::format("the key in {} does not match the certificate in {}",
                                               tls.key_file, tls.cert_file));
  }
  if (!tls.client_ca_file.empty()) {
    SLUICE_RETURN_IF_ERROR(load("client CA file", tls.client_ca_file, [&](auto& ec) {
      context->load_verify_file(tls.client_ca_file, ec);
    }));
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  return context;
}

}  // namespace sluice::daemon
