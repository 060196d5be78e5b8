#include "fold_in.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

FoldIn::FoldIn(const std::vector<SparseCentroid>& centroids, UserVector vectors, int soft_clusters,
               double temperature)
    : k_(static_cast<int>(centroids.size())),
      vectors_(vectors),
      width_(std::min(soft_clusters, static_cast<int>(centroids.size()))),
      temperature_(temperature),
      c_sq_(centroids.size(), 0.0) {
    if (k_ < 1 || soft_clusters < 1 || !(temperature > 0) || !std::isfinite(temperature))
        throw Error(ErrorKind::Internal, "invalid fold-in parameters", {}, "Please report a bug.");
    // Count the coordinates of each movie, noting each coordinate's row (one hash lookup per
    // coordinate), then fill the rows (clusters ascending in each).
    std::size_t total = 0, longest = 0;
    for (const SparseCentroid& c : centroids) {
        if (c.movie_ids.size() != c.weights.size())
            throw Error(ErrorKind::Internal, "centroid arrays differ in length", {},
                        "Please report a bug.");
        total += c.movie_ids.size();
        longest = std::max(longest, c.movie_ids.size());
    }
    index_.reserve(longest);
    std::vector<std::int64_t> counts;
    std::vector<std::int32_t> rows(total);
    std::size_t at = 0;
    for (const SparseCentroid& c : centroids)
        for (auto id : c.movie_ids) {
            auto [it, added] = index_.emplace(id, static_cast<std::int32_t>(index_.size()));
            if (added)
                counts.push_back(0);
            ++counts[static_cast<std::size_t>(it->second)];
            rows[at++] = it->second;
        }
    offsets_.assign(counts.size() + 1, 0);
    for (std::size_t r = 0; r < counts.size(); ++r)
        offsets_[r + 1] = offsets_[r] + counts[r];
    coords_.resize(static_cast<std::size_t>(offsets_.back()));
    std::vector<std::int64_t> fill(offsets_.begin(), offsets_.end() - 1);
    at = 0;
    for (std::size_t c = 0; c < centroids.size(); ++c)
        for (std::size_t i = 0; i < centroids[c].movie_ids.size(); ++i) {
            const auto row = static_cast<std::size_t>(rows[at++]);
            const float w = centroids[c].weights[i];
            coords_[static_cast<std::size_t>(fill[row]++)] = {static_cast<std::int32_t>(c), w};
            c_sq_[c] += static_cast<double>(w) * static_cast<double>(w);
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
        while (j < ratings.size() && ratings[j].first == ratings[i].first)
            sum += ratings[j++].second;
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
        if (it == index_.end())
            continue;
        ++out->known_movies;
        const auto row = static_cast<std::size_t>(it->second);
        for (auto at = offsets_[row]; at < offsets_[row + 1]; ++at) {
            const Coordinate& e = coords_[static_cast<std::size_t>(at)];
            dot[static_cast<std::size_t>(e.cluster)] += value * static_cast<double>(e.weight);
        }
    }
    if (out->known_movies == 0)
        return false;

    std::vector<double> d2(K);
    for (std::size_t c = 0; c < K; ++c) {
        d2[c] = std::max(0.0, x_sq - 2 * dot[c] + c_sq_[c]);
        if (out->nearest < 0 || d2[c] < d2[static_cast<std::size_t>(out->nearest)])
            out->nearest = static_cast<int>(c);
    }
    out->distances.resize(K);
    for (std::size_t c = 0; c < K; ++c)
        out->distances[c] = std::sqrt(d2[c]);
    out->clusters.resize(static_cast<std::size_t>(width_));
    out->weights.resize(static_cast<std::size_t>(width_));
    soft_assign(d2.data(), k_, out->nearest, width_, temperature_, out->clusters.data(),
                out->weights.data());
    return true;
}

}  // namespace movie_recs::core
