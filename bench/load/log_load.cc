// log_load: an end-to-end load generator for Sluice's log ingest.
//
// K keep-alive connections each send request after request (Loki push JSON, Elasticsearch bulk or
// JSON lines) built from the loghub lines, for a fixed time, and measure each acknowledgement.
// With --pid it also reads the daemon's CPU time and peak RSS from /proc, so the report gives
// daemon CPU-seconds per million lines, the figure that compares across machines.
//
//   log_load --target 127.0.0.1:3100 --format loki --connections 4 --batch 1000 --duration 10 --pid
//   N
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/json_writer.h"
#include "bench/bench_util.h"
#include "bench/load/load_util.h"

namespace {

using Clock = std::chrono::steady_clock;
using sluice::bench::Connect;
using sluice::bench::ProcSample;
using sluice::bench::ReadProc;
using sluice::bench::SendAll;

// Request bodies cycling through loghub; each line appears once per cycle with a fresh timestamp.
struct Body {
  std::string text;
  size_t lines = 0;
};

// `max_lines` > 0 stops after that many lines (the last body may be shorter).
std::vector<Body> BuildBodies(const std::string& format, size_t batch, size_t count,
                              size_t max_lines) {
  const auto& lines = sluice::bench::LoghubLines();
  std::vector<Body> bodies;
  size_t next = 0;
  int64_t ts = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  for (size_t b = 0; b < count; ++b) {
    std::string body;
    if (max_lines > 0) batch = std::min(batch, max_lines - next);
    if (format == "loki") {
      // One stream per loghub system, as an agent tailing 16 files would send.
      std::vector<std::string> streams(16);
      for (size_t i = 0; i < batch; ++i, ++next) {
        size_t line = next % lines.size();
        std::string& s = streams[line / 2000 % 16];
        s += s.empty() ? "" : ",";
        s += fmt::format("[\"{}\",\"", ts++);
        sluice::JsonWriter::AppendEscaped(&s, lines[line]);
        s += "\"]";
      }
      body = R"({"streams":[)";
      bool first = true;
      for (size_t s = 0; s < streams.size(); ++s) {
        if (streams[s].empty()) continue;
        body += first ? "" : ",";
        first = false;
        body += fmt::format(R"({{"stream":{{"job":"load","system":"s{}"}},"values":[{}]}})", s,
                            streams[s]);
      }
      body += "]}";
    } else {
      for (size_t i = 0; i < batch; ++i, ++next) {
        size_t line = next % lines.size();
        if (format == "bulk") body += "{\"create\":{\"_index\":\"load\"}}\n";
        body +=
            fmt::format(R"({{"@timestamp":{},"system":"s{}","message":")", ts++, line / 2000 % 16);
        sluice::JsonWriter::AppendEscaped(&body, lines[line]);
        body += "\"}\n";
      }
    }
    bodies.push_back(Body{std::move(body), batch});
  }
  return bodies;
}

// Reads one response; returns its status (0 on error). Bodies are small: read until complete.
int ReadResponse(int fd, std::string& buffer) {
  while (true) {
    size_t header_end = buffer.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      int status = std::atoi(buffer.c_str() + 9);
      size_t length = 0;
      std::string lower = buffer.substr(0, header_end);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      size_t cl = lower.find("content-length:");
      if (cl != std::string::npos) length = std::stoul(lower.substr(cl + 15));
      if (buffer.size() >= header_end + 4 + length) {
        buffer.erase(0, header_end + 4 + length);
        return status;
      }
    }
    char chunk[65536];
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return 0;
    buffer.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sluice log ingest load generator"};
  std::string target = "127.0.0.1:3100";
  std::string format = "loki";
  int connections = 4;
  size_t batch = 1000;
  double duration = 10;
  int pid = 0;
  bool once = false;
  double rate = 0;
  double rss_every = 0;
  app.add_option("--target", target, "host:port of sluice");
  app.add_flag("--once", once, "send every loghub line exactly once, on one connection, then stop");
  app.add_option("--format", format, "loki | bulk | jsonline")
      ->check(CLI::IsMember({"loki", "bulk", "jsonline"}));
  app.add_option("--connections", connections, "keep-alive connections, one thread each");
  app.add_option("--batch", batch, "lines per request");
  app.add_option("--duration", duration, "seconds of load");
  app.add_option("--pid", pid, "sluice's pid, for its CPU time and peak RSS");
  app.add_option("--rate", rate, "lines per second over all connections (0: as fast as acked)");
  app.add_option("--rss-every", rss_every, "with --pid: print the daemon's RSS this often (s)");
  CLI11_PARSE(app, argc, argv);

  std::string host = target.substr(0, target.rfind(':'));
  int port = std::stoi(target.substr(target.rfind(':') + 1));
  std::string path = format == "loki"   ? "/loki/api/v1/push"
                     : format == "bulk" ? "/_bulk"
                                        : "/insert/jsonline";
  std::string content_type = format == "loki" ? "application/json" : "application/x-ndjson";
  const size_t total_lines = sluice::bench::LoghubLines().size();
  std::vector<Body> bodies =
      once ? BuildBodies(format, batch, (total_lines + batch - 1) / batch, total_lines)
           : BuildBodies(format, batch, 64, 0);
  if (once) connections = 1;
  double body_bytes = 0;
  for (const auto& b : bodies) body_bytes += static_cast<double>(b.text.size());
  double mean_body = body_bytes / static_cast<double>(bodies.size());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> acked_lines{0}, failed{0}, requests{0};
  std::mutex latency_mu;
  std::vector<double> latencies;
  ProcSample before = ReadProc(pid);
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      std::vector<double> mine;
      int fd = Connect(host, port);
      std::string buffer;
      size_t i = static_cast<size_t>(c);
      // Paced: each connection sends its share of --rate on a fixed schedule, so a slow answer
      // delays the next request but the average rate holds.
      auto next_send = Clock::now();
      while (!stop.load() && fd >= 0 && !(once && i >= bodies.size())) {
        const Body& body = bodies[i++ % bodies.size()];
        if (rate > 0) {
          std::this_thread::sleep_until(next_send);
          next_send += std::chrono::duration_cast<Clock::duration>(
              std::chrono::duration<double>(static_cast<double>(body.lines) * connections / rate));
        }
        std::string request = fmt::format(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n\r\n", path,
            target, content_type, body.text.size());
        auto t0 = Clock::now();
        if (!SendAll(fd, request) || !SendAll(fd, body.text)) break;
        int status = ReadResponse(fd, buffer);
        mine.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        ++requests;
        if (status >= 200 && status < 300) {
          acked_lines += body.lines;
        } else {
          ++failed;
          if (status == 0) break;
        }
      }
      if (fd >= 0) ::close(fd);
      std::lock_guard lock(latency_mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  std::vector<double> rss_mb;
  if (!once) {
    auto end = started +
               std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(duration));
    while (pid > 0 && rss_every > 0 && Clock::now() < end) {
      auto wake = std::min(end, Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                                   std::chrono::duration<double>(rss_every)));
      std::this_thread::sleep_until(wake);
      rss_mb.push_back(ReadProc(pid).rss_bytes / 1e6);
      std::cout << fmt::format("rss t={:.0f}s rss_MB={:.0f} acknowledged_lines={}\n",
                               std::chrono::duration<double>(Clock::now() - started).count(),
                               rss_mb.back(), acked_lines.load())
                << std::flush;
    }
    std::this_thread::sleep_until(end);
    stop = true;
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - started).count();
  ProcSample after = ReadProc(pid);

