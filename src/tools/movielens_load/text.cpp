// Text helpers for the MovieLens files (see text.hpp).
#include "text.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace movielens_load {

bool parse_int64(std::string_view s, std::int64_t& out) {
    if (s.empty()) {
        return false;
    }
    const char* end = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(s.data(), end, out);
    return ec == std::errc() && ptr == end;
}

bool parse_rating(std::string_view s, float& out) {
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    // Fast paths for the forms the releases use: "4" and "4.5". The quotient of two exact
    // floats is correctly rounded, so these agree with the general path.
    if (s.size() == 1 && digit(s[0])) {
        out = static_cast<float>(s[0] - '0');
        return true;
    }
    if (s.size() == 3 && digit(s[0]) && s[1] == '.' && digit(s[2])) {
        out = static_cast<float>((s[0] - '0') * 10 + (s[2] - '0')) / 10.0f;
        return true;
    }
    if (s.empty()) {
        return false;
    }
    // from_chars also accepts "inf", "nan" and, without a sign, nothing else unusual.
    for (char c : s) {
        if (!digit(c) && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
            return false;
        }
    }
    const char* end = s.data() + s.size();
    float value = 0.0f;
    auto [ptr, ec] = std::from_chars(s.data(), end, value);
    if (ec != std::errc() || ptr != end || !std::isfinite(value)) {
        return false;
    }
    out = value;
    return true;
}

std::optional<std::size_t> find_invalid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x01 && c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 0;
        std::uint32_t cp = 0;
        std::uint32_t min = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1Fu, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0Fu, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07u, min = 0x10000;
        } else {
            return i;  // NUL, a continuation byte, C0/C1 or F5..FF
        }
        if (i + len > n) {
            return i;
        }
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0u) != 0x80u) {
                return i;
            }
            cp = (cp << 6) | (p[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return i;
        }
        i += len;
    }
    return std::nullopt;
}

void latin1_to_utf8(std::string_view s, std::string& out) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c < 0x80) {
            out.push_back(ch);
        } else {
            out.push_back(static_cast<char>(0xC0u | (c >> 6)));
            out.push_back(static_cast<char>(0x80u | (c & 0x3Fu)));
        }
    }
}

namespace {

bool four_digits(std::string_view s, std::size_t at, std::int32_t& year) {
    if (at + 4 > s.size()) {
        return false;
    }
    std::int32_t y = 0;
    for (std::size_t k = at; k < at + 4; ++k) {
        if (s[k] < '0' || s[k] > '9') {
            return false;
        }
        y = y * 10 + (s[k] - '0');
    }
    year = y;
    return true;
}

}  // namespace

std::optional<std::int32_t> year_from_title(std::string_view title) {
    while (!title.empty() && (title.back() == ' ' || title.back() == '\t')) {
        title.remove_suffix(1);
    }
    if (title.size() < 6 || title.back() != ')') {
        return std::nullopt;
    }
    std::size_t open = title.rfind('(');
    if (open == std::string_view::npos) {
        return std::nullopt;
    }
    std::string_view inner = title.substr(open + 1, title.size() - open - 2);
    std::int32_t first = 0;
    if (!four_digits(inner, 0, first)) {
        return std::nullopt;
    }
    std::string_view rest = inner.substr(4);
    if (rest.empty()) {
        return first;  // (1995)
    }
    // A range: a hyphen or an en dash (U+2013), then nothing or a second year.
    static constexpr std::string_view kEnDash = "\xE2\x80\x93";
    if (rest.front() == '-') {
        rest.remove_prefix(1);
    } else if (rest.substr(0, kEnDash.size()) == kEnDash) {
        rest.remove_prefix(kEnDash.size());
    } else {
        return std::nullopt;
    }
    std::int32_t second = 0;
    if (rest.empty() || (rest.size() == 4 && four_digits(rest, 0, second))) {
        return first;
    }
    return std::nullopt;
}

std::string quote_for_message(std::string_view s) {
    constexpr std::size_t kMax = 40;
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c >= 0x7F || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", c);
            out += buf;
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    out += s.size() > kMax ? "'..." : "'";
    return out;
}

}  // namespace movielens_load
