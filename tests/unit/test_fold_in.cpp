#include <gtest/gtest.h>

#include <cmath>

#include "core/cluster_quality.hpp"
#include "core/errors.hpp"
#include "core/fold_in.hpp"
#include "core/model.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::matrix_of;
using movie_recs::test::random_ratings;
using movie_recs::test::separable;

namespace {

std::vector<SparseCentroid> stored_centroids(const Model& model) {
    std::vector<SparseCentroid> out(static_cast<std::size_t>(model.km.k));
    for (int c = 0; c < model.km.k; ++c)
        centroid_nonzeros(model, c, &out[c].movie_ids, &out[c].weights);
    return out;
}

std::vector<std::pair<std::int64_t, double>> ratings_of(const RatingMatrix& m, std::int64_t row) {
    std::vector<std::pair<std::int64_t, double>> r;
    for (SparseRows::InnerIterator it(m.rows(), row); it; ++it)
        r.push_back({m.movie_ids()[it.index()], static_cast<double>(it.value())});
    return r;
}

}  // namespace

TEST(FoldIn, ReproducesTheTrainingAssignmentOfAnUnchangedUser) {
    const auto m = matrix_of(random_ratings(400, 120, 15, 4));
    ModelParams p;
    p.kmeans.k = 8;
    const Model model = train_model(m, p);
    const FoldIn fold(stored_centroids(model), p.vectors, p.soft_clusters, p.temperature);
    int same_cluster = 0;
    for (std::int64_t u = 0; u < m.users(); ++u) {
        Placement pl;
        ASSERT_TRUE(fold.place(ratings_of(m, u), &pl));
        EXPECT_NEAR(pl.distances[model.km.assignment[u]], std::sqrt(model.km.sq_distance[u]), 1e-5);
        same_cluster += pl.nearest == model.km.assignment[u] ? 1 : 0;
        if (pl.nearest == model.km.assignment[u])
            for (int i = 0; i < model.soft_width; ++i) {
                EXPECT_EQ(pl.clusters[i], model.soft_cluster[u * model.soft_width + i]);
                EXPECT_NEAR(pl.weights[i], model.soft_weight[u * model.soft_width + i], 1e-4);
            }
    }
    // Centroids are stored as float: a near tie may flip, nothing more.
    EXPECT_GE(same_cluster, 398);
}

TEST(FoldIn, NewUserJoinsTheGroupOfTheMoviesTheyRated) {
    const auto m = matrix_of(separable(3, 10, 6));  // group g: movies 1000 + 6g ..
    ModelParams p;
    p.kmeans.k = 3;
    const Model model = train_model(m, p);
    const FoldIn fold(stored_centroids(model), p.vectors, 2, p.temperature);
    Placement pl;
    // Two movies of group 2 (liked by its members: 1013 is not, it has a zero centroid
    // coordinate everywhere), one unknown movie.
    ASSERT_TRUE(fold.place({{1012, 5}, {1014, 5}, {99999, 5}}, &pl));
    EXPECT_EQ(pl.known_movies, 2);
    const int group2 = model.km.assignment[2];  // user 3 (row 2) is in group 2
    EXPECT_EQ(pl.nearest, group2);
    EXPECT_EQ(pl.clusters[0], group2);
    EXPECT_GT(pl.weights[0], 0.9f);
    EXPECT_EQ(pl.distances.size(), 3u);
    // Duplicates count once (their mean).
    Placement dup;
    ASSERT_TRUE(fold.place({{1012, 5}, {1012, 5}, {1014, 5}, {99999, 5}}, &dup));
    EXPECT_EQ(dup.distances, pl.distances);
    // Only unknown movies: no placement.
    EXPECT_FALSE(fold.place({{5, 4}, {6, 3}}, &pl));
    EXPECT_FALSE(fold.place({}, &pl));
}

TEST(ClusterQuality, SilhouetteAndDaviesBouldinSeparateGoodFromBadClusterings) {
    const auto m = matrix_of(separable(4, 25, 5));
    ModelParams p;
    p.kmeans.k = 4;
    p.vectors = UserVector::Presence;
    const Model model = train_model(m, p);
    const SparseRows x = user_vectors(m, p.vectors);
    // Perfect clusters: identical members, far apart.
    EXPECT_NEAR(sampled_silhouette(x, model.km.assignment, 4, 1000, 1), 1.0, 1e-9);
    EXPECT_NEAR(davies_bouldin(model.km, m.movies()), 0.0, 1e-9);
    // A labeling that ignores the groups scores about 0 or below.
    std::vector<std::int32_t> bad(model.km.assignment.size());
    for (std::size_t i = 0; i < bad.size(); ++i)
        bad[i] = static_cast<std::int32_t>((i / 4) % 4);
    EXPECT_LT(sampled_silhouette(x, bad, 4, 1000, 1), 0.1);
    // A sample is deterministic per seed and within [-1, 1].
    const double a = sampled_silhouette(x, bad, 4, 30, 5), b = sampled_silhouette(x, bad, 4, 30, 5);
    EXPECT_EQ(a, b);
    EXPECT_GE(a, -1.0);
    EXPECT_LE(a, 1.0);
    // One cluster: undefined.
    EXPECT_TRUE(
        std::isnan(sampled_silhouette(x, std::vector<std::int32_t>(bad.size(), 0), 1, 100, 1)));
    EXPECT_THROW(sampled_silhouette(x, bad, 4, 1, 1), Error);
}

TEST(ClusterQuality, DaviesBouldinByHand) {
    // Two clusters in one dimension: members at 0 and 2 (centroid 1, spread 1) and at 10 and 12
    // (centroid 11, spread 1): (1 + 1) / 10 = 0.2.
    KMeansResult km;
    km.k = 2;
    km.centroids = {1.0, 11.0};
    km.assignment = {0, 0, 1, 1};
    km.sq_distance = {1, 1, 1, 1};
    km.sizes = {2, 2};
    EXPECT_NEAR(davies_bouldin(km, 1), 0.2, 1e-12);
}
