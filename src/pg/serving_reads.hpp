// The reads of recommend_movies() done directly through indexes, without planning or executing a
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

struct ActiveModel {
    bool found;           // false: no active model
    int64 model_id;
    TimestampTz created_at;
    int k;
    Oid catalog_oid;      // oid of movie_recs.models
    bool known;           // the model has the user's soft assignment (both arrays not NULL)
    int width;            // soft assignment entries; 0 when the model does not know the user
    int32* clusters;      // catalog cluster ids as stored, in cxt
    float* weights;       // in cxt
    bool malformed;       // the stored soft assignment is not two arrays of equal length
    bool null_fingerprint;  // no fingerprint stored (a model trained before 0.2.0)
    int64 fingerprint;
};

// SELECT m.model_id, m.created_at, m.k, a.soft_clusters, a.soft_weights, m.tableoid,
//        a.fingerprint (NULL when catalog_0_1_0)
//   FROM movie_recs.models m LEFT JOIN movie_recs.assignments a
//     ON a.model_id = m.model_id AND a.user_id = $1 WHERE m.active
bool read_active_model(int64 user_id, bool catalog_0_1_0, MemoryContext cxt, ActiveModel* out);

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
