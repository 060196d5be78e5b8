#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

const char* to_string(UserVector v) {
    switch (v) {
        case UserVector::Presence: return "presence";
        case UserVector::Centered: return "centered";
        case UserVector::Raw: return "raw";
    }
    return "unknown";
}

bool parse_user_vector(const std::string& s, UserVector* out) {
    for (UserVector v : {UserVector::Presence, UserVector::Centered, UserVector::Raw})
        if (s == to_string(v)) {
            *out = v;
            return true;
        }
    return false;
}

namespace {

void validate(const ModelParams& p) {
    if (p.soft_clusters < 1 || p.soft_clusters > kMaxSoftClusters)
        throw Error(ErrorKind::InvalidParameter,
                    "soft_clusters must be between 1 and " + std::to_string(kMaxSoftClusters));
    if (!(p.temperature > 0) || !std::isfinite(p.temperature))
        throw Error(ErrorKind::InvalidParameter, "temperature must be a finite number above 0");
    if (!(p.shrinkage >= 0) || !std::isfinite(p.shrinkage))
        throw Error(ErrorKind::InvalidParameter,
                    "shrinkage must be a finite number greater than or equal to 0");
    if (p.list_length < 1 || p.list_length > kMaxListLength)
        throw Error(ErrorKind::InvalidParameter,
                    "list_length must be between 1 and " + std::to_string(kMaxListLength));
}

// The rows k-means clusters: one per user, transformed as params.vectors says.
SparseRows user_vectors(const RatingMatrix& m, UserVector kind) {
    SparseRows x = m.rows();
    for (std::int64_t i = 0; i < x.rows(); ++i) {
        double mean = 0;
        std::int64_t count = 0;
        for (SparseRows::InnerIterator it(x, i); it; ++it) {
            mean += static_cast<double>(it.value());
            ++count;
        }
        mean /= static_cast<double>(std::max<std::int64_t>(count, 1));
        double norm = 0;
        for (SparseRows::InnerIterator it(x, i); it; ++it) {
            double v = static_cast<double>(it.value());
            if (kind == UserVector::Presence) v = 1.0;
            if (kind == UserVector::Centered) v -= mean;
            it.valueRef() = static_cast<float>(v);
            norm += v * v;
        }
        if (kind == UserVector::Raw || norm <= 0) continue;
        const double scale = 1.0 / std::sqrt(norm);
        for (SparseRows::InnerIterator it(x, i); it; ++it)
            it.valueRef() = static_cast<float>(static_cast<double>(it.value()) * scale);
    }
    return x;
}

bool better(const ScoredMovie& a, const ScoredMovie& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.movie_id < b.movie_id;
}

std::vector<ScoredMovie> top_list(std::vector<ScoredMovie> all, int length) {
    const auto keep = std::min<std::size_t>(all.size(), static_cast<std::size_t>(length));
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(keep), all.end(), better);
    all.resize(keep);
    return all;
}

}  // namespace

