// Direct index reads for recommend_movies() (see serving_reads.hpp).
#include <cstring>
#include <initializer_list>

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

// The caller may read these columns of relid as a SELECT naming them would: usage of its schema,
// the table privilege or (with columns_suffice) every named column's, and no row-level security
// applies. Without columns_suffice a column privilege alone does not do: the SQL query also names
// columns the caller might not be granted (e.g. tableoid).
bool may_read(Oid relid, const AttrNumber* columns, int count, bool columns_suffice) {
    if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED) return false;
    const Oid role = GetUserId();
#if PG_VERSION_NUM >= 160000  // pg_namespace_aclcheck() became object_aclcheck() in 16
    if (object_aclcheck(NamespaceRelationId, get_rel_namespace(relid), role, ACL_USAGE) !=
        ACLCHECK_OK)
#else
    if (pg_namespace_aclcheck(get_rel_namespace(relid), role, ACL_USAGE) != ACLCHECK_OK)
#endif
        return false;
    if (pg_class_aclcheck(relid, role, ACL_SELECT) == ACLCHECK_OK) return true;
    if (!columns_suffice) return false;
    for (int i = 0; i < count; ++i)
        if (pg_attribute_aclcheck(relid, columns[i], role, ACL_SELECT) != ACLCHECK_OK) return false;
    return true;
}

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

int64 integer_value(Datum d, Oid type) {
    switch (type) {
        case INT2OID: return DatumGetInt16(d);
        case INT4OID: return DatumGetInt32(d);
        default: return DatumGetInt64(d);
    }
}

bool is_integer(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }

// A rating as ::float8 would give it (types accepted by is_integer() or float4/float8).
double rating_value(Datum d, Oid type) {
    switch (type) {
        case FLOAT4OID: return DatumGetFloat4(d);
        case FLOAT8OID: return DatumGetFloat8(d);
        default: return static_cast<double>(integer_value(d, type));
    }
}

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
IndexChoice choose_equality_index(Relation heap, AttrNumber att, AttrNumber then) {
    List* indexes = RelationGetIndexList(heap);
    IndexChoice found = {InvalidOid, InvalidOid, InvalidOid};
    ListCell* lc;
    foreach (lc, indexes) {
        Relation idx = index_open(lfirst_oid(lc), AccessShareLock);
        const Form_pg_index form = idx->rd_index;
        Oid op = InvalidOid;
        if (idx->rd_rel->relam == BTREE_AM_OID && form->indisvalid && form->indnkeyatts > 0 &&
            form->indkey.values[0] == att &&
            heap_attisnull(idx->rd_indextuple, Anum_pg_index_indpred, nullptr))
            op = get_opfamily_member(idx->rd_opfamily[0], idx->rd_opcintype[0], INT8OID,
                                     BTEqualStrategyNumber);
        const bool preferred = OidIsValid(op) && then != 0 && form->indnatts >= 2 &&
                               form->indkey.values[1] == then;
        if (OidIsValid(op) && (!OidIsValid(found.index) || preferred))
            found = {RelationGetRelid(idx), get_opcode(op), idx->rd_indcollation[0]};
        index_close(idx, AccessShareLock);
        if (OidIsValid(found.index) && (preferred || then == 0)) break;
    }
    list_free(indexes);
    return found;
}

// Opens the chosen index (AccessShareLock) and sets its scan key for `value`.
Relation open_chosen_index(const IndexChoice& choice, int64 value, ScanKey key) {
    Relation idx = index_open(choice.index, AccessShareLock);
    ScanKeyEntryInitialize(key, 0, 1, BTEqualStrategyNumber, INT8OID, choice.collation,
                           choice.proc, Int64GetDatum(value));
    return idx;
}

// Copies a one-dimensional array of 4-byte elements without NULLs; false when it is not one.
bool copy_array(Datum d, Oid elemtype, MemoryContext cxt, int* n, void** out) {
    ArrayType* a = DatumGetArrayTypeP(d);
    if (ARR_ELEMTYPE(a) != elemtype || ARR_HASNULL(a) || ARR_NDIM(a) > 1) return false;
    *n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
    *out = MemoryContextAlloc(cxt, sizeof(int32) * Max(*n, 1));
    memcpy(*out, ARR_DATA_PTR(a), sizeof(int32) * *n);
    return true;
}

