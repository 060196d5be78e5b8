// COPY stream encoding (see copy_encoder.hpp). Binary layout, from the PostgreSQL manual
// ("COPY", "Binary Format"): a signature and two int32 words, then per row an int16 field count
// and per field an int32 length (-1 for NULL) followed by the value in network byte order; an
// int16 -1 ends the stream.
#include "copy_encoder.hpp"

#include <charconv>

namespace movielens_load {

namespace {

constexpr char kSignature[] = "PGCOPY\n\377\r\n";  // 11 bytes with the final NUL
constexpr std::uint32_t kTextOid = 25;             // pg_type oid of text, element of text[]

inline void store_be16(char* p, std::uint16_t v) {
    v = __builtin_bswap16(v);
    std::memcpy(p, &v, 2);
}
inline void store_be32(char* p, std::uint32_t v) {
    v = __builtin_bswap32(v);
    std::memcpy(p, &v, 4);
}
inline void store_be64(char* p, std::uint64_t v) {
    v = __builtin_bswap64(v);
    std::memcpy(p, &v, 8);
}

// Civil date from days since 1970-01-01 in the proleptic Gregorian calendar, by 400-year eras of
// 146097 days starting on March 1 (so that the leap day ends a year).
void civil_from_days(std::int64_t days, std::int64_t& year, int& month, int& day) {
    days += 719468;  // days from 0000-03-01 to 1970-01-01
    std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    std::int64_t doe = days - era * 146097;                                    // [0, 146096]
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
    std::int64_t mp = (5 * doy + 2) / 153;                                     // March = 0
    day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
    month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
    year = yoe + era * 400 + (month <= 2 ? 1 : 0);
}

char* put_digits(char* p, std::int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
        p[i] = static_cast<char>('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

}  // namespace

// Writes "YYYY-MM-DD HH:MM:SS+00[ BC]" at out (at most 40 bytes); returns the length.
static std::size_t write_timestamp_utc(char* out, std::int64_t unix_seconds) {
    std::int64_t days = unix_seconds >= 0 ? unix_seconds / 86400 : (unix_seconds - 86399) / 86400;
    std::int64_t secs = unix_seconds - days * 86400;
    std::int64_t year = 0;
    int month = 0, day = 0;
    civil_from_days(days, year, month, day);
    bool bc = year <= 0;
    std::int64_t shown = bc ? 1 - year : year;
    char* buf = out;
    char* p = buf;
    if (shown > 9999) {
        auto r = std::to_chars(p, buf + 16, shown);
        p = r.ptr;
    } else {
        p = put_digits(p, shown, 4);
    }
    *p++ = '-';
    p = put_digits(p, month, 2);
    *p++ = '-';
    p = put_digits(p, day, 2);
    *p++ = ' ';
    p = put_digits(p, secs / 3600, 2);
    *p++ = ':';
    p = put_digits(p, secs / 60 % 60, 2);
    *p++ = ':';
    p = put_digits(p, secs % 60, 2);
    std::memcpy(p, "+00", 3);
    p += 3;
    if (bc) {
        std::memcpy(p, " BC", 3);
        p += 3;
    }
    return static_cast<std::size_t>(p - buf);
}

std::string format_timestamp_utc(std::int64_t unix_seconds) {
    char buf[48];
    return std::string(buf, write_timestamp_utc(buf, unix_seconds));
}

CopyEncoder::CopyEncoder(CopyFormat format, std::size_t reserve) : format_(format) {
    buf_.resize(reserve < 256 ? 256 : reserve);
}

void CopyEncoder::grow(std::size_t n) {
    std::size_t want = buf_.size() * 2;
    while (want < size_ + n) {
        want *= 2;
    }
    buf_.resize(want);
}

void CopyEncoder::put_i16(std::int16_t v) {
    store_be16(reserve(2), static_cast<std::uint16_t>(v));
    size_ += 2;
}
void CopyEncoder::put_i32(std::int32_t v) {
    store_be32(reserve(4), static_cast<std::uint32_t>(v));
    size_ += 4;
}
void CopyEncoder::put_i64(std::int64_t v) {
    store_be64(reserve(8), static_cast<std::uint64_t>(v));
    size_ += 8;
}

void CopyEncoder::begin() {
    if (format_ == CopyFormat::Binary) {
        put(kSignature, 11);
        put_i32(0);  // flags: no OIDs
        put_i32(0);  // header extension length
    }
}

void CopyEncoder::end() {
    if (format_ == CopyFormat::Binary) {
        put_i16(-1);
    }
}

void CopyEncoder::add(const RatingRow& row) {
    if (format_ == CopyFormat::Binary) {
        constexpr std::size_t kRowBytes = 2 + (4 + 8) + (4 + 8) + (4 + 4) + (4 + 8);
        char* p = reserve(kRowBytes);
        std::uint32_t rating_bits = 0;
        std::memcpy(&rating_bits, &row.rating, 4);
        store_be16(p, 4);
        store_be32(p + 2, 8);
        store_be64(p + 6, static_cast<std::uint64_t>(row.user_id));
        store_be32(p + 14, 8);
        store_be64(p + 18, static_cast<std::uint64_t>(row.movie_id));
        store_be32(p + 26, 4);
        store_be32(p + 30, rating_bits);
        store_be32(p + 34, 8);
        store_be64(p + 38, static_cast<std::uint64_t>(postgres_microseconds(row.unix_seconds)));
        size_ += kRowBytes;
        return;
    }
    char* start = reserve(96);
    char* end = start + 96;
    char* p = std::to_chars(start, end, row.user_id).ptr;
    *p++ = '\t';
    p = std::to_chars(p, end, row.movie_id).ptr;
    *p++ = '\t';
    p = std::to_chars(p, end, row.rating).ptr;
    *p++ = '\t';
    size_ += static_cast<std::size_t>(p - start);
    put_text_timestamp(row.unix_seconds);
    put("\n", 1);
}

void CopyEncoder::put_text_timestamp(std::int64_t unix_seconds) {
    size_ += write_timestamp_utc(reserve(48), unix_seconds);
}

void CopyEncoder::put_text_escaped(std::string_view s) {
    char* p = reserve(2 * s.size());
    char* start = p;
    for (char c : s) {
        switch (c) {
            case '\\':
                *p++ = '\\', *p++ = '\\';
                break;
            case '\n':
                *p++ = '\\', *p++ = 'n';
                break;
            case '\r':
                *p++ = '\\', *p++ = 'r';
                break;
            case '\t':
                *p++ = '\\', *p++ = 't';
                break;
            default:
                *p++ = c;
        }
    }
    size_ += static_cast<std::size_t>(p - start);
}

void CopyEncoder::add(const MovieRow& row) {
    if (format_ == CopyFormat::Binary) {
        put_i16(4);
        put_i32(8);
        put_i64(row.movie_id);
        put_i32(static_cast<std::int32_t>(row.title.size()));
        put(row.title.data(), row.title.size());
        if (row.year) {
            put_i32(4);
            put_i32(*row.year);
        } else {
            put_i32(-1);
        }
        // text[]: ndim, has-nulls flag, element type, then per dimension size and lower bound,
        // then each element with its length.
        std::size_t bytes = 12 + (row.genres.empty() ? 0 : 8);
        for (auto g : row.genres) {
            bytes += 4 + g.size();
        }
        put_i32(static_cast<std::int32_t>(bytes));
        put_i32(row.genres.empty() ? 0 : 1);
        put_i32(0);
        put_i32(static_cast<std::int32_t>(kTextOid));
        if (!row.genres.empty()) {
            put_i32(static_cast<std::int32_t>(row.genres.size()));
            put_i32(1);
            for (auto g : row.genres) {
                put_i32(static_cast<std::int32_t>(g.size()));
                put(g.data(), g.size());
            }
        }
        return;
    }
    char num[24];
    auto r = std::to_chars(num, num + sizeof num, row.movie_id);
    put(num, static_cast<std::size_t>(r.ptr - num));
    put("\t", 1);
    put_text_escaped(row.title);
    put("\t", 1);
    if (row.year) {
        r = std::to_chars(num, num + sizeof num, *row.year);
        put(num, static_cast<std::size_t>(r.ptr - num));
    } else {
        put("\\N", 2);
    }
    put("\t", 1);
    // Array literal {"a","b"}: every element quoted, '"' and '\' backslash-escaped inside;
    // then the whole literal escaped for COPY text.
    scratch_.assign("{");
    for (std::size_t i = 0; i < row.genres.size(); ++i) {
        if (i > 0) {
            scratch_.push_back(',');
        }
        scratch_.push_back('"');
        for (char c : row.genres[i]) {
            if (c == '"' || c == '\\') {
                scratch_.push_back('\\');
            }
            scratch_.push_back(c);
        }
        scratch_.push_back('"');
    }
    scratch_.push_back('}');
    put_text_escaped(scratch_);
    put("\n", 1);
}

}  // namespace movielens_load
