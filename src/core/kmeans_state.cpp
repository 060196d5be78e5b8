#include "kmeans_state.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "dot_kernels.hpp"
#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kUnitDouble = 0x1.0p-53;  // unit roundoff of double
constexpr double kUnitFloat = 0x1.0p-24;   // unit roundoff of float

// A distance bound from a squared distance and its error: rounded outwards.
double upper_from_sq(double d2, double err) { return std::sqrt(d2 + err) * (1 + 4 * kUnitDouble); }

// The largest float not above v (v >= 0).
float float_down(double v) {
    if (!(v > 0)) return 0.0f;
    float f = static_cast<float>(v);
    if (static_cast<double>(f) > v) f = std::nextafter(f, 0.0f);
    return f;
}

float lower_bound_from_sq(double d2, double err) {
    const double v = d2 - err;
    return v > 0 ? float_down(std::sqrt(v) * (1 - 4 * kUnitDouble)) : 0.0f;
}

// Runs fn(c) for every cluster c, the clusters split into fixed contiguous shares, one per
// thread: each cluster's work is the same whatever the thread count.
template <typename F>
void each_cluster(int k, int threads, const Hooks& hooks, F&& fn) {
    const int workers = std::max(1, std::min(threads, k));
    parallel_shares(workers, hooks, [&](int w) {
        for (std::int64_t c = std::int64_t{k} * w / workers; c < std::int64_t{k} * (w + 1) / workers; ++c)
            fn(static_cast<int>(c));
    });
}

}  // namespace

KMeansState::KMeansState(const SparseRows& rows, int clusters, int threads, const Hooks& hooks)
    : x(rows), n(rows.rows()), dims(rows.cols()), k(clusters), kp(padded_lanes(clusters)),
      lower_width(clusters <= kElkanMaxK ? clusters : 1), x_sq(static_cast<std::size_t>(n)),
      assignment(static_cast<std::size_t>(n), -1), sizes(static_cast<std::size_t>(clusters), 0),
      centroids(static_cast<std::size_t>(clusters) * static_cast<std::size_t>(dims), 0.0),
      outer_(rows.outerIndexPtr()), inner_(rows.innerIndexPtr()), values_(rows.valuePtr()),
      x_norm_(static_cast<std::size_t>(n)), applied_(static_cast<std::size_t>(n), -1),
      sums_(static_cast<std::size_t>(clusters) * static_cast<std::size_t>(dims), 0),
      c_sq_(static_cast<std::size_t>(clusters), 0), c_norm_(static_cast<std::size_t>(clusters), 0),
      c_sq_err_(static_cast<std::size_t>(clusters), 0), shift_(static_cast<std::size_t>(clusters), 0),
      upper_(static_cast<std::size_t>(n), kInf),
      lower_(static_cast<std::size_t>(n) * static_cast<std::size_t>(lower_width), 0.0f) {
    // Norms per row, and the largest |value| (a maximum: the same whatever the split).
    std::vector<double> block_max(static_cast<std::size_t>((n + kBlockRows - 1) / kBlockRows), 0.0);
    parallel_rows(n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        double m = 0;
        for (std::int64_t i = begin; i < end; ++i) {
            double s = 0;
            for (std::int64_t e = 0; e < nnz(i); ++e) {
                const double v = static_cast<double>(vals(i)[e]);
                s += v * v;
                m = std::max(m, std::fabs(v));
            }
            x_sq[static_cast<std::size_t>(i)] = s;
            x_norm_[static_cast<std::size_t>(i)] = std::sqrt(s);
        }
        block_max[static_cast<std::size_t>(begin / kBlockRows)] = m;
    });
    double max_abs = 0;
    for (double m : block_max) max_abs = std::max(max_abs, m);
    pack_rows(threads, hooks);
    // Fixed point: |value| * scale_ * rows < 2^62, so no cluster sum can overflow.
    if (max_abs > 0) {
        const int value_bits = std::ilogb(max_abs) + 1;
        int row_bits = 0;
        while ((std::int64_t{1} << row_bits) <= n) ++row_bits;
        scale_ = std::ldexp(1.0, 62 - value_bits - row_bits - 1);
    }
}

std::int64_t KMeansState::quantize(float v) const {
    return std::llrint(static_cast<double>(v) * scale_);
}

