// Per-backend copy of the active model's stored soft assignments (movie_recs.assignments), so
// that a recommendation looks its user up in memory instead of descending the primary key and
// fetching the row. A model's rows never change once it is written: the copy is loaded once the
// backend has served the model a number of times through the index (a few per page of
// movie_recs.assignments, about what loading the copy costs; see assignment_cache.cpp), and kept
// until another model is active (model_id, created_at and the catalog's oid identify the model,
// as for the serving cache) or a relcache invalidation of movie_recs.assignments arrives
// (TRUNCATE, the extension dropped). Its size is bounded by movie_recs.assignment_cache_size;
// above it (or with 0) each call reads the user's row through the index. Plain PostgreSQL code.
#pragma once

#include "pg/serving_reads.hpp"

namespace movie_recs::pg {

// movie_recs.assignment_cache_size, in kB: the largest copy kept per backend (0: none).
extern int assignment_cache_kb;

// The user's stored assignment in `model` (just read by read_active_model()) from the copy,
// loading it first when needed. Arrays in cxt. False when the copy is not used (too large,
// disabled, or the catalog changed while loading): the caller reads the row itself.
bool cached_assignment(const ActiveModel& model, int64 user_id, bool catalog_0_1_0,
                       MemoryContext cxt, AssignmentRow* out);

}  // namespace movie_recs::pg
