// Direct read of one key's entries from a B-tree's leaf pages (see btree_read.hpp).
#include "pg/btree_read.hpp"
#include "pg/index_access.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/tableam.h"
#include "access/visibilitymap.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_opfamily.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace movie_recs::pg {
namespace {

// One matching index entry, copied while its leaf page was locked (the columns are pass-by-value
// integers and floats: the copies outlive the lock).
struct LeafItem {
    ItemPointerData tid;
    Datum second;
    Datum third;
    bool null_third;
};

// The key as the index's first column stores it; false when no value of that type equals it.
bool key_datum(int64 value, Oid type, Datum* out) {
    switch (type) {
        case INT2OID:
            if (value < PG_INT16_MIN || value > PG_INT16_MAX) return false;
            *out = Int16GetDatum(static_cast<int16>(value));
            return true;
        case INT4OID:
            if (value < PG_INT32_MIN || value > PG_INT32_MAX) return false;
            *out = Int32GetDatum(static_cast<int32>(value));
            return true;
        default:
            *out = Int64GetDatum(value);
            return true;
    }
}

// The first offset of the leaf page whose item is >= key.
OffsetNumber lower_bound(Relation index, BTScanInsert key, Page page) {
    const BTPageOpaque opaque = BTPageGetOpaque(page);
    OffsetNumber lo = P_FIRSTDATAKEY(opaque);
    OffsetNumber hi = OffsetNumberNext(PageGetMaxOffsetNumber(page));
    while (lo < hi) {
        const OffsetNumber mid = lo + (hi - lo) / 2;
        if (_bt_compare(index, key, page, mid) > 0)
            lo = OffsetNumberNext(mid);
        else
            hi = mid;
    }
    return lo;
}

// Per-call state of the read.
struct Walk {
    Relation heap;
    Relation index;
    int64 value;
    Oid key_type;
    const AttrNumber* heap_columns;
    int ncolumns;
    Snapshot snapshot;
    BtreeAppend append;
    void* sink;
    LeafItem* items;  // this page's matches
    int nitems;
    int capacity;
    Buffer vm;
    BlockNumber vm_block;  // the heap block whose visibility vm_visible holds
    bool vm_visible;
    IndexFetchTableData* fetch;  // created at the first heap fetch
    TupleTableSlot* slot;
    bool in_recovery;  // the transaction started during recovery
    int64 entries, fetched;  // counts for the DEBUG2 line
};

void add_item(Walk* w, ItemPointer tid, Datum second, Datum third, bool null_third) {
    if (w->nitems == w->capacity) {
        w->capacity *= 2;
        w->items = static_cast<LeafItem*>(repalloc(w->items, sizeof(LeafItem) * w->capacity));
    }
    LeafItem& it = w->items[w->nitems++];
    ItemPointerCopy(tid, &it.tid);
    it.second = second;
    it.third = third;
    it.null_third = null_third;
}

// Copies the page's items from `off` on while their first key equals the value; false when an
// item that does not ended the run (nothing further right can match).
bool collect(Walk* w, Page page, OffsetNumber off) {
    const TupleDesc desc = RelationGetDescr(w->index);
    const OffsetNumber maxoff = PageGetMaxOffsetNumber(page);
    for (; off <= maxoff; off = OffsetNumberNext(off)) {
        const ItemId iid = PageGetItemId(page, off);
        // Dead to every MVCC snapshot, unless this transaction started during recovery (the
        // marks may come from the primary; nbtree's scans keep such items too).
        if (ItemIdIsDead(iid) && !w->in_recovery) continue;
        const IndexTuple itup = reinterpret_cast<IndexTuple>(PageGetItem(page, iid));
        bool isnull;
        const Datum first = index_getattr(itup, 1, desc, &isnull);
        if (isnull || integer_datum(first, w->key_type) != w->value) return false;
        bool null_second, null_third = true;
        const Datum second = index_getattr(itup, 2, desc, &null_second);
        const Datum third = w->ncolumns == 3 ? index_getattr(itup, 3, desc, &null_third) : 0;
        if (null_second) continue;  // a row without a movie is not a rating
        if (BTreeTupleIsPosting(itup)) {
            const int n = BTreeTupleGetNPosting(itup);
            for (int i = 0; i < n; ++i)
                add_item(w, BTreeTupleGetPostingN(itup, i), second, third, null_third);
        } else {
            add_item(w, &itup->t_tid, second, third, null_third);
        }
    }
    return true;
}

// Hands the collected items over: from the index tuple when the heap page is all-visible, else
// from the heap tuple visible to the snapshot, if any.
void deliver(Walk* w) {
    for (int i = 0; i < w->nitems; ++i) {
        LeafItem& it = w->items[i];
        const BlockNumber block = ItemPointerGetBlockNumber(&it.tid);
        if (block != w->vm_block) {
            w->vm_visible = VM_ALL_VISIBLE(w->heap, block, &w->vm);
            w->vm_block = block;
        }
        ++w->entries;
        if (w->vm_visible) {
            w->append(w->sink, it.second, it.third, it.null_third);
            continue;
        }
        if (w->fetch == nullptr) {
            w->fetch = table_index_fetch_begin(w->heap);
            w->slot = table_slot_create(w->heap, nullptr);
        }
        ++w->fetched;
        bool call_again = false, all_dead = false;
        if (!table_index_fetch_tuple(w->fetch, &it.tid, w->snapshot, w->slot, &call_again,
                                     &all_dead))
            continue;  // not visible to the snapshot
        bool null_second, null_third = true;
        const Datum second = slot_getattr(w->slot, w->heap_columns[1], &null_second);
        const Datum third =
            w->ncolumns == 3 ? slot_getattr(w->slot, w->heap_columns[2], &null_third) : 0;
        if (!null_second) w->append(w->sink, second, third, null_third);
    }
    w->nitems = 0;
}

}  // namespace

