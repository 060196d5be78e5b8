// Unit tests of movielens-load's readers: each release layout, and the error for each kind of
// malformed line.
#include <gtest/gtest.h>

#include "errors.hpp"
#include "readers.hpp"

using namespace movielens_load;

namespace {

std::vector<RatingRow> ratings(Format format, std::string_view text) {
    InputFile file("r", text);
    auto reader = make_ratings_reader(format, file);
    std::vector<RatingRow> out;
    RatingRow row;
    while (reader->next(row)) {
        out.push_back(row);
    }
    EXPECT_EQ(reader->bytes_read(), text.size());
    return out;
}

struct Movie {
    std::int64_t id;
    std::string title;
    std::optional<std::int32_t> year;
    std::vector<std::string> genres;
};

std::vector<Movie> movies(Format format, Encoding enc, std::string_view text,
                          std::string_view genres = {}) {
    InputFile file("m", text);
    InputFile genre_file("g", genres);
    auto reader = make_movies_reader(format, enc, file, &genre_file);
    std::vector<Movie> out;
    MovieRow row;
    while (reader->next(row)) {
        out.push_back({row.movie_id, std::string(row.title), row.year,
                       std::vector<std::string>(row.genres.begin(), row.genres.end())});
    }
    return out;
}

// The message of the InputError thrown by f, or "" when nothing is thrown.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const InputError& e) {
        return e.what();
    }
    return "";
}

using Genres = std::vector<std::string>;

}  // namespace

TEST(RatingsReader, CsvRelease) {
    auto r = ratings(Format::Csv,
                     "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n"
                     "1,3,4.5,964981247\r\n610,170875,0.5,1493846415");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].user_id, 1);
    EXPECT_EQ(r[0].movie_id, 1);
    EXPECT_EQ(r[0].rating, 4.0f);
    EXPECT_EQ(r[0].unix_seconds, 964982703);
    EXPECT_EQ(r[1].rating, 4.5f);
    EXPECT_EQ(r[2].user_id, 610);
    EXPECT_EQ(r[2].movie_id, 170875);
}

TEST(RatingsReader, DatAndMl100kReleases) {
    auto d = ratings(Format::Dat, "1::1193::5::978300760\n2::1357::3.5::978298709\n");
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0].movie_id, 1193);
    EXPECT_EQ(d[1].rating, 3.5f);
    auto u = ratings(Format::Ml100k, "196\t242\t3\t881250949\n186\t302\t3\t891717742\n");
    ASSERT_EQ(u.size(), 2u);
    EXPECT_EQ(u[0].user_id, 196);
    EXPECT_EQ(u[1].unix_seconds, 891717742);
}

TEST(RatingsReader, HeaderIsChecked) {
    EXPECT_EQ(error_of([] { ratings(Format::Csv, "userId,movieId,rating\n1,2,3\n"); }),
              "r:1: expected the header line 'userId,movieId,rating,timestamp', found "
              "'userId,movieId,rating'");
    EXPECT_EQ(error_of([] { ratings(Format::Csv, ""); }),
              "r: empty file (expected the header line 'userId,movieId,rating,timestamp')");
    // A UTF-8 byte order mark before the header is accepted.
    EXPECT_EQ(ratings(Format::Csv, "\xEF\xBB\xBFuserId,movieId,rating,timestamp\n1,2,3,4\n").size(),
              1u);
}

TEST(RatingsReader, MalformedLinesNameFileLineAndField) {
    const std::string h = "userId,movieId,rating,timestamp\n1,1,4,100\n";
    EXPECT_EQ(error_of([&] { ratings(Format::Csv, h + "1,2,3\n"); }),
              "r:3: expected 4 fields separated by ',' (user id, movie id, rating, timestamp), "
              "found 3");
    EXPECT_EQ(error_of([&] { ratings(Format::Csv, h + "1,x2,3,4\n"); }),
              "r:3: field 2 (movie id): 'x2' is not an integer");
    EXPECT_EQ(error_of([&] { ratings(Format::Csv, h + "1,2,4.x,4\n"); }),
              "r:3: field 3 (rating): '4.x' is not a number");
    EXPECT_EQ(error_of([&] { ratings(Format::Csv, h + "1,2,nan,4\n"); }),
              "r:3: field 3 (rating): 'nan' is not a number");
    EXPECT_EQ(error_of([&] { ratings(Format::Csv, h + "1,2,3,99999999999999\n"); }),
              "r:3: field 4 (timestamp): 99999999999999 is outside the range of PostgreSQL "
              "timestamps");
    EXPECT_EQ(error_of([] { ratings(Format::Dat, "1::2::3\n"); }),
              "r:1: expected 4 fields separated by '::' (user id, movie id, rating, timestamp), "
              "found 3");
    EXPECT_EQ(error_of([] { ratings(Format::Ml100k, "1 2 3 4\n"); }),
              "r:1: expected 4 fields separated by tabs (user id, movie id, rating, timestamp), "
              "found 1");
}

