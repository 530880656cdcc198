// Real shippers from Debian ship a known set of lines to a running sluice; every line must arrive
// with its text. rsyslog (installed by scripts/install-deps.sh --test) uses omelasticsearch's bulk
// mode; syslog-ng (unpacked by scripts/fetch-test-shippers.sh) uses its http() destination.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_http_client.h"

namespace sluice {
namespace {

using namespace std::chrono_literals;
using testing::Subprocess;
namespace fs = std::filesystem;

constexpr int kLines = 300;

// Lines of real OpenSSH logs, each tagged with a unique id so arrival can be checked one by one.
std::vector<std::string> TaggedLines(std::string_view shipper) {
  std::ifstream in(std::string(SLUICE_SOURCE_DIR) + "/tests/fixtures/loghub/OpenSSH_2k.log");
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line) && static_cast<int>(out.size()) < kLines;) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();  // the loghub files end lines with CRLF
    out.push_back(fmt::format("ID-{}-{} {}", shipper, out.size(), line));
  }
  return out;
}

class ShipperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    sluice_ = std::make_unique<Subprocess>(
        std::vector<std::string>{SLUICE_BINARY, "--listen", "127.0.0.1:0", "--tcp-listen", "",
                                 "--data-dir", dir_.Sub("data")},
        dir_.Sub("sluice.out"), dir_.Sub("sluice.err"));
    port_ = testing::WaitForSluicePort(dir_.Sub("sluice.err"), 30s);
    ASSERT_GT(port_, 0) << testing::ReadFile(dir_.Sub("sluice.err"));
  }

  // The exported lines of `selector`, polled until `want` are there or 30 s pass.
  std::vector<std::string> WaitForLines(const std::string& encoded_selector, size_t want) {
    std::vector<std::string> lines;
    for (int i = 0; i < 300; ++i) {
      auto r = testing::HttpRequestOnce(port_, "GET", "/export/logs?match=" + encoded_selector);
      lines.clear();
      if (r && r->status == 200) {
        std::istringstream in(r->body);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
      }
      if (lines.size() >= want) break;
      std::this_thread::sleep_for(100ms);
    }
    return lines;
  }

  static void CheckAllArrived(const std::vector<std::string>& sent,
                              const std::vector<std::string>& exported) {
    std::set<std::string> got;
    simdjson::dom::parser parser;
    for (const std::string& line : exported) {
      std::string_view msg;
      ASSERT_EQ(parser.parse(line)["_msg"].get_string().get(msg), simdjson::SUCCESS) << line;
      got.emplace(msg);
    }
    size_t missing = 0;
    for (const std::string& line : sent) {
      if (got.count(line) == 0) {
        ++missing;
        ADD_FAILURE() << "missing: " << line << "\nfirst exported: " << exported.front();
        if (missing > 5) break;
      }
    }
    EXPECT_EQ(exported.size(), sent.size()) << "every line exactly once";
  }

  testing::TempDir dir_;
  std::unique_ptr<Subprocess> sluice_;
  uint16_t port_ = 0;
};

