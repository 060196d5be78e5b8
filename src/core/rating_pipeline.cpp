// See rating_pipeline.hpp. One mutex guards the queue, the free buffers and the outcome (error,
// memory over the limit); the collector is touched by the worker alone while it runs.
#include "rating_pipeline.hpp"

#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

RatingPipeline::RatingPipeline(RatingCollector* collector, std::int64_t memory_limit)
    : collector_(collector), memory_limit_(memory_limit) {
    storage_.resize(kBuffers);
    for (auto& b : storage_) {
        b.resize(kBatchRows);
        free_.push_back(b.data());
    }
    SignalMaskGuard mask;
    worker_ = std::thread([this] { run(); });
}

RatingPipeline::~RatingPipeline() { stop_and_join(); }

void RatingPipeline::stop_and_join() noexcept {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stopping_ = true;
        queue_.clear();
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
}

void RatingPipeline::run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, everything added
        const auto [batch, n] = queue_.front();
        queue_.pop_front();
        busy_ = true;
        const bool skip = error_ != nullptr || over_rows_ >= 0;
        lock.unlock();
        std::exception_ptr error;
        std::int64_t need = 0;
        if (!skip) {
            try {
                collector_->add(batch, n);
                need = estimate_build_bytes(collector_->rows(), collector_->users(),
                                            collector_->movies());
            } catch (...) {
                error = std::current_exception();
            }
        }
        lock.lock();
        busy_ = false;
        if (error) error_ = error;
        if (!skip && !error && need > memory_limit_) {
            over_rows_ = collector_->rows();
            over_need_ = need;
        }
        free_.push_back(batch);
        cv_.notify_all();
    }
}

RatingTriple* RatingPipeline::acquire() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return !free_.empty(); });
    RatingTriple* b = free_.back();
    free_.pop_back();
    return b;
}

void RatingPipeline::submit(RatingTriple* batch, std::size_t n) {
    {
        std::lock_guard<std::mutex> lock(mu_);
        queue_.emplace_back(batch, n);
    }
    cv_.notify_all();
}

bool RatingPipeline::failed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_ != nullptr || over_rows_ >= 0;
}

bool RatingPipeline::over_limit(std::int64_t* rows, std::int64_t* need) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (over_rows_ < 0) return false;
    *rows = over_rows_;
    *need = over_need_;
    return true;
}

void RatingPipeline::finish() {
    {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
    }
    stop_and_join();
    if (error_) std::rethrow_exception(error_);
}

}  // namespace movie_recs::core
