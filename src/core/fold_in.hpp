// Fold-in: placing a user among a trained model's clusters at call time, from the ratings they
// have now, without retraining. The cost is the user's ratings times k, never the number of users.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model.hpp"

namespace movie_recs::core {

// One stored centroid: its non-zero coordinates (movie ids, any order) and weights.
struct SparseCentroid {
    std::vector<std::int64_t> movie_ids;
    std::vector<float> weights;
};

struct Placement {
    std::vector<double> distances;       // Euclidean distance to each of the k centroids
    int nearest = -1;                    // cluster index of the smallest distance (lowest on ties)
    std::vector<std::int32_t> clusters;  // soft assignment, nearest first
    std::vector<float> weights;          // summing to 1
    std::int64_t known_movies = 0;       // rated movies with a non-zero coordinate in some centroid
};

class FoldIn {
public:
    FoldIn(const std::vector<SparseCentroid>& centroids, UserVector vectors, int soft_clusters,
           double temperature);

    int k() const { return k_; }

    // Places a user from their ratings (movie id, rating; any order; duplicates merged by their
    // mean, as training does). The user's vector is built over all their rated movies, as
    // training builds it (a movie unknown to the model is a dimension where every centroid is
    // 0). Returns false, leaving out empty, when none of the movies is known to the model.
    bool place(std::vector<std::pair<std::int64_t, double>> ratings, Placement* out) const;

private:
    int k_;
    UserVector vectors_;
    int width_;
    double temperature_;
    // The centroids transposed and sparse: per movie (row), its non-zero coordinates.
    struct Coordinate {
        std::int32_t cluster;
        float weight;
    };
    std::unordered_map<std::int64_t, std::int32_t> index_;  // movie id -> row
    std::vector<std::int64_t> offsets_;                     // rows + 1, into coords_
    std::vector<Coordinate> coords_;
    std::vector<double> c_sq_;  // ||c||^2 per cluster
};

}  // namespace movie_recs::core