void KMeansState::pack_rows(int threads, const Hooks& hooks) {
    order.resize(static_cast<std::size_t>(dims));
    uniform_.resize(static_cast<std::size_t>(n));
    parallel_rows(n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const float* v = vals(i);
            bool same = true;
            for (std::int64_t e = 1; e < nnz(i) && same; ++e) same = v[e] == v[0];
            uniform_[static_cast<std::size_t>(i)] = same && nnz(i) > 0 ? v[0] : std::numeric_limits<float>::quiet_NaN();
        }
    });
    if (dims > kNarrowColumns) {
        for (std::int64_t j = 0; j < dims; ++j) order[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(j);
        return;
    }
    // The most used columns first: the float centroid copies read them from few cache lines.
    // Entries per column counted in a fixed share of the entries per thread, then added: exact.
    const std::int64_t entries = outer_[n];
    const int workers = static_cast<int>(std::max<std::int64_t>(1, std::min<std::int64_t>(threads, entries)));
    std::vector<std::vector<std::int64_t>> used_by(static_cast<std::size_t>(workers));
    parallel_shares(workers, hooks, [&](int w) {
        auto& u = used_by[static_cast<std::size_t>(w)];
        u.assign(static_cast<std::size_t>(dims), 0);
        for (std::int64_t e = entries * w / workers; e < entries * (w + 1) / workers; ++e)
            ++u[static_cast<std::size_t>(inner_[e])];
    });
    std::vector<std::int64_t> used(static_cast<std::size_t>(dims), 0);
    for (const auto& u : used_by)
        for (std::int64_t j = 0; j < dims; ++j) used[static_cast<std::size_t>(j)] += u[static_cast<std::size_t>(j)];
    std::vector<std::vector<std::int64_t>>().swap(used_by);
    std::vector<std::int32_t> by_use(static_cast<std::size_t>(dims));
    for (std::int64_t j = 0; j < dims; ++j) by_use[static_cast<std::size_t>(j)] = static_cast<std::int32_t>(j);
    std::stable_sort(by_use.begin(), by_use.end(), [&](std::int32_t a, std::int32_t b) {
        return used[static_cast<std::size_t>(a)] > used[static_cast<std::size_t>(b)];
    });
    for (std::int64_t p = 0; p < dims; ++p)
        order[static_cast<std::size_t>(by_use[static_cast<std::size_t>(p)])] = static_cast<std::int32_t>(p);
    narrow_.resize(static_cast<std::size_t>(entries));
    parallel_rows(
        entries, threads, hooks,
        [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t e = begin; e < end; ++e)
                narrow_[static_cast<std::size_t>(e)] = static_cast<std::uint16_t>(order[static_cast<std::size_t>(inner_[e])]);
        },
        std::int64_t{1} << 18);
}

PackedRow KMeansState::packed(std::int64_t i) const {
    PackedRow r;
    r.narrow = narrow_.empty() ? nullptr : narrow_.data() + outer_[i];
    r.wide = narrow_.empty() ? cols(i) : nullptr;
    const float u = uniform_[static_cast<std::size_t>(i)];
    r.vals = std::isnan(u) ? vals(i) : nullptr;
    r.uniform = std::isnan(u) ? 0.0f : u;
    r.nnz = nnz(i);
    return r;
}

double KMeansState::exact_slack(std::int64_t i, double c_norm) const {
    const auto ii = static_cast<std::size_t>(i);
    const double nz = static_cast<double>(nnz(i));
    const double cross = x_norm_[ii] * c_norm;
    return 2 * (nz + 2) * kUnitDouble * cross + (nz + 4) * kUnitDouble * x_sq[ii] +
           4 * kUnitDouble * (x_sq[ii] + 2 * cross + c_norm * c_norm);
}

double KMeansState::tight_slack(std::int64_t i, int c) const {
    const auto ii = static_cast<std::size_t>(i);
    const auto cc = static_cast<std::size_t>(c);
    const double nz = static_cast<double>(nnz(i));
    const double cross = x_norm_[ii] * c_norm_[cc];
    return 2 * (kUnitFloat + (nz + 2) * kUnitDouble) * 1.01 * cross + (nz + 4) * kUnitDouble * x_sq[ii] +
           c_sq_err_[cc] + 4 * kUnitDouble * (x_sq[ii] + 2 * cross + c_sq_[cc]);
}

