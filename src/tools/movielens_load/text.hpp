// Text helpers for the MovieLens files: number parsing, UTF-8 validation, Latin-1 to UTF-8
// conversion and the release year at the end of a title. Pure C++, no allocation on the fast
// paths.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace movielens_load {

// Parses a whole field as a decimal integer (optional leading '-'). False on anything else,
// including an empty field, spaces and overflow.
bool parse_int64(std::string_view s, std::int64_t& out);

// Parses a whole field as a finite decimal number ("4", "4.5", "-1e3"). False on anything else,
// including "nan", "inf", hexadecimal and values out of the range of float.
bool parse_rating(std::string_view s, float& out);

// Offset of the first byte of s that does not start a valid UTF-8 sequence (overlong forms,
// surrogates and code points above U+10FFFF are invalid, as are NUL bytes, which PostgreSQL text
// cannot hold); std::nullopt when s is valid.
std::optional<std::size_t> find_invalid_utf8(std::string_view s);

// Appends the Latin-1 (ISO 8859-1) text s to out as UTF-8.
void latin1_to_utf8(std::string_view s, std::string& out);

// The release year at the end of a MovieLens title, after trailing spaces: "(1995)", or the first
// year of a range "(1994-1998)", "(2006–2007)" (en dash), "(2007-)". std::nullopt otherwise.
std::optional<std::int32_t> year_from_title(std::string_view title);

// A field quoted for an error message: at most 40 bytes, control and non-ASCII bytes as \xNN.
std::string quote_for_message(std::string_view s);

}  // namespace movielens_load
