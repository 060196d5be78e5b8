#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <limits>
#include <random>
#include <vector>

#include "core/id_map.hpp"

using movie_recs::core::IdMap;

TEST(IdMap, NumbersIdsInOrderOfFirstAppearance) {
    IdMap m;
    EXPECT_EQ(m.slot(50), 0);
    EXPECT_EQ(m.slot(7), 1);
    EXPECT_EQ(m.slot(50), 0);
    EXPECT_EQ(m.slot(7), 1);
    EXPECT_EQ(m.slot(0), 2);
    EXPECT_EQ(m.size(), 3);
    std::vector<std::int64_t> ids;
    std::vector<std::int32_t> rank;
    m.sorted(&ids, &rank);
    EXPECT_EQ(ids, (std::vector<std::int64_t>{0, 7, 50}));
    EXPECT_EQ(rank, (std::vector<std::int32_t>{2, 1, 0}));  // slot -> position among sorted ids
}

TEST(IdMap, IdsBeyondTheDirectRangeKeepEarlierSlots) {
    // Small non-negative ids are looked up directly; a negative or huge id switches to hashing,
    // which must keep every slot handed out so far.
    for (std::int64_t odd : {std::int64_t{-1}, IdMap::kDirectIds, std::numeric_limits<std::int64_t>::max(),
                             std::numeric_limits<std::int64_t>::min()}) {
        IdMap m;
        for (std::int64_t id = 0; id < 3000; ++id) ASSERT_EQ(m.slot(id * 3), id);
        EXPECT_EQ(m.slot(odd), 3000);
        for (std::int64_t id = 0; id < 3000; ++id) ASSERT_EQ(m.slot(id * 3), id) << odd;
        EXPECT_EQ(m.slot(odd), 3000);
        EXPECT_EQ(m.slot(1), 3001);
        EXPECT_EQ(m.size(), 3002);
    }
}

TEST(IdMap, ManyRandomIdsMatchAReferenceNumbering) {
    std::mt19937_64 rng(5);
    IdMap m;
    std::vector<std::int64_t> first_seen;
    std::vector<std::int64_t> draws;
    for (int i = 0; i < 200000; ++i) {
        // A mix of repeated and fresh ids, some negative, most large.
        const std::int64_t id = (rng() % 4 == 0) ? static_cast<std::int64_t>(rng() % 1000)
                                                 : static_cast<std::int64_t>(rng() >> 1) - (std::int64_t{1} << 61);
        draws.push_back(id);
    }
    std::vector<std::int32_t> got;
    for (auto id : draws) got.push_back(m.slot(id));
    // Reference: linear first-seen numbering through a sorted copy.
    std::vector<std::pair<std::int64_t, std::int32_t>> seen;
    std::vector<std::int32_t> want;
    std::map<std::int64_t, std::int32_t> ref;
    for (auto id : draws) {
        auto it = ref.find(id);
        if (it == ref.end()) it = ref.emplace(id, static_cast<std::int32_t>(ref.size())).first;
        want.push_back(it->second);
    }
    EXPECT_EQ(got, want);
    std::vector<std::int64_t> ids;
    std::vector<std::int32_t> rank;
    m.sorted(&ids, &rank);
    ASSERT_EQ(ids.size(), ref.size());
    std::int32_t r = 0;
    for (const auto& [id, slot] : ref) {  // std::map iterates in id order
        EXPECT_EQ(ids[static_cast<std::size_t>(r)], id);
        EXPECT_EQ(rank[static_cast<std::size_t>(slot)], r);
        ++r;
    }
    EXPECT_EQ(m.size(), 0);
    EXPECT_EQ(m.slot(42), 0);  // usable again after sorted()
}