// The catalog's relations and columns, resolved once per backend; forgotten on any relcache
// invalidation (e.g. the extension dropped and created again).
struct CatalogIds {
    bool valid;
    Oid models, assignments, active_index;
    AttrNumber m_id, m_created, m_k, m_active;
    AttrNumber a_model, a_user, a_clusters, a_weights;
    AttrNumber a_fingerprint;  // InvalidAttrNumber on a 0.1.0 catalog
    bool pkey_chosen;          // pkey below was looked up (after the first open of assignments)
    IndexChoice pkey;          // (model_id, user_id) of assignments; index InvalidOid: none
};
CatalogIds catalog;

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

void forget_catalog(Datum, Oid) {
    catalog.valid = false;
    source.valid = false;
}

void forget_source(Datum, int, uint32) { source.valid = false; }

void register_callbacks() {
    if (callbacks_registered) return;
    CacheRegisterRelcacheCallback(forget_catalog, (Datum)0);
    CacheRegisterSyscacheCallback(NAMESPACEOID, forget_source, (Datum)0);
    callbacks_registered = true;
}

bool resolve_catalog() {
    register_callbacks();
    if (catalog.valid) return true;
    const Oid nsp = get_namespace_oid("movie_recs", true);
    CatalogIds c;
    c.models = get_relname_relid("models", nsp);
    c.assignments = get_relname_relid("assignments", nsp);
    c.active_index = get_relname_relid("models_one_active", nsp);
    if (!OidIsValid(c.models) || !OidIsValid(c.assignments) || !OidIsValid(c.active_index))
        return false;
    c.m_id = get_attnum(c.models, "model_id");
    c.m_created = get_attnum(c.models, "created_at");
    c.m_k = get_attnum(c.models, "k");
    c.m_active = get_attnum(c.models, "active");
    c.a_model = get_attnum(c.assignments, "model_id");
    c.a_user = get_attnum(c.assignments, "user_id");
    c.a_clusters = get_attnum(c.assignments, "soft_clusters");
    c.a_weights = get_attnum(c.assignments, "soft_weights");
    c.a_fingerprint = get_attnum(c.assignments, "fingerprint");
    for (AttrNumber a : {c.m_id, c.m_created, c.m_k, c.m_active, c.a_model, c.a_user,
                         c.a_clusters, c.a_weights})
        if (a == InvalidAttrNumber) return false;
    c.pkey_chosen = false;
    c.valid = true;
    catalog = c;
    return true;
}

}  // namespace