bool btree_prefix_applies(Relation index, const AttrNumber* heap_columns, int ncolumns,
                          Snapshot snapshot) {
    if (!leaf_reads_setting || index->rd_rel->relam != BTREE_AM_OID ||
        !IsMVCCSnapshot(snapshot) || IsolationIsSerializable())
        return false;
    if (IndexRelationGetNumberOfAttributes(index) < ncolumns) return false;
    // Ascending, nulls last, integer ordering: the entries equal to a value form one run, found
    // by the ordinary descent.
    if (index->rd_opfamily[0] != INTEGER_BTREE_FAM_OID || index->rd_indoption[0] != 0)
        return false;
    const TupleDesc desc = RelationGetDescr(index);
    for (int i = 0; i < ncolumns; ++i)
        if (index->rd_index->indkey.values[i] != heap_columns[i] ||
            !TupleDescAttr(desc, i)->attbyval)
            return false;
    return true;
}

void read_btree_prefix(Relation heap, Relation index, int64 value, Oid key_type,
                       const AttrNumber* heap_columns, int ncolumns, Snapshot snapshot,
                       BtreeAppend append, void* sink) {
    Datum arg;
    if (!key_datum(value, key_type, &arg)) return;  // no such key in this column's type
    // The insertion scan key of `first key = value`, as _bt_first() builds it.
    BTScanInsert key = _bt_mkscankey(index, nullptr);
    _bt_metaversion(index, &key->heapkeyspace, &key->allequalimage);
    key->keysz = 1;
    key->scankeys[0].sk_argument = arg;
    key->scankeys[0].sk_flags &= ~SK_ISNULL;

    Buffer buf;
#if PG_VERSION_NUM >= 170000
    BTStack stack = _bt_search(index, heap, key, &buf, BT_READ);
#elif PG_VERSION_NUM >= 160000
    BTStack stack = _bt_search(index, heap, key, &buf, BT_READ, snapshot);
#else
    BTStack stack = _bt_search(index, key, &buf, BT_READ, snapshot);
#endif
    _bt_freestack(stack);
    if (!BufferIsValid(buf)) {  // an empty index
        pfree(key);
        return;
    }

    Walk w;
    w.heap = heap;
    w.index = index;
    w.value = value;
    w.key_type = key_type;
    w.heap_columns = heap_columns;
    w.ncolumns = ncolumns;
    w.snapshot = snapshot;
    w.append = append;
    w.sink = sink;
    w.nitems = 0;
    w.capacity = 64;
    w.vm = InvalidBuffer;
    w.vm_block = InvalidBlockNumber;
    w.vm_visible = false;
    w.fetch = nullptr;
    w.slot = nullptr;
    w.in_recovery = TransactionStartedDuringRecovery();
    w.entries = w.fetched = 0;
    int pages = 1;
    w.items = static_cast<LeafItem*>(palloc(sizeof(LeafItem) * w.capacity));
    Page page = BufferGetPage(buf);
    OffsetNumber off = lower_bound(index, key, page);
    for (;;) {
        // Share-locked: copy the matches, decide whether to go on, note the right sibling.
        const BTPageOpaque opaque = BTPageGetOpaque(page);
        bool more = false;
        if (P_IGNORE(opaque))
            more = !P_RIGHTMOST(opaque);
        else if (collect(&w, page, off))
            more = !P_RIGHTMOST(opaque) && _bt_compare(index, key, page, P_HIKEY) >= 0;
        const BlockNumber next = opaque->btpo_next;
        LockBuffer(buf, BUFFER_LOCK_UNLOCK);  // the pin stays while the items are delivered
        deliver(&w);
        if (!more) break;
        CHECK_FOR_INTERRUPTS();
        buf = ReleaseAndReadBuffer(buf, index, next);
        LockBuffer(buf, BT_READ);
        _bt_checkpage(index, buf);
        page = BufferGetPage(buf);
        off = P_FIRSTDATAKEY(BTPageGetOpaque(page));
        ++pages;
    }
    elog(DEBUG2,
         "movie_recs: key %lld read from %d leaf page(s) of index \"%s\": %lld entries, "
         "%lld checked in the heap",
         static_cast<long long>(value), pages, RelationGetRelationName(index),
         static_cast<long long>(w.entries), static_cast<long long>(w.fetched));
    ReleaseBuffer(buf);
    if (w.vm != InvalidBuffer) ReleaseBuffer(w.vm);
    if (w.fetch != nullptr) {
        table_index_fetch_end(w.fetch);
        ExecDropSingleTupleTableSlot(w.slot);
    }
    pfree(w.items);
    pfree(key);
}

}  // namespace movie_recs::pg
