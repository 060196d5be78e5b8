#include "fold_in.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

FoldIn::FoldIn(const std::vector<SparseCentroid>& centroids, UserVector vectors, int soft_clusters,
               double temperature)
    : k_(static_cast<int>(centroids.size())), vectors_(vectors),
      width_(std::min(soft_clusters, static_cast<int>(centroids.size()))),
      temperature_(temperature), c_sq_(centroids.size(), 0.0) {
    if (k_ < 1 || soft_clusters < 1 || !(temperature > 0) || !std::isfinite(temperature))
        throw Error(ErrorKind::Internal, "invalid fold-in parameters", {}, "Please report a bug.");
    const auto K = static_cast<std::size_t>(k_);
    for (std::size_t c = 0; c < K; ++c) {
        const SparseCentroid& s = centroids[c];
        if (s.movie_ids.size() != s.weights.size())
            throw Error(ErrorKind::Internal, "centroid arrays differ in length", {},
                        "Please report a bug.");
        for (std::size_t i = 0; i < s.movie_ids.size(); ++i) {
            auto [it, added] = index_.emplace(s.movie_ids[i], static_cast<std::int32_t>(index_.size()));
            if (added) coords_.resize(coords_.size() + K, 0.0f);
            coords_[static_cast<std::size_t>(it->second) * K + c] = s.weights[i];
            const double w = static_cast<double>(s.weights[i]);
            c_sq_[c] += w * w;
        }
    }
}

bool FoldIn::place(std::vector<std::pair<std::int64_t, double>> ratings, Placement* out) const {
    out->distances.clear();
    out->clusters.clear();
    out->weights.clear();
    out->nearest = -1;
    out->known_movies = 0;
    // Merge duplicates into their mean, as the training matrix does.
    std::sort(ratings.begin(), ratings.end());
    std::size_t w = 0;
    for (std::size_t i = 0; i < ratings.size();) {
        std::size_t j = i;
        double sum = 0;
        while (j < ratings.size() && ratings[j].first == ratings[i].first) sum += ratings[j++].second;
        ratings[w++] = {ratings[i].first, sum / static_cast<double>(j - i)};
        i = j;
    }
    ratings.resize(w);
    user_vector(vectors_, &ratings);

    const auto K = static_cast<std::size_t>(k_);
    std::vector<double> dot(K, 0.0);
    double x_sq = 0;
    for (const auto& [movie, value] : ratings) {
        x_sq += value * value;
        const auto it = index_.find(movie);
        if (it == index_.end()) continue;
        ++out->known_movies;
        const float* row = coords_.data() + static_cast<std::size_t>(it->second) * K;
        for (std::size_t c = 0; c < K; ++c) dot[c] += value * static_cast<double>(row[c]);
    }
    if (out->known_movies == 0) return false;

    std::vector<double> d2(K);
    for (std::size_t c = 0; c < K; ++c) {
        d2[c] = std::max(0.0, x_sq - 2 * dot[c] + c_sq_[c]);
        if (out->nearest < 0 || d2[c] < d2[static_cast<std::size_t>(out->nearest)])
            out->nearest = static_cast<int>(c);
    }
    out->distances.resize(K);
    for (std::size_t c = 0; c < K; ++c) out->distances[c] = std::sqrt(d2[c]);
    out->clusters.resize(static_cast<std::size_t>(width_));
    out->weights.resize(static_cast<std::size_t>(width_));
    soft_assign(d2.data(), k_, out->nearest, width_, temperature_, out->clusters.data(),
                out->weights.data());
    return true;
}

}  // namespace movie_recs::core
