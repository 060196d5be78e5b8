// Unit tests of movielens-load's COPY encoding: the binary bytes and the text lines.
#include <gtest/gtest.h>

#include "copy_encoder.hpp"

using namespace movielens_load;

namespace {

std::string bytes(const CopyEncoder& e) {
    return std::string(e.data(), e.size());
}

}  // namespace

TEST(CopyEncoder, BinaryHeaderAndTrailer) {
    CopyEncoder e(CopyFormat::Binary);
    e.begin();
    e.end();
    EXPECT_EQ(bytes(e), std::string("PGCOPY\n\xFF\r\n\0"
                                    "\0\0\0\0"
                                    "\0\0\0\0"
                                    "\xFF\xFF",
                                    21));
}

TEST(CopyEncoder, BinaryRating) {
    CopyEncoder e(CopyFormat::Binary);
    RatingRow r{1, 258, 4.5f, 946684801};  // one second after the PostgreSQL epoch
    e.add(r);
    std::string expected(
        "\0\x04"  // 4 fields
        "\0\0\0\x08"
        "\0\0\0\0\0\0\0\x01"  // user_id 1
        "\0\0\0\x08"
        "\0\0\0\0\0\0\x01\x02"  // movie_id 258
        "\0\0\0\x04"
        "\x40\x90\0\0"  // 4.5f
        "\0\0\0\x08"
        "\0\0\0\0\0\x0F\x42\x40",  // 1000000 us
        46);
    EXPECT_EQ(bytes(e), expected);
}

TEST(CopyEncoder, BinaryMovieWithNullYearAndEmptyGenres) {
    CopyEncoder e(CopyFormat::Binary);
    MovieRow m;
    m.movie_id = 7;
    m.title = "Ab";
    e.add(m);
    std::string expected(
        "\0\x04"
        "\0\0\0\x08"
        "\0\0\0\0\0\0\0\x07"
        "\0\0\0\x02"
        "Ab"
        "\xFF\xFF\xFF\xFF"  // NULL year
        "\0\0\0\x0C"
        "\0\0\0\0"
        "\0\0\0\0"
        "\0\0\0\x19",  // '{}'::text[]
        40);
    EXPECT_EQ(bytes(e), expected);
}

TEST(CopyEncoder, BinaryMovieWithGenres) {
    CopyEncoder e(CopyFormat::Binary);
    MovieRow m;
    m.movie_id = 1;
    m.title = "T";
    m.year = 1995;
    m.genres = {"A", "Bc"};
    e.add(m);
    std::string expected(
        "\0\x04"
        "\0\0\0\x08"
        "\0\0\0\0\0\0\0\x01"
        "\0\0\0\x01"
        "T"
        "\0\0\0\x04"
        "\0\0\x07\xCB"  // 1995
        "\0\0\0\x1F"    // 31 bytes of array
        "\0\0\0\x01"
        "\0\0\0\0"
        "\0\0\0\x19"  // 1 dim, no nulls, text
        "\0\0\0\x02"
        "\0\0\0\x01"  // 2 elements from 1
        "\0\0\0\x01"
        "A"
        "\0\0\0\x02"
        "Bc",
        2 + 12 + 5 + 8 + 4 + 31);
    EXPECT_EQ(bytes(e), expected);
}

TEST(CopyEncoder, TextRowsAreEscaped) {
    CopyEncoder e(CopyFormat::Text);
    e.begin();
    e.add(RatingRow{1, 1, 4.0f, 964982703});
    e.add(RatingRow{2, 3, 3.5f, 0});
    MovieRow m;
    m.movie_id = 9;
    m.title = "Tab\there \\ (1990)";
    m.year = 1990;
    m.genres = {"Sci-Fi", "Quote\"Back\\"};
    e.add(m);
    m.year.reset();
    m.genres.clear();
    m.title = "x";
    e.add(m);
    e.end();
    EXPECT_EQ(bytes(e),
              "1\t1\t4\t2000-07-30 18:45:03+00\n"
              "2\t3\t3.5\t1970-01-01 00:00:00+00\n"
              "9\tTab\\there \\\\ (1990)\t1990\t{\"Sci-Fi\",\"Quote\\\\\"Back\\\\\\\\\"}\n"
              "9\tx\t\\N\t{}\n");
}

TEST(FormatTimestamp, CalendarEdges) {
    EXPECT_EQ(format_timestamp_utc(0), "1970-01-01 00:00:00+00");
    EXPECT_EQ(format_timestamp_utc(-1), "1969-12-31 23:59:59+00");
    EXPECT_EQ(format_timestamp_utc(951782400), "2000-02-29 00:00:00+00");
    EXPECT_EQ(format_timestamp_utc(4107542399), "2100-02-28 23:59:59+00");
    EXPECT_EQ(format_timestamp_utc(-62135596800), "0001-01-01 00:00:00+00");
    EXPECT_EQ(format_timestamp_utc(-62135596801), "0001-12-31 23:59:59+00 BC");
    EXPECT_EQ(format_timestamp_utc(-210866803200), "4714-11-24 00:00:00+00 BC");
    EXPECT_EQ(format_timestamp_utc(253402300800), "10000-01-01 00:00:00+00");
}

TEST(PostgresMicroseconds, Epochs) {
    EXPECT_EQ(postgres_microseconds(946684800), 0);
    EXPECT_EQ(postgres_microseconds(964982703), 18297903000000);
}
