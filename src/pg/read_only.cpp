// require_writable(): the one check of every function that changes models, also callable from
// SQL as movie_recs.require_writable(text) for the PL/pgSQL and SQL functions of the lifecycle.
// Plain PostgreSQL code: no C++ object is alive here.
#include "pg/read_only.hpp"

#include "pg/guard.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "utils/builtins.h"
}

namespace movie_recs::pg {

void require_writable(const char* function_name) {
    if (RecoveryInProgress())
        ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
                        errmsg("cannot execute %s during recovery", function_name),
                        errdetail("This server is a hot standby: it serves the models the primary "
                                  "trains and activates, and cannot change them."),
                        errhint("Run %s on the primary server.", function_name)));
    if (XactReadOnly)
        ereport(ERROR, (errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
                        errmsg("cannot execute %s in a read-only transaction", function_name),
                        errhint("Run %s in a read-write transaction on the primary server.",
                                function_name)));
}

}  // namespace movie_recs::pg

MOVIE_RECS_FUNCTION(movie_recs_require_writable) {
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("function_name must not be null")));
    movie_recs::pg::require_writable(text_to_cstring(PG_GETARG_TEXT_PP(0)));
    PG_RETURN_VOID();
}
