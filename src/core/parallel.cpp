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

constexpr std::int64_t kBlockRows = 2048;  // rows between two cancellation checks

void cancelled() {
    throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
}

// Blocks every signal in the calling thread for its lifetime, so threads started meanwhile
// inherit a full mask: signals stay with the thread the host expects them on.
class SignalMaskGuard {
public:
    SignalMaskGuard() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &saved_);
    }
    ~SignalMaskGuard() { pthread_sigmask(SIG_SETMASK, &saved_, nullptr); }
    SignalMaskGuard(const SignalMaskGuard&) = delete;
    SignalMaskGuard& operator=(const SignalMaskGuard&) = delete;

private:
    sigset_t saved_;
};

}  // namespace

void parallel_rows(std::int64_t rows, int threads, const Hooks& hooks,
                   const std::function<void(std::int64_t, std::int64_t)>& body) {
    if (rows <= 0) return;
    const std::int64_t max_useful = (rows + kBlockRows - 1) / kBlockRows;
    const int workers = static_cast<int>(std::min<std::int64_t>(std::max(threads, 1), max_useful));

    if (workers <= 1) {
        for (std::int64_t b = 0; b < rows; b += kBlockRows) {
            if (hooks.stop_requested()) cancelled();
            body(b, std::min(rows, b + kBlockRows));
        }
        return;
    }

    std::atomic<bool> stop{false};
    std::mutex mu;
    std::condition_variable cv;
    int running = workers;
    std::vector<std::thread> pool;
    pool.reserve(static_cast<std::size_t>(workers));
    {
        SignalMaskGuard mask;
        for (int w = 0; w < workers; ++w) {
            const std::int64_t begin = rows * w / workers;
            const std::int64_t end = rows * (w + 1) / workers;
            pool.emplace_back([&, begin, end] {
                for (std::int64_t b = begin; b < end && !stop.load(std::memory_order_relaxed);
                     b += kBlockRows)
                    body(b, std::min(end, b + kBlockRows));
                std::lock_guard<std::mutex> lock(mu);
                if (--running == 0) cv.notify_one();
            });
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

}  // namespace movie_recs::core
