// The training lock: one train_movie_clusters() at a time per database. A second training fails
// at once with 55P03 and says who holds the lock, or waits when asked to. recommend_movies()
// never takes it. Plain PostgreSQL code: no C++ object is alive here.
#include "pg/guard.hpp"
#include "pg/lifecycle.hpp"
#include "pg/read_only.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
}

namespace movie_recs::pg {
namespace {

const char kHolderSql[] =
    "SELECT l.pid, a.usename, a.xact_start FROM pg_catalog.pg_locks l"
    " LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid"
    " WHERE l.locktype = 'advisory' AND l.granted AND l.database = $1"
    " AND l.classid = $2 AND l.objid = $3 AND l.objsubid = 2"
    " AND l.pid <> pg_catalog.pg_backend_pid()";

// Describes the session holding the training lock ("Process 123 (role ann) has been training
// since ...") into *detail; false when nobody holds it any more.
bool describe_holder(char** detail) {
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    Oid types[3] = {OIDOID, OIDOID, OIDOID};
    Datum v[3] = {ObjectIdGetDatum(MyDatabaseId), ObjectIdGetDatum(static_cast<Oid>(kLockClass)),
                  ObjectIdGetDatum(static_cast<Oid>(kLockTraining))};
    int rc = SPI_execute_with_args(kHolderSql, 3, types, v, nullptr, true, 1);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading pg_locks failed: %s", SPI_result_code_string(rc));
    bool found = SPI_processed == 1;
    if (found) {
        HeapTuple row = SPI_tuptable->vals[0];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool null_pid, null_user, null_start;
        Datum pid = SPI_getbinval(row, desc, 1, &null_pid);
        Datum user = SPI_getbinval(row, desc, 2, &null_user);
        Datum start = SPI_getbinval(row, desc, 3, &null_start);
        char* who =
            null_user ? pstrdup("unknown role") : psprintf("role %s", NameStr(*DatumGetName(user)));
        char* text =
            null_start ? psprintf("Process %d (%s) holds the training lock of database \"%s\".",
                                  DatumGetInt32(pid), who, get_database_name(MyDatabaseId))
                       : psprintf("Process %d (%s) has been training in database \"%s\" since %s.",
                                  DatumGetInt32(pid), who, get_database_name(MyDatabaseId),
                                  timestamptz_to_str(DatumGetTimestampTz(start)));
        *detail = static_cast<char*>(SPI_palloc(strlen(text) + 1));  // outlives SPI_finish
        strcpy(*detail, text);
    }
    SPI_finish();
    return found;
}

bool try_lock() {
    return DatumGetBool(DirectFunctionCall2(
        pg_try_advisory_xact_lock_int4, Int32GetDatum(kLockClass), Int32GetDatum(kLockTraining)));
}

}  // namespace

void acquire_training_lock(bool wait) {
    if (wait) {
        DirectFunctionCall2(pg_advisory_xact_lock_int4, Int32GetDatum(kLockClass),
                            Int32GetDatum(kLockTraining));
        return;
    }
    // The holder may finish between the attempt and the look-up: then try once more.
    char* detail = nullptr;
    for (int attempt = 0; attempt < 2; ++attempt) {
        if (try_lock())
            return;
        if (describe_holder(&detail))
            break;
    }
    ereport(ERROR, (errcode(ERRCODE_LOCK_NOT_AVAILABLE),
                    errmsg("another movie_recs training is running in this database"),
                    detail != nullptr ? errdetail("%s", detail) : 0,
                    errhint("Wait for it to finish, or pass wait => true to wait for it.")));
}

}  // namespace movie_recs::pg

using namespace movie_recs::pg;

MOVIE_RECS_FUNCTION(movie_recs_lock_training) {
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("wait must not be null")));
    require_writable("movie_recs.lock_training()");
    acquire_training_lock(PG_GETARG_BOOL(0));
    PG_RETURN_VOID();
}
