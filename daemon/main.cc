// sluice: the daemon's command line. Parses flags, loads and validates the config, runs the Daemon
// until SIGTERM or SIGINT, and reloads the config on SIGHUP.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>

#include "alerting/notify_config.h"
#include "alerting/rule_file.h"
#include "base/build_info.h"
#include "config/config_loader.h"
#include "daemon/daemon.h"
#include "daemon/huge_page_heap.h"
#include "daemon/logging.h"
#include "daemon/retention_policy.h"

namespace {

std::string VersionLine() {
  const sluice::BuildInfo& b = sluice::GetBuildInfo();
  return fmt::format("sluice {} (revision {}, branch {}, built {} with {})", b.version, b.revision,
                     b.branch, b.build_date, b.compiler);
}

}  // namespace

static int Run(int argc, char** argv) {
  CLI::App app{"Sluice: log and metrics ingestion daemon", "sluice"};
  std::string config_path;
  bool check_config = false;
  bool version = false;
  std::string data_dir;
  std::string listen;
  std::optional<std::string> tcp_listen;
  std::vector<std::string> check_rules;
  std::string rules_language = "promql";
  app.add_option("-c,--config", config_path,
                 "YAML config file (default: the built-in copy of config/sluice.yaml)");
  app.add_flag("--check-config", check_config, "Validate the config and exit (0 when valid)");
  app.add_flag("-v,--version", version, "Print the version and exit");
  app.add_option("--data-dir", data_dir, "Override storage.data_dir");
  app.add_option("--listen", listen, "Override server.http_listen (host:port)");
  app.add_option("--tcp-listen", tcp_listen,
                 "Override server.tcp_listen (host:port; an empty value turns it off)");
  app.add_option("--check-rules", check_rules,
                 "Validate rule files like `promtool check rules` and exit (0 when all are valid)");
  app.add_option("--rules-language", rules_language,
                 "The expressions' language for --check-rules: promql or logql (Loki ruler files)")
      ->check(CLI::IsMember({"promql", "logql"}));
  CLI11_PARSE(app, argc, argv);

  if (!check_rules.empty()) {
    std::string out;
    int code = sluice::alerting::CheckRuleFiles(check_rules,
                                                rules_language == "logql"
                                                    ? sluice::alerting::RuleLanguage::kLogQL
                                                    : sluice::alerting::RuleLanguage::kPromQL,
                                                &out);
    std::cout << out;
    return code;
  }

  if (version) {
    std::cout << VersionLine() << "\n";
    return 0;
  }

  std::string config_name = config_path.empty() ? "(built-in default config)" : config_path;
  sluice::Result<sluice::config::Config> loaded =
      config_path.empty()
          ? sluice::config::LoadConfigFromString(sluice::config::DefaultConfigYaml(), config_name)
          : sluice::config::LoadConfigFile(config_path);
  if (!loaded.ok()) {
    std::cerr << "sluice: invalid config:\n" << loaded.status().message() << "\n";
    return 1;
  }
  if (check_config) {
    // The files the config points at are part of it: a rule file that would not load is an
    // error now rather than at start.
    const auto& alerting = loaded->alerting;
    std::string errors;
    for (auto [files, language] :
         {std::pair{&alerting.rule_files, sluice::alerting::RuleLanguage::kPromQL},
          std::pair{&alerting.logql_rule_files, sluice::alerting::RuleLanguage::kLogQL}}) {
      auto rules = sluice::alerting::LoadRuleFiles(*files, language);
      if (!rules.ok()) errors += std::string(rules.status().message()) + "\n";
    }
    if (!alerting.notifications_file.empty()) {
      auto notify = sluice::alerting::LoadNotifyConfig(alerting.notifications_file);
      if (!notify.ok()) errors += std::string(notify.status().message()) + "\n";
    }
    auto retention =
        sluice::daemon::RetentionPolicy::Make(loaded->limits, loaded->tenants.overrides);
    if (!retention.ok()) errors += std::string(retention.status().message()) + "\n";
    if (!errors.empty()) {
      std::cerr << "sluice: invalid config:\n" << errors;
      return 1;
    }
    std::cout << config_name << ": OK\n";
    return 0;
  }

  sluice::daemon::ConfigOverrides overrides;
  if (!data_dir.empty()) overrides.data_dir = data_dir;
  if (!listen.empty()) overrides.http_listen = listen;
  overrides.tcp_listen = tcp_listen;
  sluice::config::Config config = std::move(loaded).value();
  if (sluice::Status s = sluice::daemon::ConfigureLogging(config.log); !s.ok()) {
    std::cerr << "sluice: " << s.message() << "\n";
    return 1;
  }
  spdlog::info("{} starting with config {}", VersionLine(), config_name);

  // Signals are handled on this thread only; the daemon's own threads never see them.
  boost::asio::io_context signals_context(1);
  boost::asio::signal_set stop_signals(signals_context, SIGTERM, SIGINT);
  boost::asio::signal_set reload_signal(signals_context, SIGHUP);
  std::signal(SIGPIPE, SIG_IGN);

  sluice::daemon::Daemon daemon(std::move(config), config_path, overrides);
  if (sluice::Status s = daemon.Start(); !s.ok()) {
    spdlog::critical("cannot start: {}", s.message());
    return 1;
  }

  std::function<void()> wait_reload = [&] {
    reload_signal.async_wait([&](const boost::system::error_code& ec, int) {
      if (ec) return;
      spdlog::info("SIGHUP: reloading config");
      (void)daemon.Reload();
      wait_reload();
    });
  };
  wait_reload();
  stop_signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("{}: shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    // Stop outright: a SIGHUP already queued would otherwise re-arm its wait and keep run() going.
    signals_context.stop();
  });
  signals_context.run();
  daemon.Shutdown();
  return 0;
}

int main(int argc, char** argv) {
  sluice::daemon::MaybeRestartWithHugePageHeap(argv);
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    // Nothing on the data path throws; this is a last resort for library surprises at start-up.
    std::cerr << "sluice: fatal: " << e.what() << "\n";
    return 1;
  }
}
