// The entries of one key value in a B-tree on (key, a[, b]), read from the leaf pages directly:
// what an index-only scan with `key = value` returns, without the scan machinery's per-tuple
// work (serving reads a user's ~150 ratings at every recommend_movies() call). Plain PostgreSQL
// code: no C++ object is alive in these frames.
//
// The walk does what nbtree's own forward scan does: descend with _bt_search() to the first leaf
// that may hold the value, binary search it, copy the matching items (posting lists expanded)
// while the page is share-locked, follow the right link recorded under that lock (deleted or
// half-dead pages skipped) while the high key says more may follow. Items marked dead are
// skipped (the snapshot is an MVCC one). The leaf page stays pinned, unlocked, while its items'
// heap pages are checked: a page all-visible in the visibility map answers from the index
// tuple, otherwise the heap tuple is fetched and tested against the snapshot (as an index-only
// scan does; the pin keeps VACUUM from recycling the items' heap slots meanwhile).
#pragma once

#include "pg/postgres_headers.hpp"

extern "C" {
#include "utils/relcache.h"
#include "utils/snapshot.h"
}

namespace movie_recs::pg {

// Receives one entry: the index's second and third key columns (third: (Datum) 0 and null when
// the index has two) or, for a row read from the heap, the heap columns given to the read.
using BtreeAppend = void (*)(void* sink, Datum second, Datum third, bool null_third);

// Whether read_btree_prefix() applies to this index and call: a B-tree whose first three (two)
// key columns are heap_columns, the first of an integer type in its default ascending order, an
// MVCC snapshot, not a serializable transaction (its predicate locks are the index scan's
// business), and movie_recs.leaf_reads on. Otherwise the caller scans the index as usual.
bool btree_prefix_applies(Relation index, const AttrNumber* heap_columns, int ncolumns,
                          Snapshot snapshot);

// Appends every entry of `index` whose first key equals `value` (an integer compared with the
// key column of type key_type) and that is visible to `snapshot`, in index order. heap_columns:
// the heap attribute numbers of the key, second and (ncolumns 3) third column.
void read_btree_prefix(Relation heap, Relation index, int64 value, Oid key_type,
                       const AttrNumber* heap_columns, int ncolumns, Snapshot snapshot,
                       BtreeAppend append, void* sink);

}  // namespace movie_recs::pg
