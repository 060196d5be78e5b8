// evaluate_movie_recommendations() and movie_recs.suggest_k(): offline quality measured inside
// the database. Both read the ratings (evaluation_input.cpp), train temporary models in the core
// and return figures; neither writes the catalog nor touches the active model.
// clang-format off
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/cluster_quality.hpp"
#include "core/errors.hpp"
#include "core/evaluate.hpp"
#include "core/kmeans.hpp"
#include "core/model.hpp"
#include "core/rating_matrix.hpp"
#include "core/recommend.hpp"
#include "pg/evaluation_input.hpp"
#include "pg/guard.hpp"
#include "pg/settings.hpp"
// clang-format on

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace movie_recs::pg {
namespace {

constexpr int kDefaultK = 20;  // train_movie_clusters()'s default
constexpr int kSuggestN = 10;  // suggest_k reports NDCG@10

void require_arg(FunctionCallInfo fcinfo, int arg, const char* name) {
    if (PG_ARGISNULL(arg))
        ereport(ERROR,
                (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be null", name)));
}

void check_holdout(double holdout) {
    if (!(holdout > 0 && holdout < 1))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("holdout must be between 0 and 1, exclusive")));
}

void check_k(int k) {
    if (k < 1 || k > core::kMaxClusters)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("k must be between 1 and %d", core::kMaxClusters)));
}

core::Hooks evaluation_hooks() {
    core::Hooks hooks;
    hooks.interrupted = evaluation_cancel_pending;
    return hooks;
}

void check_memory(const core::RatingMatrix& m, int k, const TrainArgs& args) {
    const std::int64_t needed =
        core::estimate_training_bytes(m.ratings(), m.users(), m.movies(), k, args.threads);
    if (needed > args.memory_limit) {
        char need[32], have[32];
        format_memory(needed, true, need, sizeof need);
        format_memory(args.memory_limit, false, have, sizeof have);
        throw core::Error(core::ErrorKind::OutOfMemory,
                          std::string("training needs ") + need +
                              " of memory but maintenance_work_mem is " + have,
                          "The estimate covers " + std::to_string(m.users()) + " users, " +
                              std::to_string(m.movies()) + " movies and k = " + std::to_string(k) +
                              ".",
                          std::string("Raise the limit for this session: SET "
                                      "maintenance_work_mem = '") +
                              need + "';");
    }
}

core::ModelParams model_params(const TrainArgs& args, int k, std::uint64_t seed) {
    core::ModelParams p;
    p.kmeans.k = k;
    p.kmeans.max_iterations = args.max_iterations;
    p.kmeans.tolerance = args.tolerance;
    p.kmeans.seed = seed;
    p.kmeans.threads = args.threads;
    return p;
}

struct EvaluationRow {
    const char* method;
    double precision, recall, ndcg, coverage;
    int64 users;
};

// The C++ phase of evaluate_movie_recommendations(): two result rows.
void run_evaluation(const TrainArgs& args, const TimedInput& in, const core::HoldoutParams& hp,
                    EvaluationRow* rows) {
    const core::Hooks hooks = evaluation_hooks();
    const core::Evaluation eval(std::vector<core::TimedRating>(in.ratings, in.ratings + in.count),
                                hp, hooks);
    check_memory(eval.train(), args.k, args);
    const core::Model model = core::train_model(
        eval.train(), model_params(args, args.k, static_cast<std::uint64_t>(args.seed)), hooks);
    const core::RankingMetrics m = eval.evaluate(model, hooks);
    const core::RankingMetrics b = eval.most_rated(hooks);
    rows[0] = {"movie_recs", m.precision, m.recall, m.ndcg, m.coverage, m.users};
    rows[1] = {"most_rated", b.precision, b.recall, b.ndcg, b.coverage, b.users};
}

struct SuggestRow {
    int k;
    double inertia, silhouette, davies_bouldin, ndcg;
    int64 smallest, largest;
};

