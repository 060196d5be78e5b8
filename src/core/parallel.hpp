// A fixed split of rows over worker threads, with cancellation polled on the calling thread.
#pragma once

#include <cstdint>
#include <functional>

#include "hooks.hpp"

namespace movie_recs::core {

// Runs body(begin, end) over [0, rows) in contiguous ranges, one per thread (threads <= 1: on the
// calling thread, in blocks). Each row must be processed independently of the split, so results
// never depend on the thread count. Worker threads start with every signal blocked and are joined
// before this returns. While they run, the calling thread polls hooks.interrupted(); when it
// returns true the workers stop at their next block and Error(Cancelled) is thrown after the join.
// body must not throw.
void parallel_rows(std::int64_t rows, int threads, const Hooks& hooks,
                   const std::function<void(std::int64_t, std::int64_t)>& body);

}  // namespace movie_recs::core
