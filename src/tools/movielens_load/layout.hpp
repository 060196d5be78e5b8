// The MovieLens release layouts and their detection in a directory.
#pragma once

#include <string>

namespace movielens_load {

enum class Format {
    Ml100k,  // u.data (tab-separated), u.item (pipe-separated, genre flags), u.genre
    Dat,     // ratings.dat, movies.dat with "::" separators (ml-1m, ml-10m)
    Csv,     // ratings.csv, movies.csv with a header line (ml-20m and later, ml-latest*)
};

enum class Encoding { Utf8, Latin1 };

// Where the files of one release are and how to read them.
struct Layout {
    Format format = Format::Csv;
    std::string release;                      // for messages: "ml-100k", "ml-1m", "ml-10m", "csv"
    Encoding text_encoding = Encoding::Utf8;  // of the movie titles and genre names
    std::string ratings_path;
    std::string movies_path;
    std::string genres_path;  // u.genre (ml-100k only)
};

// Finds the release in dir: ml-100k (u.data, u.item, u.genre), ml-1m (ratings.dat, movies.dat,
// users.dat; Latin-1), ml-10m (ratings.dat, movies.dat without users.dat; UTF-8) or a CSV release
// (ratings.csv, movies.csv). forced ("", "ml-100k", "ml-1m", "ml-10m", "csv") skips detection.
// Throws InputError naming what is missing.
Layout detect_layout(const std::string& dir, const std::string& forced);

}  // namespace movielens_load
