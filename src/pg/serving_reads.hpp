// The reads of recommend_movies() done directly through indexes (catalog_reads.cpp and
// serving_reads.cpp), without planning or executing a
// query: the active model and the user's soft assignment and fingerprint from the catalog, and the
// movies (with ratings) the user has rated from the model's source table. Each read checks the
// caller's privileges as the equivalent SELECT would (schema usage, table or column SELECT) and
// sees the same snapshot. When a read cannot be done this way (row-level security, a missing
// privilege, a view, a table with inheritance children or without a suitable index, a rating type
// other than an integer or float), it returns
// false without side effects and the caller runs the SQL query instead, which applies every rule
// and raises the proper errors. What the reads resolve by name (the relations, columns, their
// types and the index each uses) is kept per backend and forgotten on any relcache invalidation
// or change of a schema; privileges and row-level security are checked at every call.
// Plain PostgreSQL code: no C++ object is alive in these frames.
#pragma once

#include "pg/postgres_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace movie_recs::pg {

// The active model as read from movie_recs.models.
struct ActiveModel {
    bool found;           // false: no active model
    int64 model_id;
    TimestampTz created_at;
    int k;
    Oid catalog_oid;      // oid of movie_recs.models
    Oid assignments_oid;  // oid of movie_recs.assignments
};

// SELECT model_id, created_at, k, tableoid FROM movie_recs.models WHERE active, through the
// partial unique index models_one_active. True also when there is no active model (found false);
// false when the caller may not read movie_recs.models and movie_recs.assignments this way.
// catalog_0_1_0: the catalog is 0.1.0's (no fingerprint column) as the caller declares it.
bool read_active_model(bool catalog_0_1_0, ActiveModel* out);

// A user's row of movie_recs.assignments.
struct AssignmentRow {
    int64 user_id;
    bool known;             // the row exists and both arrays are not NULL
    int width;              // soft assignment entries; 0 when not known
    int32* clusters;        // catalog cluster ids as stored
    float* weights;
    bool malformed;         // the stored soft assignment is not two arrays of equal length
    bool null_fingerprint;  // no fingerprint stored (a model trained before 0.2.0)
    int64 fingerprint;
};

// Sets row's known, width, clusters, weights and malformed from the soft_clusters and
// soft_weights columns of its row (arrays copied into cxt).
void set_soft_assignment(Datum clusters, bool null_clusters, Datum weights, bool null_weights,
                         MemoryContext cxt, AssignmentRow* row);

// SELECT user_id, soft_clusters, soft_weights, fingerprint (NULL when catalog_0_1_0)
//   FROM movie_recs.assignments WHERE model_id = $1 AND user_id = $2
// through the primary key; out->known false when there is no row. Arrays in cxt. Only after a
// read_active_model() of the same call returned true.
bool read_user_assignment(int64 model_id, int64 user_id, bool catalog_0_1_0, MemoryContext cxt,
                          AssignmentRow* out);

// Every row of model_id in movie_recs.assignments in no particular order (the heap's), each
// handed to visit (its arrays valid during the call only) until visit returns false. True when every row was visited.
// Only after a read_active_model() of the same call returned true.
using AssignmentVisitor = bool (*)(void* arg, const AssignmentRow& row);
bool scan_model_assignments(int64 model_id, bool catalog_0_1_0, AssignmentVisitor visit,
                            void* arg);

// The user's rows of the source relation: every non-NULL movie id and its rating as float8
// (NaN when the rating is NULL; 1 for every row when rating_column is NULL).
struct UserRatings {
    int64 count;
    int64* movies;
    double* ratings;
};

// SELECT movie_column::int8, rating_column::float8 FROM schema.table WHERE user_column = $1
// (rows with a non-NULL movie).
bool read_user_ratings(const char* schema, const char* table, const char* user_column,
                       const char* movie_column, const char* rating_column, int64 user_id,
                       MemoryContext cxt, UserRatings* out);

}  // namespace movie_recs::pg
