#include "model.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

const char* to_string(UserVector v) {
    switch (v) {
        case UserVector::Liked: return "liked";
        case UserVector::Presence: return "presence";
        case UserVector::Centered: return "centered";
        case UserVector::Raw: return "raw";
    }
    return "unknown";
}

bool parse_user_vector(const std::string& s, UserVector* out) {
    for (UserVector v :
         {UserVector::Liked, UserVector::Presence, UserVector::Centered, UserVector::Raw})
        if (s == to_string(v)) {
            *out = v;
            return true;
        }
    return false;
}

const char* to_string(ScoreSignal s) {
    switch (s) {
        case ScoreSignal::Liked: return "liked";
        case ScoreSignal::Rated: return "rated";
    }
    return "unknown";
}

bool parse_score_signal(const std::string& s, ScoreSignal* out) {
    for (ScoreSignal v : {ScoreSignal::Liked, ScoreSignal::Rated})
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

// The transform of one user's ratings, shared by training and fold-in, in two steps: the row's
// mean and the scale that gives the transformed row unit length (1 for raw ratings or an all-zero
// row), then each value from them, so that a value can be transformed again without the row.
struct RowScale {
    double mean;
    double scale;
};

// One transformed value before scaling.
double shifted(UserVector kind, double v, double mean) {
    switch (kind) {
        case UserVector::Liked: return v >= mean ? 1.0 : 0.0;
        case UserVector::Presence: return 1.0;
        case UserVector::Centered: return v - mean;
        case UserVector::Raw: break;
    }
    return v;
}

template <typename Value>
RowScale row_scale(UserVector kind, Value&& value, std::size_t n) {
    double mean = 0;
    for (std::size_t i = 0; i < n; ++i) mean += value(i);
    mean /= static_cast<double>(std::max<std::size_t>(n, 1));
    double norm = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const double v = shifted(kind, value(i), mean);
        norm += v * v;
    }
    if (kind == UserVector::Raw || norm <= 0) return {mean, 1.0};  // x * 1.0 is x
    return {mean, 1.0 / std::sqrt(norm)};
}

double transformed(UserVector kind, double v, const RowScale& s) {
    return shifted(kind, v, s.mean) * s.scale;
}

// The transform of one user's ratings, values in place.
template <typename Values>
void transform(UserVector kind, Values&& values, std::size_t n) {
    const RowScale s = row_scale(kind, values, n);
    for (std::size_t i = 0; i < n; ++i) values(i) = transformed(kind, values(i), s);
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

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

}  // namespace

SparseRows user_vectors(const RatingMatrix& m, UserVector kind, int threads, const Hooks& hooks) {
    // Entries the transform makes zero (movies not liked, ratings equal to the mean) are left
    // out: they add nothing to a dot product or a norm, and rows whose entries then share one
    // value take the k-means fast paths. Two passes over the rows (the row's mean and scale and
    // its count of entries kept, then the entries), each row on its own, so that the result is
    // allocated once, at its final size. Values are transformed in double and stored as float,
    // like the rest of the matrix.
    const SparseRows& r = m.rows();
    const std::int64_t users = r.rows();
    std::vector<RowScale> scales(static_cast<std::size_t>(users));
    SparseRows x(users, r.cols());
    std::int32_t* outer = x.outerIndexPtr();
    parallel_rows(users, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t u = begin; u < end; ++u) {
            const float* v = r.valuePtr() + r.outerIndexPtr()[u];
            const auto n = static_cast<std::size_t>(r.outerIndexPtr()[u + 1] - r.outerIndexPtr()[u]);
            const RowScale s =
                row_scale(kind, [&](std::size_t j) { return static_cast<double>(v[j]); }, n);
            scales[static_cast<std::size_t>(u)] = s;
            std::int32_t nz = 0;
            for (std::size_t j = 0; j < n; ++j)
                nz += static_cast<float>(transformed(kind, static_cast<double>(v[j]), s)) != 0 ? 1 : 0;
            outer[u + 1] = nz;
        }
    });
    outer[0] = 0;
    for (std::int64_t u = 0; u < users; ++u) outer[u + 1] += outer[u];
    x.resizeNonZeros(outer[users]);
    std::int32_t* inner = x.innerIndexPtr();
    float* values = x.valuePtr();
    parallel_rows(users, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t u = begin; u < end; ++u) {
            const std::int64_t first = r.outerIndexPtr()[u];
            const std::int64_t last = r.outerIndexPtr()[u + 1];
            const RowScale& s = scales[static_cast<std::size_t>(u)];
            std::int64_t at = outer[u];
            for (std::int64_t e = first; e < last; ++e) {
                const float f = static_cast<float>(
                    transformed(kind, static_cast<double>(r.valuePtr()[e]), s));
                if (f != 0) {
                    inner[at] = r.innerIndexPtr()[e];
                    values[at] = f;
                    ++at;
                }
            }
        }
    });
    return x;
}

