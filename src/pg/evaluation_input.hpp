// Input of the evaluation functions (evaluate_movie_recommendations, movie_recs.suggest_k): the
// ratings with an optional time column, checked and read with the caller's rights into a plain
// array. Plain data, no destructors (see train_types.hpp).
#pragma once

#include "core/metrics.hpp"
#include "pg/train_types.hpp"

namespace movie_recs::pg {

struct TimedInput {
    core::TimedRating* ratings;  // in the given memory context
    int64 count;
    int64 skipped_nulls;  // rows with a NULL user, movie, rating or time
};

// Checks the relation and the columns (time_column may be NULL: then every time is 0), reads the
// rows with the caller's rights, and reports skipped rows in a NOTICE. Raises 22000 when no row
// is left. Times are microseconds (timestamp types), days (date) or the integer as it is.
void read_timed_ratings(const TrainArgs& args, const char* time_column, MemoryContext cxt,
                        TimedInput* out);

// Only a pending cancel or termination stops a long computation (a noexcept hook for the core).
bool evaluation_cancel_pending() noexcept;

}  // namespace movie_recs::pg
