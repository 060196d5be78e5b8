#include "recommend_batch.hpp"

#include <algorithm>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

BatchRecommender::BatchRecommender(const ServingModel& model, int threads)
    : threads_(std::max(threads, 1)),
      copies_(static_cast<std::size_t>(std::max(threads, 1)), model) {
    for (auto& c : copies_)
        free_.push_back(&c);
}

void BatchRecommender::recommend(const std::vector<UserRequest>& requests, int n,
                                 const Hooks& hooks, std::vector<std::vector<ScoredMovie>>* out) {
    if (n < 0 || n > kMaxRecommendations)
        throw Error(ErrorKind::InvalidParameter,
                    "n must be between 0 and " + std::to_string(kMaxRecommendations));
    out->assign(requests.size(), {});
    // Errors inside a worker (a request naming an unknown cluster: a bug) are carried out.
    std::mutex error_mu;
    std::exception_ptr error;
    parallel_rows(static_cast<std::int64_t>(requests.size()), threads_, hooks,
                  [&](std::int64_t begin, std::int64_t end) {
                      ServingModel* model;
                      {
                          std::lock_guard<std::mutex> lock(mu_);
                          model = free_.back();
                          free_.pop_back();
                      }
                      try {
                          for (std::int64_t i = begin; i < end; ++i) {
                              const UserRequest& r = requests[static_cast<std::size_t>(i)];
                              (*out)[static_cast<std::size_t>(i)] = model->recommend(
                                  r.clusters, r.weights, r.width,
                                  std::vector<std::int64_t>(r.seen, r.seen + r.seen_count), n);
                          }
                      } catch (...) {
                          std::lock_guard<std::mutex> lock(error_mu);
                          if (!error)
                              error = std::current_exception();
                      }
                      std::lock_guard<std::mutex> lock(mu_);
                      free_.push_back(model);
                  });
    if (error)
        std::rethrow_exception(error);
}

}  // namespace movie_recs::core
