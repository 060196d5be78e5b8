// Helpers of the direct index reads of serving (catalog_reads.cpp, serving_reads.cpp): the
// privilege check a SELECT would make, the choice of a btree index for an equality lookup, and
// copying the small arrays of a soft assignment. Plain PostgreSQL code.
#pragma once

#include "pg/postgres_headers.hpp"

extern "C" {
#include "access/skey.h"
#include "utils/relcache.h"
}

namespace movie_recs::pg {

// The caller may read these columns of relid as a SELECT naming them would: usage of its schema,
// the table privilege or (with columns_suffice) every named column's, and no row-level security
// applies. Without columns_suffice a column privilege alone does not do: the SQL query also names
// columns the caller might not be granted (e.g. tableoid).
bool may_read(Oid relid, const AttrNumber* columns, int count, bool columns_suffice);

// The index an equality scan on one column uses: its oid, and the scan key's function and
// collation.
struct IndexChoice {
    Oid index;  // InvalidOid: none
    RegProcedure proc;
    Oid collation;
};

// A valid btree index without predicate whose first key is column `att`, with an equality
// operator between its key type and bigint, preferring one whose second column is `then` (0: no
// preference). index is InvalidOid when the relation has none.
IndexChoice choose_equality_index(Relation heap, AttrNumber att, AttrNumber then);

// Opens the chosen index (AccessShareLock) and sets its scan key for `value`.
Relation open_chosen_index(const IndexChoice& choice, int64 value, ScanKey key);

// The value of a smallint, integer or bigint datum of that type.
int64 integer_datum(Datum d, Oid type);

// Copies a one-dimensional array of 4-byte elements without NULLs; false when it is not one.
bool copy_array(Datum d, Oid elemtype, MemoryContext cxt, int* n, void** out);

}  // namespace movie_recs::pg
