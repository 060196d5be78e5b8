// movie_recs_serving: CPU per call of the core's scoring (ServingModel::recommend) as a busy
// server runs it: many backends, each with its own copy of the model, taking turns on the cores,
// so every call starts with the model out of the caches.
//
//   movie_recs_serving [--ratings N] [--copies C] [--calls K] [--users U] [--n ROWS]
//                      [--scrub KB] [--seed S] [--threads T] [--cache FILE]
//
// Trains the model the benchmarks train (k = 20, 20 iterations, the defaults otherwise) on the
// generated ratings of bench/generate --ratings N (default 25000000), samples U users (default
// 20000) with their soft assignments and rated movies, builds C copies of the serving model
// (default 16) and makes K calls (default 200000), each for a random sampled user on the next
// copy in turn; --scrub KB also reads that much other memory between calls. Prints the mean
// wall and CPU nanoseconds per call, the mean number of rated movies, and a checksum of every
// result (ids and score bits in call order): two builds that print the same checksum returned
// the same rows for every call. --cache FILE keeps the model and the sample in FILE (written
// when missing, read when present) to skip the training on later runs.
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/demo_data.hpp"
#include "core/errors.hpp"
#include "core/model.hpp"
#include "core/rating_matrix.hpp"
#include "core/recommend.hpp"
#include "generated_ratings.hpp"

using namespace movie_recs::core;

namespace {

long long arg_int(int argc, char** argv, const char* name, long long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == name) return std::atoll(argv[i + 1]);
    return fallback;
}

std::string arg_str(int argc, char** argv, const char* name) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == name) return argv[i + 1];
    return {};
}

double thread_cpu_ns() {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// What serving needs: the model's lists and a sample of users to ask for.
struct Workload {
    std::vector<std::vector<ScoredMovie>> lists;
    std::vector<double> prior;
    std::vector<ScoredMovie> popular;
    int width = 0;
    std::vector<std::int32_t> clusters;  // users x width
    std::vector<float> weights;          // users x width
    std::vector<std::int64_t> seen_offsets{0};
    std::vector<std::int64_t> seen;      // each user's rated movie ids, ascending
    std::size_t users() const { return seen_offsets.size() - 1; }
};

// The rows of bench/generate --ratings N (movie_recs_generate's defaults) in a matrix.
RatingMatrix generated_matrix(long long ratings, int threads) {
    const DemoParams demo = movie_recs::tools::generated_ratings_params(ratings);
    RatingCollector collector;
    DemoRatingStream stream(demo);
    std::vector<RatingTriple> batch;
    DemoRating r;
    for (long long n = 0; n < ratings && stream.next(&r); ++n) {
        batch.push_back({r.user_id, r.movie_id, r.rating});
        if (batch.size() == 8192) {
            collector.add(batch.data(), batch.size());
            batch.clear();
        }
    }
    collector.add(batch.data(), batch.size());
    return collector.build(threads);
}

Workload train(long long ratings, int threads, std::size_t sample, std::uint64_t seed) {
    const RatingMatrix m = generated_matrix(ratings, threads);
    ModelParams params;
    params.kmeans.k = 20;
    params.kmeans.max_iterations = 20;
    params.kmeans.tolerance = 0;
    params.kmeans.threads = threads;
    const Model model = train_model(m, params);
    Workload w;
    w.lists = model.cluster_lists;
    w.prior = model.prior_weight;
    w.popular = model.popular;
    w.width = model.soft_width;
    std::mt19937_64 rng(seed);
    const auto& rows = m.rows();
    for (std::size_t i = 0; i < sample; ++i) {
        const auto u = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(m.users()));
        for (int j = 0; j < w.width; ++j) {
            w.clusters.push_back(model.soft_cluster[static_cast<std::size_t>(u * w.width + j)]);
            w.weights.push_back(model.soft_weight[static_cast<std::size_t>(u * w.width + j)]);
        }
        for (SparseRows::InnerIterator it(rows, u); it; ++it)
            w.seen.push_back(m.movie_ids()[static_cast<std::size_t>(it.index())]);
        w.seen_offsets.push_back(static_cast<std::int64_t>(w.seen.size()));
    }
    return w;
}

template <typename T>
void put(std::ofstream& f, const std::vector<T>& v) {
    const std::uint64_t n = v.size();
    f.write(reinterpret_cast<const char*>(&n), sizeof n);
    f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(n * sizeof(T)));
}

template <typename T>
void get(std::ifstream& f, std::vector<T>* v) {
    std::uint64_t n = 0;
    f.read(reinterpret_cast<char*>(&n), sizeof n);
    v->resize(n);
    f.read(reinterpret_cast<char*>(v->data()), static_cast<std::streamsize>(n * sizeof(T)));
}

