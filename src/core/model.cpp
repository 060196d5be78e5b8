#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <cstdlib>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

const char* to_string(UserVector v) {
    switch (v) {
        case UserVector::Presence: return "presence";
        case UserVector::Centered: return "centered";
        case UserVector::Raw: return "raw";
        case UserVector::Idf: return "idf";
        case UserVector::Liked: return "liked";
    }
    return "unknown";
}

bool parse_user_vector(const std::string& s, UserVector* out) {
    for (UserVector v : {UserVector::Presence, UserVector::Centered, UserVector::Raw, UserVector::Idf, UserVector::Liked})
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
    std::vector<double> idf;
    if (kind == UserVector::Idf) {
        idf.assign(static_cast<std::size_t>(m.movies()), 0);
        for (std::int64_t i = 0; i < x.rows(); ++i)
            for (SparseRows::InnerIterator it(x, i); it; ++it) idf[it.index()] += 1;
        for (auto& v : idf) v = std::log(static_cast<double>(m.users()) / v) + 1.0;
    }
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
            if (kind == UserVector::Idf) v = idf[it.index()];
            if (kind == UserVector::Liked) v = v >= mean ? 1.0 : 0.0;
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
    for (int r = 1; r < params.restarts; ++r) {
        KMeansParams kp = params.kmeans;
        kp.seed = params.kmeans.seed + static_cast<std::uint64_t>(r);
        KMeansResult other = kmeans(x, kp, hooks);
        if (other.inertia < model.km.inertia) model.km = std::move(other);
    }
    const KMeansResult& km = model.km;
    const int k = km.k;
    const std::int64_t users = m.users();
    const std::int64_t movies = m.movies();
    const std::size_t K = static_cast<std::size_t>(k);
    const std::size_t M = static_cast<std::size_t>(movies);

    // Soft assignment: the user's nearest clusters, weighted by exp(-(d^2 - d_min^2) / T).
    hooks.report({"scoring", 0, 2, km.inertia, 0});
    std::vector<double> c_sq(K, 0);
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
    auto soft_from_scores = [&](std::int64_t u, const std::vector<double>& score, bool own_first) {
        // score: higher is better, already divided by temperature.
        std::vector<int> order(K);
        for (int c = 0; c < k; ++c) order[static_cast<std::size_t>(c)] = c;
        const int own = km.assignment[static_cast<std::size_t>(u)];
        std::partial_sort(order.begin(), order.begin() + width, order.end(), [&](int a, int b) {
            if (own_first && (a == own) != (b == own)) return a == own;
            if (score[a] != score[b]) return score[a] > score[b];
            return a < b;
        });
        double best = score[order[0]];
        for (int i = 1; i < width; ++i) best = std::max(best, score[order[i]]);
        double total = 0;
        std::vector<double> w(static_cast<std::size_t>(width));
        for (int i = 0; i < width; ++i) {
            w[i] = std::exp(score[order[i]] - best);
            total += w[i];
        }
        for (int i = 0; i < width; ++i) {
            const auto at = static_cast<std::size_t>(u * width + i);
            model.soft_cluster[at] = order[i];
            model.soft_weight[at] = static_cast<float>(w[i] / total);
        }
    };
    parallel_rows(users, params.kmeans.threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        std::vector<double> d2(K), score(K);
        for (std::int64_t u = begin; u < end; ++u) {
            row_sq_distances(x, u, km, c_sq, d2.data());
            for (std::size_t c = 0; c < K; ++c) score[c] = -d2[c] / params.temperature;
            soft_from_scores(u, score, true);
        }
    });

    // Per-user contribution weights.
    const SparseRows& r = m.rows();
    std::vector<double> mean_rating(static_cast<std::size_t>(users), 0), base(static_cast<std::size_t>(users), 1);
    for (std::int64_t u = 0; u < users; ++u) {
        double s = 0;
        std::int64_t n = 0;
        for (SparseRows::InnerIterator it(r, u); it; ++it) {
            s += it.value();
            ++n;
        }
        mean_rating[u] = s / static_cast<double>(std::max<std::int64_t>(n, 1));
        base[u] = std::pow(static_cast<double>(std::max<std::int64_t>(n, 1)), -params.member_exponent);
    }

    std::vector<double> popularity(M, 0);
    for (std::int64_t u = 0; u < users; ++u)
        for (SparseRows::InnerIterator it(r, u); it; ++it) popularity[static_cast<std::size_t>(it.index())] += 1;
    for (auto& p : popularity) p /= static_cast<double>(users);

    std::vector<ScoredMovie> all(M);
    for (std::int64_t j = 0; j < movies; ++j)
        all[static_cast<std::size_t>(j)] = {model.movie_ids[static_cast<std::size_t>(j)], popularity[static_cast<std::size_t>(j)]};
    // Weighted popularity used as the prior.
    std::vector<double> wpop(M, 0);
    double wtotal = 0;
    for (std::int64_t u = 0; u < users; ++u) {
        wtotal += base[u];
        for (SparseRows::InnerIterator it(r, u); it; ++it) {
            const double liked = it.value() >= mean_rating[u] + params.liked_margin ? 1.0 : params.disliked_weight;
            wpop[static_cast<std::size_t>(it.index())] += base[u] * liked;
        }
    }
    for (auto& p : wpop) p /= wtotal;
    if (getenv("PRIOR_PLAIN")) wpop = popularity;
    if (getenv("POPULAR_LIKED"))
        for (std::int64_t j = 0; j < movies; ++j) all[static_cast<std::size_t>(j)].score = wpop[static_cast<std::size_t>(j)];
    model.popular = top_list(all, params.list_length);

    std::vector<double> scores(K * M, 0), sizes(K, 0), prior(K, 0);
    auto compute_scores = [&](bool soft) {
        std::vector<double> counts(K * M, 0);
        std::fill(sizes.begin(), sizes.end(), 0.0);
        for (std::int64_t u = 0; u < users; ++u) {
            const int nc = soft ? width : 1;
            for (int i = 0; i < nc; ++i) {
                const std::size_t c = soft ? static_cast<std::size_t>(model.soft_cluster[u * width + i])
                                           : static_cast<std::size_t>(km.assignment[u]);
                const double wc = (soft ? model.soft_weight[u * width + i] : 1.0) * base[u];
                sizes[c] += wc;
                for (SparseRows::InnerIterator it(r, u); it; ++it) {
                    const double liked = it.value() >= mean_rating[u] + params.liked_margin ? 1.0 : params.disliked_weight;
                    counts[c * M + static_cast<std::size_t>(it.index())] += wc * liked;
                }
            }
        }
        // Rescale sizes to user counts so that shrinkage keeps its meaning (pseudo-users).
        for (std::size_t c = 0; c < K; ++c) {
            const double members = soft ? sizes[c] / (wtotal / static_cast<double>(users)) : static_cast<double>(km.sizes[c]);
            const double scale = sizes[c] > 0 ? members / sizes[c] : 0;
            const double denom = members + params.shrinkage;
            prior[c] = denom > 0 ? params.shrinkage / denom : 1.0;
            for (std::size_t j = 0; j < M; ++j)
                scores[c * M + j] = denom > 0 ? (counts[c * M + j] * scale + params.shrinkage * wpop[j]) / denom : wpop[j];
        }
    };
    compute_scores(false);

    if (params.soft_weighting == SoftWeighting::Posterior) {
        std::vector<double> logit(K * M), constant(K, 0);
        for (std::size_t c = 0; c < K; ++c)
            for (std::size_t j = 0; j < M; ++j) {
                const double s = std::clamp(scores[c * M + j], 1e-9, 1 - 1e-9);
                logit[c * M + j] = std::log(s) - std::log1p(-s);
                constant[c] += std::log1p(-s);
            }
        std::vector<double> score(K);
        for (std::int64_t u = 0; u < users; ++u) {
            std::int64_t n = 0;
            for (std::size_t c = 0; c < K; ++c) score[c] = 0;
            for (SparseRows::InnerIterator it(r, u); it; ++it) {
                ++n;
                for (std::size_t c = 0; c < K; ++c) score[c] += logit[c * M + static_cast<std::size_t>(it.index())];
            }
            for (std::size_t c = 0; c < K; ++c)
                score[c] = (score[c] + constant[c] + std::log(static_cast<double>(km.sizes[c]) + 1)) /
                           (params.temperature * static_cast<double>(n));
            soft_from_scores(u, score, false);
        }
    }
    if (params.soft_counts) compute_scores(true);

    model.cluster_lists.resize(K);
    model.prior_weight.resize(K);
    for (std::size_t c = 0; c < K; ++c) {
        if (hooks.stop_requested())
            throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
        model.prior_weight[c] = prior[c];
        for (std::size_t j = 0; j < M; ++j) all[j].score = scores[c * M + j];
        model.cluster_lists[c] = top_list(all, params.list_length);
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
