// Direct index read of a user's ratings for recommend_movies() (see serving_reads.hpp).
#include <cstring>
#include <initializer_list>

#include "pg/btree_read.hpp"
#include "pg/index_access.hpp"
#include "pg/serving_reads.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "catalog/namespace.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
}

namespace movie_recs::pg {
namespace {

// The locked relation still is schema.table with these columns of these (base) types. They were
// looked up before the lock was taken: a change committed while the caller waited for the lock
// (DROP, RENAME, ALTER COLUMN ... TYPE) is visible only now.
bool unchanged_since_lookup(Relation rel, Oid nsp, const char* table, const char* const* names,
                            const AttrNumber* columns, const Oid* types, int count) {
    if (RelationGetNamespace(rel) != nsp || strcmp(RelationGetRelationName(rel), table) != 0)
        return false;
    const TupleDesc desc = RelationGetDescr(rel);
    for (int i = 0; i < count; ++i) {
        if (columns[i] < 1 || columns[i] > desc->natts) return false;
        const Form_pg_attribute att = TupleDescAttr(desc, columns[i] - 1);
        if (att->attisdropped || strcmp(NameStr(att->attname), names[i]) != 0 ||
            getBaseType(att->atttypid) != types[i])
            return false;
    }
    return true;
}

bool is_integer(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }

// A rating as ::float8 would give it (types accepted by is_integer() or float4/float8).
double rating_value(Datum d, Oid type) {
    switch (type) {
        case FLOAT4OID: return DatumGetFloat4(d);
        case FLOAT8OID: return DatumGetFloat8(d);
        default: return static_cast<double>(integer_datum(d, type));
    }
}

// The user's ratings as read_user_ratings() returns them, growing (palloc'd in the caller's
// context).
struct RatingsSink {
    Oid movie_type, rating_type;
    bool has_rating;  // false: every row counts as a rating of 1
    int64 capacity, n;
    int64* movies;
    double* ratings;
};

void append_rating(void* to, Datum movie, Datum rating, bool null_rating) {
    RatingsSink* s = static_cast<RatingsSink*>(to);
    if (s->n == s->capacity) {
        s->capacity *= 2;
        s->movies = static_cast<int64*>(repalloc_huge(s->movies, sizeof(int64) * s->capacity));
        s->ratings = static_cast<double*>(repalloc_huge(s->ratings, sizeof(double) * s->capacity));
    }
    s->movies[s->n] = integer_datum(movie, s->movie_type);
    s->ratings[s->n] = !s->has_rating ? 1.0
                       : null_rating  ? get_float8_nan()
                                      : rating_value(rating, s->rating_type);
    ++s->n;
}

// The source relation of the active model as read_user_ratings() resolved it, for the names it
// was resolved from; forgotten on any relcache invalidation and any change of a schema.
struct SourceIds {
    bool valid;
    char* names[5];  // schema, table, user, movie, rating column (NULL: none); TopMemoryContext
    bool usable;     // false: the direct read does not apply, the caller runs the query
    Oid nsp, relid;
    AttrNumber columns[3];
    int ncolumns;
    Oid user_type, movie_type, rating_type;
    bool index_chosen;  // index below was looked up (on the first open of the relation)
    IndexChoice index;  // on (user[, movie[, rating]]); InvalidOid: none
    bool covering;      // the index's next keys are the movie and rating columns
};
SourceIds source;
bool callbacks_registered;

void forget_source_rel(Datum, Oid) { source.valid = false; }

void forget_source(Datum, int, uint32) { source.valid = false; }

void register_callbacks() {
    if (callbacks_registered) return;
    CacheRegisterRelcacheCallback(forget_source_rel, (Datum)0);
    CacheRegisterSyscacheCallback(NAMESPACEOID, forget_source, (Datum)0);
    callbacks_registered = true;
}

bool same_name(const char* a, const char* b) {
    return a == nullptr ? b == nullptr : b != nullptr && strcmp(a, b) == 0;
}

// Resolves the names into `source` (valid afterwards unless an invalidation arrived meanwhile).
void resolve_source(const char* const names[5]) {
    for (char*& n : source.names)
        if (n != nullptr) {
            pfree(n);
            n = nullptr;
        }
    source.usable = false;
    source.index_chosen = false;
    source.valid = true;  // an invalidation during the lookups below clears it again
    for (int i = 0; i < 5; ++i)
        source.names[i] =
            names[i] != nullptr ? MemoryContextStrdup(TopMemoryContext, names[i]) : nullptr;
    const char* rating_column = names[4];
    const Oid nsp = get_namespace_oid(names[0], true);
    const Oid relid = OidIsValid(nsp) ? get_relname_relid(names[1], nsp) : InvalidOid;
    if (!OidIsValid(relid)) return;
    const char relkind = get_rel_relkind(relid);
    if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW) return;
    // FROM a parent of inheritance children reads their rows too: left to the query.
    if (has_subclass(relid)) return;
    const AttrNumber columns[3] = {
        get_attnum(relid, names[2]), get_attnum(relid, names[3]),
        static_cast<AttrNumber>(rating_column != nullptr ? get_attnum(relid, rating_column)
                                                         : InvalidAttrNumber)};
    const int ncolumns = rating_column != nullptr ? 3 : 2;
    for (int i = 0; i < ncolumns; ++i)
        if (columns[i] == InvalidAttrNumber) return;
    const Oid user_type = getBaseType(get_atttype(relid, columns[0]));
    const Oid movie_type = getBaseType(get_atttype(relid, columns[1]));
    const Oid rating_type =
        rating_column != nullptr ? getBaseType(get_atttype(relid, columns[2])) : InvalidOid;
    if (!is_integer(user_type) || !is_integer(movie_type)) return;
    if (rating_column != nullptr && !is_integer(rating_type) && rating_type != FLOAT4OID &&
        rating_type != FLOAT8OID)
        return;
    source.nsp = nsp;
    source.relid = relid;
    memcpy(source.columns, columns, sizeof columns);
    source.ncolumns = ncolumns;
    source.user_type = user_type;
    source.movie_type = movie_type;
    source.rating_type = rating_type;
    source.usable = true;
}

// Chooses the index of the locked source relation (source.valid on return unless an
// invalidation arrived meanwhile).
void choose_source_index(Relation heap) {
    IndexChoice choice = choose_equality_index(heap, source.columns[0], source.columns[1]);
    bool covering = false;
    if (OidIsValid(choice.index)) {
        Relation idx = index_open(choice.index, AccessShareLock);
        const int2vector& keys = idx->rd_index->indkey;
        const int natts = idx->rd_index->indnatts;
        covering = natts >= 2 && keys.values[1] == source.columns[1] &&
                   (source.ncolumns == 2 || (natts >= 3 && keys.values[2] == source.columns[2]));
        index_close(idx, AccessShareLock);
    }
    source.index = choice;
    source.covering = covering;
    source.index_chosen = true;
}

}  // namespace