// The C++ phase of suggest_k(): one row per k (already checked against the number of users).
void run_suggest(const TrainArgs& args, const TimedInput& in, const core::HoldoutParams& hp,
                 const int* ks, int nks, int64 sample_size, SuggestRow* rows, int64* users) {
    const core::Hooks hooks = evaluation_hooks();
    std::vector<core::TimedRating> all(in.ratings, in.ratings + in.count);
    std::vector<core::RatingTriple> triples;
    triples.reserve(all.size());
    for (const auto& r : all)
        triples.push_back({r.user_id, r.movie_id, r.rating});
    const core::RatingMatrix full =
        core::RatingMatrix::build(triples.data(), triples.size(), hooks);
    std::vector<core::RatingTriple>().swap(triples);
    *users = full.users();
    const core::Evaluation eval(std::move(all), hp, hooks);
    for (int i = 0; i < nks; ++i) {
        const int k = ks[i];
        if (k > full.users())
            throw core::Error(
                core::ErrorKind::TooFewUsers, "k must not be greater than the number of users",
                "ks holds " + std::to_string(k) + " but the ratings hold " +
                    std::to_string(full.users()) + " users.",
                "Leave out the values of ks above " + std::to_string(full.users()) + ".");
        check_memory(full, k, args);
        const core::ModelParams p = model_params(args, k, static_cast<std::uint64_t>(args.seed));
        const core::Model model = core::train_model(full, p, hooks);
        const core::SparseRows x = core::user_vectors(full, p.vectors);
        SuggestRow& row = rows[i];
        row.k = k;
        row.inertia = model.km.inertia;
        row.silhouette = core::sampled_silhouette(x, model.km.assignment, k, sample_size,
                                                  static_cast<std::uint64_t>(args.seed), hooks);
        row.davies_bouldin = core::davies_bouldin(model.km, full.movies());
        row.smallest = std::numeric_limits<int64>::max();
        row.largest = 0;
        for (auto s : model.km.sizes) {
            row.smallest = std::min<int64>(row.smallest, s);
            row.largest = std::max<int64>(row.largest, s);
        }
        // The holdout NDCG@10: a model with this k trained on the training part.
        if (k <= eval.train().users()) {
            const core::Model held = core::train_model(eval.train(), p, hooks);
            row.ndcg = eval.evaluate(held, hooks).ndcg;
        } else {
            row.ndcg = std::numeric_limits<double>::quiet_NaN();
        }
    }
}

// Arguments shared by both functions, from the positions given.
void parse_source_args(FunctionCallInfo fcinfo, int table, int user, int movie, int rating,
                       TrainArgs* a) {
    require_arg(fcinfo, table, "ratings_table");
    require_arg(fcinfo, user, "user_column");
    require_arg(fcinfo, movie, "movie_column");
    a->relid = PG_GETARG_OID(table);
    a->user_column = NameStr(*PG_GETARG_NAME(user));
    a->movie_column = NameStr(*PG_GETARG_NAME(movie));
    a->rating_column = PG_ARGISNULL(rating) ? nullptr : NameStr(*PG_GETARG_NAME(rating));
    a->threads = training_threads();
    a->memory_limit = static_cast<int64>(maintenance_work_mem) * 1024;
    a->max_iterations = 100;
    a->tolerance = 1e-4;
}

}  // namespace
}  // namespace movie_recs::pg

using namespace movie_recs::pg;
namespace core = movie_recs::core;

