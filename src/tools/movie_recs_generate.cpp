// movie_recs_generate: MovieLens-shaped ratings at any scale, written to stdout in PostgreSQL
// COPY format (binary by default, or text), ready for
//
//     movie_recs_generate --ratings 25000000 | psql -c "\copy ratings FROM STDIN (FORMAT binary)"
//
// The rows come from the core's deterministic demo generator (log-normal user activity, Zipf
// movie popularity, planted taste groups, half-star ratings; src/core/demo_data.hpp): user ids
// ascending, each user's movies distinct, the same rows for the same options on every machine.
// Exactly --ratings rows are written: users are generated in id order until the count is reached
// (the last user keeps a prefix of their ratings). By default the number of users and movies
// scale with --ratings from MovieLens 25M's shape (162,000 users and 59,000 movies per 25M
// ratings), so the mean user rates about 154 movies at every scale.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "core/demo_data.hpp"
#include "core/errors.hpp"

using namespace movie_recs::core;

namespace {

constexpr double kReferenceRatings = 25e6;
constexpr double kReferenceUsers = 162000;
constexpr double kReferenceMovies = 59000;

struct Options {
    std::int64_t ratings = 25000000;
    std::int64_t users = 0;   // 0: scaled from ratings
    std::int64_t movies = 0;  // 0: scaled from ratings
    std::uint64_t seed = 42;
    bool binary = true;
    bool timestamps = false;  // a fourth column rated_at (timestamptz)
    bool summary = false;     // print users/movies/ratings to stderr at the end
};

[[noreturn]] void usage(const std::string& msg) {
    std::fprintf(stderr,
                 "error: %s\n"
                 "usage: movie_recs_generate [--ratings N] [--users U] [--movies M] [--seed S]\n"
                 "  [--format binary|text] [--timestamps] [--summary]\n"
                 "Writes N (default 25000000) ratings as COPY data for a table\n"
                 "(user_id bigint, movie_id bigint, rating real[, rated_at timestamptz]).\n",
                 msg.c_str());
    std::exit(2);
}

std::int64_t parse_int(const std::string& opt, const char* s) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < 1) usage("bad value for " + opt + ": " + s);
    return v;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) usage("missing value for " + a);
            return argv[++i];
        };
        if (a == "--ratings") o.ratings = parse_int(a, value());
        else if (a == "--users") o.users = parse_int(a, value());
        else if (a == "--movies") o.movies = parse_int(a, value());
        else if (a == "--seed") o.seed = static_cast<std::uint64_t>(parse_int(a, value()));
        else if (a == "--format") {
            const std::string f = value();
            if (f != "binary" && f != "text") usage("--format must be binary or text");
            o.binary = f == "binary";
        } else if (a == "--timestamps") o.timestamps = true;
        else if (a == "--summary") o.summary = true;
        else usage("unknown argument " + a);
    }
    const double scale = static_cast<double>(o.ratings) / kReferenceRatings;
    if (o.users == 0) o.users = std::max<std::int64_t>(1, std::llround(kReferenceUsers * scale));
    if (o.movies == 0) o.movies = std::max<std::int64_t>(16, std::llround(kReferenceMovies * scale));
    return o;
}

// Buffered big-endian writer for COPY BINARY, and plain text for COPY TEXT.
class Out {
public:
    Out() { buf_.reserve(kSize + 256); }
    ~Out() { flush(); }
    void bytes(const void* p, std::size_t n) {
        const auto* c = static_cast<const char*>(p);
        buf_.insert(buf_.end(), c, c + n);
        if (buf_.size() >= kSize) flush();
    }
    void be16(std::uint16_t v) {
        const unsigned char b[2] = {static_cast<unsigned char>(v >> 8),
                                    static_cast<unsigned char>(v)};
        bytes(b, 2);
    }
    void be32(std::uint32_t v) {
        unsigned char b[4];
        for (int i = 0; i < 4; ++i) b[i] = static_cast<unsigned char>(v >> (24 - 8 * i));
        bytes(b, 4);
    }
    void be64(std::uint64_t v) {
        unsigned char b[8];
        for (int i = 0; i < 8; ++i) b[i] = static_cast<unsigned char>(v >> (56 - 8 * i));
        bytes(b, 8);
    }
    void text(const char* s, std::size_t n) { bytes(s, n); }
    void flush() {
        if (buf_.empty()) return;
        if (std::fwrite(buf_.data(), 1, buf_.size(), stdout) != buf_.size()) {
            std::perror("movie_recs_generate: write");
            std::exit(1);
        }
        buf_.clear();
    }

private:
    static constexpr std::size_t kSize = 1 << 20;
    std::vector<char> buf_;
};

