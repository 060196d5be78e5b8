// See rating_pipeline.hpp. One mutex guards the queue, the free buffers and the published
// counts; the collector is touched by the worker alone while it runs.
#include "rating_pipeline.hpp"

#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

RatingPipeline::RatingPipeline(RatingCollector* collector) : collector_(collector) {
    storage_.resize(kBuffers);
    for (auto& b : storage_) {
        b.resize(kBatchRows);
        free_.push_back(b.data());
    }
    rows_ = collector_->rows();
    users_ = collector_->users();
    movies_ = collector_->movies();
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
        const bool skip = error_ != nullptr;
        lock.unlock();
        std::exception_ptr error;
        std::int64_t rows = 0, users = 0, movies = 0;
        if (!skip) {
            try {
                collector_->add(batch, n);
            } catch (...) {
                error = std::current_exception();
            }
            rows = collector_->rows();
            users = collector_->users();
            movies = collector_->movies();
        }
        lock.lock();
        busy_ = false;
        if (error && !error_) error_ = error;
        if (!skip) {
            rows_ = rows;
            users_ = users;
            movies_ = movies;
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
    return error_ != nullptr;
}

std::int64_t RatingPipeline::rows() const {
    std::lock_guard<std::mutex> lock(mu_);
    return rows_;
}

std::int64_t RatingPipeline::users() const {
    std::lock_guard<std::mutex> lock(mu_);
    return users_;
}

std::int64_t RatingPipeline::movies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return movies_;
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