void user_vector(UserVector kind, std::vector<std::pair<std::int64_t, double>>* entries) {
    std::sort(entries->begin(), entries->end());
    // Through float, as in the training matrix, so that a user gets the same vector both ways.
    for (auto& e : *entries) e.second = static_cast<double>(static_cast<float>(e.second));
    transform(kind, [&](std::size_t j) -> double& { return (*entries)[j].second; },
              entries->size());
    for (auto& e : *entries) e.second = static_cast<double>(static_cast<float>(e.second));
}

void soft_assign(const double* d2, int k, int own, int width, double temperature,
                 std::int32_t* clusters, float* weights) {
    width = std::min(width, k);
    std::vector<int> order(static_cast<std::size_t>(k));
    for (int c = 0; c < k; ++c) order[static_cast<std::size_t>(c)] = c;
    std::partial_sort(order.begin(), order.begin() + width, order.end(), [&](int a, int b) {
        if ((a == own) != (b == own)) return a == own;
        if (d2[a] != d2[b]) return d2[a] < d2[b];
        return a < b;
    });
    const double base = d2[order[0]];
    double total = 0;
    std::vector<double> w(static_cast<std::size_t>(width));
    for (int i = 0; i < width; ++i) {
        w[static_cast<std::size_t>(i)] = std::exp(-std::max(0.0, d2[order[i]] - base) / temperature);
        total += w[static_cast<std::size_t>(i)];
    }
    for (int i = 0; i < width; ++i) {
        clusters[i] = order[static_cast<std::size_t>(i)];
        weights[i] = static_cast<float>(w[static_cast<std::size_t>(i)] / total);
    }
}

std::int64_t ratings_fingerprint(const std::int64_t* movie_ids, std::size_t n) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += splitmix64(static_cast<std::uint64_t>(movie_ids[i]));
    return static_cast<std::int64_t>(sum);
}

