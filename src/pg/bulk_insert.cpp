// Bulk insertion into the catalog (see bulk_insert.hpp): the path COPY takes
// (table_multi_insert, then ExecInsertIndexTuples for every row), for tables where it does
// exactly what the INSERT it replaces would do.
#include "pg/bulk_insert.hpp"

extern "C" {
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
}

namespace movie_recs::pg {
namespace {

// Rows per table_multi_insert(), as COPY buffers them.
constexpr int kBulkRows = 1000;

// Only the foreign-key checks towards movie_recs.models, which the caller makes true.
bool only_model_key_checks(Relation rel, Oid models) {
    TriggerDesc* td = rel->trigdesc;
    if (td == nullptr) return true;
    for (int i = 0; i < td->numtriggers; ++i) {
        const Trigger& t = td->triggers[i];
        if (RI_FKey_trigger_type(t.tgfoid) != RI_TRIGGER_FK || t.tgconstrrelid != models)
            return false;
    }
    return true;
}

// The attribute number of every column, or false when the live columns of the table are not
// exactly these.
bool map_columns(Relation rel, const char* const* columns, int ncolumns, AttrNumber* attnum) {
    TupleDesc desc = RelationGetDescr(rel);
    int live = 0;
    for (int a = 0; a < desc->natts; ++a)
        if (!TupleDescAttr(desc, a)->attisdropped) ++live;
    if (live != ncolumns) return false;
    for (int c = 0; c < ncolumns; ++c) {
        attnum[c] = InvalidAttrNumber;
        for (int a = 0; a < desc->natts; ++a) {
            Form_pg_attribute att = TupleDescAttr(desc, a);
            if (!att->attisdropped && strcmp(NameStr(att->attname), columns[c]) == 0)
                attnum[c] = att->attnum;
        }
        if (attnum[c] == InvalidAttrNumber) return false;
    }
    return true;
}

void flush(BulkInsert* b) {
    if (b->used == 0) return;
    table_multi_insert(b->rel, b->slots, b->used, b->cid, 0, b->bistate);
    for (int i = 0; i < b->used; ++i) {
#if PG_VERSION_NUM >= 160000  // 16 added onlySummarizing (false: every index, as COPY)
        List* recheck = ExecInsertIndexTuples(b->rri, b->slots[i], b->estate, false, false,
                                              nullptr, NIL, false);
#else
        List* recheck = ExecInsertIndexTuples(b->rri, b->slots[i], b->estate, false, false,
                                              nullptr, NIL);
#endif
        list_free(recheck);
        ExecClearTuple(b->slots[i]);
    }
    ResetPerTupleExprContext(b->estate);
    MemoryContextReset(b->batch_cxt);
    b->used = 0;
}

}  // namespace

bool bulk_insert_begin(BulkInsert* b, const char* table, const char* const* columns,
                       int ncolumns) {
    const Oid nsp = get_namespace_oid("movie_recs", false);
    const Oid relid = get_relname_relid(table, nsp);
    const Oid models = get_relname_relid("models", nsp);
    if (!OidIsValid(relid) || !OidIsValid(models)) return false;
    if (pg_class_aclcheck(relid, GetUserId(), ACL_INSERT) != ACLCHECK_OK) return false;
    Relation rel = table_open(relid, RowExclusiveLock);
    TupleConstr* constr = RelationGetDescr(rel)->constr;
    AttrNumber* attnum = static_cast<AttrNumber*>(palloc(sizeof(AttrNumber) * ncolumns));
    if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relrowsecurity ||
        (constr != nullptr && (constr->num_check > 0 || constr->has_generated_stored)) ||
        !only_model_key_checks(rel, models) || !map_columns(rel, columns, ncolumns, attnum)) {
        pfree(attnum);
        table_close(rel, RowExclusiveLock);
        return false;
    }
    b->rel = rel;
    b->estate = CreateExecutorState();
    b->rri = makeNode(ResultRelInfo);
    InitResultRelInfo(b->rri, rel, 0, nullptr, 0);
    ExecOpenIndices(b->rri, false);
    b->bistate = GetBulkInsertState();
    b->cid = GetCurrentCommandId(true);
    b->batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "movie_recs bulk insert",
                                         ALLOCSET_DEFAULT_SIZES);
    b->slots = static_cast<TupleTableSlot**>(palloc(sizeof(TupleTableSlot*) * kBulkRows));
    for (int i = 0; i < kBulkRows; ++i) b->slots[i] = table_slot_create(rel, nullptr);
    b->used = 0;
    b->natts = RelationGetDescr(rel)->natts;
    b->columns = ncolumns;
    b->attnum = attnum;
    return true;
}

Datum* bulk_insert_values(BulkInsert* b) {
    TupleTableSlot* slot = b->slots[b->used];
    ExecClearTuple(slot);
    for (int a = 0; a < b->natts; ++a) {
        slot->tts_values[a] = (Datum)0;
        slot->tts_isnull[a] = true;  // dropped columns stay NULL
    }
    // The caller's values go to their attributes in bulk_insert_next().
    return static_cast<Datum*>(
        MemoryContextAlloc(b->batch_cxt, sizeof(Datum) * static_cast<Size>(b->columns)));
}

MemoryContext bulk_insert_memory(BulkInsert* b) { return b->batch_cxt; }

void bulk_insert_next(BulkInsert* b, Datum* values) {
    TupleTableSlot* slot = b->slots[b->used];
    for (int c = 0; c < b->columns; ++c) {
        slot->tts_values[b->attnum[c] - 1] = values[c];
        slot->tts_isnull[b->attnum[c] - 1] = false;
    }
    ExecStoreVirtualTuple(slot);
    if (++b->used == kBulkRows) flush(b);
}

void bulk_insert_end(BulkInsert* b) {
    flush(b);
    for (int i = 0; i < kBulkRows; ++i) ExecDropSingleTupleTableSlot(b->slots[i]);
    pfree(b->slots);
    FreeBulkInsertState(b->bistate);
    table_finish_bulk_insert(b->rel, 0);
    ExecCloseIndices(b->rri);
    FreeExecutorState(b->estate);
    MemoryContextDelete(b->batch_cxt);
    table_close(b->rel, NoLock);
    pfree(b->attnum);
    // Later statements of the training see these rows.
    CommandCounterIncrement();
}

}  // namespace movie_recs::pg