bool read_user_ratings(const char* schema, const char* table, const char* user_column,
                       const char* movie_column, const char* rating_column, int64 user_id,
                       MemoryContext cxt, UserRatings* result) {
    register_callbacks();
    const char* const names[5] = {schema, table, user_column, movie_column, rating_column};
    bool same = source.valid;
    for (int i = 0; same && i < 5; ++i) same = same_name(source.names[i], names[i]);
    if (!same) resolve_source(names);
    if (!source.valid || !source.usable) return false;
    const Oid relid = source.relid;
    const int ncolumns = source.ncolumns;
    AttrNumber columns[3];
    memcpy(columns, source.columns, sizeof columns);
    const Oid movie_type = source.movie_type, rating_type = source.rating_type;
    if (!may_read(relid, columns, ncolumns, true)) return false;

    // Dropped or changed while we waited for the lock: the query reads (and reports) it. The
    // invalidations that arrived with the lock also cleared `source`.
    Relation heap = try_table_open(relid, AccessShareLock);
    if (heap == nullptr) return false;
    const char* const column_names[3] = {user_column, movie_column, rating_column};
    const Oid types[3] = {source.user_type, movie_type, rating_type};
    if (!source.valid ||
        !unchanged_since_lookup(heap, source.nsp, table, column_names, columns, types, ncolumns)) {
        table_close(heap, NoLock);
        return false;
    }
    if (!source.index_chosen) choose_source_index(heap);
    // Changed while choosing: this call runs the query, the next resolves again.
    if (!source.valid || !OidIsValid(source.index.index) || !RelationIsPopulated(heap)) {
        table_close(heap, NoLock);
        return false;
    }
    ScanKeyData key;
    Relation index = open_chosen_index(source.index, user_id, &key);
    RatingsSink sink = {movie_type, rating_type, rating_column != nullptr, 256, 0, nullptr, nullptr};
    sink.movies = static_cast<int64*>(MemoryContextAlloc(cxt, sizeof(int64) * sink.capacity));
    sink.ratings = static_cast<double*>(MemoryContextAlloc(cxt, sizeof(double) * sink.capacity));
    Snapshot snapshot = GetActiveSnapshot();
    if (source.covering && btree_prefix_applies(index, columns, ncolumns, snapshot)) {
        // The leaf pages read directly (btree_read.hpp).
        read_btree_prefix(heap, index, user_id, source.user_type, columns, ncolumns, snapshot,
                          append_rating, &sink);
    } else {
        // With the movie column (and the rating column, when there is one) as the index's next
        // keys, pages all visible to every transaction are answered from the index alone (as an
        // index-only scan does).
        const bool covering = source.covering;
        TupleTableSlot* slot = table_slot_create(heap, nullptr);
        IndexScanDesc scan = index_beginscan(heap, index, snapshot, 1, 0);
        scan->xs_want_itup = covering;
        index_rescan(scan, &key, 1, nullptr, 0);
        Buffer vm = InvalidBuffer;
        ItemPointer tid;
        while ((tid = index_getnext_tid(scan, ForwardScanDirection)) != nullptr) {
            bool null_movie, null_rating = true;
            Datum movie, rating = (Datum)0;
            if (covering && scan->xs_itup != nullptr &&
                VM_ALL_VISIBLE(heap, ItemPointerGetBlockNumber(tid), &vm)) {
                movie = index_getattr(scan->xs_itup, 2, scan->xs_itupdesc, &null_movie);
                if (rating_column != nullptr)
                    rating = index_getattr(scan->xs_itup, 3, scan->xs_itupdesc, &null_rating);
            } else {
                if (!index_fetch_heap(scan, slot)) continue;  // not visible to the snapshot
                movie = slot_getattr(slot, columns[1], &null_movie);
                if (rating_column != nullptr)
                    rating = slot_getattr(slot, columns[2], &null_rating);
            }
            if (!null_movie) append_rating(&sink, movie, rating, null_rating);
        }
        if (vm != InvalidBuffer) ReleaseBuffer(vm);
        index_endscan(scan);
        ExecDropSingleTupleTableSlot(slot);
    }
    index_close(index, NoLock);
    table_close(heap, NoLock);
    result->count = sink.n;
    result->movies = sink.movies;
    result->ratings = sink.ratings;
    return true;
}

}  // namespace movie_recs::pg