// evaluate_movie_recommendations(ratings_table, n, holdout, time_column, k, seed,
//     relevance_threshold, user_column, movie_column, rating_column, max_iterations, tolerance)
MOVIE_RECS_FUNCTION(evaluate_movie_recommendations) {
    TrainArgs args;
    parse_source_args(fcinfo, 0, 7, 8, 9, &args);
    require_arg(fcinfo, 1, "n");
    require_arg(fcinfo, 2, "holdout");
    require_arg(fcinfo, 5, "seed");
    require_arg(fcinfo, 6, "relevance_threshold");
    require_arg(fcinfo, 10, "max_iterations");
    require_arg(fcinfo, 11, "tolerance");
    const int n = PG_GETARG_INT32(1);
    const double holdout = PG_GETARG_FLOAT8(2);
    const char* time_column = PG_ARGISNULL(3) ? nullptr : NameStr(*PG_GETARG_NAME(3));
    args.k = PG_ARGISNULL(4) ? kDefaultK : PG_GETARG_INT32(4);
    args.seed = PG_GETARG_INT64(5);
    const double threshold = PG_GETARG_FLOAT8(6);
    args.max_iterations = PG_GETARG_INT32(10);
    args.tolerance = PG_GETARG_FLOAT8(11);
    if (n < 1 || n > core::kMaxRecommendations)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("n must be between 1 and %d", core::kMaxRecommendations)));
    check_holdout(holdout);
    check_k(args.k);
    if (!std::isfinite(threshold))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("relevance_threshold must be a finite number")));
    if (args.max_iterations < 1 || args.max_iterations > core::kMaxIterations)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("max_iterations must be between 1 and %d", core::kMaxIterations)));
    if (!(args.tolerance >= 0) || !std::isfinite(args.tolerance))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("tolerance must be a finite number greater than or equal to 0")));

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "movie_recs evaluation",
                                              ALLOCSET_DEFAULT_SIZES);
    TimedInput input;
    read_timed_ratings(args, time_column, cxt, &input);

    core::HoldoutParams hp;
    hp.share = holdout;
    hp.by_time = time_column != nullptr;
    hp.seed = static_cast<std::uint64_t>(args.seed);
    hp.threshold = threshold;
    hp.all_relevant = args.rating_column == nullptr;
    hp.n = n;
    EvaluationRow rows[2];
    run_evaluation(args, input, hp, rows);
    MemoryContextDelete(cxt);

    for (const EvaluationRow& r : rows) {
        Datum values[7] = {CStringGetTextDatum(r.method), Int32GetDatum(n),
                           Float8GetDatum(r.precision),   Float8GetDatum(r.recall),
                           Float8GetDatum(r.ndcg),        Float8GetDatum(r.coverage),
                           Int64GetDatum(r.users)};
        bool nulls[7] = {false, false, false, false, false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}

// movie_recs.suggest_k(ratings_table, ks, user_column, movie_column, rating_column,
//     time_column, holdout, seed, sample_size)
MOVIE_RECS_FUNCTION(suggest_k) {
    TrainArgs args;
    parse_source_args(fcinfo, 0, 2, 3, 4, &args);
    require_arg(fcinfo, 1, "ks");
    require_arg(fcinfo, 6, "holdout");
    require_arg(fcinfo, 7, "seed");
    require_arg(fcinfo, 8, "sample_size");
    ArrayType* ks_array = PG_GETARG_ARRAYTYPE_P(1);
    const char* time_column = PG_ARGISNULL(5) ? nullptr : NameStr(*PG_GETARG_NAME(5));
    const double holdout = PG_GETARG_FLOAT8(6);
    args.seed = PG_GETARG_INT64(7);
    const int32 sample_size = PG_GETARG_INT32(8);
    check_holdout(holdout);
    if (sample_size < 2)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("sample_size must be at least 2")));
    if (ARR_NDIM(ks_array) > 1 || ARR_HASNULL(ks_array))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("ks must be a one-dimensional array without NULLs")));
    const int nks = ArrayGetNItems(ARR_NDIM(ks_array), ARR_DIMS(ks_array));
    if (nks == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("ks must not be empty")));
    if (nks > 100)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("ks must hold at most 100 values")));
    const int* ks = reinterpret_cast<const int*>(ARR_DATA_PTR(ks_array));
    int max_k = 0;
    for (int i = 0; i < nks; ++i) {
        check_k(ks[i]);
        max_k = Max(max_k, ks[i]);
    }
    args.k = max_k;

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    MemoryContext cxt =
        AllocSetContextCreate(CurrentMemoryContext, "movie_recs suggest_k", ALLOCSET_DEFAULT_SIZES);
    TimedInput input;
    read_timed_ratings(args, time_column, cxt, &input);

    core::HoldoutParams hp;
    hp.share = holdout;
    hp.by_time = time_column != nullptr;
    hp.seed = static_cast<std::uint64_t>(args.seed);
    hp.all_relevant = args.rating_column == nullptr;
    hp.n = kSuggestN;
    SuggestRow* rows = static_cast<SuggestRow*>(palloc(sizeof(SuggestRow) * nks));
    int64 users = 0;
    run_suggest(args, input, hp, ks, nks, sample_size, rows, &users);
    MemoryContextDelete(cxt);

    for (int i = 0; i < nks; ++i) {
        const SuggestRow& r = rows[i];
        Datum values[7] = {Int32GetDatum(r.k),           Float8GetDatum(r.inertia),
                           Float8GetDatum(r.silhouette), Float8GetDatum(r.davies_bouldin),
                           Float8GetDatum(r.ndcg),       Int64GetDatum(r.smallest),
                           Int64GetDatum(r.largest)};
        bool nulls[7] = {false,
                         std::isnan(r.inertia),
                         std::isnan(r.silhouette),
                         std::isnan(r.davies_bouldin),
                         std::isnan(r.ndcg),
                         false,
                         false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
