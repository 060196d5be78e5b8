// Splitting records into fields (see fields.hpp).
#include "fields.hpp"

#include <cstring>

#include "errors.hpp"

namespace movielens_load {

void split_fields(std::string_view line, std::string_view sep, Fields& out) {
    out.count = 0;
    std::size_t pos = 0;
    for (;;) {
        std::size_t end;
        if (sep.size() == 1) {
            const void* hit = std::memchr(line.data() + pos, sep[0], line.size() - pos);
            end = hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - line.data())
                      : std::string_view::npos;
        } else {
            end = line.find(sep, pos);
        }
        std::string_view f =
            line.substr(pos, end == std::string_view::npos ? line.size() - pos : end - pos);
        if (out.count < Fields::kMaxFields) {
            out.field[out.count] = f;
        }
        ++out.count;
        if (end == std::string_view::npos) {
            return;
        }
        pos = end + sep.size();
    }
}

bool CsvReader::next(Fields& out) {
    std::string_view line;
    do {
        if (!cursor_.next(line)) {
            return false;
        }
    } while (line.empty());
    record_line_ = cursor_.line_no();
    if (parse(line, out)) {
        return true;
    }
    // A quoted field runs over the end of the line: join the following lines.
    joined_.assign(line.data(), line.size());
    for (;;) {
        std::string_view more;
        if (!cursor_.next(more)) {
            throw ParseError(file_name_, record_line_,
                             "quoted field not closed before the end of the file");
        }
        joined_.push_back('\n');
        joined_.append(more.data(), more.size());
        if (parse(joined_, out)) {
            return true;
        }
    }
}

bool CsvReader::parse(std::string_view rec, Fields& out) {
    spans_.clear();
    unquoted_.clear();
    const std::size_t n = rec.size();
    std::size_t pos = 0;
    for (;;) {
        if (pos < n && rec[pos] == '"') {
            // Quoted field: up to the closing quote; "" stands for one quote.
            std::size_t start = pos + 1;
            std::size_t i = start;
            bool doubled = false;
            for (;;) {
                const void* hit = std::memchr(rec.data() + i, '"', n - i);
                if (hit == nullptr) {
                    return false;  // still open at the end of rec
                }
                i = static_cast<std::size_t>(static_cast<const char*>(hit) - rec.data());
                if (i + 1 < n && rec[i + 1] == '"') {
                    doubled = true;
                    i += 2;
                    continue;
                }
                break;
            }
            if (doubled) {
                std::size_t begin = unquoted_.size();
                for (std::size_t k = start; k < i; ++k) {
                    unquoted_.push_back(rec[k]);
                    if (rec[k] == '"') {
                        ++k;  // skip the second quote of the pair
                    }
                }
                spans_.push_back({true, begin, unquoted_.size() - begin});
            } else {
                spans_.push_back({false, start, i - start});
            }
            pos = i + 1;
            if (pos < n && rec[pos] != ',') {
                throw ParseError(file_name_, record_line_,
                                 "unexpected text after the closing quote of field " +
                                     std::to_string(spans_.size()));
            }
        } else {
            const void* hit = std::memchr(rec.data() + pos, ',', n - pos);
            std::size_t end =
                hit ? static_cast<std::size_t>(static_cast<const char*>(hit) - rec.data()) : n;
            spans_.push_back({false, pos, end - pos});
            pos = end;
        }
        if (pos >= n) {
            break;
        }
        ++pos;  // the comma
        if (pos == n) {
            spans_.push_back({false, n, 0});  // a trailing comma: one more empty field
            break;
        }
    }
    out.count = spans_.size();
    std::size_t keep = spans_.size() < Fields::kMaxFields ? spans_.size() : Fields::kMaxFields;
    for (std::size_t k = 0; k < keep; ++k) {
        const Span& s = spans_[k];
        out.field[k] = s.in_unquoted ? std::string_view(unquoted_).substr(s.begin, s.length)
                                     : rec.substr(s.begin, s.length);
    }
    return true;
}

}  // namespace movielens_load
