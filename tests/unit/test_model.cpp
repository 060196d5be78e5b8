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
    p.signal = ScoreSignal::Rated;
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
    EXPECT_EQ(one.fingerprint, four.fingerprint);
    ASSERT_EQ(one.popular.size(), four.popular.size());
    for (std::size_t i = 0; i < one.popular.size(); ++i) {
        EXPECT_EQ(one.popular[i].movie_id, four.popular[i].movie_id);
        EXPECT_EQ(one.popular[i].score, four.popular[i].score);
    }
    ASSERT_EQ(one.cluster_lists.size(), four.cluster_lists.size());
    for (std::size_t c = 0; c < one.cluster_lists.size(); ++c)
        for (std::size_t i = 0; i < one.cluster_lists[c].size(); ++i) {
            EXPECT_EQ(one.cluster_lists[c][i].movie_id, four.cluster_lists[c][i].movie_id);
            EXPECT_EQ(one.cluster_lists[c][i].score, four.cluster_lists[c][i].score);
        }
}

TEST(Model, UserVectorsWhateverTheThreadCount) {
    const auto m = matrix_of(random_ratings(5000, 300, 12, 4));
    for (UserVector v :
         {UserVector::Liked, UserVector::Presence, UserVector::Centered, UserVector::Raw}) {
        const SparseRows one = user_vectors(m, v, 1);
        const SparseRows three = user_vectors(m, v, 3);
        ASSERT_EQ(one.nonZeros(), three.nonZeros()) << to_string(v);
        EXPECT_TRUE(std::equal(one.outerIndexPtr(), one.outerIndexPtr() + one.rows() + 1,
                               three.outerIndexPtr()));
        EXPECT_TRUE(std::equal(one.innerIndexPtr(), one.innerIndexPtr() + one.nonZeros(),
                               three.innerIndexPtr()));
        EXPECT_TRUE(std::equal(one.valuePtr(), one.valuePtr() + one.nonZeros(), three.valuePtr()));
    }
    // Liked vectors leave out the movies rated below the user's mean: fewer entries.
    EXPECT_LT(user_vectors(m, UserVector::Liked).nonZeros(), m.ratings());
}

TEST(Model, UserVectorsChangeTheGeometryNotTheData) {
    const auto m = matrix_of(random_ratings(200, 60, 10, 2));
    for (UserVector v :
         {UserVector::Liked, UserVector::Presence, UserVector::Centered, UserVector::Raw}) {
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
    ModelParams p = model_params(2);
    p.vectors = UserVector::Presence;
    const Model model = train_model(m, p);
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

TEST(Model, LikedSignalCountsOnlyRatingsAtLeastTheUsersMean) {
    // Two users in one cluster: user 1 rates movie 10 with 5 and movie 11 with 1 (mean 3), user 2
    // rates movie 10 with 2 and movie 11 with 2 (mean 2: both liked).
    std::vector<RatingTriple> t = {{1, 10, 5}, {1, 11, 1}, {2, 10, 2}, {2, 11, 2}};
    const auto m = matrix_of(t);
    ModelParams p = model_params(1);
    p.shrinkage = 0;
    const Model liked = train_model(m, p);
    ASSERT_EQ(liked.cluster_lists[0].size(), 2u);
    EXPECT_EQ(liked.cluster_lists[0][0].movie_id, 10);
    EXPECT_DOUBLE_EQ(liked.cluster_lists[0][0].score, 1.0);  // both liked movie 10
    EXPECT_DOUBLE_EQ(liked.cluster_lists[0][1].score, 0.5);  // only user 2 liked movie 11
    EXPECT_DOUBLE_EQ(liked.popular[1].score, 0.5);
    p.signal = ScoreSignal::Rated;
    const Model rated = train_model(m, p);
    EXPECT_DOUBLE_EQ(rated.cluster_lists[0][1].score, 1.0);
}

TEST(Model, LikedVectorsKeepTheMoviesRatedAtLeastTheMean) {
    std::vector<std::pair<std::int64_t, double>> e = {{7, 1.0}, {3, 5.0}, {5, 4.0}, {9, 2.0}};
    user_vector(UserVector::Liked, &e);  // mean 3: movies 3 (5) and 5 (4) are liked
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0].first, 3);
    EXPECT_NEAR(e[0].second, 1 / std::sqrt(2.0), 1e-7);
    EXPECT_NEAR(e[1].second, 1 / std::sqrt(2.0), 1e-7);
    EXPECT_EQ(e[2].second, 0.0);
    EXPECT_EQ(e[3].second, 0.0);
    // Equal ratings: every movie is liked (implicit feedback is presence).
    std::vector<std::pair<std::int64_t, double>> same = {{1, 1.0}, {2, 1.0}};
    user_vector(UserVector::Liked, &same);
    EXPECT_NEAR(same[0].second, 1 / std::sqrt(2.0), 1e-7);
}

