// movie_recs_profile: the training pipeline of the extension without PostgreSQL, on generated
// ratings (the rows movie_recs_generate writes), with the time of every phase. For profiling
// (perf record -- movie_recs_profile ...) and for the k-means work counters.
//
//   movie_recs_profile [--ratings N] [--k K] [--max-iterations I] [--tolerance T] [--threads T]
//                      [--seed S]
//   movie_recs_profile --estimate RATINGS USERS MOVIES K THREADS   (the memory estimate, bytes)
#include <chrono>
#include <algorithm>
#include <ctime>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/demo_data.hpp"
#include "core/errors.hpp"
#include "core/model.hpp"
#include "core/rating_matrix.hpp"
#include "generated_ratings.hpp"

using namespace movie_recs::core;

namespace {

using Clock = std::chrono::steady_clock;

// Seconds of CPU used by the process (all threads): the figure to compare on a busy machine.
double cpu_now() {
    timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double cpu_mark = 0;

// Wall seconds since t.
double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU seconds since the last call.
double cpu() {
    const double now = cpu_now();
    const double d = now - cpu_mark;
    cpu_mark = now;
    return d;
}

long long arg_int(int argc, char** argv, const char* name, long long fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == name) return std::atoll(argv[i + 1]);
    return fallback;
}

double arg_double(int argc, char** argv, const char* name, double fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == name) return std::atof(argv[i + 1]);
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 7 && std::string(argv[1]) == "--estimate") {
        // The extension's memory estimate for RATINGS USERS MOVIES K THREADS, in bytes.
        std::printf("%lld\n", static_cast<long long>(estimate_training_bytes(
                                   std::atoll(argv[2]), std::atoll(argv[3]), std::atoll(argv[4]),
                                   std::atoi(argv[5]), std::atoi(argv[6]))));
        return 0;
    }
    const long long ratings = arg_int(argc, argv, "--ratings", 25000000);
    ModelParams params;
    params.kmeans.k = static_cast<int>(arg_int(argc, argv, "--k", 20));
    params.kmeans.max_iterations = static_cast<int>(arg_int(argc, argv, "--max-iterations", 20));
    params.kmeans.tolerance = arg_double(argc, argv, "--tolerance", 0);
    params.kmeans.threads = static_cast<int>(arg_int(argc, argv, "--threads", 2));
    params.kmeans.seed = static_cast<std::uint64_t>(arg_int(argc, argv, "--seed", 42));

    // The same rows as movie_recs_generate --ratings N (its defaults).
    const DemoParams demo = movie_recs::tools::generated_ratings_params(ratings);

    try {
        auto t = Clock::now();
        cpu();
        RatingCollector collector;
        {
            DemoRatingStream stream(demo);
            std::vector<RatingTriple> batch;
            DemoRating r;
            long long n = 0;
            while (n < ratings && stream.next(&r)) {
                batch.push_back({r.user_id, r.movie_id, r.rating});
                if (batch.size() == 8192) {
                    collector.add(batch.data(), batch.size());
                    batch.clear();
                }
                ++n;
            }
            collector.add(batch.data(), batch.size());
        }
        std::printf("generate+collect %8.3f s %8.3f cpu (%lld rows, %lld bytes held)\n", since(t), cpu(),
                    static_cast<long long>(collector.rows()), static_cast<long long>(collector.bytes()));

        t = Clock::now();
        const RatingMatrix m = collector.build(params.kmeans.threads);
        std::printf("matrix           %8.3f s %8.3f cpu (%lld users, %lld movies, %lld ratings)\n", since(t), cpu(),
                    static_cast<long long>(m.users()), static_cast<long long>(m.movies()),
                    static_cast<long long>(m.ratings()));

        Hooks hooks;
        auto phase_start = Clock::now();
        std::string phase;
        hooks.progress = [&](const Progress& p) {
            const std::string now = p.phase;
            if (now == "iteration") {
                std::printf("  iteration %3lld %8.3f s %8.3f cpu inertia %.6f moved %lld\n",
                            static_cast<long long>(p.done), since(phase_start), cpu(), p.inertia,
                            static_cast<long long>(p.moved));
                phase_start = Clock::now();
            } else if (now == "seeding" && p.done == p.total) {
                std::printf("  seeding       %8.3f s %8.3f cpu\n", since(phase_start), cpu());
                phase_start = Clock::now();
            } else if (now == "scoring" && p.done == 0) {
                std::printf("  final         %8.3f s %8.3f cpu\n", since(phase_start), cpu());
                phase_start = Clock::now();
            }
        };
        t = Clock::now();
        phase_start = t;
        const Model model = train_model(m, params, hooks);
        std::printf("  scoring       %8.3f s %8.3f cpu\n", since(phase_start), cpu());
        std::printf("train_model      %8.3f s  (k %d, %d iterations, inertia %.6f)\n", since(t),
                    model.km.k, model.km.iterations, model.km.inertia);
        const double rows = static_cast<double>(m.users()) * model.km.iterations;
        std::printf("rows per iteration: skipped %.1f%%, tightened %.1f%%, compared %.1f%%, "
                    "scanned %.1f%%\n",
                    100.0 * static_cast<double>(model.km.rows_skipped) / rows,
                    100.0 * static_cast<double>(model.km.rows_tightened) / rows,
                    100.0 * static_cast<double>(model.km.rows_compared) / rows,
                    100.0 * static_cast<double>(model.km.rows_scanned) / rows);
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