void save(const Workload& w, const std::string& path) {
    std::ofstream f(path, std::ios::binary);
    const std::vector<std::int32_t> shape{static_cast<std::int32_t>(w.lists.size()), w.width};
    put(f, shape);
    for (const auto& list : w.lists) put(f, list);
    put(f, w.prior);
    put(f, w.popular);
    put(f, w.clusters);
    put(f, w.weights);
    put(f, w.seen_offsets);
    put(f, w.seen);
    if (!f) throw Error(ErrorKind::Internal, "cannot write " + path);
}

bool load(const std::string& path, Workload* w) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::vector<std::int32_t> shape;
    get(f, &shape);
    if (shape.size() != 2) return false;
    w->lists.resize(static_cast<std::size_t>(shape[0]));
    w->width = shape[1];
    for (auto& list : w->lists) get(f, &list);
    get(f, &w->prior);
    get(f, &w->popular);
    get(f, &w->clusters);
    get(f, &w->weights);
    get(f, &w->seen_offsets);
    get(f, &w->seen);
    return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
    const long long ratings = arg_int(argc, argv, "--ratings", 25000000);
    const auto copies = static_cast<std::size_t>(std::max(1LL, arg_int(argc, argv, "--copies", 16)));
    const long long calls = arg_int(argc, argv, "--calls", 200000);
    const auto sample = static_cast<std::size_t>(std::max(1LL, arg_int(argc, argv, "--users", 20000)));
    const int n = static_cast<int>(arg_int(argc, argv, "--n", 10));
    const auto scrub_bytes = static_cast<std::size_t>(arg_int(argc, argv, "--scrub", 0)) * 1024;
    const auto seed = static_cast<std::uint64_t>(arg_int(argc, argv, "--seed", 42));
    const int threads = static_cast<int>(arg_int(argc, argv, "--threads", 2));
    const std::string cache = arg_str(argc, argv, "--cache");
    try {
        Workload w;
        if (cache.empty() || !load(cache, &w)) {
            w = train(ratings, threads, sample, seed);
            if (!cache.empty()) save(w, cache);
        }
        std::vector<ServingModel> models;
        models.reserve(copies);
        for (std::size_t c = 0; c < copies; ++c) models.emplace_back(w.lists, w.prior, w.popular);
        std::vector<std::uint64_t> scrub(scrub_bytes / sizeof(std::uint64_t), 1);
        std::mt19937_64 rng(seed + 1);
        std::uint64_t checksum = 14695981039346656037ULL;
        std::uint64_t sink = 0;
        double seen_total = 0;
        // The same loop without the calls first: its CPU (drawing users, scrubbing) is subtracted.
        double base_ns = thread_cpu_ns();
        {
            std::mt19937_64 same(seed + 1);
            for (long long call = 0; call < calls; ++call) {
                const std::size_t u = same() % w.users();
                sink += static_cast<std::uint64_t>(w.seen_offsets[u]);
                for (std::size_t i = 0; i < scrub.size(); i += 8) sink += scrub[i];
            }
        }
        base_ns = thread_cpu_ns() - base_ns;
        const double start_ns = thread_cpu_ns();
        const auto start = std::chrono::steady_clock::now();
        for (long long call = 0; call < calls; ++call) {
            const std::size_t u = rng() % w.users();
            const std::int64_t* seen = w.seen.data() + w.seen_offsets[u];
            const std::int64_t* seen_end = w.seen.data() + w.seen_offsets[u + 1];
            seen_total += static_cast<double>(seen_end - seen);
            for (std::size_t i = 0; i < scrub.size(); i += 8) sink += scrub[i];
            const auto top = models[static_cast<std::size_t>(call) % copies].recommend(
                w.clusters.data() + u * static_cast<std::size_t>(w.width),
                w.weights.data() + u * static_cast<std::size_t>(w.width), w.width,
                std::vector<std::int64_t>(seen, seen_end), n);
            for (const auto& s : top) {
                std::uint64_t bits;
                std::memcpy(&bits, &s.score, sizeof bits);
                checksum = (checksum ^ static_cast<std::uint64_t>(s.movie_id)) * 1099511628211ULL;
                checksum = (checksum ^ bits) * 1099511628211ULL;
            }
        }
        const double cpu_ns = thread_cpu_ns() - start_ns - base_ns;
        const double wall_ns =
            std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
        std::printf("k %zu, width %d, %zu listed in popular, %zu users sampled, %zu copies%s\n",
                    w.lists.size(), w.width, w.popular.size(), w.users(), copies,
                    scrub.empty() ? "" : (", scrub " + std::to_string(scrub_bytes / 1024) + " KB").c_str());
        std::printf("%lld calls of n = %d: %.0f ns cpu per call (%.0f ns wall of the loop), "
                    "%.1f rated movies per call, checksum %016" PRIx64 "%s\n",
                    calls, n, cpu_ns / static_cast<double>(calls), wall_ns / static_cast<double>(calls),
                    seen_total / static_cast<double>(calls), checksum, sink == 1 ? " " : "");
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