// Microseconds since 2000-01-01 00:00:00 UTC (PostgreSQL's timestamp epoch).
std::int64_t pg_timestamp(std::int64_t unix_seconds) {
    constexpr std::int64_t kPgEpochUnix = 946684800;
    return (unix_seconds - kPgEpochUnix) * 1000000;
}

}  // namespace

int main(int argc, char** argv) {
    const Options o = parse(argc, argv);
    DemoParams p;
    p.movies = o.movies;
    p.seed = o.seed;
    p.mean_ratings_per_user = static_cast<double>(o.ratings) / static_cast<double>(o.users);
    // Users are generated until the count is reached; allow enough of them for an unlucky draw.
    p.users = std::min<std::int64_t>(kMaxDemoUsers, o.users * 4 + 1000);
    if (p.movies < p.taste_groups) p.taste_groups = static_cast<int>(p.movies);
    try {
        validate(p);
        DemoRatingStream stream(p);
        Out out;
        if (o.binary) {
            static const char kSignature[11] = {'P', 'G', 'C', 'O', 'P', 'Y', '\n',
                                                '\377', '\r', '\n', '\0'};
            out.bytes(kSignature, sizeof kSignature);
            out.be32(0);  // flags
            out.be32(0);  // header extension length
        }
        DemoRating r;
        std::int64_t written = 0;
        std::int64_t last_user = 0;
        char line[128];
        while (written < o.ratings && stream.next(&r)) {
            const float rating = static_cast<float>(r.rating);
            if (o.binary) {
                out.be16(o.timestamps ? 4 : 3);
                out.be32(8);
                out.be64(static_cast<std::uint64_t>(r.user_id));
                out.be32(8);
                out.be64(static_cast<std::uint64_t>(r.movie_id));
                out.be32(4);
                std::uint32_t bits;
                std::memcpy(&bits, &rating, 4);
                out.be32(bits);
                if (o.timestamps) {
                    out.be32(8);
                    out.be64(static_cast<std::uint64_t>(pg_timestamp(r.rated_at)));
                }
            } else {
                // Half stars print exactly with one decimal.
                int n = std::snprintf(line, sizeof line, "%lld\t%lld\t%.1f",
                                      static_cast<long long>(r.user_id),
                                      static_cast<long long>(r.movie_id),
                                      static_cast<double>(rating));
                if (o.timestamps) {
                    const std::time_t t = static_cast<std::time_t>(r.rated_at);
                    std::tm tm{};
                    gmtime_r(&t, &tm);
                    n += static_cast<int>(std::strftime(line + n, sizeof line - static_cast<std::size_t>(n),
                                                        "\t%Y-%m-%d %H:%M:%S+00", &tm));
                }
                line[n++] = '\n';
                out.text(line, static_cast<std::size_t>(n));
            }
            last_user = r.user_id;
            ++written;
        }
        if (o.binary) out.be16(0xFFFF);  // trailer
        out.flush();
        if (written < o.ratings)
            std::fprintf(stderr, "movie_recs_generate: only %lld ratings for %lld users\n",
                         static_cast<long long>(written), static_cast<long long>(p.users));
        if (o.summary)
            std::fprintf(stderr, "users %lld movies %lld ratings %lld seed %llu\n",
                         static_cast<long long>(last_user), static_cast<long long>(o.movies),
                         static_cast<long long>(written), static_cast<unsigned long long>(o.seed));
    } catch (const Error& e) {
        std::fprintf(stderr, "movie_recs_generate: %s\n", e.what());
        return 1;
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}
