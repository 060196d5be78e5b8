// Collecting rows on a worker thread while the caller reads the next ones: the caller fills batch
// buffers and hands them over, one worker thread adds them to a RatingCollector in the order they
// were handed over (so the collector ends up exactly as if the caller had added them itself).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "rating_matrix.hpp"

namespace movie_recs::core {

class RatingPipeline {
public:
    static constexpr std::size_t kBatchRows = 8192;
    static constexpr int kBuffers = 4;

    // Starts the worker (every signal blocked in it). The collector must not be touched by
    // anybody else until finish() or the destructor has returned. Throws std::bad_alloc or
    // std::system_error.
    explicit RatingPipeline(RatingCollector* collector);
    // Stops the worker, dropping the batches not added yet, and joins it.
    ~RatingPipeline();
    RatingPipeline(const RatingPipeline&) = delete;
    RatingPipeline& operator=(const RatingPipeline&) = delete;

    // An empty buffer of kBatchRows rows to fill; waits while every buffer is queued.
    RatingTriple* acquire();
    // Queues a buffer from acquire() holding n rows.
    void submit(RatingTriple* batch, std::size_t n);
    // True once adding a batch failed: the rest are dropped, finish() throws the error.
    bool failed() const;
    // Rows, users and movies the collector holds so far (after the batches added).
    std::int64_t rows() const;
    std::int64_t users() const;
    std::int64_t movies() const;
    // Waits until every queued batch is added, stops the worker and rethrows the error of
    // RatingCollector::add, if any.
    void finish();

private:
    void run();
    void stop_and_join() noexcept;

    RatingCollector* collector_;
    std::vector<std::vector<RatingTriple>> storage_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::vector<RatingTriple*> free_;
    std::deque<std::pair<RatingTriple*, std::size_t>> queue_;
    bool busy_ = false;  // the worker holds a batch
    bool stopping_ = false;
    std::exception_ptr error_;
    std::int64_t rows_ = 0, users_ = 0, movies_ = 0;
    std::thread worker_;
};

}  // namespace movie_recs::core
