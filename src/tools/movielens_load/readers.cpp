// Readers of the ratings and movies files (see readers.hpp).
#include "readers.hpp"

#include <cstdio>
#include <unordered_map>

#include "errors.hpp"
#include "fields.hpp"
#include "text.hpp"

namespace movielens_load {

namespace {

constexpr std::string_view kRatingsHeader = "userId,movieId,rating,timestamp";
constexpr std::string_view kMoviesHeader = "movieId,title,genres";
constexpr std::string_view kNoGenres = "(no genres listed)";

std::string_view separator_of(Format format) {
    switch (format) {
        case Format::Ml100k:
            return "\t";
        case Format::Dat:
            return "::";
        case Format::Csv:
            return ",";
    }
    return ",";
}

std::string describe_separator(std::string_view sep) {
    return sep == "\t" ? "tabs" : "'" + std::string(sep) + "'";
}

// Reads records of one file, CSV or split at a plain separator, and formats errors for it.
class RecordSource {
public:
    RecordSource(const InputFile& file, std::string_view sep)
        : file_(file), cursor_(file.content()), csv_(file.name(), cursor_), sep_(sep) {}

    bool next(Fields& f) {
        if (sep_ == ",") {
            if (!csv_.next(f)) {
                return false;
            }
            line_no_ = csv_.line_no();
            return true;
        }
        std::string_view line;
        do {
            if (!cursor_.next(line)) {
                return false;
            }
        } while (line.empty());
        line_no_ = cursor_.line_no();
        split_fields(line, sep_, f);
        return true;
    }

    // Reads and checks the header line of a CSV file.
    void expect_header(std::string_view header) {
        std::string_view line;
        if (!cursor_.next(line)) {
            throw InputError(file_.name() + ": empty file (expected the header line '" +
                             std::string(header) + "')");
        }
        line_no_ = cursor_.line_no();
        if (line.substr(0, 3) == "\xEF\xBB\xBF") {
            line.remove_prefix(3);  // a UTF-8 byte order mark
        }
        if (line != header) {
            fail("expected the header line '" + std::string(header) + "', found " +
                 quote_for_message(line));
        }
    }

    void expect_count(const Fields& f, std::size_t n, const char* names) const {
        if (f.count != n) {
            fail("expected " + std::to_string(n) + " fields separated by " +
                 describe_separator(sep_) + " (" + names + "), found " + std::to_string(f.count));
        }
    }

    std::int64_t integer(const Fields& f, std::size_t i, const char* name) const {
        std::int64_t v = 0;
        if (!parse_int64(f[i], v)) {
            fail(field_name(i, name) + ": " + quote_for_message(f[i]) + " is not an integer");
        }
        return v;
    }

    float rating(const Fields& f, std::size_t i) const {
        float v = 0.0f;
        if (!parse_rating(f[i], v)) {
            fail(field_name(i, "rating") + ": " + quote_for_message(f[i]) + " is not a number");
        }
        return v;
    }

    // Field i as UTF-8: converted from Latin-1 into buf, or checked and returned as is.
    std::string_view text(const Fields& f, std::size_t i, const char* name, Encoding enc,
                          std::string& buf) const {
        std::string_view s = f[i];
        if (enc == Encoding::Latin1) {
            if (s.find('\0') != std::string_view::npos) {
                fail(field_name(i, name) + ": contains a NUL byte");
            }
            buf.clear();
            latin1_to_utf8(s, buf);
            return buf;
        }
        if (auto bad = find_invalid_utf8(s)) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(s[*bad]));
            fail(field_name(i, name) + ": invalid UTF-8 at byte " + std::to_string(*bad + 1) +
                 " (" + hex + "); if the file is Latin-1, use --encoding latin1");
        }
        return s;
    }

    [[noreturn]] void fail(const std::string& what) const {
        throw ParseError(file_.name(), line_no_, what);
    }

    std::uint64_t line_no() const { return line_no_; }
    std::size_t offset() const { return cursor_.offset(); }
    std::size_t size() const { return cursor_.size(); }

private:
    static std::string field_name(std::size_t i, const char* name) {
        return "field " + std::to_string(i + 1) + " (" + name + ")";
    }

    const InputFile& file_;
    LineCursor cursor_;
    CsvReader csv_;
    std::string_view sep_;
    std::uint64_t line_no_ = 0;
};

class DelimitedRatingsReader final : public RatingsReader {
public:
    DelimitedRatingsReader(Format format, const InputFile& file)
        : src_(file, separator_of(format)) {
        if (format == Format::Csv) {
            src_.expect_header(kRatingsHeader);
        }
    }

    bool next(RatingRow& row) override {
        if (!src_.next(f_)) {
            return false;
        }
        src_.expect_count(f_, 4, "user id, movie id, rating, timestamp");
        row.user_id = src_.integer(f_, 0, "user id");
        row.movie_id = src_.integer(f_, 1, "movie id");
        row.rating = src_.rating(f_, 2);
        row.unix_seconds = src_.integer(f_, 3, "timestamp");
        if (row.unix_seconds < kMinUnixSeconds || row.unix_seconds >= kEndUnixSeconds) {
            src_.fail("field 4 (timestamp): " + std::to_string(row.unix_seconds) +
                      " is outside the range of PostgreSQL timestamps");
        }
        return true;
    }

