// Cluster ids in the catalog are stable across retraining (cluster_ids.cpp), so a model's ids
// need not be 1..k: serving maps them to the core's cluster indexes 0..k-1 through the model's
// ids in ascending order.
#pragma once

#include "pg/postgres_headers.hpp"

namespace movie_recs::pg {

// Index of id in ids[0..k) (ascending), or -1 when absent.
inline int cluster_index(const int32* ids, int k, int32 id) {
    int lo = 0, hi = k;
    while (lo < hi) {
        const int mid = lo + (hi - lo) / 2;
        if (ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (lo < k && ids[lo] == id) ? lo : -1;
}

}  // namespace movie_recs::pg
