// Status: the outcome of a fallible operation, without exceptions.
//
// A Status is either OK or carries a code and a message written for the operator who reads it: the
// message names what was wrong (line, field, limit) rather than where in our code it was noticed.
// The code decides how the error is reported to a client (e.g. the HTTP status), so pick the one
// that says who must act: the client (kInvalidArgument, kResourceExhausted), nobody yet
// (kUnavailable: retry later) or the operator (kIoError, kCorruption, kInternal).
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace sluice {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the request or input is malformed; retrying it will not help
  kNotFound,            // the thing named does not exist
  kAlreadyExists,       // the thing to create exists
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kResourceExhausted,   // a configured limit was hit (size, rate, count)
  kUnavailable,         // temporarily overloaded or shutting down; retry later
  kDeadlineExceeded,    // took longer than allowed
  kCancelled,           // the caller went away
  kIoError,             // the disk or the network failed
  kCorruption,          // stored data is unreadable
  kInternal,            // a bug: an invariant did not hold
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg) {
    return {StatusCode::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {StatusCode::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) {
    return {StatusCode::kAlreadyExists, std::move(msg)};
  }
  static Status FailedPrecondition(std::string msg) {
    return {StatusCode::kFailedPrecondition, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {StatusCode::kResourceExhausted, std::move(msg)};
  }
  static Status Unavailable(std::string msg) { return {StatusCode::kUnavailable, std::move(msg)}; }
  static Status DeadlineExceeded(std::string msg) {
    return {StatusCode::kDeadlineExceeded, std::move(msg)};
  }
  static Status Cancelled(std::string msg) { return {StatusCode::kCancelled, std::move(msg)}; }
  static Status IoError(std::string msg) { return {StatusCode::kIoError, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {StatusCode::kCorruption, std::move(msg)}; }
  static Status Internal(std::string msg) { return {StatusCode::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "<CodeName>: <message>", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "<context>: <message>"; OK stays OK.
  Status WithContext(std::string_view context) const;

  friend bool operator==(const Status& a, const Status& b) {
    return a.code_ == b.code_ && a.message_ == b.message_;
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace sluice

// Evaluates `expr` (a Status); returns it from the current function if it is not OK.
#define SLUICE_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::sluice::Status sluice_status_ = (expr);        \
    if (!sluice_status_.ok()) return sluice_status_; \
  } while (false)
