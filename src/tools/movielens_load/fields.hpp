// Splitting records into fields: plain separators ("::", tab, "|") and CSV with RFC 4180
// quoting, where a quoted field may hold separators, doubled quotes and line breaks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "input_file.hpp"

namespace movielens_load {

// The fields of one record. Only the first kMaxFields are kept; count is the true number.
struct Fields {
    static constexpr std::size_t kMaxFields = 32;
    std::array<std::string_view, kMaxFields> field;
    std::size_t count = 0;

    std::string_view operator[](std::size_t i) const { return field[i]; }
};

// Splits line at every occurrence of sep (one or more characters, not empty). An empty line has
// one empty field.
void split_fields(std::string_view line, std::string_view sep, Fields& out);

// Reads CSV records from a line cursor. A quoted field ("...") may contain commas, line breaks
// and doubled quotes ("" for "); a quote inside an unquoted field is an ordinary character.
// Field views stay valid until the next call.
class CsvReader {
public:
    CsvReader(const std::string& file_name, LineCursor& cursor)
        : file_name_(file_name), cursor_(cursor) {}

    // Reads the next record into out; false at the end of the input. Empty lines are skipped.
    // Throws ParseError on an unterminated quoted field or text after a closing quote.
    bool next(Fields& out);

    // First line of the record last returned.
    std::uint64_t line_no() const { return record_line_; }

private:
    // Parses rec into out; false when a quoted field is still open at the end of rec.
    bool parse(std::string_view rec, Fields& out);

    const std::string& file_name_;
    LineCursor& cursor_;
    std::uint64_t record_line_ = 0;
    std::string joined_;    // a record spanning several lines
    std::string unquoted_;  // fields with doubled quotes, unescaped
    struct Span {
        bool in_unquoted;
        std::size_t begin, length;
    };
    std::vector<Span> spans_;
};

}  // namespace movielens_load
