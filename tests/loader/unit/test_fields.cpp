// Unit tests of movielens-load's field splitting: plain separators and CSV (RFC 4180).
#include <gtest/gtest.h>

#include "errors.hpp"
#include "fields.hpp"

using namespace movielens_load;

namespace {

std::vector<std::string> split(std::string_view line, std::string_view sep) {
    Fields f;
    split_fields(line, sep, f);
    return std::vector<std::string>(f.field.begin(), f.field.begin() + static_cast<long>(f.count));
}

// All records of a CSV text, each as a vector of fields, with the line each starts on.
std::vector<std::pair<std::uint64_t, std::vector<std::string>>> csv(std::string_view text) {
    std::string name = "test.csv";
    LineCursor cursor(text);
    CsvReader reader(name, cursor);
    Fields f;
    std::vector<std::pair<std::uint64_t, std::vector<std::string>>> out;
    while (reader.next(f)) {
        out.emplace_back(reader.line_no(),
                         std::vector<std::string>(f.field.begin(),
                                                  f.field.begin() + static_cast<long>(f.count)));
    }
    return out;
}

using V = std::vector<std::string>;

}  // namespace

TEST(SplitFields, SingleAndMultiCharacterSeparators) {
    EXPECT_EQ(split("1\t2\t3\t4", "\t"), (V{"1", "2", "3", "4"}));
    EXPECT_EQ(split("1::Toy Story (1995)::Animation|Comedy", "::"),
              (V{"1", "Toy Story (1995)", "Animation|Comedy"}));
    EXPECT_EQ(split("Star Wars: Episode IV::x", "::"), (V{"Star Wars: Episode IV", "x"}));
    EXPECT_EQ(split("a||b|", "|"), (V{"a", "", "b", ""}));
    EXPECT_EQ(split("", ","), (V{""}));
}

TEST(SplitFields, CountsFieldsBeyondTheKeptOnes) {
    Fields f;
    std::string line(40, '|');
    split_fields(line, "|", f);
    EXPECT_EQ(f.count, 41u);
}

TEST(LineCursor, HandlesCrLfAndAMissingFinalNewline) {
    LineCursor c("a\r\nb\n\nc");
    std::string_view line;
    std::vector<std::string> lines;
    while (c.next(line)) {
        lines.emplace_back(line);
    }
    EXPECT_EQ(lines, (V{"a", "b", "", "c"}));
    EXPECT_EQ(c.line_no(), 4u);
    EXPECT_EQ(c.offset(), c.size());
}

TEST(Csv, QuotedFieldsWithCommasAndDoubledQuotes) {
    auto r =
        csv("1,\"Bug's Life, A (1998)\",Animation\n"
            "2,\"\"\"Great Performances\"\" Cats (1998)\",Musical\n"
            "3,\"\",x\n");
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].second, (V{"1", "Bug's Life, A (1998)", "Animation"}));
    EXPECT_EQ(r[1].second, (V{"2", "\"Great Performances\" Cats (1998)", "Musical"}));
    EXPECT_EQ(r[2].second, (V{"3", "", "x"}));
}

TEST(Csv, QuotedLineBreaksJoinLinesAndKeepTheFirstLineNumber) {
    auto r = csv("1,\"two\nlines\",x\n2,y,z\n");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].first, 1u);
    EXPECT_EQ(r[0].second, (V{"1", "two\nlines", "x"}));
    EXPECT_EQ(r[1].first, 3u);
    EXPECT_EQ(r[1].second, (V{"2", "y", "z"}));
}

TEST(Csv, EmptyLinesAreSkippedAndTrailingCommasCount) {
    auto r = csv("\n1,2,\r\n\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].first, 2u);
    EXPECT_EQ(r[0].second, (V{"1", "2", ""}));
}

TEST(Csv, BareQuoteInsideAnUnquotedFieldIsText) {
    auto r = csv("1,The \"Best\" Movie,x\n");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].second[1], "The \"Best\" Movie");
}

TEST(Csv, UnterminatedQuoteIsAnError) {
    try {
        csv("1,a,b\n2,\"open,x\n3,c,d\n");
        FAIL() << "no error";
    } catch (const ParseError& e) {
        EXPECT_STREQ(e.what(), "test.csv:2: quoted field not closed before the end of the file");
    }
}

TEST(Csv, TextAfterClosingQuoteIsAnError) {
    try {
        csv("1,\"a\"b,c\n");
        FAIL() << "no error";
    } catch (const ParseError& e) {
        EXPECT_STREQ(e.what(), "test.csv:1: unexpected text after the closing quote of field 2");
    }
}
