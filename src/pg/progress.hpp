// Progress of train_movie_clusters() for other sessions. While a training runs, the query text
// its backend shows in pg_stat_activity starts with the phase and the time elapsed:
//     movie_recs training: k-means iteration 7 of 20, 12.4 s elapsed | SELECT * FROM train_...
// and the statement's own text comes back when the training memory context goes away, at the
// end of the training or on error. Nothing is shown when track_activities is off.
#pragma once

#include "core/hooks.hpp"
#include "pg/postgres_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace movie_recs::pg {

// Starts showing progress until cxt is deleted or reset.
void progress_begin(MemoryContext cxt);

// Reading phase: rows read so far.
void progress_reading(int64 rows);

// A report of the core (matrix, seeding, iteration, scoring). Never raises an error; callable
// from the core's progress hook.
void progress_core(const core::Progress& p) noexcept;

}  // namespace movie_recs::pg
