// Recommendations for many users at once (movie_recs.materialize_recommendations()): the same
// result as ServingModel::recommend() for each user, computed on several threads, each with its
// own copy of the model (ServingModel keeps per-call scratch buffers).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "hooks.hpp"
#include "recommend.hpp"

namespace movie_recs::core {

// One user: the soft assignment (width clusters, core indexes) and the movies already rated.
struct UserRequest {
    const std::int32_t* clusters;
    const float* weights;
    int width;
    const std::int64_t* seen;
    std::int64_t seen_count;
};

class BatchRecommender {
public:
    BatchRecommender(const ServingModel& model, int threads);

    // (*out)[i] = model.recommend(requests[i], n) for every request, on up to `threads` threads
    // over a fixed split of the requests (the result does not depend on the thread count).
    // Throws Error(Cancelled) when hooks.interrupted() asks to stop.
    void recommend(const std::vector<UserRequest>& requests, int n, const Hooks& hooks,
                   std::vector<std::vector<ScoredMovie>>* out);

private:
    int threads_;
    std::vector<ServingModel> copies_;  // one per thread
    std::vector<ServingModel*> free_;   // copies not in use by a worker
    std::mutex mu_;
};

}  // namespace movie_recs::core