double KMeansState::float_slack(std::int64_t i, int c) const {
    const auto ii = static_cast<std::size_t>(i);
    const auto cc = static_cast<std::size_t>(c);
    const double nz = static_cast<double>(nnz(i));
    const double cross = x_norm_[ii] * c_norm_[cc];
    return 2 * (nz + 2) * kUnitFloat * 1.01 * cross + (nz + 4) * kUnitDouble * x_sq[ii] +
           c_sq_err_[cc] + 4 * kUnitDouble * (x_sq[ii] + 2 * cross + c_sq_[cc]);
}

void KMeansState::begin_seeding() {
    std::fill(assignment.begin(), assignment.end(), -1);
    seed_best_.assign(static_cast<std::size_t>(n), kInf);
    std::fill(upper_.begin(), upper_.end(), kInf);
    if (lower_width == 1) {
        seed_low_.assign(static_cast<std::size_t>(n) * 2, kInf);
        seed_low_cluster_.assign(static_cast<std::size_t>(n), -1);
    }
}

void KMeansState::note_seed_distance(std::int64_t i, int c, double d2, double err) {
    const auto ii = static_cast<std::size_t>(i);
    if (d2 < seed_best_[ii]) {
        seed_best_[ii] = d2;
        assignment[ii] = c;
        upper_[ii] = upper_from_sq(d2, err);
    }
    if (lower_width == k) {
        lower_[ii * static_cast<std::size_t>(k) + static_cast<std::size_t>(c)] = lower_bound_from_sq(d2, err);
        return;
    }
    // Hamerly: the two smallest lower values and the cluster of the smallest.
    const double low = d2 - err;
    double* two = &seed_low_[2 * ii];
    if (low < two[0]) {
        two[1] = two[0];
        two[0] = low;
        seed_low_cluster_[ii] = c;
    } else if (low < two[1]) {
        two[1] = low;
    }
}

void KMeansState::end_seeding(const std::vector<std::int64_t>& picks, int threads, const Hooks& hooks) {
    for (int c = 0; c < k; ++c) {
        double* cen = &centroids[static_cast<std::size_t>(c) * static_cast<std::size_t>(dims)];
        const std::int64_t r = picks[static_cast<std::size_t>(c)];
        for (std::int64_t e = 0; e < nnz(r); ++e) cen[cols(r)[e]] = static_cast<double>(vals(r)[e]);
    }
    if (lower_width == 1) {
        for (std::int64_t i = 0; i < n; ++i) {
            const auto ii = static_cast<std::size_t>(i);
            const double low = seed_low_cluster_[ii] == assignment[ii] ? seed_low_[2 * ii + 1] : seed_low_[2 * ii];
            lower_[ii] = low > 0 && low < kInf ? float_down(std::sqrt(low) * (1 - 4 * kUnitDouble))
                                               : (low >= kInf ? std::numeric_limits<float>::infinity() : 0.0f);
        }
    }
    std::vector<double>().swap(seed_best_);
    std::vector<double>().swap(seed_low_);
    std::vector<std::int32_t>().swap(seed_low_cluster_);
    std::fill(shift_.begin(), shift_.end(), 0.0);
    refresh_centroid_copies(threads, hooks);
}

void KMeansState::refresh_centroid_copies(int threads, const Hooks& hooks) {
    const auto dd = static_cast<std::size_t>(dims);
    const auto kk = static_cast<std::size_t>(kp);
    cf_.resize(static_cast<std::size_t>(k) * dd);
    each_cluster(k, threads, hooks, [&](int c) {
        const auto cc = static_cast<std::size_t>(c);
        const double* cen = &centroids[cc * dd];
        float* flt = &cf_[cc * dd];
        double s = 0;
        for (std::int64_t j = 0; j < dims; ++j) {
            s += cen[j] * cen[j];
            flt[order[static_cast<std::size_t>(j)]] = static_cast<float>(cen[j]);
        }
        c_sq_[cc] = s;
        c_norm_[cc] = std::sqrt(s) * (1 + 4 * kUnitDouble);
        c_sq_err_[cc] = (static_cast<double>(dims) + 4) * kUnitDouble * s;
    });
    // The transposed copy from the float copies, position by position: reads and writes in order.
    ct.resize(dd * kk);
    parallel_rows(dims, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t p = begin; p < end; ++p) {
            float* row = &ct[static_cast<std::size_t>(p) * kk];
            for (int c = 0; c < k; ++c) row[c] = cf_[static_cast<std::size_t>(c) * dd + static_cast<std::size_t>(p)];
            for (int c = k; c < kp; ++c) row[c] = 0.0f;
        }
    }, 8192);
}

