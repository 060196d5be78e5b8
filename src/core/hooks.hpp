// Callbacks through which long-running core work talks to its host (the PostgreSQL adapter or a
// command-line tool). Both are called from the calling thread only, never from a worker thread.
#pragma once

#include <cstdint>
#include <functional>

namespace movie_recs::core {

struct Progress {
    const char* phase;     // "matrix", "seeding", "iteration", "scoring"
    std::int64_t done;     // units done in this phase (seeds chosen, iterations run, ...)
    std::int64_t total;    // units planned in this phase (0 when unknown)
    double inertia;        // current inertia in the iteration phase, else 0
    std::int64_t moved;    // users that changed cluster in the last iteration, else 0
};

struct Hooks {
    // Returns true when the host wants the work to stop (e.g. a query cancel is pending). The core
    // then joins its workers and throws Error(ErrorKind::Cancelled). Must not throw or longjmp.
    std::function<bool()> interrupted;
    // Progress report. Must not throw or longjmp.
    std::function<void(const Progress&)> progress;

    bool stop_requested() const { return interrupted && interrupted(); }
    void report(const Progress& p) const {
        if (progress) progress(p);
    }
};

}  // namespace movie_recs::core
