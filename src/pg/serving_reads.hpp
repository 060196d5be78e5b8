// The reads of recommend_movies() done directly through indexes, without planning or executing a
// query: the active model and the user's soft assignment from the catalog, and the movies the
// user has rated from the model's source table. Each read checks the caller's privileges as the
// equivalent SELECT would and sees the same snapshot. When a read cannot be done this way (row-
// level security, a missing privilege, a view or a table without a suitable index), it returns
// false without side effects and the caller runs the SQL query instead, which applies every rule
// and raises the proper errors. Plain PostgreSQL code: no C++ object is alive in these frames.
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
    int width;            // soft assignment entries; 0 when the model does not know the user
    int32* clusters;      // 1-based cluster ids as stored, in cxt
    float* weights;       // in cxt
    bool malformed;       // the stored soft assignment is not two arrays of equal length
};

// SELECT m.model_id, m.created_at, m.k, a.soft_clusters, a.soft_weights, m.tableoid
//   FROM movie_recs.models m LEFT JOIN movie_recs.assignments a
//     ON a.model_id = m.model_id AND a.user_id = $1 WHERE m.active
bool read_active_model(int64 user_id, MemoryContext cxt, ActiveModel* out);

// SELECT movie_column::int8 FROM schema.table WHERE user_column = $1 (non-NULL values).
bool read_user_movies(const char* schema, const char* table, const char* user_column,
                      const char* movie_column, int64 user_id, MemoryContext cxt,
                      int64** movies, int64* count);

}  // namespace movie_recs::pg
