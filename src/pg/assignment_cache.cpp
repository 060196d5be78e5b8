// Per-backend copy of the active model's stored assignments (see assignment_cache.hpp).
#include "pg/assignment_cache.hpp"

#include <cstring>

extern "C" {
#include "utils/inval.h"
#include "utils/memutils.h"
}

namespace movie_recs::pg {

int assignment_cache_kb = 0;

namespace {

enum : uint8 { kKnown = 1, kMalformed = 2, kNullFingerprint = 4 };

// Column arrays in user_id order (looked up through a hash index); entries [offsets[i], offsets[i + 1]) of clusters/weights are
// user i's soft assignment. Plain static data in a context of its own under TopMemoryContext.
struct AssignmentCache {
    bool valid;        // the arrays below hold every row of the model below
    bool too_large;    // the model below does not fit: no copy, not tried again
    int64 model_id;
    TimestampTz created_at;
    Oid catalog_oid;
    Oid assignments_oid;
    bool catalog_0_1_0;
    MemoryContext cxt;
    int64 count, capacity;
    int64* users;
    int64* fingerprints;
    uint8* flags;
    uint32* offsets;  // count + 1
    int64 entries, entry_capacity;
    int32* clusters;
    float* weights;
    // Open addressing on user_id: slot -> row + 1 (0: empty); mask + 1 slots, at most half full.
    uint32* slots;
    uint64 mask;
    int64 bytes, limit;
};
AssignmentCache cache;
uint64 generation;  // counts the invalidations, to notice one during a load
bool callback_registered;

void forget(Datum, Oid relid) {
    if (relid == InvalidOid || relid == cache.assignments_oid) {
        cache.valid = false;
        cache.too_large = false;
        ++generation;
    }
}

template <typename T>
T* grow(T* p, int64 n) {
    return static_cast<T*>(repalloc_huge(p, sizeof(T) * n));
}

constexpr int64 kRowBytes = sizeof(int64) * 2 + sizeof(uint8) + sizeof(uint32);
constexpr int64 kEntryBytes = sizeof(int32) + sizeof(float);

// Appends one row (scan_model_assignments() visitor); false once the copy exceeds its limit or
// the rows are not in ascending user order.
bool append(void*, const AssignmentRow& row) {
    AssignmentCache& c = cache;
    if (c.count > 0 && row.user_id <= c.users[c.count - 1]) return false;
    const int width = row.known && !row.malformed ? row.width : 0;
    c.bytes += kRowBytes + kEntryBytes * width;
    if (c.bytes > c.limit) return false;
    if (c.count == c.capacity) {
        c.capacity *= 2;
        c.users = grow(c.users, c.capacity);
        c.fingerprints = grow(c.fingerprints, c.capacity);
        c.flags = grow(c.flags, c.capacity);
        c.offsets = grow(c.offsets, c.capacity + 1);
    }
    while (c.entries + width > c.entry_capacity) {
        c.entry_capacity *= 2;
        c.clusters = grow(c.clusters, c.entry_capacity);
        c.weights = grow(c.weights, c.entry_capacity);
    }
    c.users[c.count] = row.user_id;
    c.fingerprints[c.count] = row.null_fingerprint ? 0 : row.fingerprint;
    c.flags[c.count] = static_cast<uint8>((row.known ? kKnown : 0) |
                                          (row.malformed ? kMalformed : 0) |
                                          (row.null_fingerprint ? kNullFingerprint : 0));
    if (width > 0) {
        memcpy(c.clusters + c.entries, row.clusters, sizeof(int32) * width);
        memcpy(c.weights + c.entries, row.weights, sizeof(float) * width);
    }
    c.entries += width;
    c.offsets[++c.count] = static_cast<uint32>(c.entries);
    return c.entries <= PG_UINT32_MAX;
}

uint64 slot_of(int64 user_id) {
    return (static_cast<uint64>(user_id) * UINT64CONST(0x9E3779B97F4A7C15)) >> 32;
}

// The hash index of the loaded rows, nslots (a power of two) slots.
void build_slots(uint64 nslots) {
    cache.slots = static_cast<uint32*>(
        MemoryContextAllocExtended(cache.cxt, sizeof(uint32) * nslots, MCXT_ALLOC_HUGE | MCXT_ALLOC_ZERO));
    cache.mask = nslots - 1;
    for (int64 i = 0; i < cache.count; ++i) {
        uint64 at = slot_of(cache.users[i]) & cache.mask;
        while (cache.slots[at] != 0) at = (at + 1) & cache.mask;
        cache.slots[at] = static_cast<uint32>(i + 1);
    }
}

// Loads the copy of `model` (cache.valid afterwards unless it does not fit or the catalog
// changed meanwhile).
void load(const ActiveModel& model, bool catalog_0_1_0) {
    if (cache.cxt != nullptr) MemoryContextDelete(cache.cxt);
    cache = AssignmentCache{};
    cache.model_id = model.model_id;
    cache.created_at = model.created_at;
    cache.catalog_oid = model.catalog_oid;
    cache.assignments_oid = model.assignments_oid;
    cache.catalog_0_1_0 = catalog_0_1_0;
    cache.limit = static_cast<int64>(assignment_cache_kb) * 1024;
    cache.cxt = AllocSetContextCreate(TopMemoryContext, "movie_recs assignment cache",
                                      ALLOCSET_DEFAULT_SIZES);
    cache.capacity = 1024;
    cache.entry_capacity = 4096;
    cache.users = static_cast<int64*>(MemoryContextAllocHuge(cache.cxt, sizeof(int64) * cache.capacity));
    cache.fingerprints = static_cast<int64*>(MemoryContextAllocHuge(cache.cxt, sizeof(int64) * cache.capacity));
    cache.flags = static_cast<uint8*>(MemoryContextAllocHuge(cache.cxt, cache.capacity));
    cache.offsets =
        static_cast<uint32*>(MemoryContextAllocHuge(cache.cxt, sizeof(uint32) * (cache.capacity + 1)));
    cache.offsets[0] = 0;
    cache.clusters =
        static_cast<int32*>(MemoryContextAllocHuge(cache.cxt, sizeof(int32) * cache.entry_capacity));
    cache.weights =
        static_cast<float*>(MemoryContextAllocHuge(cache.cxt, sizeof(float) * cache.entry_capacity));
    const uint64 before = generation;
    bool complete = scan_model_assignments(model.model_id, catalog_0_1_0, append, nullptr);
    if (generation != before) return;  // invalidated meanwhile: tried again by the next call
    if (complete) {
        // The arrays grew by doubling: down to their sizes.
        cache.users = grow(cache.users, Max(cache.count, 1));
        cache.fingerprints = grow(cache.fingerprints, Max(cache.count, 1));
        cache.flags = grow(cache.flags, Max(cache.count, 1));
        cache.offsets = grow(cache.offsets, cache.count + 1);
        cache.clusters = grow(cache.clusters, Max(cache.entries, 1));
        cache.weights = grow(cache.weights, Max(cache.entries, 1));
        uint64 nslots = 16;
        while (nslots < 2 * static_cast<uint64>(cache.count)) nslots *= 2;
        cache.bytes += static_cast<int64>(nslots * sizeof(uint32));
        complete = cache.bytes <= cache.limit && cache.count < PG_INT32_MAX;
        if (complete) build_slots(nslots);
    }
    if (!complete) {
        // Too large (or not in user order): no copy for this model.
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
    if (!same || !cache.valid) load(model, catalog_0_1_0);
    if (!cache.valid) return false;

    memset(out, 0, sizeof *out);
    out->user_id = user_id;
    out->null_fingerprint = true;
    int64 lo = -1;
    for (uint64 at = slot_of(user_id) & cache.mask; cache.slots[at] != 0; at = (at + 1) & cache.mask)
        if (cache.users[cache.slots[at] - 1] == user_id) {
            lo = cache.slots[at] - 1;
            break;
        }
    if (lo < 0) return true;  // not trained on
    const uint8 flags = cache.flags[lo];
    out->null_fingerprint = (flags & kNullFingerprint) != 0;
    out->fingerprint = cache.fingerprints[lo];
    out->known = (flags & kKnown) != 0;
    out->malformed = (flags & kMalformed) != 0;
    if (!out->known || out->malformed) return true;
    const uint32 begin = cache.offsets[lo];
    out->width = static_cast<int>(cache.offsets[lo + 1] - begin);
    out->clusters = static_cast<int32*>(MemoryContextAlloc(cxt, sizeof(int32) * Max(out->width, 1)));
    out->weights = static_cast<float*>(MemoryContextAlloc(cxt, sizeof(float) * Max(out->width, 1)));
    memcpy(out->clusters, cache.clusters + begin, sizeof(int32) * out->width);
    memcpy(out->weights, cache.weights + begin, sizeof(float) * out->width);
    return true;
}

}  // namespace movie_recs::pg
