// Bulk writes of a trained model's many rows (per user, per cluster and movie) into a catalog
// table of schema movie_recs: heap_multi_insert in batches with the table's indexes maintained,
// as COPY does, instead of one executor row (and one foreign-key check) per row. Used only when
// it is equivalent to the INSERT it replaces; otherwise bulk_insert_begin() declines and the
// caller writes through SPI. Plain PostgreSQL code.
#pragma once

#include "pg/postgres_headers.hpp"

extern "C" {
#include "access/heapam.h"
#include "executor/executor.h"
#include "utils/rel.h"
}

namespace movie_recs::pg {

struct BulkInsert {
    Relation rel;
    EState* estate;
    ResultRelInfo* rri;
    BulkInsertState bistate;
    CommandId cid;
    MemoryContext batch_cxt;  // the values of the rows of the current batch
    TupleTableSlot** slots;
    int used;
    int natts;
    int columns;
    AttrNumber* attnum;       // per column given to bulk_insert_begin: its attribute number
};

// Opens movie_recs.<table> for bulk insertion of rows holding exactly `columns` (in that
// order). Declines (returns false, nothing held) unless the current user may insert into the
// whole table, the table has no row-level security, no CHECK constraint, no generated column,
// no column outside `columns` and no trigger other than the checks of its foreign keys to
// movie_recs.models (the model row they reference was inserted by this transaction, which
// holds movie_recs.models locked).
bool bulk_insert_begin(BulkInsert* b, const char* table, const char* const* columns, int ncolumns);

// The next row: bulk_insert_values() returns room for its values, in the order of the columns;
// fill it (no NULL; anything palloc'd in bulk_insert_memory(), freed once the row is written),
// then hand it to bulk_insert_next().
Datum* bulk_insert_values(BulkInsert* b);
MemoryContext bulk_insert_memory(BulkInsert* b);
void bulk_insert_next(BulkInsert* b, Datum* values);

// Writes the rows still buffered and closes the table.
void bulk_insert_end(BulkInsert* b);

}  // namespace movie_recs::pg