  std::sort(latencies.begin(), latencies.end());
  auto pct = [&](double p) {
    if (latencies.empty()) return 0.0;
    return latencies[std::min(latencies.size() - 1,
                              static_cast<size_t>(p * static_cast<double>(latencies.size())))];
  };
  double lines = static_cast<double>(acked_lines.load());
  std::cout << fmt::format("format={} connections={} batch={} duration={:.1f}s\n", format,
                           connections, batch, elapsed);
  std::cout << fmt::format(
      "acknowledged_lines={:.0f} lines_per_s={:.0f} MB_per_s={:.1f} failed_requests={}\n", lines,
      lines / elapsed, static_cast<double>(requests.load()) * mean_body / elapsed / 1e6,
      failed.load());
  std::cout << fmt::format("ack_latency_ms p50={:.2f} p99={:.2f} max={:.2f}\n", pct(0.5), pct(0.99),
                           latencies.empty() ? 0.0 : latencies.back());
  if (pid > 0) {
    double cpu = after.cpu_seconds - before.cpu_seconds;
    std::cout << fmt::format(
        "daemon_cpu_s={:.2f} daemon_cpu_s_per_Mlines={:.3f} daemon_cores_busy={:.2f} "
        "peak_rss_MB={:.0f}\n",
        cpu, lines > 0 ? cpu / lines * 1e6 : 0.0, cpu / elapsed, after.peak_rss_bytes / 1e6);
  }
  if (!rss_mb.empty()) {
    // Flat means the second half holds no more than the first: compare their maxima.
    size_t half = rss_mb.size() / 2;
    double first = *std::max_element(rss_mb.begin(), rss_mb.begin() + std::max<size_t>(half, 1));
    double second = *std::max_element(rss_mb.begin() + half, rss_mb.end());
    std::cout << fmt::format("rss_MB first_half_max={:.0f} second_half_max={:.0f} growth={:.2f}\n",
                             first, second, second / std::max(first, 1.0));
  }
  return failed.load() == 0 ? 0 : 1;
}
