// Reading the ratings of a plain table straight from its heap, without the executor: a heap scan
// under the statement's snapshot, and for the usual layout (fixed-width columns before and at the
// ones read, no NULL in the row) the values read at fixed offsets of the tuple. It is used only
// when it reads exactly the rows and values of read_ratings()'s query
//   SELECT user::int8, movie::int8, rating::float8 FROM schema.table
// so that the model, the NOTICEs and the errors are the same: anything else (a view, a
// partitioned, foreign or inheritance parent table, row-level security, missing privileges, a
// numeric rating) goes to the query, which also raises the usual errors.
// Frames here hold no C++ object: PostgreSQL errors (cancel, I/O) may unwind them.
#include "pg/ratings_receiver.hpp"

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "executor/tuptable.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
}

namespace movie_recs::pg {
namespace {

constexpr int kColumns = 3;  // user, movie, rating

// One column read: its attribute number, base type and, when every column up to it has a fixed
// width, its offset in the data of a tuple without NULLs (-1 otherwise).
struct Column {
    AttrNumber attnum;
    Oid type;
    int offset;
};

struct Layout {
    Column col[kColumns];
    int count;           // 2 without a rating column
    AttrNumber max_att;  // the last attribute read
    bool fixed;          // every offset known
};

bool is_integer(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }

// Finds a column by name in the locked relation; false when it is not one the direct read
// handles (the query then reports what is wrong, or casts what this does not: numeric).
bool find_column(TupleDesc desc, const char* name, bool rating, Column* out) {
    for (int i = 0; i < desc->natts; ++i) {
        Form_pg_attribute att = TupleDescAttr(desc, i);
        if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0) continue;
        const Oid base = getBaseType(att->atttypid);
        if (!is_integer(base) && !(rating && (base == FLOAT4OID || base == FLOAT8OID)))
            return false;
        out->attnum = att->attnum;
        out->type = base;
        out->offset = -1;
        return true;
    }
    return false;
}

// Offsets of the columns in a tuple without NULLs, as heap_getattr() computes them.
void compute_offsets(TupleDesc desc, Layout* l) {
    l->fixed = true;
    int offset = 0;
    for (AttrNumber a = 1; a <= l->max_att; ++a) {
        Form_pg_attribute att = TupleDescAttr(desc, a - 1);
        if (att->attlen <= 0) {
            l->fixed = false;
            return;
        }
        offset = att_align_nominal(offset, att->attalign);
        for (int c = 0; c < l->count; ++c)
            if (l->col[c].attnum == a) l->col[c].offset = offset;
        offset += att->attlen;
    }
}

// The caller may run the query: USAGE on the schema (the query names it) and SELECT on the
// table or on the columns read, checked as the executor checks them (its hook included).
bool query_permitted(Relation rel, const Layout& l) {
    const Oid relid = RelationGetRelid(rel);
#if PG_VERSION_NUM >= 160000
    if (object_aclcheck(NamespaceRelationId, RelationGetNamespace(rel), GetUserId(), ACL_USAGE) !=
        ACLCHECK_OK)
        return false;
#else
    if (pg_namespace_aclcheck(RelationGetNamespace(rel), GetUserId(), ACL_USAGE) != ACLCHECK_OK)
        return false;
#endif
    Bitmapset* cols = nullptr;
    for (int c = 0; c < l.count; ++c)
        cols = bms_add_member(cols, l.col[c].attnum - FirstLowInvalidHeapAttributeNumber);
    RangeTblEntry* rte = makeNode(RangeTblEntry);
    rte->rtekind = RTE_RELATION;
    rte->relid = relid;
    rte->relkind = RELKIND_RELATION;
    rte->rellockmode = AccessShareLock;
    rte->inh = false;
#if PG_VERSION_NUM >= 160000
    RTEPermissionInfo* perm = makeNode(RTEPermissionInfo);
    perm->relid = relid;
    perm->inh = false;
    perm->requiredPerms = ACL_SELECT;
    perm->selectedCols = cols;
    rte->perminfoindex = 1;
    return ExecCheckPermissions(list_make1(rte), list_make1(perm), false);
#else
    rte->requiredPerms = ACL_SELECT;
    rte->selectedCols = cols;
    return ExecCheckRTPerms(list_make1(rte), false);
#endif
}

// The locked relation is a plain table whose rows the query would read one for one, as the
// caller may read them; fills the layout of the columns.
bool eligible(Relation rel, const TrainArgs& args, Layout* l) {
    if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relhassubclass) return false;
    if (check_enable_rls(RelationGetRelid(rel), InvalidOid, true) != RLS_NONE) return false;
    const TupleDesc desc = RelationGetDescr(rel);
    l->count = args.rating_column != nullptr ? 3 : 2;
    if (!find_column(desc, args.user_column, false, &l->col[0]) ||
        !find_column(desc, args.movie_column, false, &l->col[1]) ||
        (args.rating_column != nullptr && !find_column(desc, args.rating_column, true, &l->col[2])))
        return false;
    l->max_att = 0;
    for (int c = 0; c < l->count; ++c) l->max_att = Max(l->max_att, l->col[c].attnum);
    compute_offsets(desc, l);
    return query_permitted(rel, *l);
}

