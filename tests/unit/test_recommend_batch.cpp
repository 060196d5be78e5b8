#include <gtest/gtest.h>

#include <random>

#include "core/errors.hpp"
#include "core/model.hpp"
#include "core/recommend_batch.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::matrix_of;
using movie_recs::test::random_ratings;

namespace {

struct Fixture {
    Model model;
    std::vector<std::vector<std::int64_t>> seen;  // per user
    std::vector<UserRequest> requests;
};

// A trained model and a request per user (plus a few unknown users without clusters).
Fixture fixture() {
    Fixture f;
    const auto triples = random_ratings(3000, 300, 12, 5);
    ModelParams p;
    p.kmeans.k = 6;
    f.model = train_model(matrix_of(triples), p);
    const std::size_t users = f.model.user_ids.size();
    f.seen.resize(users + 3);
    for (const auto& t : triples)
        f.seen[static_cast<std::size_t>(t.user_id - 1)].push_back(t.movie_id);
    for (std::size_t u = 0; u < users + 3; ++u) {
        const bool known = u < users;
        const std::size_t at = u * static_cast<std::size_t>(f.model.soft_width);
        f.requests.push_back({known ? &f.model.soft_cluster[at] : nullptr,
                              known ? &f.model.soft_weight[at] : nullptr,
                              known ? f.model.soft_width : 0, f.seen[u].data(),
                              static_cast<std::int64_t>(f.seen[u].size())});
    }
    return f;
}

}  // namespace

TEST(BatchRecommend, SameAsOneByOneForAnyThreadCount) {
    const Fixture f = fixture();
    ServingModel single(f.model);
    for (int threads : {1, 2, 5}) {
        BatchRecommender batch(ServingModel(f.model), threads);
        std::vector<std::vector<ScoredMovie>> out;
        batch.recommend(f.requests, 10, {}, &out);
        ASSERT_EQ(out.size(), f.requests.size());
        for (std::size_t i = 0; i < f.requests.size(); ++i) {
            const UserRequest& r = f.requests[i];
            const auto expected =
                single.recommend(r.clusters, r.weights, r.width,
                                 std::vector<std::int64_t>(r.seen, r.seen + r.seen_count), 10);
            ASSERT_EQ(out[i].size(), expected.size()) << "request " << i;
            for (std::size_t j = 0; j < expected.size(); ++j) {
                EXPECT_EQ(out[i][j].movie_id, expected[j].movie_id);
                EXPECT_EQ(out[i][j].score, expected[j].score);
            }
        }
    }
}

TEST(BatchRecommend, ErrorsAndCancel) {
    const Fixture f = fixture();
    BatchRecommender batch(ServingModel(f.model), 2);
    std::vector<std::vector<ScoredMovie>> out;
    EXPECT_THROW(batch.recommend(f.requests, 1001, {}, &out), Error);

    // A request naming a cluster the model does not have is a bug: reported, not ignored.
    std::vector<UserRequest> bad = f.requests;
    const std::int32_t unknown_cluster[] = {99};
    const float one[] = {1.0f};
    bad[2500] = {unknown_cluster, one, 1, nullptr, 0};
    EXPECT_THROW(batch.recommend(bad, 10, {}, &out), Error);

    Hooks stop;
    stop.interrupted = [] { return true; };
    try {
        batch.recommend(f.requests, 10, stop, &out);
        FAIL() << "expected a cancel";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
}
