// Invented movie titles of the demo data: word lists combined by a few patterns, and Roman
// numerals for sequels. Pure functions of their argument, so a seed gives the same titles with
// every compiler and standard library.
#pragma once

#include <cstdint>
#include <string>

namespace movie_recs::core {

// How many distinct base titles demo_title_words() can make.
std::uint64_t demo_title_space();

// Base title number c (0 <= c < demo_title_space()) as words; distinct c give distinct titles.
std::string demo_title_words(std::uint64_t c);

// n (>= 1) in Roman numerals ("II", "XIV"), for the sequel suffix.
std::string roman_numeral(std::uint64_t n);

}  // namespace movie_recs::core
