#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/errors.hpp"
#include "core/model.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::matrix_of;
using movie_recs::test::random_ratings;
using movie_recs::test::separable;

namespace {

ModelParams model_params(int k, int threads = 1) {
    ModelParams p;
    p.kmeans.k = k;
    p.kmeans.threads = threads;
    return p;
}

}  // namespace

TEST(Model, ScoresFollowTheFormulaAndListsAreSorted) {
    const auto m = matrix_of(separable(2, 10, 5));
    ModelParams p = model_params(2);
    p.shrinkage = 4;
    const Model model = train_model(m, p);
    ASSERT_EQ(model.cluster_lists.size(), 2u);
    for (int c = 0; c < 2; ++c) {
        const auto& list = model.cluster_lists[c];
        const double size = static_cast<double>(model.km.sizes[c]);
        EXPECT_DOUBLE_EQ(model.prior_weight[c], 4.0 / (size + 4.0));
        // Each movie is rated by its 10 group members: popularity 0.5. In its own cluster:
        // (10 + 4 * 0.5) / (10 + 4); elsewhere (0 + 4 * 0.5) / (10 + 4).
        EXPECT_DOUBLE_EQ(list.front().score, 12.0 / 14.0);
        EXPECT_DOUBLE_EQ(list.back().score, 2.0 / 14.0);
        for (std::size_t i = 1; i < list.size(); ++i) {
            EXPECT_TRUE(list[i - 1].score > list[i].score ||
                        (list[i - 1].score == list[i].score && list[i - 1].movie_id < list[i].movie_id));
        }
    }
    EXPECT_EQ(model.popular.size(), 10u);
    EXPECT_DOUBLE_EQ(model.popular.front().score, 0.5);
    EXPECT_EQ(model.popular.front().movie_id, 1000);  // ties by movie id
}

TEST(Model, SoftAssignmentPutsOwnClusterFirstWithWeightsSummingToOne) {
    const auto m = matrix_of(random_ratings(300, 80, 12, 5));
    ModelParams p = model_params(6);
    p.soft_clusters = 3;
    const Model model = train_model(m, p);
    ASSERT_EQ(model.soft_width, 3);
    for (std::int64_t u = 0; u < m.users(); ++u) {
        EXPECT_EQ(model.soft_cluster[u * 3], model.km.assignment[u]);
        double total = 0;
        for (int i = 0; i < 3; ++i) {
            total += model.soft_weight[u * 3 + i];
            if (i > 0) {
                EXPECT_LE(model.soft_weight[u * 3 + i], model.soft_weight[u * 3] + 1e-6);
            }
        }
        EXPECT_NEAR(total, 1.0, 1e-5);
    }
}

TEST(Model, SoftWidthIsCappedAtK) {
    const auto m = matrix_of(separable(2, 5, 3));
    ModelParams p = model_params(2);
    p.soft_clusters = 5;
    EXPECT_EQ(train_model(m, p).soft_width, 2);
}

TEST(Model, IdenticalWhateverTheThreadCount) {
    const auto m = matrix_of(random_ratings(6000, 400, 15, 8));
    const Model one = train_model(m, model_params(10, 1));
    const Model four = train_model(m, model_params(10, 4));
    EXPECT_EQ(one.km.centroids, four.km.centroids);
    EXPECT_EQ(one.soft_cluster, four.soft_cluster);
    EXPECT_EQ(one.soft_weight, four.soft_weight);
    ASSERT_EQ(one.cluster_lists.size(), four.cluster_lists.size());
    for (std::size_t c = 0; c < one.cluster_lists.size(); ++c)
        for (std::size_t i = 0; i < one.cluster_lists[c].size(); ++i) {
            EXPECT_EQ(one.cluster_lists[c][i].movie_id, four.cluster_lists[c][i].movie_id);
            EXPECT_EQ(one.cluster_lists[c][i].score, four.cluster_lists[c][i].score);
        }
}

TEST(Model, UserVectorsChangeTheGeometryNotTheData) {
    const auto m = matrix_of(random_ratings(200, 60, 10, 2));
    for (UserVector v : {UserVector::Presence, UserVector::Centered, UserVector::Raw}) {
        ModelParams p = model_params(4);
        p.vectors = v;
        const Model model = train_model(m, p);
        EXPECT_EQ(model.user_ids.size(), 200u) << to_string(v);
        EXPECT_EQ(std::accumulate(model.km.sizes.begin(), model.km.sizes.end(), std::int64_t{0}), 200);
        UserVector parsed;
        ASSERT_TRUE(parse_user_vector(to_string(v), &parsed));
        EXPECT_EQ(parsed, v);
    }
    UserVector ignored;
    EXPECT_FALSE(parse_user_vector("cosine", &ignored));
}

TEST(Model, CentroidNonzerosAreSparseAndSorted) {
    const auto m = matrix_of(separable(2, 10, 5));
    const Model model = train_model(m, model_params(2));
    std::vector<std::int64_t> ids;
    std::vector<float> w;
    centroid_nonzeros(model, 0, &ids, &w);
    EXPECT_EQ(ids.size(), 5u);  // the 5 movies of one group
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    for (float x : w) EXPECT_NEAR(x, 1.0 / std::sqrt(5.0), 1e-6);  // presence, unit length
}

TEST(Model, RejectsBadParameters) {
    const auto m = matrix_of(separable(2, 5, 3));
    auto expect_invalid = [&](ModelParams p) {
        try {
            train_model(m, p);
            ADD_FAILURE() << "no error";
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidParameter) << e.what();
        }
    };
    ModelParams p = model_params(2);
    p.soft_clusters = 0;
    expect_invalid(p);
    p = model_params(2);
    p.temperature = 0;
    expect_invalid(p);
    p = model_params(2);
    p.shrinkage = -1;
    expect_invalid(p);
    p = model_params(2);
    p.list_length = 0;
    expect_invalid(p);
}
