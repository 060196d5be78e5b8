// Errors of movielens-load and the exit code each maps to (see --help and README.md).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace movielens_load {

// Process exit codes.
enum ExitCode : int {
    kExitOk = 0,
    kExitBadInput = 1,     // malformed or missing files, bad command line, tables in the way
    kExitServerError = 2,  // connection failure or an error reported by the server
    kExitOther = 3,        // anything else: out of memory, a bug
};

// Bad input: a malformed file, a missing file, a bad option, tables that already exist.
// The message is complete and user-facing (lowercase, no final period).
class InputError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// A malformed line: "FILE:LINE: what was wrong".
class ParseError : public InputError {
public:
    ParseError(const std::string& file, std::uint64_t line, const std::string& what)
        : InputError(file + ":" + std::to_string(line) + ": " + what) {}
};

// A connection failure or an error reported by the server.
class ServerError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

}  // namespace movielens_load