void KMeansState::set_centroids_to_means(const std::vector<int>& empty,
                                         const std::vector<std::int64_t>& far_rows, int threads,
                                         const Hooks& hooks) {
    const auto dd = static_cast<std::size_t>(dims);
    std::atomic<bool> finite{true};
    each_cluster(k, threads, hooks, [&](int c) {
        const auto cc = static_cast<std::size_t>(c);
        double* cen = &centroids[cc * dd];
        const std::int64_t* sum = &sums_[cc * dd];
        // moved: squared distance from the old centre to the new one, entry by entry.
        double moved = 0;
        bool changed = true;
        if (sizes[cc] > 0) {
            const double size = static_cast<double>(sizes[cc]);
            for (std::int64_t j = 0; j < dims; ++j) {
                const double fresh = static_cast<double>(sum[order[static_cast<std::size_t>(j)]]) / scale_ / size;
                const double d = fresh - cen[j];
                moved += d * d;
                cen[j] = fresh;
            }
        } else {
            const auto at = std::find(empty.begin(), empty.end(), c);
            const std::int64_t r = at == empty.end() ? -1 : far_rows[static_cast<std::size_t>(at - empty.begin())];
            if (r < 0) {
                shift_[cc] = 0;
                changed = false;
            } else {
                std::vector<double> fresh(dd, 0.0);
                for (std::int64_t e = 0; e < nnz(r); ++e) fresh[static_cast<std::size_t>(cols(r)[e])] = static_cast<double>(vals(r)[e]);
                for (std::int64_t j = 0; j < dims; ++j) {
                    const double d = fresh[static_cast<std::size_t>(j)] - cen[j];
                    moved += d * d;
                    cen[j] = fresh[static_cast<std::size_t>(j)];
                }
            }
        }
        if (changed) shift_[cc] = std::sqrt(moved) * (1 + (static_cast<double>(dims) + 8) * kUnitDouble);
        for (std::int64_t j = 0; j < dims; ++j)
            if (!std::isfinite(cen[j])) finite = false;
    });
    if (!finite)
        throw Error(ErrorKind::Internal, "k-means produced a non-finite centroid", {},
                    "Please report a bug.");
    refresh_centroid_copies(threads, hooks);
}

