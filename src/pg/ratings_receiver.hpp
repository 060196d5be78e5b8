// Where the rows read for a training go (ratings_receiver.cpp): batches of core::RatingTriple
// handed to the collector, with the memory check, progress and interrupt check after every batch.
// Both readers feed it: the SQL query's DestReceiver (read_ratings.cpp) and the direct heap scan
// (direct_read.cpp). Plain C data only: PostgreSQL errors may unwind any frame that holds it.
#pragma once

#include "core/rating_matrix.hpp"
#include "pg/train_types.hpp"

extern "C" {
#include "tcop/dest.h"
}

namespace movie_recs::pg {

constexpr int kReceiverBatchRows = 8192;

// Why reading stopped early. The error is raised once the scan has finished, so that it reads
// like the other errors of train_movie_clusters() (no query context).
// Collector: the batch could not be handed over (receiver_finish() tells why).
enum class Stop { None, BadRating, OutOfMemory, TooMany, OverLimit, Collector };

struct RatingsReceiver {
    DestReceiver pub;  // first: the executor sees a DestReceiver
    const TrainArgs* args;
    RatingsInput* out;
    core::RatingTriple* batch;  // kReceiverBatchRows
    int batch_rows;
    int64 next_progress;
    Stop stop;
    core::RatingTriple bad;  // Stop::BadRating
    int64 need;              // Stop::OverLimit
};

// Sets up r (batch, counters) and out->ratings, a collector owned by cxt, with a worker thread
// adding the batches when args.threads > 1.
void receiver_begin(RatingsReceiver* r, const TrainArgs& args, MemoryContext cxt,
                    RatingsInput* out);
// After the last batch: waits for the worker, if any, and sets r->stop if adding rows failed.
void receiver_finish(RatingsReceiver* r);
// Stops and joins the worker, if any: called before a PostgreSQL error leaves the reading.
void receiver_abort(RatingsReceiver* r) noexcept;

// Hands the batch to the collector, checks memory, reports progress, serves interrupts (may
// raise a PostgreSQL error). False when reading must stop (r->stop says why).
bool flush_batch(RatingsReceiver* r);

// Adds one row whose columns are all non-null, as the SQL query's casts give them. False when
// reading must stop.
inline bool receiver_add(RatingsReceiver* r, int64 user, int64 movie, double rating) {
    core::RatingTriple& t = r->batch[r->batch_rows];
    t.user_id = user;
    t.movie_id = movie;
    t.rating = rating;
    if (!core::rating_in_range(rating)) {
        r->stop = Stop::BadRating;
        r->bad = t;
        return false;
    }
    if (++r->batch_rows == kReceiverBatchRows) return flush_batch(r);
    return true;
}

// direct_read.cpp: reads the ratings of a plain heap table straight from its pages into r when
// that is exactly what the SQL query of read_ratings() would read (the caller may read the
// columns, no row-level security, no inheritance children, integer and float columns). Returns
// false, having read nothing, when it is not; the caller then runs the query.
bool read_ratings_directly(const TrainArgs& args, RatingsReceiver* r);

}  // namespace movie_recs::pg
