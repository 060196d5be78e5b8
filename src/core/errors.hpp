// Errors raised by the core. The PostgreSQL adapter maps each kind to a SQLSTATE.
#pragma once

#include <stdexcept>
#include <string>

namespace movie_recs::core {

enum class ErrorKind {
    InvalidParameter,  // a parameter out of range (22023)
    InvalidData,       // bad input data: NaN/Inf rating, empty input (22000 family)
    TooFewUsers,       // k greater than the number of users (22023)
    OutOfMemory,       // an estimate over the configured limit (53200)
    Cancelled,         // the interrupt callback asked to stop (57014 after CHECK_FOR_INTERRUPTS)
    Internal,          // a broken invariant: a bug (XX000)
};

// An error with a user-facing message (lowercase, no final period), an optional detail and hint.
class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string message, std::string detail = {}, std::string hint = {})
        : std::runtime_error(message), kind_(kind), detail_(std::move(detail)),
          hint_(std::move(hint)) {}
    ErrorKind kind() const noexcept { return kind_; }
    const std::string& detail() const noexcept { return detail_; }
    const std::string& hint() const noexcept { return hint_; }

private:
    ErrorKind kind_;
    std::string detail_;
    std::string hint_;
};

}  // namespace movie_recs::core
