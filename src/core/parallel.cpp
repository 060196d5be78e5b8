#include "parallel.hpp"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

void cancelled() {
    throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
}

}  // namespace

SignalMaskGuard::SignalMaskGuard() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &saved_);
}

SignalMaskGuard::~SignalMaskGuard() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }

void parallel_rows(std::int64_t rows, int threads, const Hooks& hooks,
                   const std::function<void(std::int64_t, std::int64_t)>& body,
                   std::int64_t block) {
    if (rows <= 0) return;
    block = std::max<std::int64_t>(block, 1);
    const std::int64_t blocks = (rows + block - 1) / block;
    const int workers = static_cast<int>(std::min<std::int64_t>(std::max(threads, 1), blocks));

    if (workers <= 1) {
        for (std::int64_t b = 0; b < rows; b += block) {
            if (hooks.stop_requested()) cancelled();
            body(b, std::min(rows, b + block));
        }
        return;
    }

    std::atomic<bool> stop{false};
    std::atomic<std::int64_t> next_block{0};
    std::mutex mu;
    std::condition_variable cv;
    int running = workers;
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(workers));
    auto work = [&] {
        while (!stop.load(std::memory_order_relaxed)) {
            const std::int64_t b = next_block.fetch_add(1, std::memory_order_relaxed);
            if (b >= blocks) break;
            body(b * block, std::min(rows, (b + 1) * block));
        }
        std::lock_guard<std::mutex> lock(mu);
        if (--running == 0) cv.notify_one();
    };
    {
        SignalMaskGuard mask;
        try {
            for (int w = 0; w < workers; ++w) pool.emplace_back(work);
        } catch (...) {
            // A thread could not be created: the ones running take all the blocks.
            std::lock_guard<std::mutex> lock(mu);
            running -= workers - static_cast<int>(pool.size());
            if (pool.empty()) throw;
        }
    }
    bool interrupted = false;
    {
        std::unique_lock<std::mutex> lock(mu);
        while (running > 0) {
            cv.wait_for(lock, std::chrono::milliseconds(10));
            if (running > 0 && !interrupted) {
                lock.unlock();
                if (hooks.stop_requested()) {
                    interrupted = true;
                    stop.store(true);
                }
                lock.lock();
            }
        }
    }
    for (auto& t : pool) t.join();
    if (interrupted || hooks.stop_requested()) cancelled();
}

void parallel_shares(int workers, const Hooks& hooks, const std::function<void(int)>& body) {
    parallel_rows(
        workers, workers, hooks,
        [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t w = begin; w < end; ++w) body(static_cast<int>(w));
        },
        1);
}

}  // namespace movie_recs::core
