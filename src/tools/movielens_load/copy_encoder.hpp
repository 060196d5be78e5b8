// Encoding rows as a COPY ... FROM STDIN data stream, in PostgreSQL's binary format (built byte
// by byte here: big-endian fields with length words) or its text format (tab-separated, escaped).
// Column types: ratings (bigint, bigint, real, timestamptz), movies (bigint, text, integer,
// text[]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "readers.hpp"

namespace movielens_load {

enum class CopyFormat { Binary, Text };

// Appends rows to a growing buffer; the caller sends data()/size() and calls clear().
class CopyEncoder {
public:
    explicit CopyEncoder(CopyFormat format, std::size_t reserve = 1 << 20);

    // The stream header (binary) or nothing (text); call once before the first row.
    void begin();
    void add(const RatingRow& row);
    void add(const MovieRow& row);
    // The stream trailer (binary) or nothing (text); call once after the last row.
    void end();

    const char* data() const { return buf_.data(); }
    std::size_t size() const { return size_; }
    void clear() { size_ = 0; }
    CopyFormat format() const { return format_; }

private:
    char* reserve(std::size_t n) {
        if (size_ + n > buf_.size()) {
            grow(n);
        }
        return buf_.data() + size_;
    }
    void grow(std::size_t n);
    void put(const void* p, std::size_t n) {
        std::memcpy(reserve(n), p, n);
        size_ += n;
    }
    void put_i16(std::int16_t v);
    void put_i32(std::int32_t v);
    void put_i64(std::int64_t v);
    void put_text_escaped(std::string_view s);
    void put_text_timestamp(std::int64_t unix_seconds);

    CopyFormat format_;
    std::vector<char> buf_;
    std::size_t size_ = 0;
    std::string scratch_;
};

// Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's timestamp epoch).
constexpr std::int64_t postgres_microseconds(std::int64_t unix_seconds) {
    return (unix_seconds - 946684800) * 1000000;
}

// "YYYY-MM-DD HH:MM:SS+00" (with " BC" before year 1) for a time in Unix seconds.
std::string format_timestamp_utc(std::int64_t unix_seconds);

}  // namespace movielens_load
