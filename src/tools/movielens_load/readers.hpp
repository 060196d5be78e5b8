// Readers of the ratings and movies files of each release layout. They turn lines into rows,
// check every field and throw ParseError ("FILE:LINE: what") on the first malformed one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "input_file.hpp"
#include "layout.hpp"

namespace movielens_load {

struct RatingRow {
    std::int64_t user_id = 0;
    std::int64_t movie_id = 0;
    float rating = 0.0f;
    std::int64_t unix_seconds = 0;  // rated_at, seconds since 1970-01-01 00:00:00 UTC
};

// Views stay valid until the next call of MoviesReader::next.
struct MovieRow {
    std::int64_t movie_id = 0;
    std::string_view title;  // UTF-8
    std::optional<std::int32_t> year;
    std::vector<std::string_view> genres;  // UTF-8; empty for "(no genres listed)"
};

class RatingsReader {
public:
    virtual ~RatingsReader() = default;
    // The next row; false at the end of the file.
    virtual bool next(RatingRow& row) = 0;
    // Bytes of the file consumed so far, and in all.
    virtual std::size_t bytes_read() const = 0;
    virtual std::size_t bytes_total() const = 0;
};

class MoviesReader {
public:
    virtual ~MoviesReader() = default;
    virtual bool next(MovieRow& row) = 0;
};

// Reader of the ratings file of a layout. file must outlive the reader.
std::unique_ptr<RatingsReader> make_ratings_reader(Format format, const InputFile& file);

// Reader of the movies file of a layout; genres is u.genre for ml-100k and ignored otherwise.
// Titles and genre names are converted from encoding to UTF-8 (Latin-1) or checked (UTF-8).
// A movie id seen twice is an error. The files must outlive the reader.
std::unique_ptr<MoviesReader> make_movies_reader(Format format, Encoding encoding,
                                                 const InputFile& file, const InputFile* genres);

// The PostgreSQL timestamp range in Unix seconds: [kMinUnixSeconds, kEndUnixSeconds).
constexpr std::int64_t kMinUnixSeconds = -210866803200;  // 4714-11-24 00:00:00 BC
constexpr std::int64_t kEndUnixSeconds = 9224318016000;  // 294277-01-01 00:00:00

}  // namespace movielens_load
