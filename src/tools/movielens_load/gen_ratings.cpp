// movielens_gen_ratings: writes a synthetic CSV release (ratings.csv, movies.csv) of a given
// size for bench/load, deterministically, and optionally the same ratings as a COPY text file
// (tab-separated, timestamps as text) for `psql \copy`.
//
//   movielens_gen_ratings ROWS DIR [COPY_TEXT_FILE]
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "copy_encoder.hpp"

using namespace movielens_load;

namespace {

// SplitMix64: a small deterministic generator.
struct Rng {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

constexpr std::int64_t kMovies = 60000;

std::FILE* open_out(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) {
        std::perror(path.c_str());
        std::exit(1);
    }
    return f;
}

void close_out(std::FILE* f, const std::string& path) {
    if (std::fclose(f) != 0) {
        std::perror(path.c_str());
        std::exit(1);
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::fprintf(stderr, "usage: movielens_gen_ratings ROWS DIR [COPY_TEXT_FILE]\n");
        return 2;
    }
    std::uint64_t rows = std::strtoull(argv[1], nullptr, 10);
    std::string dir = argv[2];

    std::string movies_path = dir + "/movies.csv";
    std::FILE* movies = open_out(movies_path);
    std::fprintf(movies, "movieId,title,genres\n");
    static const char* kGenres[] = {"Action", "Comedy", "Drama", "Romance", "Thriller", "Sci-Fi"};
    for (std::int64_t m = 1; m <= kMovies; ++m) {
        std::fprintf(movies, "%lld,\"Synthetic Movie %lld, Part %lld (%lld)\",%s|%s\n",
                     static_cast<long long>(m), static_cast<long long>(m),
                     static_cast<long long>(m % 7 + 1), static_cast<long long>(1920 + m % 100),
                     kGenres[m % 6], kGenres[(m / 6) % 6]);
    }
    close_out(movies, movies_path);

    std::string ratings_path = dir + "/ratings.csv";
    std::FILE* csv = open_out(ratings_path);
    std::FILE* text = argc == 4 ? open_out(argv[3]) : nullptr;
    std::fprintf(csv, "userId,movieId,rating,timestamp\n");

    Rng rng{42};
    CopyEncoder enc(CopyFormat::Text);
    std::string line;
    char buf[128];
    std::int64_t user = 0;
    std::uint64_t left_for_user = 0;
    std::int64_t when = 0;
    for (std::uint64_t i = 0; i < rows; ++i) {
        if (left_for_user == 0) {
            ++user;
            left_for_user = 20 + rng.below(280);
            when = 820000000 + static_cast<std::int64_t>(rng.below(880000000));
        }
        --left_for_user;
        RatingRow r;
        r.user_id = user;
        r.movie_id = 1 + static_cast<std::int64_t>(rng.below(kMovies));
        int halves = 1 + static_cast<int>(rng.below(10));  // 0.5 .. 5.0
        r.rating = static_cast<float>(halves) / 2.0f;
        when += static_cast<std::int64_t>(rng.below(5000));
        r.unix_seconds = when;

        char* p = buf;
        char* end = buf + sizeof buf;
        p = std::to_chars(p, end, r.user_id).ptr;
        *p++ = ',';
        p = std::to_chars(p, end, r.movie_id).ptr;
        *p++ = ',';
        *p++ = static_cast<char>('0' + halves / 2);
        *p++ = '.';
        *p++ = halves % 2 ? '5' : '0';
        *p++ = ',';
        p = std::to_chars(p, end, r.unix_seconds).ptr;
        *p++ = '\n';
        std::fwrite(buf, 1, static_cast<std::size_t>(p - buf), csv);
        if (text != nullptr) {
            enc.add(r);
            if (enc.size() > (1 << 20)) {
                std::fwrite(enc.data(), 1, enc.size(), text);
                enc.clear();
            }
        }
    }
    close_out(csv, ratings_path);
    if (text != nullptr) {
        std::fwrite(enc.data(), 1, enc.size(), text);
        close_out(text, argv[3]);
    }
    return 0;
}
