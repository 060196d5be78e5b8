// movie_recs_quality: offline quality of the movie_recs model on a MovieLens-style ratings CSV
// (userId,movieId,rating,timestamp with a header line), on the protocol the README describes:
// per user the latest share of ratings is held out, the model trains on the rest, and every user
// with a relevant held-out rating gets n recommendations. Prints precision, recall and NDCG at n
// for the model (one row per seed and their mean) and for a most-rated baseline.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/demo_data.hpp"
#include "core/errors.hpp"
#include "core/evaluate.hpp"
#include "core/metrics.hpp"
#include "core/model.hpp"
#include "core/recommend.hpp"

using namespace movie_recs::core;

namespace {

struct Options {
    std::string csv;
    std::vector<std::uint64_t> seeds{1, 2, 3};
    int n = 10;
    double holdout = 0.2;
    double threshold = 4.0;
    bool random_split = false;
    std::uint64_t split_seed = 42;
    // --demo USERS,MOVIES,SEED: the extension's demo data instead of a CSV.
    bool demo = false;
    DemoParams demo_params;
    ModelParams model;
};

[[noreturn]] void usage(const char* msg) {
    std::fprintf(stderr,
                 "error: %s\nusage: movie_recs_quality [--seeds 1,2,3] [--n 10] [--holdout 0.2]\n"
                 "  [--threshold 4] [--split time|random] [--split-seed S] [--k K]\n"
                 "  [--vectors liked|presence|centered|raw] [--signal liked|rated]\n"
                 "  [--soft-clusters M] [--temperature T] [--shrinkage S] [--list-length L]\n"
                 "  [--threads N] [--max-iterations I] [--tolerance X]\n"
                 "  (RATINGS.csv | --demo USERS,MOVIES,SEED)\n",
                 msg);
    std::exit(2);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) usage(("missing value for " + a).c_str());
            return argv[++i];
        };
        if (a == "--seeds") {
            o.seeds.clear();
            std::stringstream ss(value());
            for (std::string s; std::getline(ss, s, ',');) o.seeds.push_back(std::stoull(s));
        } else if (a == "--n") o.n = std::stoi(value());
        else if (a == "--holdout") o.holdout = std::stod(value());
        else if (a == "--threshold") o.threshold = std::stod(value());
        else if (a == "--k") o.model.kmeans.k = std::stoi(value());
        else if (a == "--vectors") {
            if (!parse_user_vector(value(), &o.model.vectors)) usage("unknown --vectors");
        } else if (a == "--soft-clusters") o.model.soft_clusters = std::stoi(value());
        else if (a == "--temperature") o.model.temperature = std::stod(value());
        else if (a == "--shrinkage") o.model.shrinkage = std::stod(value());
        else if (a == "--list-length") o.model.list_length = std::stoi(value());
        else if (a == "--threads") o.model.kmeans.threads = std::stoi(value());
        else if (a == "--max-iterations") o.model.kmeans.max_iterations = std::stoi(value());
        else if (a == "--tolerance") o.model.kmeans.tolerance = std::stod(value());
        else if (a == "--signal") {
            if (!parse_score_signal(value(), &o.model.signal)) usage("unknown --signal");
        }
        else if (a == "--split") {
            const std::string v = value();
            if (v != "time" && v != "random") usage("--split must be time or random");
            o.random_split = v == "random";
        } else if (a == "--split-seed") o.split_seed = std::stoull(value());
        else if (a == "--demo") {
            o.demo = true;
            std::stringstream ss(value());
            std::string part;
            std::vector<std::int64_t> v;
            while (std::getline(ss, part, ',')) v.push_back(std::stoll(part));
            if (v.size() != 3) usage("--demo takes USERS,MOVIES,SEED");
            o.demo_params.users = v[0];
            o.demo_params.movies = v[1];
            o.demo_params.seed = static_cast<std::uint64_t>(v[2]);
        }
        else if (!a.empty() && a[0] == '-') usage(("unknown option " + a).c_str());
        else o.csv = a;
    }
    if (o.csv.empty() && !o.demo) usage("no ratings file");
    return o;
}

