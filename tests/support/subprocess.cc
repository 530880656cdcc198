#include "tests/support/subprocess.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

namespace sluice::testing {

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::string& stdout_path,
                       const std::string& stderr_path) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    // Dies with the test, even one killed by a timeout, rather than keeping its ports and files.
    // The parent may have died before prctl took effect: then the child is already orphaned.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
    int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out >= 0) ::dup2(out, 1);
    if (err >= 0) ::dup2(err, 2);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
}

Subprocess::~Subprocess() {
  if (Running()) {
    Signal(SIGKILL);
    Wait(std::chrono::seconds(10));
  }
}

void Subprocess::Signal(int signal) {
  if (pid_ > 0 && !exit_code_) ::kill(pid_, signal);
}

std::optional<int> Subprocess::Wait(std::chrono::milliseconds timeout) {
  if (exit_code_ || pid_ <= 0) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool Subprocess::Running() { return pid_ > 0 && !Wait(std::chrono::milliseconds(0)).has_value(); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ReadFileTail(const std::string& path, size_t bytes) {
  std::string all = ReadFile(path);
  return all.size() > bytes ? "..." + all.substr(all.size() - bytes) : all;
}

std::optional<std::string> WaitForFileContaining(const std::string& path, const std::string& needle,
                                                 std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::string content = ReadFile(path);
    if (content.find(needle) != std::string::npos) return content;
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

uint16_t WaitForSluicePort(const std::string& log_path, std::chrono::milliseconds timeout) {
  static constexpr std::string_view kPrefix = "http: listening on 127.0.0.1:";
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    std::string content = ReadFile(log_path);
    size_t at = content.find(kPrefix);
    if (at != std::string::npos) {
      size_t start = at + kPrefix.size();
      size_t end = content.find(" with", start);  // the line is complete
      if (end != std::string::npos) {
        return static_cast<uint16_t>(std::stoi(content.substr(start, end - start)));
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

uint16_t PickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

std::unique_ptr<Subprocess> StartSluice(const std::string& binary, const std::string& data_dir,
                                        const std::string& stdout_path,
                                        const std::string& stderr_path, uint16_t* port) {
  auto process = std::make_unique<Subprocess>(
      std::vector<std::string>{binary, "--listen", "127.0.0.1:0", "--tcp-listen", "", "--data-dir",
                               data_dir},
      stdout_path, stderr_path);
  *port = WaitForSluicePort(stderr_path, std::chrono::seconds(30));
  return process;
}

int CrashKills(int ci_default) {
  const char* v = std::getenv("SLUICE_CRASH_KILLS");
  return v != nullptr && std::atoi(v) > 0 ? std::atoi(v) : ci_default;
}

}  // namespace sluice::testing
