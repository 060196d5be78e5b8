// Reading an input file: the whole file mapped into memory, and a cursor over its lines that
// counts line numbers for error messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace movielens_load {

// A read-only file mapped into memory (or an in-memory text for tests). Throws InputError
// naming the file when it cannot be opened or read.
class InputFile {
public:
    explicit InputFile(std::string path);
    // A file whose content is the given text (for tests); nothing is mapped.
    InputFile(std::string name, std::string_view content);
    ~InputFile();
    InputFile(const InputFile&) = delete;
    InputFile& operator=(const InputFile&) = delete;

    const std::string& name() const { return name_; }
    std::string_view content() const { return content_; }

private:
    std::string name_;
    std::string_view content_;
    void* map_ = nullptr;
    std::size_t map_size_ = 0;
};

// Walks the lines of a text: each line without its "\n" or "\r\n", numbered from 1. A final line
// without a newline is still a line.
class LineCursor {
public:
    explicit LineCursor(std::string_view text) : text_(text) {}

    // The next line, or false at the end of the text.
    bool next(std::string_view& line) {
        if (pos_ >= text_.size()) {
            return false;
        }
        const char* begin = text_.data() + pos_;
        std::size_t left = text_.size() - pos_;
        const void* nl = std::memchr(begin, '\n', left);
        std::size_t len =
            nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin) : left;
        pos_ += nl ? len + 1 : len;
        ++line_no_;
        if (len > 0 && begin[len - 1] == '\r') {
            --len;
        }
        line = std::string_view(begin, len);
        return true;
    }

    // Number of the line last returned by next (0 before the first).
    std::uint64_t line_no() const { return line_no_; }
    // Bytes consumed so far.
    std::size_t offset() const { return pos_; }
    std::size_t size() const { return text_.size(); }

private:
    std::string_view text_;
    std::size_t pos_ = 0;
    std::uint64_t line_no_ = 0;
};

}  // namespace movielens_load
