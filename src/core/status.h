// Errors as values: every fallible call in edgezoo returns a Status or a Result<T>.
// No exception crosses a public boundary; messages name the file, node or tensor at fault.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace ez {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // caller passed something wrong (shape, dtype, option)
  kNotFound,         // file, input or output name does not exist
  kInvalidModel,     // model file is corrupt, truncated or violates the ONNX spec
  kUnsupported,      // valid but not implemented here (operator, attribute, dtype)
  kNeedsValue,       // shape inference needs an input value that is only known at run time
  kIoError,          // reading or writing a file failed
  kOutOfMemory,
  kInternal,
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status OK() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "unsupported: operator 'Foo' (node 'bar')"
  std::string to_string() const;
  // Returns a copy whose message is prefixed with `context: `.
  Status with_context(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status invalid_model(std::string m) { return {StatusCode::kInvalidModel, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status needs_value(std::string m) { return {StatusCode::kNeedsValue, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ez

#define EZ_CONCAT_INNER(a, b) a##b
#define EZ_CONCAT(a, b) EZ_CONCAT_INNER(a, b)

#define EZ_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::ez::Status ez_status_ = (expr);         \
    if (!ez_status_.ok()) return ez_status_;  \
  } while (0)

#define EZ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

// EZ_ASSIGN_OR_RETURN(auto x, make_x());
#define EZ_ASSIGN_OR_RETURN(lhs, expr) EZ_ASSIGN_OR_RETURN_IMPL(EZ_CONCAT(ez_result_, __LINE__), lhs, expr)