std::int64_t KMeansState::assign(int threads, const Hooks& hooks) {
    // Hamerly: a row's single bound drops by the largest move among the other centroids.
    int top = 0;
    double top1 = 0, top2 = 0;
    for (int c = 0; c < k; ++c) {
        const double s = shift_[static_cast<std::size_t>(c)];
        if (s > top1) {
            top2 = top1;
            top1 = s;
            top = c;
        } else if (s > top2) {
            top2 = s;
        }
    }
    std::atomic<std::int64_t> moved_total{0}, skipped_total{0}, tightened_total{0}, compared_total{0},
        scanned_total{0};
    parallel_rows(n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        std::vector<float> dots(static_cast<std::size_t>(kp));
        std::vector<double> d2(static_cast<std::size_t>(k));
        std::int64_t moved = 0, skipped = 0, tightened = 0, compared = 0, scanned = 0;
        for (std::int64_t i = begin; i < end; ++i) {
            const auto ii = static_cast<std::size_t>(i);
            const int a = assignment[ii];
            double u = (upper_[ii] + shift_[static_cast<std::size_t>(a)]) * (1 + 2 * kUnitDouble);
            float* low = &lower_[ii * static_cast<std::size_t>(lower_width)];
            double bound = kInf;
            if (lower_width == k) {
                for (int c = 0; c < k; ++c) {
                    low[c] = float_down(static_cast<double>(low[c]) - shift_[static_cast<std::size_t>(c)]);
                    if (c != a) bound = std::min(bound, static_cast<double>(low[c]));
                }
            } else {
                low[0] = float_down(static_cast<double>(low[0]) - (a == top ? top2 : top1));
                bound = static_cast<double>(low[0]);
            }
            if (u < bound) {
                upper_[ii] = u;
                ++skipped;
                continue;
            }
            const PackedRow row = packed(i);
            const auto dist = [&](double dot, int c) {
                return std::max(0.0, x_sq[ii] - 2 * dot + c_sq_[static_cast<std::size_t>(c)]);
            };
            const auto own_cf = [&](int c) {
                return &cf_[static_cast<std::size_t>(c) * static_cast<std::size_t>(dims)];
            };
            // Elkan: the centroids that may be nearer are those whose lower bound is not above
            // u. When they are few, the own centroid and they are compared in one pass over the
            // row (gathers); otherwise the upper bound is tightened first.
            int candidates[kFewDots];
            int count = 0;
            bool few = false;
            if (lower_width == k) {
                for (int c = 0; c < k && count < kFewDots; ++c)
                    if (c != a && static_cast<double>(low[c]) <= u) candidates[count++] = c;
                few = count < kFewDots;
            }
            int best = a;
            double dt;  // squared distance to the own centroid (float centroid, double sums)
            if (few) {
                const float* dense[kFewDots];
                double dot[kFewDots];
                dense[0] = own_cf(a);
                for (int j = 0; j < count; ++j) dense[j + 1] = own_cf(candidates[j]);
                packed_dots_few(row, dense, count + 1, dot);
                dt = dist(dot[0], a);
                u = upper_from_sq(dt, tight_slack(i, a));
                double best_d = dt;
                for (int j = 0; j < count; ++j) {
                    const int c = candidates[j];
                    const double d = dist(dot[j + 1], c);
                    low[c] = lower_bound_from_sq(d, tight_slack(i, c));
                    if (d < best_d || (d == best_d && c < best)) {
                        best_d = d;
                        best = c;
                    }
                }
                low[a] = lower_bound_from_sq(dt, tight_slack(i, a));
                if (count == 0) {
                    upper_[ii] = u;
                    ++tightened;
                    continue;
                }
                ++compared;
            } else {
                // Tighten the upper bound with the distance to the own centroid.
                dt = dist(packed_dot(row, own_cf(a)), a);
                u = upper_from_sq(dt, tight_slack(i, a));
                if (u < bound) {
                    upper_[ii] = u;
                    ++tightened;
                    continue;
                }
                // Compare with every centroid (float).
                ++scanned;
                packed_dots(row, ct.data(), kp, dots.data());
                best = 0;
                double best_d = kInf;
                for (int c = 0; c < k; ++c) {
                    const double d = dist(static_cast<double>(dots[static_cast<std::size_t>(c)]), c);
                    d2[static_cast<std::size_t>(c)] = d;
                    if (d < best_d) {
                        best_d = d;
                        best = c;
                    }
                }
                if (lower_width == k)
                    for (int c = 0; c < k; ++c)
                        low[c] = lower_bound_from_sq(d2[static_cast<std::size_t>(c)], float_slack(i, c));
            }
            // A move is confirmed in double precision: only to a strictly nearer centroid (or
            // an equally near one of lower index).
            int now = a;
            if (best != a) {
                const auto exact = [&](int c) {
                    const double* cen = &centroids[static_cast<std::size_t>(c) * static_cast<std::size_t>(dims)];
                    return std::max(0.0, x_sq[ii] - 2 * sparse_dot(cols(i), vals(i), nnz(i), cen) +
                                             c_sq_[static_cast<std::size_t>(c)]);
                };
                const double da = exact(a);
                const double db = exact(best);
                if (db < da || (db == da && best < a)) {
                    now = best;
                    u = upper_from_sq(db, exact_slack(i, c_norm_[static_cast<std::size_t>(best)]) +
                                              c_sq_err_[static_cast<std::size_t>(best)]);
                }
            }
            if (lower_width != k) {
                double second = kInf;
                for (int c = 0; c < k; ++c)
                    if (c != now) second = std::min(second, d2[static_cast<std::size_t>(c)] - float_slack(i, c));
                low[0] = second >= kInf ? std::numeric_limits<float>::infinity() : lower_bound_from_sq(second, 0);
            }
            upper_[ii] = u;
            if (now != a) {
                assignment[ii] = now;
                ++moved;
            }
        }
        moved_total += moved;
        skipped_total += skipped;
        tightened_total += tightened;
        compared_total += compared;
        scanned_total += scanned;
    });
    rows_skipped += skipped_total.load();
    rows_tightened += tightened_total.load();
    rows_compared += compared_total.load();
    rows_scanned += scanned_total.load();
    return moved_total.load();
}

