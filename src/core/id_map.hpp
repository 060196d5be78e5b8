// Dense numbering of 64-bit ids: each new id gets the next slot number (0, 1, 2, ... in order of
// first appearance); at the end the ids are renumbered in ascending order, so the final
// numbering does not depend on the order the ids arrived in. Ids in [0, kDirectIds) are looked up
// in a plain array indexed by the id (the usual case: serial ids), any other id moves the map to
// an open-addressing hash table.
#pragma once

#include <cstdint>
#include <vector>

namespace movie_recs::core {

class IdMap {
public:
    // Largest id + 1 kept in the direct array (16 MB of slots at most).
    static constexpr std::int64_t kDirectIds = std::int64_t{1} << 22;

    IdMap();

    // The slot of id, adding it when new. Throws std::bad_alloc when the map cannot grow.
    std::int32_t slot(std::int64_t id) {
        if (id == last_id_ && last_slot_ >= 0) return last_slot_;  // runs of one id are common
        last_id_ = id;
        if (direct_mode_ && id >= 0 && id < static_cast<std::int64_t>(direct_.size()) &&
            direct_[static_cast<std::size_t>(id)] >= 0)
            last_slot_ = direct_[static_cast<std::size_t>(id)];
        else
            last_slot_ = add_or_find(id);
        return last_slot_;
    }

    std::int64_t size() const { return static_cast<std::int64_t>(ids_.size()); }

    // Bytes held by the map.
    std::int64_t bytes() const;

    // The ids in ascending order, and for every slot its position in that order. Empties the map.
    void sorted(std::vector<std::int64_t>* ids, std::vector<std::int32_t>* rank_of_slot);

private:
    struct Entry {
        std::int64_t id;
        std::int32_t slot;  // -1: empty
    };
    std::int32_t add_or_find(std::int64_t id);
    std::int32_t add(std::int64_t id);
    std::int32_t hash_find_or_add(std::int64_t id);
    void hash_insert(std::int64_t id, std::int32_t slot);
    void to_hash();
    void grow_hash();

    bool direct_mode_ = true;
    std::vector<std::int32_t> direct_;  // id -> slot, -1 when absent
    std::vector<Entry> table_;          // hash mode
    std::uint64_t mask_ = 0;
    std::vector<std::int64_t> ids_;     // by slot
    std::int64_t last_id_ = 0;
    std::int32_t last_slot_ = -1;
};

}  // namespace movie_recs::core
