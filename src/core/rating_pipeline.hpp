// Collecting rows on a worker thread while the caller reads the next ones: the caller fills batch
// buffers and hands them over, one worker thread adds them to a RatingCollector in the order they
// were handed over (so the collector ends up exactly as if the caller had added them itself), and
// after each batch checks the memory the build will need (estimate_build_bytes) against a limit,
// so that the first batch over the limit is found whatever the timing of the two threads.
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
    RatingPipeline(RatingCollector* collector, std::int64_t memory_limit);
    // Stops the worker, dropping the batches not added yet, and joins it.
    ~RatingPipeline();
    RatingPipeline(const RatingPipeline&) = delete;
    RatingPipeline& operator=(const RatingPipeline&) = delete;

    // An empty buffer of kBatchRows rows to fill; waits while every buffer is queued.
    RatingTriple* acquire();
    // Queues a buffer from acquire() holding n rows.
    void submit(RatingTriple* batch, std::size_t n);
    // True once adding a batch failed or went over the memory limit: the rest are dropped,
    // finish() throws the error.
    bool failed() const;
    // True when the collector went over the memory limit: the rows it held after the first
    // batch that did, and the bytes the estimate gave then.
    bool over_limit(std::int64_t* rows, std::int64_t* need) const;
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
    std::int64_t memory_limit_;
    std::int64_t over_rows_ = -1;
    std::int64_t over_need_ = 0;
    std::thread worker_;
};

}  // namespace movie_recs::core
