// TcpLogListener: newline-delimited JSON logs over plain TCP (Fluent Bit's `tcp` output with
// `Format json_lines`, Vector's `socket` sink, `nc`), on server.tcp_listen.
//
// Each connection reads up to 1 MiB, hands the complete lines to the IngestService as one request
// of the default tenant (mapped by ingest.fields), and reads on only once they are durable: a
// sender faster than the disk is slowed by TCP itself, and a line that was read is never dropped
// at shutdown. There is no one to answer, so bad lines are skipped, counted
// (sluice_tcp_lines_rejected_total) and logged; a line longer than 4 MiB without a newline is cut
// off and dropped. With a TLS context (server.tls) the connections speak TLS, as syslog-style
// senders with TLS do (Fluent Bit `tls on`, Vector `tls.enabled`).
#pragma once

#include <prometheus/registry.h>

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "base/admission_budget.h"
#include "base/status.h"
#include "pipeline/field_mapping.h"
#include "pipeline/ingest_service.h"

namespace sluice::daemon {

struct TcpListenerOptions {
  std::string listen;  // host:port
  std::string tenant;
  pipeline::FieldMapping mapping;
  AdmissionBudget* budget = nullptr;
  std::chrono::nanoseconds idle_timeout = std::chrono::minutes(10);
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: plain TCP
};

class TcpLogListener {
 public:
  TcpLogListener(TcpListenerOptions options, pipeline::IngestService* service,
                 prometheus::Registry& registry);
  ~TcpLogListener();

  Status Start();
  uint16_t port() const;
  // Connections accepted from now on use `tls` (certificate reload).
  void SetTlsContext(std::shared_ptr<boost::asio::ssl::context> tls);
  // Stops accepting, lets each connection finish the chunk it is writing, closes them.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice::daemon
