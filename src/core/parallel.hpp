// A fixed split of rows over worker threads, with cancellation polled on the calling thread.
#pragma once

#include <signal.h>

#include <cstdint>
#include <functional>

#include "hooks.hpp"

namespace movie_recs::core {

// Blocks every signal in the calling thread for its lifetime, so threads started meanwhile
// inherit a full mask: signals stay with the thread the host expects them on.
class SignalMaskGuard {
public:
    SignalMaskGuard();
    ~SignalMaskGuard();
    SignalMaskGuard(const SignalMaskGuard&) = delete;
    SignalMaskGuard& operator=(const SignalMaskGuard&) = delete;

private:
    sigset_t saved_;
};

// Rows per block of parallel_rows() unless told otherwise.
constexpr std::int64_t kBlockRows = 2048;

// Runs body(begin, end) over [0, rows) in blocks of `block` rows (the last one shorter), which
// `threads` worker threads take in turn as they become free (threads <= 1: on the calling thread,
// in order). Each row must be processed independently of the blocks and of the thread that runs
// them, so results never depend on the thread count. Worker threads start with every signal
// blocked and are joined before this returns. While they run, the calling thread polls
// hooks.interrupted(); when it returns true the workers stop before their next block and
// Error(Cancelled) is thrown after the join. body must not throw.
void parallel_rows(std::int64_t rows, int threads, const Hooks& hooks,
                   const std::function<void(std::int64_t, std::int64_t)>& body,
                   std::int64_t block = kBlockRows);

// Runs body(w) for w in [0, workers), each on its own thread (one thread: in order on the
// calling thread), with parallel_rows()'s cancellation: for work split into fixed shares, one
// per worker, so that each share is the same whatever the timing.
void parallel_shares(int workers, const Hooks& hooks, const std::function<void(int)>& body);

}  // namespace movie_recs::core