std::vector<TimedRating> read_csv(const std::string& path) {
    std::ifstream in(path);
    if (!in) usage(("cannot open " + path).c_str());
    std::vector<TimedRating> out;
    std::string line;
    std::getline(in, line);  // header
    long lineno = 1;
    while (std::getline(in, line)) {
        ++lineno;
        if (line.empty()) continue;
        TimedRating r{};
        char* p = line.data();
        char* end = nullptr;
        r.user_id = std::strtoll(p, &end, 10);
        if (*end != ',') usage(("bad line " + std::to_string(lineno)).c_str());
        r.movie_id = std::strtoll(end + 1, &end, 10);
        if (*end != ',') usage(("bad line " + std::to_string(lineno)).c_str());
        r.rating = std::strtod(end + 1, &end);
        if (*end != ',') usage(("bad line " + std::to_string(lineno)).c_str());
        r.time = std::strtoll(end + 1, &end, 10);
        out.push_back(r);
    }
    return out;
}

void print_row(const char* method, const std::string& seed, const RankingMetrics& m, double secs) {
    std::printf("%-12s %-6s %9.4f %9.4f %9.4f %9.4f %6lld %8.3f\n", method, seed.c_str(),
                m.precision, m.recall, m.ndcg, m.coverage, static_cast<long long>(m.users), secs);
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    try {
        std::vector<TimedRating> all;
        if (o.demo) {
            validate(o.demo_params);
            DemoRatingStream stream(o.demo_params);
            DemoRating d;
            while (stream.next(&d)) all.push_back({d.user_id, d.movie_id, d.rating, d.rated_at});
        } else {
            all = read_csv(o.csv);
        }
        HoldoutParams hp;
        hp.share = o.holdout;
        hp.by_time = !o.random_split;
        hp.seed = o.split_seed;
        hp.threshold = o.threshold;
        hp.n = o.n;
        const Evaluation eval(std::move(all), hp);
        const RatingMatrix& matrix = eval.train();
        std::printf("ratings: %lld train, %lld test (%s split); users %lld, movies %lld; evaluated "
                    "users %lld; n=%d, relevant = rating >= %.1f\n",
                    static_cast<long long>(eval.train_ratings()),
                    static_cast<long long>(eval.test_ratings()), o.random_split ? "random" : "time",
                    static_cast<long long>(matrix.users()), static_cast<long long>(matrix.movies()),
                    static_cast<long long>(eval.evaluated_users()), o.n, o.threshold);
        std::printf("model: k=%d vectors=%s signal=%s soft_clusters=%d temperature=%g shrinkage=%g "
                    "list_length=%d\n",
                    o.model.kmeans.k, to_string(o.model.vectors), to_string(o.model.signal),
                    o.model.soft_clusters, o.model.temperature, o.model.shrinkage,
                    o.model.list_length);
        std::printf("%-12s %-6s %9s %9s %9s %9s %6s %8s\n", "method", "seed", "precision",
                    "recall", "ndcg", "coverage", "users", "seconds");
        print_row("most-rated", "-", eval.most_rated(), 0);

        RankingMetrics mean;
        for (auto seed : o.seeds) {
            ModelParams p = o.model;
            p.kmeans.seed = seed;
            const auto t0 = std::chrono::steady_clock::now();
            const Model model = train_model(matrix, p);
            const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            const RankingMetrics m = eval.evaluate(model);
            print_row("kmeans", std::to_string(seed), m, secs);
            if (o.demo) {
                std::vector<int> planted, found;
                for (std::size_t u = 0; u < model.user_ids.size(); ++u) {
                    planted.push_back(demo_user_group(o.demo_params, model.user_ids[u]));
                    found.push_back(model.km.assignment[u]);
                }
                // Purity: share of users in the majority planted group of their cluster.
                std::map<std::pair<int, int>, std::int64_t> joint;
                std::map<int, std::int64_t> best;
                for (std::size_t u = 0; u < planted.size(); ++u) ++joint[{found[u], planted[u]}];
                for (const auto& [key, count] : joint)
                    best[key.first] = std::max(best[key.first], count);
                std::int64_t pure = 0;
                for (const auto& [cluster, count] : best) pure += count;
                std::printf("%-12s %-6s planted groups (%d): adjusted Rand index %.4f, purity "
                            "%.4f\n", "", "", o.demo_params.taste_groups,
                            adjusted_rand_index(planted, found),
                            static_cast<double>(pure) / static_cast<double>(planted.size()));
            }
            mean.precision += m.precision / static_cast<double>(o.seeds.size());
            mean.recall += m.recall / static_cast<double>(o.seeds.size());
            mean.ndcg += m.ndcg / static_cast<double>(o.seeds.size());
            mean.coverage += m.coverage / static_cast<double>(o.seeds.size());
            mean.users = m.users;
        }
        print_row("kmeans", "mean", mean, 0);
    } catch (const Error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}
