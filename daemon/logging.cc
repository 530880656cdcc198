#include "daemon/logging.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "base/json_writer.h"

namespace sluice::daemon {
namespace {

// %j: the message, escaped for a JSON string (messages quote user input such as config values).
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    std::string escaped;
    JsonWriter::AppendEscaped(&escaped, std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

Status ConfigureLogging(const config::LogConfig& config) {
  spdlog::level::level_enum level = spdlog::level::from_str(config.level);
  if (level == spdlog::level::off && config.level != "off") {
    return Status::InvalidArgument(fmt::format("unknown log level \"{}\"", config.level));
  }
  static std::once_flag once;
  std::call_once(once, [] {
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "sluice", std::make_shared<spdlog::sinks::stderr_sink_mt>()));
  });
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  if (config.format == config::LogFormat::kJson) {
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","msg":"%j"})");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %-5l %v");
  }
  spdlog::set_formatter(std::move(formatter));
  spdlog::set_level(level);
  spdlog::flush_on(spdlog::level::info);
  return Status::Ok();
}

}  // namespace sluice::daemon
