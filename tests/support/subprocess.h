// Subprocess: runs a program (the sluice binary, a real shipper) for an integration test, with its
// output in files, and guarantees it is gone when the test ends: killed by the destructor, or by
// the kernel when the test process dies first (a crash, a timeout's SIGKILL).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sluice::testing {

class Subprocess {
 public:
  // Starts argv[0] (a path) with `argv`; stdout and stderr go to the given files. The child gets
  // SIGKILL when the thread that started it ends (PR_SET_PDEATHSIG): start it from the test's
  // main thread, or from a thread that outlives it.
  Subprocess(const std::vector<std::string>& argv, const std::string& stdout_path,
             const std::string& stderr_path);
  ~Subprocess();  // SIGKILLs the process if it still runs
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  void Signal(int signal);
  // The exit code (or 128 + signal) once it ended within `timeout`; nullopt if it still runs.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  bool Running();

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

// Reads a whole file ("" when missing).
std::string ReadFile(const std::string& path);
// The last `bytes` of a file, "..." in front when it is longer: a log's end for a failure message.
std::string ReadFileTail(const std::string& path, size_t bytes = 4000);

// Polls `path` until it contains `needle` or `timeout` passes; returns the content then.
std::optional<std::string> WaitForFileContaining(const std::string& path, const std::string& needle,
                                                 std::chrono::milliseconds timeout);

// The HTTP port a sluice started with --listen 127.0.0.1:0 logged ("http: listening on
// 127.0.0.1:<port> with ..."), once the whole line is written; 0 if not within `timeout`.
uint16_t WaitForSluicePort(const std::string& log_path, std::chrono::milliseconds timeout);

// How many times a kill -9 test kills the daemon: `ci_default`, or SLUICE_CRASH_KILLS when set
// (bench/load/crash_kills.sh runs 20).
int CrashKills(int ci_default);

// A 127.0.0.1 TCP port that was free a moment ago, for a program that takes no port 0
// (Prometheus); 0 if none could be had. The caller retries if another process took it in between.
uint16_t PickFreePort();

// Starts the sluice binary `binary` (a test's SLUICE_BINARY) on `data_dir`, serving HTTP on
// 127.0.0.1 at a port of its choosing and without the TCP listener, its stdout and stderr in the
// given files. Sets *port once the log names it (WaitForSluicePort), 0 if not within 30 s.
std::unique_ptr<Subprocess> StartSluice(const std::string& binary, const std::string& data_dir,
                                        const std::string& stdout_path,
                                        const std::string& stderr_path, uint16_t* port);

}  // namespace sluice::testing