Model train_model(const RatingMatrix& m, const ModelParams& params, const Hooks& hooks) {
    validate(params);
    Model model;
    model.params = params;
    model.user_ids = m.user_ids();
    model.movie_ids = m.movie_ids();
    model.ratings = m.ratings();
    model.duplicates_merged = m.duplicates_merged();

    const SparseRows x = user_vectors(m, params.vectors, params.kmeans.threads, hooks);
    model.km = kmeans(x, params.kmeans, hooks);
    const KMeansResult& km = model.km;
    const int k = km.k;
    const std::int64_t users = m.users();
    const std::int64_t movies = m.movies();
    const auto M = static_cast<std::size_t>(movies);

    // Soft assignment: the user's nearest clusters, weighted by exp(-(d^2 - d_min^2) / T).
    hooks.report({"scoring", 0, 2, km.inertia, 0});
    std::vector<double> c_sq(static_cast<std::size_t>(k), 0);
    for (int c = 0; c < k; ++c) {
        double s = 0;
        for (std::size_t j = 0; j < M; ++j) {
            const double v = km.centroids[static_cast<std::size_t>(c) * M + j];
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
        for (std::int64_t u = begin; u < end; ++u) {
            row_sq_distances(x, u, km, c_sq, d2.data());
            const auto at = static_cast<std::size_t>(u * width);
            soft_assign(d2.data(), k, km.assignment[static_cast<std::size_t>(u)], width,
                        params.temperature, &model.soft_cluster[at], &model.soft_weight[at]);
        }
    });

    // Fingerprints of the rated sets: the sum of a hash of each rated movie (ratings_fingerprint),
    // with the hashes computed once per movie.
    model.fingerprint.resize(static_cast<std::size_t>(users));
    const SparseRows& r = m.rows();
    {
        std::vector<std::uint64_t> movie_hash(M);
        for (std::size_t j = 0; j < M; ++j)
            movie_hash[j] = splitmix64(static_cast<std::uint64_t>(model.movie_ids[j]));
        parallel_rows(users, params.kmeans.threads, hooks, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t u = begin; u < end; ++u) {
                std::uint64_t sum = 0;
                for (std::int64_t e = r.outerIndexPtr()[u]; e < r.outerIndexPtr()[u + 1]; ++e)
                    sum += movie_hash[static_cast<std::size_t>(r.innerIndexPtr()[e])];
                model.fingerprint[static_cast<std::size_t>(u)] = static_cast<std::int64_t>(sum);
            }
        });
    }

    // Popularity and per-cluster counts of the members with the signal for each movie (liked:
    // rated at least their mean rating). With liked user vectors those movies are exactly the
    // entries of the vectors (transform(): 1 from the mean up, then scaled), so they are read
    // there, with no mean to compute. Each worker counts a fixed share of the users in its own
    // integer counts, added up afterwards: exact, so the result does not depend on the thread
    // count. Users are taken cluster by cluster, so that the counts being incremented are one
    // cluster's row, which stays in cache.
    const bool from_vectors =
        params.signal == ScoreSignal::Liked && params.vectors == UserVector::Liked;
    const SparseRows& counted_rows = from_vectors ? x : r;
    const bool by_mean = params.signal == ScoreSignal::Liked && !from_vectors;
    std::vector<std::int32_t> by_cluster(static_cast<std::size_t>(users));
    {
        std::vector<std::int64_t> next(static_cast<std::size_t>(k) + 1, 0);
        for (std::int64_t u = 0; u < users; ++u)
            ++next[static_cast<std::size_t>(km.assignment[static_cast<std::size_t>(u)]) + 1];
        for (int c = 0; c < k; ++c) next[static_cast<std::size_t>(c) + 1] += next[static_cast<std::size_t>(c)];
        for (std::int64_t u = 0; u < users; ++u)
            by_cluster[static_cast<std::size_t>(next[static_cast<std::size_t>(km.assignment[static_cast<std::size_t>(u)])]++)] =
                static_cast<std::int32_t>(u);
    }
    const int workers = static_cast<int>(
        std::max<std::int64_t>(1, std::min<std::int64_t>(params.kmeans.threads, users)));
    std::vector<std::vector<std::int32_t>> liked_by(static_cast<std::size_t>(workers));
    std::vector<std::vector<std::int32_t>> counted(static_cast<std::size_t>(workers));
    parallel_rows(
        workers, workers, hooks,
        [&](std::int64_t w_begin, std::int64_t w_end) {
            for (std::int64_t w = w_begin; w < w_end; ++w) {
                auto& pop = liked_by[static_cast<std::size_t>(w)];
                auto& cnt = counted[static_cast<std::size_t>(w)];
                pop.assign(M, 0);
                cnt.assign(static_cast<std::size_t>(k) * M, 0);
                for (std::int64_t at = users * w / workers; at < users * (w + 1) / workers; ++at) {
                    const std::int64_t u = by_cluster[static_cast<std::size_t>(at)];
                    const auto c = static_cast<std::size_t>(km.assignment[static_cast<std::size_t>(u)]);
                    double mean = 0;
                    if (by_mean) {
                        double n = 0;
                        for (SparseRows::InnerIterator it(counted_rows, u); it; ++it) {
                            mean += static_cast<double>(it.value());
                            n += 1;
                        }
                        mean /= std::max(n, 1.0);
                    }
                    for (SparseRows::InnerIterator it(counted_rows, u); it; ++it) {
                        if (by_mean && static_cast<double>(it.value()) < mean) continue;
                        const auto j = static_cast<std::size_t>(it.index());
                        pop[j] += 1;
                        cnt[c * M + j] += 1;
                    }
                }
            }
        },
        1);
    std::vector<double> popularity(M, 0);
    std::vector<double> counts(static_cast<std::size_t>(k) * M, 0);
    for (int w = 0; w < workers; ++w) {
        auto& pop = liked_by[static_cast<std::size_t>(w)];
        auto& cnt = counted[static_cast<std::size_t>(w)];
        for (std::size_t j = 0; j < M; ++j) popularity[j] += static_cast<double>(pop[j]);
        for (std::size_t e = 0; e < cnt.size(); ++e) counts[e] += static_cast<double>(cnt[e]);
        std::vector<std::int32_t>().swap(pop);
        std::vector<std::int32_t>().swap(cnt);
    }
    for (auto& p : popularity) p /= static_cast<double>(users);

    std::vector<ScoredMovie> all(M);
    for (std::size_t j = 0; j < M; ++j) all[j] = {model.movie_ids[j], popularity[j]};
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
        for (std::size_t j = 0; j < M; ++j) {
            const double cnt = counts[static_cast<std::size_t>(c) * M + j];
            all[j].score = denom > 0 ? (cnt + params.shrinkage * popularity[j]) / denom : popularity[j];
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
