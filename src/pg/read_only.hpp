// Functions that change models refuse to run where nothing can be written: on a hot standby
// (during recovery) and in a read-only transaction. Read paths (recommend_movies, explain,
// views, evaluation) never call this and work on a standby.
#pragma once

namespace movie_recs::pg {

// Raises 25006 (read_only_sql_transaction) naming function_name, e.g. "train_movie_clusters()",
// with a hint to run it on the primary, when this server is in recovery or the transaction is
// read-only; returns otherwise. Call it before any C++ object is alive.
void require_writable(const char* function_name);

}  // namespace movie_recs::pg
