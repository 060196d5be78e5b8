// Where the rows read for a training go (ratings_receiver.hpp): batches handed to a
// core::RatingCollector owned by the training memory context, either on this thread or, when
// training may use more than one thread, through a core::RatingPipeline whose worker thread adds
// each batch while this thread reads the next one. Every call into C++ goes through a noexcept
// wrapper: the frames here hold no C++ object and PostgreSQL errors may unwind them.
#include <cstddef>
#include <new>

#include "core/rating_matrix.hpp"
#include "core/rating_pipeline.hpp"
#include "pg/guard.hpp"
#include "pg/progress.hpp"
#include "pg/ratings_receiver.hpp"

namespace movie_recs::pg {

static_assert(core::RatingPipeline::kBatchRows == static_cast<std::size_t>(kReceiverBatchRows),
              "the receiver fills the pipeline's buffers");

// The ratings read so far (see RatingsInput::ratings).
struct CollectedRatings {
    core::RatingCollector* collector;  // owned; deleted with the context or when consumed
    core::RatingPipeline* pipeline;    // owned while reading, or NULL
    MemoryContextCallback on_delete;
};

namespace {

constexpr int64 kProgressRows = 1 << 20;

// ---- C++ objects, through calls that never throw ------------------------------------------

void delete_pipeline(CollectedRatings* c) noexcept {
    delete c->pipeline;  // joins the worker
    c->pipeline = nullptr;
}

void delete_collection(void* arg) noexcept {
    CollectedRatings* c = static_cast<CollectedRatings*>(arg);
    delete_pipeline(c);
    delete c->collector;
    c->collector = nullptr;
}

core::RatingCollector* new_collector() noexcept {
    try {
        return new core::RatingCollector();
    } catch (...) {
        return nullptr;
    }
}

// NULL when the worker cannot be started: the rows are then added on this thread.
core::RatingPipeline* new_pipeline(core::RatingCollector* collector, int64 limit) noexcept {
    try {
        return new core::RatingPipeline(collector, limit);
    } catch (...) {
        return nullptr;
    }
}

core::RatingTriple* pipeline_acquire(core::RatingPipeline* p) noexcept {
    try {
        return p->acquire();
    } catch (...) {
        return nullptr;
    }
}

bool pipeline_submit(core::RatingPipeline* p, core::RatingTriple* batch, int n) noexcept {
    try {
        p->submit(batch, static_cast<std::size_t>(n));
        return !p->failed();
    } catch (...) {
        return false;
    }
}

// Why adding rows failed: Stop::None when it did not.
Stop add_failure(const std::exception_ptr& e) noexcept {
    try {
        if (e) std::rethrow_exception(e);
        return Stop::None;
    } catch (const std::bad_alloc&) {
        return Stop::OutOfMemory;
    } catch (...) {
        return Stop::TooMany;  // the only core::Error left: more than kMaxRatings rows
    }
}

Stop collector_add(core::RatingCollector* c, const core::RatingTriple* rows, int n) noexcept {
    try {
        c->add(rows, static_cast<std::size_t>(n));
        return Stop::None;
    } catch (...) {
        return add_failure(std::current_exception());
    }
}

Stop pipeline_finish(core::RatingPipeline* p) noexcept {
    try {
        p->finish();
        return Stop::None;
    } catch (...) {
        return add_failure(std::current_exception());
    }
}

// The first batch over the memory limit, found by the worker: stops reading as flush_batch()
// would have stopped it without the worker.
bool pipeline_over_limit(const core::RatingPipeline* p, RatingsReceiver* r) noexcept {
    std::int64_t rows, need;
    try {
        if (!p->over_limit(&rows, &need)) return false;
    } catch (...) {
        return false;
    }
    r->stop = Stop::OverLimit;
    r->need = need;
    r->out->count = rows;
    return true;
}

// The memory that holding the ratings and building the matrix will need, so far: false (and
// r->stop set) when it exceeds the limit.
bool within_limit(RatingsReceiver* r, int64 users, int64 movies) {
    const int64 need = core::estimate_build_bytes(r->out->count, users, movies);
    if (need <= r->args->memory_limit) return true;
    r->stop = Stop::OverLimit;
    r->need = need;
    return false;
}

}  // namespace

void receiver_begin(RatingsReceiver* r, const TrainArgs& args, MemoryContext cxt,
                    RatingsInput* out) {
    CollectedRatings* c =
        static_cast<CollectedRatings*>(MemoryContextAllocZero(cxt, sizeof(CollectedRatings)));
    c->collector = new_collector();
    if (c->collector == nullptr)
        ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
    c->on_delete.func = delete_collection;
    c->on_delete.arg = c;
    MemoryContextRegisterResetCallback(cxt, &c->on_delete);
    out->ratings = c;

    r->args = &args;
    r->out = out;
    r->next_progress = kProgressRows;
    r->stop = Stop::None;
    r->batch_rows = 0;
    r->batch = nullptr;
    if (args.threads > 1) c->pipeline = new_pipeline(c->collector, args.memory_limit);
    if (c->pipeline != nullptr) r->batch = pipeline_acquire(c->pipeline);
    if (r->batch == nullptr) {
        delete_pipeline(c);
        r->batch = static_cast<core::RatingTriple*>(
            MemoryContextAlloc(cxt, sizeof(core::RatingTriple) * kReceiverBatchRows));
    }
}

bool flush_batch(RatingsReceiver* r) {
    if (r->batch_rows == 0) return true;
    CollectedRatings* c = r->out->ratings;
    if (c->pipeline != nullptr) {
        // The worker adds this batch, and checks the memory, while the next one is read.
        if (!pipeline_submit(c->pipeline, r->batch, r->batch_rows) ||
            (r->batch = pipeline_acquire(c->pipeline)) == nullptr) {
            r->stop = Stop::Collector;
            return false;
        }
        r->out->count += r->batch_rows;
        r->batch_rows = 0;
    } else {
        const Stop s = collector_add(c->collector, r->batch, r->batch_rows);
        if (s != Stop::None) {
            r->stop = s;
            return false;
        }
        r->out->count += r->batch_rows;
        r->batch_rows = 0;
        if (!within_limit(r, c->collector->users(), c->collector->movies())) return false;
    }
    if (r->out->count >= r->next_progress) {
        r->next_progress += kProgressRows;
        progress_reading(r->out->count);
    }
    CHECK_FOR_INTERRUPTS();
    return true;
}

void receiver_finish(RatingsReceiver* r) {
    CollectedRatings* c = r->out->ratings;
    if (c->pipeline == nullptr) return;
    // A failure of the worker concerns rows read before the one that stopped reading, if any.
    const Stop s = pipeline_finish(c->pipeline);
    if (s != Stop::None)
        r->stop = s;
    else if (!pipeline_over_limit(c->pipeline, r) && r->stop == Stop::Collector)
        r->stop = Stop::OutOfMemory;  // a buffer could not be handed over
    delete_pipeline(c);
}

void receiver_abort(RatingsReceiver* r) noexcept {
    if (r->out != nullptr && r->out->ratings != nullptr) delete_pipeline(r->out->ratings);
}

core::RatingMatrix build_rating_matrix(RatingsInput* input, int threads, const core::Hooks& hooks) {
    CollectedRatings* c = input->ratings;
    core::RatingMatrix m = c->collector->build(threads, hooks);
    delete_collection(c);
    return m;
}

}  // namespace movie_recs::pg