TEST(MoviesReader, CsvRelease) {
    auto m = movies(Format::Csv, Encoding::Utf8,
                    "movieId,title,genres\n"
                    "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
                    "11,\"American President, The (1995)\",Comedy|Drama|Romance\n"
                    "40697,Babylon 5,Sci-Fi\n"
                    "143410,Hyena Road,(no genres listed)\n"
                    "171749,Death Note: Desu nôto (2006–2007),(no genres listed)\n");
    ASSERT_EQ(m.size(), 5u);
    EXPECT_EQ(m[0].title, "Toy Story (1995)");
    EXPECT_EQ(m[0].year, 1995);
    EXPECT_EQ(m[0].genres, (Genres{"Adventure", "Animation", "Children", "Comedy", "Fantasy"}));
    EXPECT_EQ(m[1].title, "American President, The (1995)");
    EXPECT_FALSE(m[2].year.has_value());
    EXPECT_TRUE(m[3].genres.empty());
    EXPECT_EQ(m[4].year, 2006);
}

TEST(MoviesReader, DatReleaseInLatin1AndUtf8) {
    auto m1 =
        movies(Format::Dat, Encoding::Latin1, "73::Mis\xE9rables, Les (1995)::Drama|Musical\n");
    ASSERT_EQ(m1.size(), 1u);
    EXPECT_EQ(m1[0].title, "Misérables, Les (1995)");
    EXPECT_EQ(m1[0].genres, (Genres{"Drama", "Musical"}));
    auto m10 = movies(Format::Dat, Encoding::Utf8, "73::Misérables, Les (1995)::Drama\n");
    EXPECT_EQ(m10[0].title, "Misérables, Les (1995)");
    EXPECT_EQ(error_of([] {
                  movies(Format::Dat, Encoding::Utf8,
                         "1::A (1995)::Drama\n"
                         "73::Mis\xE9rables (1995)::Drama\n");
              }),
              "m:2: field 2 (title): invalid UTF-8 at byte 4 (0xE9); if the file is Latin-1, "
              "use --encoding latin1");
}

TEST(MoviesReader, Ml100kGenreFlags) {
    const std::string genres = "unknown|0\nAction|1\nComedy|2\n\n";
    auto m = movies(Format::Ml100k, Encoding::Latin1,
                    "1|Toy Story (1995)|01-Jan-1995||http://example.org/1|0|0|1\n"
                    "2|Caf\xE9 Movie (1996)|01-Jan-1996||http://example.org/2|0|1|1\n"
                    "267|unknown||||1|0|0\n",
                    genres);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_EQ(m[0].genres, (Genres{"Comedy"}));
    EXPECT_EQ(m[1].title, "Café Movie (1996)");
    EXPECT_EQ(m[1].genres, (Genres{"Action", "Comedy"}));
    EXPECT_EQ(m[2].title, "unknown");
    EXPECT_FALSE(m[2].year.has_value());
    EXPECT_EQ(m[2].genres, (Genres{"unknown"}));

    EXPECT_EQ(
        error_of([&] { movies(Format::Ml100k, Encoding::Latin1, "1|A|d||u|0|2|0\n", genres); }),
        "m:1: field 7 (flag of genre Action): expected 0 or 1, found '2'");
    EXPECT_EQ(error_of([&] { movies(Format::Ml100k, Encoding::Latin1, "1|A|d||u|0|0\n", genres); }),
              "m:1: expected 8 fields separated by '|' (movie id, title, release date, video "
              "release date, IMDb URL and 3 genre flags), found 7");
    EXPECT_EQ(error_of([] { movies(Format::Ml100k, Encoding::Latin1, "", "Action|1\n"); }),
              "g:1: field 2 (index): expected 0, found 1");
}

TEST(MoviesReader, DuplicateMovieIdIsAnError) {
    EXPECT_EQ(error_of([] {
                  movies(Format::Csv, Encoding::Utf8,
                         "movieId,title,genres\n5,A (1990),Drama\n6,B,Drama\n5,C,Drama\n");
              }),
              "m:4: movie id 5 appears twice (first on line 2)");
}
