// Per-backend copy of the active model's stored assignments (see assignment_cache.hpp).
#include "pg/assignment_cache.hpp"

#include <cstring>

extern "C" {
#include "access/table.h"
#include "storage/bufmgr.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

namespace movie_recs::pg {

int assignment_cache_kb = 0;

namespace {

enum : uint8 { kKnown = 1, kMalformed = 2, kNullFingerprint = 4 };

// The copy is kept in fixed-size blocks filled in place as the rows arrive: no array is grown by
// reallocation (each growth would copy what was loaded so far) and nothing is copied at the end.
// Row i is entry i % kRowsPerBlock of row block i / kRowsPerBlock; soft assignment entry j is
// entry j % kEntriesPerBlock of entry block j / kEntriesPerBlock (a row's entries may continue
// in the next block).
constexpr int kRowBits = 13;
constexpr int64 kRowsPerBlock = INT64CONST(1) << kRowBits;
constexpr int kEntryBits = 16;
constexpr int64 kEntriesPerBlock = INT64CONST(1) << kEntryBits;

struct RowBlock {
    int64 users[kRowsPerBlock];
    int64 fingerprints[kRowsPerBlock];
    uint32 ends[kRowsPerBlock];  // entries of the copy up to and including the row's
    uint8 flags[kRowsPerBlock];
};

struct Entry {
    int32 cluster;
    float weight;
};

// The rows of one model in the order read (looked up through a hash index). Plain static data;
// the blocks live in a context of their own under TopMemoryContext.
struct AssignmentCache {
    bool valid;        // the blocks below hold every row of the model below
    bool too_large;    // the model below does not fit: no copy, not tried again
    int64 model_id;
    TimestampTz created_at;
    Oid catalog_oid;
    Oid assignments_oid;
    bool catalog_0_1_0;
    MemoryContext cxt;
    int64 count, entries;
    RowBlock** row_blocks;  // row_block_count blocks, room for row_block_slots
    int64 row_block_count, row_block_slots;
    Entry** entry_blocks;  // entry_block_count blocks of kEntriesPerBlock, room for entry_block_slots
    int64 entry_block_count, entry_block_slots;
    // Open addressing on user_id: slot -> row + 1 (0: empty); mask + 1 slots, at most half full.
    uint32* slots;
    uint64 mask;
    int64 bytes, limit;
};
AssignmentCache cache;
// Lookups of the model in `cache` still to be served through the index before its copy is
// loaded (see lookups_before_copy()).
int64 lookups_before_load;
uint64 generation;  // counts the invalidations, to notice one during a load
bool callback_registered;

void forget(Datum, Oid relid) {
    if (relid == InvalidOid || relid == cache.assignments_oid) {
        cache.valid = false;
        cache.too_large = false;
        ++generation;
    }
}

constexpr int64 kRowBytes = sizeof(int64) * 2 + sizeof(uint8) + sizeof(uint32);
constexpr int64 kEntryBytes = sizeof(Entry);

RowBlock& row_block(int64 row) { return *cache.row_blocks[row >> kRowBits]; }
int64 in_block(int64 row) { return row & (kRowsPerBlock - 1); }
Entry& entry(int64 at) { return cache.entry_blocks[at >> kEntryBits][at & (kEntriesPerBlock - 1)]; }

// Block `index` of a block table (*nblocks allocated, room for *slots pointers); the blocks are
// filled in order, so index is at most *nblocks (then a new block of `bytes` is allocated).
template <typename Block>
Block* block_at(Block*** table, int64* nblocks, int64* slots, int64 index, std::size_t bytes) {
    if (index < *nblocks) return (*table)[index];
    if (*nblocks == *slots) {
        *slots *= 2;
        *table = static_cast<Block**>(repalloc(*table, sizeof(Block*) * *slots));
    }
    Block* b = static_cast<Block*>(MemoryContextAllocHuge(cache.cxt, bytes));
    (*table)[(*nblocks)++] = b;
    return b;
}

// Appends one row (scan_model_assignments() visitor); false once the copy exceeds its limit.
bool append(void*, const AssignmentRow& row) {
    AssignmentCache& c = cache;
    const int width = row.known && !row.malformed ? row.width : 0;
    c.bytes += kRowBytes + kEntryBytes * width;
    if (c.bytes > c.limit || c.entries + width > PG_UINT32_MAX) return false;
    for (int i = 0; i < width; ++i) {
        const int64 at = c.entries + i;
        Entry* block = block_at(&c.entry_blocks, &c.entry_block_count, &c.entry_block_slots, at >> kEntryBits,
                                sizeof(Entry) * kEntriesPerBlock);
        block[at & (kEntriesPerBlock - 1)] = {row.clusters[i], row.weights[i]};
    }
    c.entries += width;
    RowBlock* block =
        block_at(&c.row_blocks, &c.row_block_count, &c.row_block_slots, c.count >> kRowBits, sizeof(RowBlock));
    const int64 i = in_block(c.count);
    block->users[i] = row.user_id;
    block->fingerprints[i] = row.null_fingerprint ? 0 : row.fingerprint;
    block->flags[i] = static_cast<uint8>((row.known ? kKnown : 0) |
                                         (row.malformed ? kMalformed : 0) |
                                         (row.null_fingerprint ? kNullFingerprint : 0));
    block->ends[i] = static_cast<uint32>(c.entries);
    ++c.count;
    return true;
}

uint64 slot_of(int64 user_id) {
    return (static_cast<uint64>(user_id) * UINT64CONST(0x9E3779B97F4A7C15)) >> 32;
}

// The hash index of the loaded rows, nslots (a power of two) slots; false when a user has two
// rows (possible only without the primary key, when the copy is not used).
bool build_slots(uint64 nslots) {
    cache.slots = static_cast<uint32*>(
        MemoryContextAllocExtended(cache.cxt, sizeof(uint32) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO));
    cache.mask = nslots - 1;
    for (int64 i = 0; i < cache.count; ++i) {
        const int64 user = row_block(i).users[in_block(i)];
        uint64 at = slot_of(user) & cache.mask;
        for (; cache.slots[at] != 0; at = (at + 1) & cache.mask)
            if (row_block(cache.slots[at] - 1).users[in_block(cache.slots[at] - 1)] == user)
                return false;
        cache.slots[at] = static_cast<uint32>(i + 1);
    }
    return true;
}

// Loading the copy costs about as much CPU as one lookup through the index per page of
// movie_recs.assignments. Measured at MovieLens-25M scale (162k users, 3114 pages), one backend on
// an idle server: loading 48-51 ms; a call 63.5 us with the lookup through the index against
// 49.8 us from the copy, so 13.7 us per lookup, and 48 ms pay for ~3500 lookups (1.1 per page).
// Under load (16 clients, 2 cores) a lookup costs more (cache misses: pgbench went from ~10.5k to
// ~15.5k transactions/s once the backends had their copies). So a backend serves a newly active
// model through the index first and loads the copy once it has done kLookupsPerPage lookups per
// page of the table: a rent-or-buy rule, within a factor of about two of the cheaper choice
// whether the backend ends soon (a short-lived connection never pays for the copy) or serves for
// long (then the copy pays back).
constexpr int64 kLookupsPerPage = 1;

int64 lookups_before_copy(Oid assignments) {
    Relation rel = try_table_open(assignments, AccessShareLock);
    if (rel == nullptr) return 0;
    const int64 pages = RelationGetNumberOfBlocks(rel);
    table_close(rel, NoLock);
    return pages * kLookupsPerPage;
}

// Makes `model` the one of the cache, without a copy yet.
void start(const ActiveModel& model, bool catalog_0_1_0) {
    if (cache.cxt != nullptr) MemoryContextDelete(cache.cxt);
    cache = AssignmentCache{};
    cache.model_id = model.model_id;
    cache.created_at = model.created_at;
    cache.catalog_oid = model.catalog_oid;
    cache.assignments_oid = model.assignments_oid;
    cache.catalog_0_1_0 = catalog_0_1_0;
    cache.limit = static_cast<int64>(assignment_cache_kb) * 1024;
}

// Loads the copy of `model` (cache.valid afterwards unless it does not fit or the catalog
// changed meanwhile).
void load(const ActiveModel& model, bool catalog_0_1_0) {
    start(model, catalog_0_1_0);
    cache.cxt = AllocSetContextCreate(TopMemoryContext, "movie_recs assignment cache",
                                      ALLOCSET_DEFAULT_SIZES);
    cache.row_block_slots = 16;
    cache.row_blocks = static_cast<RowBlock**>(
        MemoryContextAlloc(cache.cxt, sizeof(RowBlock*) * cache.row_block_slots));
    cache.entry_block_slots = 16;
    cache.entry_blocks = static_cast<Entry**>(
        MemoryContextAlloc(cache.cxt, sizeof(Entry*) * cache.entry_block_slots));
    const uint64 before = generation;
    bool complete = scan_model_assignments(model.model_id, catalog_0_1_0, append, nullptr);
    if (generation != before) return;  // invalidated meanwhile: tried again by the next call
    if (complete) {
        uint64 nslots = 16;
        while (nslots < 2 * static_cast<uint64>(cache.count)) nslots *= 2;
        cache.bytes += static_cast<int64>(nslots * sizeof(uint32));
        complete = cache.bytes <= cache.limit && cache.count < PG_INT32_MAX;
        if (complete) complete = build_slots(nslots);
    }
    if (!complete) {
        // Too large (or a user with two rows): no copy for this model.
        MemoryContextDelete(cache.cxt);
        cache.cxt = nullptr;
        cache.too_large = true;
        return;
    }
    cache.valid = true;
}

bool same_model(const ActiveModel& model, bool catalog_0_1_0) {
    return cache.model_id == model.model_id && cache.created_at == model.created_at &&
           cache.catalog_oid == model.catalog_oid &&
           cache.assignments_oid == model.assignments_oid && cache.catalog_0_1_0 == catalog_0_1_0;
}

}  // namespace

bool cached_assignment(const ActiveModel& model, int64 user_id, bool catalog_0_1_0,
                       MemoryContext cxt, AssignmentRow* out) {
    if (!callback_registered) {
        CacheRegisterRelcacheCallback(forget, (Datum)0);
        callback_registered = true;
    }
    if (assignment_cache_kb <= 0) return false;
    const bool same = same_model(model, catalog_0_1_0) &&
                      cache.limit == static_cast<int64>(assignment_cache_kb) * 1024;
    if (same && cache.too_large) return false;
    if (!same) {
        start(model, catalog_0_1_0);
        lookups_before_load = lookups_before_copy(model.assignments_oid);
    }
    if (!cache.valid) {
        if (lookups_before_load > 0) {
            --lookups_before_load;
            return false;
        }
        load(model, catalog_0_1_0);
    }
    if (!cache.valid) return false;

    memset(out, 0, sizeof *out);
    out->user_id = user_id;
    out->null_fingerprint = true;
    int64 lo = -1;
    for (uint64 at = slot_of(user_id) & cache.mask; cache.slots[at] != 0; at = (at + 1) & cache.mask)
        if (row_block(cache.slots[at] - 1).users[in_block(cache.slots[at] - 1)] == user_id) {
            lo = cache.slots[at] - 1;
            break;
        }
    if (lo < 0) return true;  // not trained on
    const RowBlock& block = row_block(lo);
    const uint8 flags = block.flags[in_block(lo)];
    out->null_fingerprint = (flags & kNullFingerprint) != 0;
    out->fingerprint = block.fingerprints[in_block(lo)];
    out->known = (flags & kKnown) != 0;
    out->malformed = (flags & kMalformed) != 0;
    if (!out->known || out->malformed) return true;
    const uint32 end = block.ends[in_block(lo)];
    const uint32 begin = lo == 0 ? 0 : row_block(lo - 1).ends[in_block(lo - 1)];
    out->width = static_cast<int>(end - begin);
    out->clusters = static_cast<int32*>(MemoryContextAlloc(cxt, sizeof(int32) * Max(out->width, 1)));
    out->weights = static_cast<float*>(MemoryContextAlloc(cxt, sizeof(float) * Max(out->width, 1)));
    for (int i = 0; i < out->width; ++i) {
        const Entry& e = entry(begin + i);
        out->clusters[i] = e.cluster;
        out->weights[i] = e.weight;
    }
    return true;
}

}  // namespace movie_recs::pg