bool read_active_model(int64 user_id, bool catalog_0_1_0, MemoryContext cxt, ActiveModel* out) {
    memset(out, 0, sizeof *out);
    out->null_fingerprint = true;
    if (!resolve_catalog()) return false;
    const bool with_fingerprint = !catalog_0_1_0;
    if (with_fingerprint && catalog.a_fingerprint == InvalidAttrNumber) return false;
    const Oid models_id = catalog.models, assignments_id = catalog.assignments;
    const AttrNumber m_id = catalog.m_id, m_created = catalog.m_created, m_k = catalog.m_k,
                     m_active = catalog.m_active;
    const AttrNumber a_model = catalog.a_model, a_user = catalog.a_user,
                     a_clusters = catalog.a_clusters, a_weights = catalog.a_weights;
    if (!may_read(models_id, nullptr, 0, false) || !may_read(assignments_id, nullptr, 0, false))
        return false;

    // The active model: the one entry of the partial unique index models_one_active.
    Snapshot snapshot = GetActiveSnapshot();
    Relation models = table_open(models_id, AccessShareLock);
    Relation index = index_open(catalog.active_index, AccessShareLock);
    TupleTableSlot* slot = table_slot_create(models, nullptr);
    IndexScanDesc scan = index_beginscan(models, index, snapshot, 0, 0);
    index_rescan(scan, nullptr, 0, nullptr, 0);
    while (index_getnext_slot(scan, ForwardScanDirection, slot)) {
        bool null_id, null_created, null_k, null_active;
        const Datum id = slot_getattr(slot, m_id, &null_id);
        const Datum created = slot_getattr(slot, m_created, &null_created);
        const Datum k = slot_getattr(slot, m_k, &null_k);
        const Datum active = slot_getattr(slot, m_active, &null_active);
        if (null_id || null_active || !DatumGetBool(active)) continue;
        out->found = true;
        out->model_id = DatumGetInt64(id);
        out->created_at = null_created ? 0 : DatumGetTimestampTz(created);
        out->k = null_k ? 0 : DatumGetInt32(k);
        out->catalog_oid = models_id;
        break;
    }
    index_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    index_close(index, NoLock);
    table_close(models, NoLock);
    if (!out->found) return true;

    // The user's row of assignments, by its primary key (model_id, user_id); the index is
    // chosen once per backend (forgotten with the catalog ids on a relcache invalidation).
    Relation assignments = table_open(assignments_id, AccessShareLock);
    if (!catalog.valid) {  // invalidated while locking: resolved again by the next call
        table_close(assignments, NoLock);
        return false;
    }
    if (!catalog.pkey_chosen) {
        IndexChoice choice = choose_equality_index(assignments, a_model, a_user);
        if (OidIsValid(choice.index)) {
            Relation idx = index_open(choice.index, AccessShareLock);
            if (idx->rd_index->indnkeyatts < 2 || idx->rd_index->indkey.values[1] != a_user)
                choice.index = InvalidOid;
            index_close(idx, AccessShareLock);
        }
        if (!catalog.valid) {
            table_close(assignments, NoLock);
            return false;
        }
        catalog.pkey = choice;
        catalog.pkey_chosen = true;
    }
    if (!OidIsValid(catalog.pkey.index)) {
        table_close(assignments, NoLock);
        return false;
    }
    ScanKeyData keys[2];
    Relation pkey = open_chosen_index(catalog.pkey, out->model_id, &keys[0]);
    ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, INT8OID, InvalidOid, F_INT8EQ,
                           Int64GetDatum(user_id));
    slot = table_slot_create(assignments, nullptr);
    scan = index_beginscan(assignments, pkey, snapshot, 2, 0);
    index_rescan(scan, keys, 2, nullptr, 0);
    if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
        bool null_clusters, null_weights;
        const Datum dc = slot_getattr(slot, a_clusters, &null_clusters);
        const Datum dw = slot_getattr(slot, a_weights, &null_weights);
        if (with_fingerprint) {
            const Datum df = slot_getattr(slot, catalog.a_fingerprint, &out->null_fingerprint);
            if (!out->null_fingerprint) out->fingerprint = DatumGetInt64(df);
        }
        if (!null_clusters && !null_weights) {
            out->known = true;
            int nw = 0;
            void* pc = nullptr;
            void* pw = nullptr;
            if (!copy_array(dc, INT4OID, cxt, &out->width, &pc) ||
                !copy_array(dw, FLOAT4OID, cxt, &nw, &pw) || nw != out->width)
                out->malformed = true;
            out->clusters = static_cast<int32*>(pc);
            out->weights = static_cast<float*>(pw);
        }
    }
    index_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    index_close(pkey, NoLock);
    table_close(assignments, NoLock);
    return true;
}

namespace {

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
    const bool covering = source.covering;
    int64 capacity = 256;
    int64 n = 0;
    int64* movies = static_cast<int64*>(MemoryContextAlloc(cxt, sizeof(int64) * capacity));
    double* ratings = static_cast<double*>(MemoryContextAlloc(cxt, sizeof(double) * capacity));
    const auto append = [&](Datum movie, Datum rating, bool null_rating) {
        if (n == capacity) {
            capacity *= 2;
            movies = static_cast<int64*>(repalloc_huge(movies, sizeof(int64) * capacity));
            ratings = static_cast<double*>(repalloc_huge(ratings, sizeof(double) * capacity));
        }
        movies[n] = integer_value(movie, movie_type);
        ratings[n] = rating_column == nullptr ? 1.0
                     : null_rating            ? get_float8_nan()
                                              : rating_value(rating, rating_type);
        ++n;
    };
    // With the movie column (and the rating column, when there is one) as the index's next keys,
    // pages all visible to every transaction are answered from the index alone (as an index-only
    // scan does).
    TupleTableSlot* slot = table_slot_create(heap, nullptr);
    IndexScanDesc scan = index_beginscan(heap, index, GetActiveSnapshot(), 1, 0);
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
            if (rating_column != nullptr) rating = slot_getattr(slot, columns[2], &null_rating);
        }
        if (!null_movie) append(movie, rating, null_rating);
    }
    if (vm != InvalidBuffer) ReleaseBuffer(vm);
    index_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    index_close(index, NoLock);
    table_close(heap, NoLock);
    result->count = n;
    result->movies = movies;
    result->ratings = ratings;
    return true;
}

}  // namespace movie_recs::pg
