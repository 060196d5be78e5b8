#include "id_map.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <numeric>

#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

constexpr std::size_t kInitialSlots = 1024;

// Finaliser of splitmix64: spreads sequential ids over the table.
std::uint64_t mix(std::int64_t id) {
    std::uint64_t x = static_cast<std::uint64_t>(id) + 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

}  // namespace

IdMap::IdMap() = default;

std::int64_t IdMap::bytes() const {
    return static_cast<std::int64_t>(direct_.capacity() * sizeof(std::int32_t) +
                                     table_.capacity() * sizeof(Entry) +
                                     ids_.capacity() * sizeof(std::int64_t));
}

std::int32_t IdMap::add(std::int64_t id) {
    if (ids_.size() >= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()))
        throw std::bad_alloc();
    const auto slot = static_cast<std::int32_t>(ids_.size());
    ids_.push_back(id);
    return slot;
}

std::int32_t IdMap::add_or_find(std::int64_t id) {
    if (direct_mode_) {
        if (id >= 0 && id < kDirectIds) {
            const auto at = static_cast<std::size_t>(id);
            if (at >= direct_.size()) {
                std::size_t grown = std::max<std::size_t>(direct_.size() * 2, kInitialSlots);
                while (grown <= at) grown *= 2;
                direct_.resize(std::min<std::size_t>(grown, kDirectIds), -1);
            }
            if (direct_[at] < 0) direct_[at] = add(id);
            return direct_[at];
        }
        to_hash();
    }
    return hash_find_or_add(id);
}

std::int32_t IdMap::hash_find_or_add(std::int64_t id) {
    std::uint64_t at = mix(id) & mask_;
    for (;;) {
        const Entry& e = table_[at];
        if (e.slot < 0) break;
        if (e.id == id) return e.slot;
        at = (at + 1) & mask_;
    }
    const std::int32_t slot = add(id);
    table_[at] = Entry{id, slot};
    if (ids_.size() * 2 > table_.size()) grow_hash();  // load factor at most 1/2
    return slot;
}

void IdMap::hash_insert(std::int64_t id, std::int32_t slot) {
    std::uint64_t at = mix(id) & mask_;
    while (table_[at].slot >= 0) at = (at + 1) & mask_;
    table_[at] = Entry{id, slot};
}

void IdMap::to_hash() {
    direct_mode_ = false;
    std::vector<std::int32_t>().swap(direct_);
    std::size_t slots = kInitialSlots;
    while (slots < ids_.size() * 4) slots *= 2;
    table_.assign(slots, Entry{0, -1});
    mask_ = slots - 1;
    for (std::size_t s = 0; s < ids_.size(); ++s) hash_insert(ids_[s], static_cast<std::int32_t>(s));
}

void IdMap::grow_hash() {
    std::vector<Entry> old;
    old.swap(table_);
    table_.assign(old.size() * 2, Entry{0, -1});
    mask_ = table_.size() - 1;
    for (const Entry& e : old)
        if (e.slot >= 0) hash_insert(e.id, e.slot);
}

void IdMap::sorted(std::vector<std::int64_t>* ids, std::vector<std::int32_t>* rank_of_slot) {
    std::vector<std::int32_t>().swap(direct_);
    std::vector<Entry>().swap(table_);
    std::vector<std::int32_t> order(ids_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::int32_t a, std::int32_t b) { return ids_[a] < ids_[b]; });
    rank_of_slot->assign(ids_.size(), 0);
    ids->resize(ids_.size());
    for (std::size_t r = 0; r < order.size(); ++r) {
        (*rank_of_slot)[static_cast<std::size_t>(order[r])] = static_cast<std::int32_t>(r);
        (*ids)[r] = ids_[static_cast<std::size_t>(order[r])];
    }
    std::vector<std::int64_t>().swap(ids_);
    direct_mode_ = true;
    mask_ = 0;
    last_slot_ = -1;
}

}  // namespace movie_recs::core