TEST(Model, OneUsersVectorMatchesTheTrainingRows) {
    const auto m = matrix_of(random_ratings(50, 40, 9, 3));
    for (UserVector v :
         {UserVector::Liked, UserVector::Presence, UserVector::Centered, UserVector::Raw}) {
        const SparseRows x = user_vectors(m, v);
        for (std::int64_t u = 0; u < m.users(); ++u) {
            std::vector<std::pair<std::int64_t, double>> e;
            for (SparseRows::InnerIterator it(m.rows(), u); it; ++it)
                e.push_back({it.index(), static_cast<double>(it.value())});
            std::reverse(e.begin(), e.end());  // any order
            user_vector(v, &e);
            // The training rows hold the non-zero entries of the user's vector, and only them.
            std::vector<std::pair<std::int64_t, double>> nonzero;
            for (const auto& entry : e)
                if (entry.second != 0) nonzero.push_back(entry);
            std::size_t i = 0;
            for (SparseRows::InnerIterator it(x, u); it; ++it, ++i) {
                ASSERT_LT(i, nonzero.size());
                ASSERT_EQ(nonzero[i].first, it.index());
                EXPECT_NE(it.value(), 0.0f);
                EXPECT_EQ(static_cast<float>(nonzero[i].second), it.value()) << to_string(v);
            }
            EXPECT_EQ(i, nonzero.size()) << to_string(v);
        }
    }
}

TEST(Model, SoftAssignOwnClusterFirstThenNearest) {
    const double d2[] = {0.5, 0.2, 0.9, 0.3};
    std::int32_t c[3];
    float w[3];
    soft_assign(d2, 4, -1, 3, 0.1, c, w);  // no own cluster: nearest first
    EXPECT_EQ(c[0], 1);
    EXPECT_EQ(c[1], 3);
    EXPECT_EQ(c[2], 0);
    const double e1 = std::exp(-1.0), e3 = std::exp(-3.0);
    EXPECT_NEAR(w[0], 1 / (1 + e1 + e3), 1e-6);
    EXPECT_NEAR(w[1], e1 / (1 + e1 + e3), 1e-6);
    soft_assign(d2, 4, 3, 2, 0.1, c, w);  // own cluster 3 first, even if not the nearest
    EXPECT_EQ(c[0], 3);
    EXPECT_EQ(c[1], 1);
    EXPECT_NEAR(w[0] + w[1], 1.0, 1e-6);
}

TEST(Model, FingerprintIsOrderIndependentAndStoredPerUser) {
    const std::int64_t a[] = {5, 9, 12};
    const std::int64_t b[] = {12, 5, 9};
    const std::int64_t c[] = {5, 9};
    EXPECT_EQ(ratings_fingerprint(a, 3), ratings_fingerprint(b, 3));
    EXPECT_NE(ratings_fingerprint(a, 3), ratings_fingerprint(c, 2));
    const auto m = matrix_of(separable(2, 4, 3));
    const Model model = train_model(m, model_params(2));
    ASSERT_EQ(model.fingerprint.size(), 8u);
    for (std::int64_t u = 0; u < m.users(); ++u) {
        std::vector<std::int64_t> ids;
        for (SparseRows::InnerIterator it(m.rows(), u); it; ++it) ids.push_back(m.movie_ids()[it.index()]);
        EXPECT_EQ(model.fingerprint[u], ratings_fingerprint(ids.data(), ids.size()));
    }
}
