// Lifecycle steps of train_movie_clusters() around reading and writing: the source's change
// signal before reading (for train_if_stale()), and after writing the activation (through
// movie_recs.switch_model(), which records it in movie_recs.activations) and the retention of
// movie_recs.keep_models (movie_recs.prune_models()). Everything runs in the training's
// transaction with the caller's rights. Plain PostgreSQL code: no C++ object is alive here.
#include "pg/lifecycle.hpp"

#include "pg/guard.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
}

namespace movie_recs::pg {
namespace {

void connect() {
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
}

// Runs a statement returning at most one row of one column; *isnull when there is none.
Datum one_value(const char* sql, int nargs, Oid* types, Datum* values, bool* isnull,
                bool read_only) {
    int rc = SPI_execute_with_args(sql, nargs, types, values, nullptr, read_only, 0);
    if (rc < 0 || SPI_processed > 1)
        elog(ERROR, "\"%s\" failed: %s", sql, SPI_result_code_string(rc));
    if (SPI_processed == 0 || SPI_tuptable == nullptr) {
        *isnull = true;
        return (Datum)0;
    }
    return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, isnull);
}

}  // namespace

bool catalog_is_0_1_0() {
    connect();
    bool isnull;
    Datum old = one_value(
        "SELECT extversion = '0.1.0' FROM pg_catalog.pg_extension WHERE extname = 'movie_recs'", 0,
        nullptr, nullptr, &isnull, true);
    bool result = !isnull && DatumGetBool(old);
    SPI_finish();
    return result;
}

void snapshot_source(const TrainArgs& args, SourceSnapshot* out) {
    connect();
    Oid types[1] = {REGCLASSOID};
    Datum v[1] = {ObjectIdGetDatum(args.relid)};
    bool isnull;
    Datum changes =
        one_value("SELECT movie_recs.source_change_counter($1)", 1, types, v, &isnull, true);
    out->have_changes = !isnull;
    out->changes = isnull ? 0 : DatumGetInt64(changes);
    SPI_finish();
}

void finish_training(int64 model_id, const TrainArgs& args, const RatingsInput& input,
                     const SourceSnapshot& source) {
    connect();
    Oid types[3] = {INT8OID, INT8OID, INT8OID};
    Datum v[3] = {Int64GetDatum(model_id), Int64GetDatum(input.count + input.skipped_nulls),
                  Int64GetDatum(source.changes)};
    char nulls[3] = {' ', ' ', source.have_changes ? ' ' : 'n'};
    int rc = SPI_execute_with_args(
        "UPDATE movie_recs.models SET source_rows = $2, source_changes = $3 WHERE model_id = $1", 3,
        types, v, nulls, false, 0);
    if (rc != SPI_OK_UPDATE || SPI_processed != 1)
        elog(ERROR, "updating movie_recs.models failed: %s", SPI_result_code_string(rc));

    bool isnull;
    if (args.activate) {
        rc = SPI_execute_with_args(
            "SELECT movie_recs.switch_model($1, 'train',"
            " (SELECT (movie_recs.current_activation()).activation_id))",
            1, types, v, nullptr, false, 0);
        if (rc != SPI_OK_SELECT || SPI_processed != 1)
            elog(ERROR, "activating movie_recs model %lld failed: %s",
                 static_cast<long long>(model_id), SPI_result_code_string(rc));
    }

    if (keep_models_setting > 0) {
        Oid keep_type[1] = {INT4OID};
        Datum keep[1] = {Int32GetDatum(keep_models_setting)};
        Datum dropped =
            one_value("SELECT movie_recs.prune_models($1)", 1, keep_type, keep, &isnull, false);
        if (!isnull && DatumGetInt32(dropped) > 0)
            ereport(NOTICE, (errmsg("dropped %d old movie_recs models", DatumGetInt32(dropped)),
                             errdetail("movie_recs.keep_models is %d; the active model and the "
                                       "one rollback_model() returns to are always kept.",
                                       keep_models_setting)));
    }
    SPI_finish();
}

}  // namespace movie_recs::pg
