#include "matching.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

[[noreturn]] void cancelled() {
    throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
}

// The assignment for rows <= cols; p/way/u/v follow the usual 1-based formulation with a
// virtual column 0.
std::vector<int> assign_rows(const std::vector<double>& cost, int rows, int cols,
                             const Hooks& hooks) {
    const double inf = std::numeric_limits<double>::infinity();
    const auto n = static_cast<std::size_t>(rows);
    const auto m = static_cast<std::size_t>(cols);
    std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), minv(m + 1);
    std::vector<std::size_t> p(m + 1, 0), way(m + 1, 0);
    std::vector<char> used(m + 1);
    for (std::size_t i = 1; i <= n; ++i) {
        if (hooks.stop_requested())
            cancelled();
        // Step 1: grow an alternating tree from row i until it reaches a free column.
        p[0] = i;
        std::size_t j0 = 0;
        std::fill(minv.begin(), minv.end(), inf);
        std::fill(used.begin(), used.end(), 0);
        do {
            used[j0] = 1;
            const std::size_t i0 = p[j0];
            double delta = inf;
            std::size_t j1 = 0;
            for (std::size_t j = 1; j <= m; ++j) {
                if (used[j])
                    continue;
                const double cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            // Step 2: update the potentials so that a new column becomes reachable at zero
            // reduced cost.
            for (std::size_t j = 0; j <= m; ++j) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
        } while (p[j0] != 0);
        // Step 3: augment along the path back to column 0.
        do {
            const std::size_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0 != 0);
    }
    std::vector<int> match(n, -1);
    for (std::size_t j = 1; j <= m; ++j)
        if (p[j] != 0)
            match[p[j] - 1] = static_cast<int>(j - 1);
    return match;
}

}  // namespace

double sparse_distance(const CentroidView& a, const CentroidView& b) {
    double sum = 0;
    std::size_t i = 0, j = 0;
    while (i < a.size || j < b.size) {
        double d;
        if (j == b.size || (i < a.size && a.movie_ids[i] < b.movie_ids[j])) {
            d = a.weights[i++];
        } else if (i == a.size || b.movie_ids[j] < a.movie_ids[i]) {
            d = b.weights[j++];
        } else {
            d = static_cast<double>(a.weights[i++]) - static_cast<double>(b.weights[j++]);
        }
        sum += d * d;
    }
    return std::sqrt(sum);
}

std::vector<int> min_cost_assignment(const std::vector<double>& cost, int rows, int cols,
                                     const Hooks& hooks) {
    if (rows < 0 || cols < 0 ||
        cost.size() != static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols))
        throw Error(ErrorKind::Internal, "cost matrix does not have rows x cols entries", {},
                    "Please report a bug.");
    for (double c : cost)
        if (!std::isfinite(c))
            throw Error(ErrorKind::Internal, "cost matrix has a value that is not finite", {},
                        "Please report a bug.");
    if (rows == 0 || cols == 0)
        return std::vector<int>(static_cast<std::size_t>(rows), -1);
    if (rows <= cols)
        return assign_rows(cost, rows, cols, hooks);

    // More rows than columns: assign the columns to rows on the transposed matrix.
    const auto r = static_cast<std::size_t>(rows), c = static_cast<std::size_t>(cols);
    std::vector<double> t(cost.size());
    for (std::size_t i = 0; i < r; ++i)
        for (std::size_t j = 0; j < c; ++j)
            t[j * r + i] = cost[i * c + j];
    const std::vector<int> by_column = assign_rows(t, cols, rows, hooks);
    std::vector<int> match(r, -1);
    for (std::size_t j = 0; j < c; ++j)
        match[static_cast<std::size_t>(by_column[j])] = static_cast<int>(j);
    return match;
}

std::vector<std::int32_t> stable_cluster_ids(const std::vector<CentroidView>& current,
                                             const std::vector<CentroidView>& previous,
                                             const std::vector<std::int32_t>& previous_ids,
                                             const Hooks& hooks) {
    if (previous.size() != previous_ids.size())
        throw Error(ErrorKind::Internal, "previous centroids and ids differ in number", {},
                    "Please report a bug.");
    const auto k = current.size();
    const auto k_prev = previous.size();
    if (k > static_cast<std::size_t>(kMaxMatchedClusters) ||
        k_prev > static_cast<std::size_t>(kMaxMatchedClusters))
        throw Error(ErrorKind::InvalidParameter, "cluster ids are matched for at most " +
                                                     std::to_string(kMaxMatchedClusters) +
                                                     " clusters");
    std::int32_t next_id = 1;
    for (auto id : previous_ids) {
        if (id < 1)
            throw Error(ErrorKind::Internal,
                        "previous cluster id " + std::to_string(id) + " is not positive", {},
                        "Please report a bug.");
        next_id = std::max(next_id, id + 1);
    }

    std::vector<std::int32_t> ids(k, 0);
    if (k_prev > 0 && k > 0) {
        std::vector<double> cost(k * k_prev);
        for (std::size_t i = 0; i < k; ++i) {
            if (hooks.stop_requested())
                cancelled();
            for (std::size_t j = 0; j < k_prev; ++j)
                cost[i * k_prev + j] = sparse_distance(current[i], previous[j]);
        }
        const std::vector<int> match =
            min_cost_assignment(cost, static_cast<int>(k), static_cast<int>(k_prev), hooks);
        for (std::size_t i = 0; i < k; ++i)
            if (match[i] >= 0)
                ids[i] = previous_ids[static_cast<std::size_t>(match[i])];
    }
    for (std::size_t i = 0; i < k; ++i)
        if (ids[i] == 0)
            ids[i] = next_id++;
    return ids;
}

}  // namespace movie_recs::core