TEST_F(ShipperTest, RsyslogOmelasticsearchDeliversEveryLine) {
  ASSERT_TRUE(fs::exists("/usr/sbin/rsyslogd"))
      << "rsyslog is missing: run scripts/install-deps.sh --test";
  ASSERT_TRUE(fs::exists("/usr/lib/x86_64-linux-gnu/rsyslog/omelasticsearch.so"))
      << "rsyslog-elasticsearch is missing: run scripts/install-deps.sh --test";
  std::vector<std::string> lines = TaggedLines("rsyslog");
  std::string input = dir_.Sub("input.log");
  {
    std::ofstream out(input);
    for (const auto& l : lines) out << l << "\n";
  }
  fs::create_directories(dir_.Sub("work"));
  std::string conf = dir_.WriteFile(
      "rsyslog.conf", fmt::format(R"conf(
global(workDirectory="{work}")
module(load="imfile")
module(load="omelasticsearch")
template(name="doc" type="list" option.jsonf="on") {{
  property(outname="@timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="message" name="msg" format="jsonf")
  constant(outname="shipper" value="rsyslog" format="jsonf")
}}
input(type="imfile" File="{input}" Tag="acceptance" ruleset="ship" freshStartTail="off")
ruleset(name="ship") {{
  action(type="omelasticsearch" server="127.0.0.1" serverport="{port}" template="doc"
         searchIndex="rsyslog-acceptance" bulkmode="on" queue.type="linkedlist"
         queue.dequeueBatchSize="50" action.resumeRetryCount="-1")
}}
)conf",
                                  fmt::arg("work", dir_.Sub("work")), fmt::arg("input", input),
                                  fmt::arg("port", port_)));
  Subprocess rsyslog({"/usr/sbin/rsyslogd", "-n", "-f", conf, "-i", dir_.Sub("rsyslog.pid")},
                     dir_.Sub("rsyslog.out"), dir_.Sub("rsyslog.err"));
  auto exported = WaitForLines("%7Bindex%3D%22rsyslog-acceptance%22%7D", lines.size());
  rsyslog.Signal(SIGTERM);
  rsyslog.Wait(10s);
  EXPECT_FALSE(exported.empty()) << testing::ReadFile(dir_.Sub("rsyslog.err"))
                                 << testing::ReadFile(dir_.Sub("rsyslog.out"));
  CheckAllArrived(lines, exported);
  EXPECT_THAT(exported.at(0), ::testing::HasSubstr(R"("shipper":"rsyslog")"));
}

TEST_F(ShipperTest, SyslogNgHttpDestinationDeliversEveryLine) {
  std::string root = std::string(SLUICE_BINARY_DIR) + "/shippers/syslog-ng";
  ASSERT_TRUE(fs::exists(root + "/usr/sbin/syslog-ng"))
      << "syslog-ng is missing: run scripts/fetch-test-shippers.sh";
  std::vector<std::string> lines = TaggedLines("syslog-ng");
  std::string input = dir_.WriteFile("input.log", "");
  std::string conf = dir_.WriteFile("syslog-ng.conf",
                                    fmt::format(R"conf(@version: 3.38
options {{ stats_freq(0); }};
source s_file {{ file("{input}" follow-freq(0.1) flags(no-parse)); }};
destination d_http {{
  http(url("http://127.0.0.1:{port}/insert/jsonline?_stream_fields=shipper")
       method("POST") headers("Content-Type: application/x-ndjson")
       body("$(format-json message=$MSG shipper=syslog-ng @timestamp=$ISODATE)")
       batch-lines(50) batch-timeout(200));
}};
log {{ source(s_file); destination(d_http); }};
)conf",
                                                fmt::arg("input", input), fmt::arg("port", port_)));
  std::string ld = root + "/usr/lib/syslog-ng";
  setenv("LD_LIBRARY_PATH", ld.c_str(), 1);
  Subprocess syslog_ng(
      {root + "/usr/sbin/syslog-ng", "-F", "-f", conf,
       "--module-path=" + root + "/usr/lib/syslog-ng/3.38", "-R", dir_.Sub("persist"), "-p",
       dir_.Sub("syslog-ng.pid"), "-c", dir_.Sub("ctl")},
      dir_.Sub("syslog-ng.out"), dir_.Sub("syslog-ng.err"));
  unsetenv("LD_LIBRARY_PATH");
  std::this_thread::sleep_for(500ms);  // let it open the file before it grows
  {
    std::ofstream out(input, std::ios::app);
    for (const auto& l : lines) out << l << "\n";
  }
  auto exported = WaitForLines("%7Bshipper%3D%22syslog-ng%22%7D", lines.size());
  syslog_ng.Signal(SIGTERM);
  syslog_ng.Wait(10s);
  EXPECT_FALSE(exported.empty()) << testing::ReadFile(dir_.Sub("syslog-ng.err"));
  CheckAllArrived(lines, exported);
}

}  // namespace
}  // namespace sluice
