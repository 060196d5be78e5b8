// Unit tests of movielens-load's text helpers: numbers, UTF-8, Latin-1, years in titles.
#include <gtest/gtest.h>

#include "text.hpp"

using namespace movielens_load;

TEST(ParseInt64, AcceptsWholeIntegers) {
    std::int64_t v = 0;
    EXPECT_TRUE(parse_int64("0", v));
    EXPECT_EQ(v, 0);
    EXPECT_TRUE(parse_int64("964982703", v));
    EXPECT_EQ(v, 964982703);
    EXPECT_TRUE(parse_int64("-12", v));
    EXPECT_EQ(v, -12);
    EXPECT_TRUE(parse_int64("9223372036854775807", v));
    EXPECT_EQ(v, INT64_MAX);
}

TEST(ParseInt64, RejectsEverythingElse) {
    std::int64_t v = 0;
    for (const char* s :
         {"", " 1", "1 ", "+1", "1.0", "1e3", "abc", "12x", "9223372036854775808", "0x10"}) {
        EXPECT_FALSE(parse_int64(s, v)) << s;
    }
}

TEST(ParseRating, FastAndGeneralPathsAgree) {
    float v = 0;
    EXPECT_TRUE(parse_rating("4", v));
    EXPECT_EQ(v, 4.0f);
    EXPECT_TRUE(parse_rating("4.5", v));
    EXPECT_EQ(v, 4.5f);
    EXPECT_TRUE(parse_rating("0.5", v));
    EXPECT_EQ(v, 0.5f);
    EXPECT_TRUE(parse_rating("3.3", v));
    EXPECT_EQ(v, 3.3f);  // correctly rounded like the general path
    EXPECT_TRUE(parse_rating("3.30", v));
    EXPECT_EQ(v, 3.3f);
    EXPECT_TRUE(parse_rating("10", v));
    EXPECT_EQ(v, 10.0f);
    EXPECT_TRUE(parse_rating("-1.25", v));
    EXPECT_EQ(v, -1.25f);
    EXPECT_TRUE(parse_rating("2e0", v));
    EXPECT_EQ(v, 2.0f);
}

TEST(ParseRating, RejectsNonNumbersAndNonFinite) {
    float v = 0;
    for (const char* s :
         {"", "x", "4.x", "nan", "inf", "-inf", "1e39", " 4", "4 ", "4,5", "0x1p3", "."}) {
        EXPECT_FALSE(parse_rating(s, v)) << s;
    }
}

TEST(Utf8, ValidTextPasses) {
    EXPECT_FALSE(find_invalid_utf8("").has_value());
    EXPECT_FALSE(find_invalid_utf8("Toy Story (1995)").has_value());
    EXPECT_FALSE(find_invalid_utf8("Misérables, Les (1995)").has_value());
    EXPECT_FALSE(find_invalid_utf8("Death Note (2006\xE2\x80\x93"
                                   "2007)")
                     .has_value());
    EXPECT_FALSE(find_invalid_utf8("\xF0\x9F\x8E\xAC clap").has_value());  // U+1F3AC
}

TEST(Utf8, InvalidSequencesAreLocated) {
    EXPECT_EQ(find_invalid_utf8("Mis\xE9rables"), 3u);              // Latin-1 é
    EXPECT_EQ(find_invalid_utf8("ab\xC3"), 2u);                     // truncated
    EXPECT_EQ(find_invalid_utf8("\xC0\xAF"), 0u);                   // overlong '/'
    EXPECT_EQ(find_invalid_utf8("x\xED\xA0\x80"), 1u);              // surrogate U+D800
    EXPECT_EQ(find_invalid_utf8("\xF4\x90\x80\x80"), 0u);           // above U+10FFFF
    EXPECT_EQ(find_invalid_utf8("\x80"), 0u);                       // lone continuation byte
    EXPECT_EQ(find_invalid_utf8(std::string_view("a\0b", 3)), 1u);  // NUL
}

TEST(Latin1, ConvertsToUtf8) {
    std::string out;
    latin1_to_utf8("Mis\xE9rables \xBF\xFF", out);
    EXPECT_EQ(out, "Misérables ¿ÿ");
    EXPECT_FALSE(find_invalid_utf8(out).has_value());
}

TEST(YearFromTitle, PlainYear) {
    EXPECT_EQ(year_from_title("Toy Story (1995)"), 1995);
    EXPECT_EQ(year_from_title("Shadows (Cienie) (1988)"), 1988);
    EXPECT_EQ(year_from_title("Justice League: Doom (2012) "), 2012);  // trailing space
}

TEST(YearFromTitle, RangesGiveTheFirstYear) {
    EXPECT_EQ(year_from_title("Babylon 5 (1994-1998)"), 1994);
    EXPECT_EQ(year_from_title("Death Note: Desu nôto (2006\xE2\x80\x93"
                              "2007)"),
              2006);
    EXPECT_EQ(year_from_title("Some Series (2007-)"), 2007);
}

TEST(YearFromTitle, NoYear) {
    EXPECT_FALSE(year_from_title("Babylon 5").has_value());
    EXPECT_FALSE(year_from_title("unknown").has_value());
    EXPECT_FALSE(year_from_title("").has_value());
    EXPECT_FALSE(
        year_from_title("City of Lost Children, The (Cité des enfants perdus, La)").has_value());
    EXPECT_FALSE(year_from_title("Nineteen (199x)").has_value());
    EXPECT_FALSE(year_from_title("Big Number (19950)").has_value());
    EXPECT_FALSE(year_from_title("Odd (1994-98)").has_value());
}

TEST(QuoteForMessage, ShowsControlAndNonAsciiBytes) {
    EXPECT_EQ(quote_for_message("4.x"), "'4.x'");
    EXPECT_EQ(quote_for_message("a\tb\xE9"), "'a\\x09b\\xE9'");
    EXPECT_EQ(quote_for_message(std::string(50, 'x')), "'" + std::string(40, 'x') + "'...");
}
