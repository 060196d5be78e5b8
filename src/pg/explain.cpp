// movie_recs.user_cluster(): where a user stands among the active model's clusters, from the
// ratings they have now (the same placement recommend_movies() uses).
#include "pg/guard.hpp"
#include "pg/serving.hpp"

extern "C" {
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

using namespace movie_recs::pg;

MOVIE_RECS_FUNCTION(user_cluster) {
    if (PG_ARGISNULL(0))
        ereport(ERROR,
                (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("user_id must not be null")));
    const int64 user_id = PG_GETARG_INT64(0);
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);

    UserPlacement place;
    place_user(user_id, true, false, CurrentMemoryContext, &place);  // not in 0.1.0
    if (place.distances == nullptr)
        return (Datum)0;  // no rated movie the model knows

    Datum source = CStringGetTextDatum(place.source);
    for (int c = 0; c < place.k; ++c) {
        float weight = 0;
        for (int i = 0; i < place.width; ++i)
            if (place.clusters[i] == c)
                weight = place.weights[i];
        // cluster_id: the catalog's stable id of core cluster c, as in the catalog tables.
        Datum values[5] = {Int32GetDatum(place.cluster_ids[c]), Float8GetDatum(place.distances[c]),
                           Float4GetDatum(weight),
                           BoolGetDatum(place.width > 0 && place.clusters[0] == c), source};
        bool nulls[5] = {false, false, false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
