// What the end-to-end load generators share: the daemon's CPU time and memory from /proc, and
// plain blocking sockets to 127.0.0.1.
#pragma once

#include <string>
#include <string_view>

namespace sluice::bench {

struct ProcSample {
  double cpu_seconds = 0;     // utime + stime
  double peak_rss_bytes = 0;  // VmHWM
  double rss_bytes = 0;       // VmRSS
};

// The figures of process `pid` now; zeros when pid <= 0 or it cannot be read.
ProcSample ReadProc(int pid);

// A connected TCP socket with TCP_NODELAY, or -1.
int Connect(const std::string& host, int port);

// Writes all of `data`; false when the connection failed.
bool SendAll(int fd, std::string_view data);

}  // namespace sluice::bench
