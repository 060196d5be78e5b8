// Direct index reads of the movie_recs catalog for serving (see serving_reads.hpp): the active
// model, one user's stored assignment, and every stored assignment of a model.
#include <cstring>
#include <initializer_list>

#include "pg/index_access.hpp"
#include "pg/serving_reads.hpp"

extern "C" {
#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "nodes/tidbitmap.h"
#include "storage/bufmgr.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace movie_recs::pg {
namespace {

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
bool callback_registered;

// The version of the active model's row that the last index lookup found. While that version is
// visible to the snapshot and says active, it is the active model: an activation (a new model, a
// switch, a rollback) replaces the active row in one transaction and the unique partial index
// models_one_active admits one live active row, so no snapshot sees two. Fetching it by its tid
// spares the index scan; when it is not visible (the row was updated or deleted, or the tid now
// holds another row), the index is read again. Forgotten with the catalog ids.
struct ActiveHint {
    bool valid;
    ItemPointerData tid;
};
ActiveHint hint;

void forget_catalog(Datum, Oid) {
    catalog.valid = false;
    hint.valid = false;
}

bool resolve_catalog() {
    if (!callback_registered) {
        CacheRegisterRelcacheCallback(forget_catalog, (Datum)0);
        callback_registered = true;
    }
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

// Opens movie_recs.assignments and its primary key index (chosen once per backend; forgotten
// with the catalog ids on a relcache invalidation). False, with nothing left open, when the
// catalog changed meanwhile or has no such index.
bool open_assignments(Relation* heap, Relation* pkey, ScanKeyData* model_key, int64 model_id) {
    Relation assignments = table_open(catalog.assignments, AccessShareLock);
    if (!catalog.valid) {  // invalidated while locking: resolved again by the next call
        table_close(assignments, NoLock);
        return false;
    }
    if (!catalog.pkey_chosen) {
        IndexChoice choice = choose_equality_index(assignments, catalog.a_model, catalog.a_user);
        if (OidIsValid(choice.index)) {
            Relation idx = index_open(choice.index, AccessShareLock);
            if (idx->rd_index->indnkeyatts < 2 ||
                idx->rd_index->indkey.values[1] != catalog.a_user)
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
    *heap = assignments;
    *pkey = open_chosen_index(catalog.pkey, model_id, model_key);
    return true;
}

void close_assignments(Relation heap, Relation pkey) {
    index_close(pkey, NoLock);
    table_close(heap, NoLock);
}

// The stored assignment of the slot's row. Arrays are copied into cxt.
void extract_assignment(TupleTableSlot* slot, bool with_fingerprint, MemoryContext cxt,
                        AssignmentRow* row) {
    memset(row, 0, sizeof *row);
    row->null_fingerprint = true;
    bool null_user, null_clusters, null_weights;
    row->user_id = DatumGetInt64(slot_getattr(slot, catalog.a_user, &null_user));
    const Datum dc = slot_getattr(slot, catalog.a_clusters, &null_clusters);
    const Datum dw = slot_getattr(slot, catalog.a_weights, &null_weights);
    if (with_fingerprint) {
        const Datum df = slot_getattr(slot, catalog.a_fingerprint, &row->null_fingerprint);
        if (!row->null_fingerprint) row->fingerprint = DatumGetInt64(df);
    }
    set_soft_assignment(dc, null_clusters, dw, null_weights, cxt, row);
}

// The active model from the hinted row version, when it is visible to the snapshot and active.
bool fetch_hinted(Relation models, ActiveModel* out) {
    if (models->rd_tableam != GetHeapamTableAmRoutine() ||
        ItemPointerGetBlockNumber(&hint.tid) >= RelationGetNumberOfBlocks(models))
        return false;
    HeapTupleData tuple;
    tuple.t_self = hint.tid;
    Buffer buffer = InvalidBuffer;
    if (!heap_fetch(models, GetActiveSnapshot(), &tuple, &buffer, false)) return false;
    const TupleDesc desc = RelationGetDescr(models);
    bool null_id, null_created, null_k, null_active;
    const Datum id = heap_getattr(&tuple, catalog.m_id, desc, &null_id);
    const Datum created = heap_getattr(&tuple, catalog.m_created, desc, &null_created);
    const Datum k = heap_getattr(&tuple, catalog.m_k, desc, &null_k);
    const Datum active = heap_getattr(&tuple, catalog.m_active, desc, &null_active);
    const bool found = !null_id && !null_active && DatumGetBool(active);
    if (found) {
        out->found = true;
        out->model_id = DatumGetInt64(id);
        out->created_at = null_created ? 0 : DatumGetTimestampTz(created);
        out->k = null_k ? 0 : DatumGetInt32(k);
        out->catalog_oid = RelationGetRelid(models);
        out->assignments_oid = catalog.assignments;
    }
    ReleaseBuffer(buffer);
    return found;
}

// Copies a one-dimensional array of 4-byte elements without NULLs into cxt, as copy_array()
// does, reading a short in-line array (a 1-byte header: at most 126 bytes, e.g. a stored soft
// assignment) where it lies in the tuple instead of detoasting a copy first. Its contents are
// those of the 4-byte-header form after the header, possibly unaligned: read with memcpy.
bool read_small_array(Datum d, Oid elemtype, MemoryContext cxt, int* n, void** out) {
    const struct varlena* v = reinterpret_cast<const struct varlena*>(DatumGetPointer(d));
    // (A TOAST pointer has a 1-byte header too: detoasted by copy_array().)
    if (VARATT_IS_EXTERNAL(v) || !VARATT_IS_SHORT(v)) return copy_array(d, elemtype, cxt, n, out);
    const char* p = VARDATA_SHORT(v);
    const std::size_t len = VARSIZE_SHORT(v) - VARHDRSZ_SHORT;
    // ArrayType after vl_len_: ndim, dataoffset (0: no NULL bitmap), elemtype, dims, lbounds.
    constexpr std::size_t kFields = sizeof(ArrayType) - VARHDRSZ;
    int32 head[3];
    if (len < kFields) return false;
    memcpy(head, p, sizeof head);
    const int ndim = head[0];
    if (head[1] != 0 || static_cast<Oid>(head[2]) != elemtype || ndim < 0 || ndim > 1)
        return false;
    int32 count = 0;
    if (ndim == 1) {
        if (len < kFields + sizeof(int32)) return false;
        memcpy(&count, p + kFields, sizeof count);
    }
    const std::size_t data = ARR_OVERHEAD_NONULLS(ndim) - VARHDRSZ;
    if (count < 0 || len < data + sizeof(int32) * static_cast<std::size_t>(count)) return false;
    *n = count;
    *out = MemoryContextAlloc(cxt, sizeof(int32) * Max(count, 1));
    memcpy(*out, p + data, sizeof(int32) * count);
    return true;
}

}  // namespace

void set_soft_assignment(Datum clusters, bool null_clusters, Datum weights, bool null_weights,
                         MemoryContext cxt, AssignmentRow* row) {
    row->known = !null_clusters && !null_weights;
    if (!row->known) return;
    int nw = 0;
    void* pc = nullptr;
    void* pw = nullptr;
    if (!read_small_array(clusters, INT4OID, cxt, &row->width, &pc) ||
        !read_small_array(weights, FLOAT4OID, cxt, &nw, &pw) || nw != row->width)
        row->malformed = true;
    row->clusters = static_cast<int32*>(pc);
    row->weights = static_cast<float*>(pw);
}

bool read_active_model(bool catalog_0_1_0, ActiveModel* out) {
    memset(out, 0, sizeof *out);
    if (!resolve_catalog()) return false;
    if (!catalog_0_1_0 && catalog.a_fingerprint == InvalidAttrNumber) return false;
    const Oid models_id = catalog.models;
    const AttrNumber m_id = catalog.m_id, m_created = catalog.m_created, m_k = catalog.m_k,
                     m_active = catalog.m_active;
    if (!may_read(models_id, nullptr, 0, false) ||
        !may_read(catalog.assignments, nullptr, 0, false))
        return false;

    Relation models = table_open(models_id, AccessShareLock);
    if (hint.valid && catalog.valid && fetch_hinted(models, out)) {
        table_close(models, NoLock);
        return true;
    }
    // The active model: the one entry of the partial unique index models_one_active.
    hint.valid = false;
    Relation index = index_open(catalog.active_index, AccessShareLock);
    TupleTableSlot* slot = table_slot_create(models, nullptr);
    IndexScanDesc scan = index_beginscan(models, index, GetActiveSnapshot(), 0, 0);
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
        out->assignments_oid = catalog.assignments;
        // Invalidations that arrived with the locks have cleared catalog.valid: no hint then.
        if (catalog.valid && models->rd_tableam == GetHeapamTableAmRoutine()) {
            hint.tid = slot->tts_tid;
            hint.valid = true;
        }
        break;
    }
    index_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    index_close(index, NoLock);
    table_close(models, NoLock);
    return true;
}

bool read_user_assignment(int64 model_id, int64 user_id, bool catalog_0_1_0, MemoryContext cxt,
                          AssignmentRow* out) {
    memset(out, 0, sizeof *out);
    out->null_fingerprint = true;
    out->user_id = user_id;
    if (!catalog.valid) return false;
    Relation heap, pkey;
    ScanKeyData keys[2];
    if (!open_assignments(&heap, &pkey, &keys[0], model_id)) return false;
    ScanKeyEntryInitialize(&keys[1], 0, 2, BTEqualStrategyNumber, INT8OID, InvalidOid, F_INT8EQ,
                           Int64GetDatum(user_id));
    TupleTableSlot* slot = table_slot_create(heap, nullptr);
    IndexScanDesc scan = index_beginscan(heap, pkey, GetActiveSnapshot(), 2, 0);
    index_rescan(scan, keys, 2, nullptr, 0);
    if (index_getnext_slot(scan, ForwardScanDirection, slot))
        extract_assignment(slot, !catalog_0_1_0, cxt, out);
    index_endscan(scan);
    ExecDropSingleTupleTableSlot(slot);
    close_assignments(heap, pkey);
    return true;
}

bool scan_model_assignments(int64 model_id, bool catalog_0_1_0, AssignmentVisitor visit,
                            void* arg) {
    if (!catalog.valid) return false;
    Relation heap, pkey;
    ScanKeyData key;
    if (!open_assignments(&heap, &pkey, &key, model_id)) return false;
    const AttrNumber a_model = catalog.a_model;
    Snapshot snapshot = GetActiveSnapshot();
    // A bitmap heap scan: the row pointers of the model from the primary key, then the heap pages
    // in block order, each read and checked for visibility once for all its rows (an index scan
    // reads and locks the page again for every row). A page the bitmap keeps lossy yields every
    // row: the model id is checked on each.
    TIDBitmap* tbm = tbm_create(work_mem * 1024L, nullptr);
    IndexScanDesc index_scan = index_beginscan_bitmap(pkey, snapshot, 1);
    index_rescan(index_scan, &key, 1, nullptr, 0);
    index_getbitmap(index_scan, tbm);
    index_endscan(index_scan);
    TBMIterator* pages = tbm_begin_iterate(tbm);
#if PG_VERSION_NUM >= 170000  // need_tuple: the rows are read, not only counted
    TableScanDesc scan = table_beginscan_bm(heap, snapshot, 0, nullptr, true);
#else
    TableScanDesc scan = table_beginscan_bm(heap, snapshot, 0, nullptr);
#endif
    TupleTableSlot* slot = table_slot_create(heap, nullptr);
    MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext,
                                                   "movie_recs assignment page",
                                                   ALLOCSET_SMALL_SIZES);
    bool complete = true;
    TBMIterateResult* page;
    while (complete && (page = tbm_iterate(pages)) != nullptr) {
        CHECK_FOR_INTERRUPTS();
        if (!table_scan_bitmap_next_block(scan, page)) continue;
        while (table_scan_bitmap_next_tuple(scan, page, slot)) {
            bool null_model;
            const Datum m = slot_getattr(slot, a_model, &null_model);
            if (null_model || DatumGetInt64(m) != model_id) continue;
            MemoryContext saved = MemoryContextSwitchTo(page_cxt);
            AssignmentRow row;
            extract_assignment(slot, !catalog_0_1_0, page_cxt, &row);
            MemoryContextSwitchTo(saved);
            if (!visit(arg, row)) {
                complete = false;
                break;
            }
        }
        MemoryContextReset(page_cxt);
    }
    ExecDropSingleTupleTableSlot(slot);
    table_endscan(scan);
    tbm_end_iterate(pages);
    tbm_free(tbm);
    MemoryContextDelete(page_cxt);
    close_assignments(heap, pkey);
    return complete;
}

}  // namespace movie_recs::pg