void KMeansState::apply_moves(int threads, const Hooks& hooks) {
    std::vector<std::int64_t> moved;
    for (std::int64_t i = 0; i < n; ++i)
        if (assignment[static_cast<std::size_t>(i)] != applied_[static_cast<std::size_t>(i)]) moved.push_back(i);
    if (moved.empty()) return;
    // Each worker owns the clusters c with c % workers == w: no two write the same sum.
    const int workers = std::max(1, std::min(threads, k));
    const auto add_row = [&](std::int64_t i, int c, std::int64_t sign) {
        std::int64_t* sum = &sums_[static_cast<std::size_t>(c) * static_cast<std::size_t>(dims)];
        const PackedRow r = packed(i);
        if (r.vals == nullptr) {
            const std::int64_t q = sign * quantize(r.uniform);
            if (r.narrow != nullptr)
                for (std::int64_t e = 0; e < r.nnz; ++e) sum[r.narrow[e]] += q;
            else
                for (std::int64_t e = 0; e < r.nnz; ++e) sum[r.wide[e]] += q;
        } else {
            for (std::int64_t e = 0; e < r.nnz; ++e)
                sum[r.narrow != nullptr ? r.narrow[e] : r.wide[e]] += sign * quantize(r.vals[e]);
        }
        sizes[static_cast<std::size_t>(c)] += sign;
    };
    parallel_rows(
        workers, workers, hooks,
        [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t w = begin; w < end; ++w)
                for (std::int64_t i : moved) {
                    const int from = applied_[static_cast<std::size_t>(i)];
                    const int to = assignment[static_cast<std::size_t>(i)];
                    if (from >= 0 && from % workers == w) add_row(i, from, -1);
                    if (to % workers == w) add_row(i, to, +1);
                }
        },
        1);
    for (std::int64_t i : moved) applied_[static_cast<std::size_t>(i)] = assignment[static_cast<std::size_t>(i)];
}

double KMeansState::inertia(int threads, const Hooks& hooks) const {
    // Each cluster's term on its own, added up in cluster order.
    std::vector<double> term(static_cast<std::size_t>(k), 0.0);
    each_cluster(k, threads, hooks, [&](int c) {
        const auto cc = static_cast<std::size_t>(c);
        if (sizes[cc] == 0) return;
        const double* cen = &centroids[cc * static_cast<std::size_t>(dims)];
        const std::int64_t* sum = &sums_[cc * static_cast<std::size_t>(dims)];
        double dot = 0;
        for (std::int64_t j = 0; j < dims; ++j)
            dot += static_cast<double>(sum[order[static_cast<std::size_t>(j)]]) * cen[j];
        term[cc] = -2 * dot / scale_ + static_cast<double>(sizes[cc]) * c_sq_[cc];
    });
    double s = 0;
    for (double v : x_sq) s += v;
    for (int c = 0; c < k; ++c)
        if (sizes[static_cast<std::size_t>(c)] != 0) s += term[static_cast<std::size_t>(c)];
    return std::max(0.0, s);
}

std::vector<double> KMeansState::exact_distances(int threads, const Hooks& hooks) const {
    std::vector<double> out(static_cast<std::size_t>(n));
    parallel_rows(n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        for (std::int64_t i = begin; i < end; ++i) {
            const auto ii = static_cast<std::size_t>(i);
            const auto a = static_cast<std::size_t>(assignment[ii]);
            const double* cen = &centroids[a * static_cast<std::size_t>(dims)];
            out[ii] = std::max(0.0, x_sq[ii] - 2 * sparse_dot(cols(i), vals(i), nnz(i), cen) + c_sq_[a]);
        }
    });
    return out;
}

}  // namespace movie_recs::core