Model train_model(const RatingMatrix& m, const ModelParams& params, const Hooks& hooks) {
    validate(params);
    Model model;
    model.params = params;
    model.user_ids = m.user_ids();
    model.movie_ids = m.movie_ids();
    model.ratings = m.ratings();
    model.duplicates_merged = m.duplicates_merged();

    const SparseRows x = user_vectors(m, params.vectors);
    model.km = kmeans(x, params.kmeans, hooks);
    const KMeansResult& km = model.km;
    const int k = km.k;
    const std::int64_t users = m.users();
    const std::int64_t movies = m.movies();

    // Soft assignment: the user's nearest clusters, weighted by exp(-(d^2 - d_min^2) / T).
    hooks.report({"scoring", 0, 2, km.inertia, 0});
    std::vector<double> c_sq(static_cast<std::size_t>(k), 0);
    for (int c = 0; c < k; ++c) {
        double s = 0;
        for (std::int64_t j = 0; j < movies; ++j) {
            const double v = km.centroids[static_cast<std::size_t>(c * movies + j)];
            s += v * v;
        }
        c_sq[static_cast<std::size_t>(c)] = s;
    }
    const int width = std::min(params.soft_clusters, k);
    model.soft_width = width;
    model.soft_cluster.assign(static_cast<std::size_t>(users * width), 0);
    model.soft_weight.assign(static_cast<std::size_t>(users * width), 0);
    parallel_rows(users, params.kmeans.threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        std::vector<double> d2(static_cast<std::size_t>(k));
        std::vector<int> order(static_cast<std::size_t>(k));
        for (std::int64_t u = begin; u < end; ++u) {
            row_sq_distances(x, u, km, c_sq, d2.data());
            for (int c = 0; c < k; ++c) order[static_cast<std::size_t>(c)] = c;
            // The assigned cluster comes first, then the nearest others (ties by cluster index).
            const int own = km.assignment[static_cast<std::size_t>(u)];
            std::partial_sort(order.begin(), order.begin() + width, order.end(), [&](int a, int b) {
                if ((a == own) != (b == own)) return a == own;
                if (d2[a] != d2[b]) return d2[a] < d2[b];
                return a < b;
            });
            const double base = d2[static_cast<std::size_t>(order[0])];
            double total = 0;
            std::vector<double> w(static_cast<std::size_t>(width));
            for (int i = 0; i < width; ++i) {
                w[i] = std::exp(-std::max(0.0, d2[order[i]] - base) / params.temperature);
                total += w[i];
            }
            for (int i = 0; i < width; ++i) {
                const auto at = static_cast<std::size_t>(u * width + i);
                model.soft_cluster[at] = order[i];
                model.soft_weight[at] = static_cast<float>(w[i] / total);
            }
        }
    });

    // Popularity and per-cluster counts of members who rated each movie (presence, whatever the
    // user vector), summed in row order.
    std::vector<double> popularity(static_cast<std::size_t>(movies), 0);
    std::vector<double> counts(static_cast<std::size_t>(k * movies), 0);
    const SparseRows& r = m.rows();
    for (std::int64_t u = 0; u < users; ++u) {
        const auto c = static_cast<std::size_t>(km.assignment[static_cast<std::size_t>(u)]);
        for (SparseRows::InnerIterator it(r, u); it; ++it) {
            popularity[static_cast<std::size_t>(it.index())] += 1;
            counts[c * static_cast<std::size_t>(movies) + static_cast<std::size_t>(it.index())] += 1;
        }
    }
    for (auto& p : popularity) p /= static_cast<double>(users);

    std::vector<ScoredMovie> all(static_cast<std::size_t>(movies));
    for (std::int64_t j = 0; j < movies; ++j)
        all[static_cast<std::size_t>(j)] = {model.movie_ids[static_cast<std::size_t>(j)],
                                            popularity[static_cast<std::size_t>(j)]};
    model.popular = top_list(all, params.list_length);

    // Cluster scores shrunk toward global popularity:
    //   score_c(m) = (count_c(m) + lambda * popularity(m)) / (size_c + lambda).
    model.cluster_lists.resize(static_cast<std::size_t>(k));
    model.prior_weight.resize(static_cast<std::size_t>(k));
    for (int c = 0; c < k; ++c) {
        if (hooks.stop_requested())
            throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
        const double size = static_cast<double>(km.sizes[static_cast<std::size_t>(c)]);
        const double denom = size + params.shrinkage;
        model.prior_weight[static_cast<std::size_t>(c)] = denom > 0 ? params.shrinkage / denom : 1.0;
        for (std::int64_t j = 0; j < movies; ++j) {
            const double cnt = counts[static_cast<std::size_t>(c * movies + j)];
            const double p = popularity[static_cast<std::size_t>(j)];
            all[static_cast<std::size_t>(j)].score = denom > 0 ? (cnt + params.shrinkage * p) / denom : p;
        }
        model.cluster_lists[static_cast<std::size_t>(c)] = top_list(all, params.list_length);
    }
    hooks.report({"scoring", 2, 2, km.inertia, 0});
    return model;
}

void centroid_nonzeros(const Model& model, int cluster, std::vector<std::int64_t>* movie_ids,
                       std::vector<float>* weights) {
    movie_ids->clear();
    weights->clear();
    const auto movies = model.movie_ids.size();
    const double* c = model.km.centroids.data() + static_cast<std::size_t>(cluster) * movies;
    for (std::size_t j = 0; j < movies; ++j)
        if (c[j] != 0) {
            movie_ids->push_back(model.movie_ids[j]);
            weights->push_back(static_cast<float>(c[j]));
        }
}

}  // namespace movie_recs::core
