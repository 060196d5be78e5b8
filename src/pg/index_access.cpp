// Helpers of the direct index reads of serving (see index_access.hpp).
#include "pg/index_access.hpp"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/stratnum.h"
#include "catalog/pg_am.h"
#include "catalog/pg_index.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
}

namespace movie_recs::pg {

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

Relation open_chosen_index(const IndexChoice& choice, int64 value, ScanKey key) {
    Relation idx = index_open(choice.index, AccessShareLock);
    ScanKeyEntryInitialize(key, 0, 1, BTEqualStrategyNumber, INT8OID, choice.collation,
                           choice.proc, Int64GetDatum(value));
    return idx;
}

int64 integer_datum(Datum d, Oid type) {
    switch (type) {
        case INT2OID: return DatumGetInt16(d);
        case INT4OID: return DatumGetInt32(d);
        default: return DatumGetInt64(d);
    }
}

bool copy_array(Datum d, Oid elemtype, MemoryContext cxt, int* n, void** out) {
    ArrayType* a = DatumGetArrayTypeP(d);
    if (ARR_ELEMTYPE(a) != elemtype || ARR_HASNULL(a) || ARR_NDIM(a) > 1) return false;
    *n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
    *out = MemoryContextAlloc(cxt, sizeof(int32) * Max(*n, 1));
    memcpy(*out, ARR_DATA_PTR(a), sizeof(int32) * *n);
    return true;
}

}  // namespace movie_recs::pg