    std::size_t bytes_read() const override { return src_.offset(); }
    std::size_t bytes_total() const override { return src_.size(); }

private:
    RecordSource src_;
    Fields f_;
};

// Movies of ml-1m/ml-10m ("id::title::genres") and of the CSV releases (with a header).
class GenreListMoviesReader final : public MoviesReader {
public:
    GenreListMoviesReader(Format format, Encoding enc, const InputFile& file)
        : src_(file, separator_of(format)), enc_(enc) {
        if (format == Format::Csv) {
            src_.expect_header(kMoviesHeader);
        }
    }

    bool next(MovieRow& row) override {
        if (!src_.next(f_)) {
            return false;
        }
        src_.expect_count(f_, 3, "movie id, title, genres");
        row.movie_id = src_.integer(f_, 0, "movie id");
        check_unique(row.movie_id);
        row.title = src_.text(f_, 1, "title", enc_, title_buf_);
        row.year = year_from_title(row.title);
        std::string_view genres = src_.text(f_, 2, "genres", enc_, genres_buf_);
        row.genres.clear();
        if (!genres.empty() && genres != kNoGenres) {
            Fields g;
            split_fields(genres, "|", g);
            if (g.count > Fields::kMaxFields) {
                src_.fail("field 3 (genres): more than " + std::to_string(Fields::kMaxFields) +
                          " genres");
            }
            row.genres.assign(g.field.begin(), g.field.begin() + static_cast<long>(g.count));
        }
        return true;
    }

private:
    void check_unique(std::int64_t id) {
        auto [it, fresh] = seen_.emplace(id, src_.line_no());
        if (!fresh) {
            src_.fail("movie id " + std::to_string(id) + " appears twice (first on line " +
                      std::to_string(it->second) + ")");
        }
    }

    RecordSource src_;
    Encoding enc_;
    Fields f_;
    std::string title_buf_, genres_buf_;
    std::unordered_map<std::int64_t, std::uint64_t> seen_;
};

// Movies of ml-100k: u.item "id|title|release date|video release date|IMDb URL|flag|flag|..."
// with one 0/1 flag per genre of u.genre ("name|index").
class Ml100kMoviesReader final : public MoviesReader {
public:
    Ml100kMoviesReader(Encoding enc, const InputFile& file, const InputFile& genres)
        : src_(file, "|"), enc_(enc) {
        RecordSource g(genres, "|");
        Fields f;
        std::string buf;
        while (g.next(f)) {
            g.expect_count(f, 2, "genre, index");
            std::int64_t index = g.integer(f, 1, "index");
            if (index != static_cast<std::int64_t>(genre_names_.size())) {
                g.fail("field 2 (index): expected " + std::to_string(genre_names_.size()) +
                       ", found " + std::to_string(index));
            }
            genre_names_.emplace_back(g.text(f, 0, "genre", enc, buf));
        }
        if (genre_names_.empty()) {
            throw InputError(genres.name() + ": no genres");
        }
        if (kFixedFields + genre_names_.size() > Fields::kMaxFields) {
            throw InputError(genres.name() + ": more than " +
                             std::to_string(Fields::kMaxFields - kFixedFields) + " genres");
        }
        expected_names_ = "movie id, title, release date, video release date, IMDb URL and " +
                          std::to_string(genre_names_.size()) + " genre flags";
    }

    bool next(MovieRow& row) override {
        if (!src_.next(f_)) {
            return false;
        }
        src_.expect_count(f_, kFixedFields + genre_names_.size(), expected_names_.c_str());
        row.movie_id = src_.integer(f_, 0, "movie id");
        auto [it, fresh] = seen_.emplace(row.movie_id, src_.line_no());
        if (!fresh) {
            src_.fail("movie id " + std::to_string(row.movie_id) +
                      " appears twice (first on line " + std::to_string(it->second) + ")");
        }
        row.title = src_.text(f_, 1, "title", enc_, title_buf_);
        row.year = year_from_title(row.title);
        row.genres.clear();
        for (std::size_t g = 0; g < genre_names_.size(); ++g) {
            std::string_view flag = f_[kFixedFields + g];
            if (flag == "1") {
                row.genres.emplace_back(genre_names_[g]);
            } else if (flag != "0") {
                src_.fail("field " + std::to_string(kFixedFields + g + 1) + " (flag of genre " +
                          genre_names_[g] + "): expected 0 or 1, found " + quote_for_message(flag));
            }
        }
        return true;
    }

private:
    static constexpr std::size_t kFixedFields = 5;
    RecordSource src_;
    Encoding enc_;
    Fields f_;
    std::vector<std::string> genre_names_;
    std::string expected_names_;
    std::string title_buf_;
    std::unordered_map<std::int64_t, std::uint64_t> seen_;
};

}  // namespace

std::unique_ptr<RatingsReader> make_ratings_reader(Format format, const InputFile& file) {
    return std::make_unique<DelimitedRatingsReader>(format, file);
}

std::unique_ptr<MoviesReader> make_movies_reader(Format format, Encoding encoding,
                                                 const InputFile& file, const InputFile* genres) {
    if (format == Format::Ml100k) {
        if (genres == nullptr) {
            throw InputError(file.name() + ": ml-100k movies need u.genre");
        }
        return std::make_unique<Ml100kMoviesReader>(encoding, file, *genres);
    }
    return std::make_unique<GenreListMoviesReader>(format, encoding, file);
}

}  // namespace movielens_load