int64 integer_value(Datum d, Oid type) {
    switch (type) {
        case INT2OID: return DatumGetInt16(d);
        case INT4OID: return DatumGetInt32(d);
        default: return DatumGetInt64(d);
    }
}

// A value as the query's cast to int8 or float8 gives it.
double as_float8(Datum d, Oid type) {
    switch (type) {
        case FLOAT4OID: return DatumGetFloat4(d);
        case FLOAT8OID: return DatumGetFloat8(d);
        default: return static_cast<double>(integer_value(d, type));
    }
}

// The fast path: fixed offsets in a tuple that has no NULL and stores every column read.
inline Datum fetch_fixed(const char* data, const Column& c, TupleDesc desc) {
    const Form_pg_attribute att = TupleDescAttr(desc, c.attnum - 1);
    return fetch_att(data + c.offset, att->attbyval, att->attlen);
}

// Hands one tuple to r; false when reading must stop.
bool add_tuple(HeapTuple tuple, TupleDesc desc, const Layout& l, RatingsReceiver* r) {
    const HeapTupleHeader td = tuple->t_data;
    Datum v[kColumns];
    if (l.fixed && !HeapTupleHasNulls(tuple) && HeapTupleHeaderGetNatts(td) >= l.max_att) {
        const char* data = reinterpret_cast<const char*>(td) + td->t_hoff;
        for (int c = 0; c < l.count; ++c) v[c] = fetch_fixed(data, l.col[c], desc);
    } else {
        for (int c = 0; c < l.count; ++c) {
            bool isnull;
            v[c] = heap_getattr(tuple, l.col[c].attnum, desc, &isnull);
            if (isnull) {
                ++r->out->skipped_nulls;
                return true;
            }
        }
    }
    return receiver_add(r, integer_value(v[0], l.col[0].type), integer_value(v[1], l.col[1].type),
                        l.count > 2 ? as_float8(v[2], l.col[2].type) : 1.0);
}

}  // namespace

bool read_ratings_directly(const TrainArgs& args, RatingsReceiver* r) {
    // The lock the query would take, held to the end of the transaction as the query holds it.
    Relation rel = table_open(args.relid, AccessShareLock);
    Layout layout;
    if (rel->rd_tableam != GetHeapamTableAmRoutine() || !eligible(rel, args, &layout)) {
        table_close(rel, NoLock);
        return false;
    }
    const TupleDesc desc = RelationGetDescr(rel);
    // heap_getnext() hands out each visible tuple of the pinned page in place (no slot).
    TableScanDesc scan = table_beginscan(rel, GetActiveSnapshot(), 0, nullptr);
    HeapTuple tuple;
    while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr)
        if (!add_tuple(tuple, desc, layout, r)) break;
    table_endscan(scan);
    table_close(rel, NoLock);
    return true;
}

}  // namespace movie_recs::pg
