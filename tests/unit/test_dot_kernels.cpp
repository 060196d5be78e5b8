#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/dot_kernels.hpp"

using namespace movie_recs::core;

namespace {

struct Case {
    std::vector<std::uint16_t> narrow;
    std::vector<std::int32_t> wide;
    std::vector<float> vals;
    std::vector<float> ct;  // positions x padded
    int padded;
};

Case make_case(int k, int positions, int nnz, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    Case c;
    c.padded = padded_lanes(k);
    for (int e = 0; e < nnz; ++e) {
        const auto p = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(positions));
        c.wide.push_back(p);
        c.narrow.push_back(static_cast<std::uint16_t>(p));
        c.vals.push_back(static_cast<float>(rng() % 1000) / 250.0f - 1.5f);
    }
    c.ct.resize(static_cast<std::size_t>(positions) * static_cast<std::size_t>(c.padded));
    for (auto& v : c.ct) v = static_cast<float>(rng() % 2001) / 1000.0f - 1.0f;
    return c;
}

}  // namespace

TEST(DotKernels, PaddedLanes) {
    EXPECT_EQ(padded_lanes(1), 8);
    EXPECT_EQ(padded_lanes(8), 8);
    EXPECT_EQ(padded_lanes(20), 24);
    EXPECT_EQ(padded_lanes(33), 40);
}

TEST(DotKernels, AllCentroidsMatchAPlainSumForEveryWidth) {
    for (int k : {1, 7, 8, 9, 16, 20, 24, 32, 33, 50}) {
        for (int nnz : {0, 1, 2, 3, 17, 200}) {
            const Case c = make_case(k, 300, nnz, static_cast<std::uint64_t>(k * 1000 + nnz));
            std::vector<float> narrow(static_cast<std::size_t>(c.padded)), wide(narrow.size());
            packed_dots(PackedRow{c.narrow.data(), nullptr, c.vals.data(), 0, nnz}, c.ct.data(), c.padded, narrow.data());
            packed_dots(PackedRow{nullptr, c.wide.data(), c.vals.data(), 0, nnz}, c.ct.data(), c.padded, wide.data());
            for (int j = 0; j < c.padded; ++j) {
                double want = 0, magnitude = 0;
                for (int e = 0; e < nnz; ++e) {
                    const double term = static_cast<double>(c.vals[e]) * c.ct[static_cast<std::size_t>(c.wide[e] * c.padded + j)];
                    want += term;
                    magnitude += std::fabs(term);
                }
                EXPECT_EQ(narrow[j], wide[j]) << "k " << k << " nnz " << nnz;
                EXPECT_NEAR(narrow[j], want, (nnz + 2) * 0x1.0p-24 * magnitude + 1e-30) << "k " << k << " nnz " << nnz;
            }
        }
    }
}

TEST(DotKernels, UniformRowsEqualExplicitValuesUpToRounding) {
    const Case c = make_case(20, 500, 150, 77);
    std::vector<float> same(c.vals.size(), 0.125f);
    std::vector<float> a(static_cast<std::size_t>(c.padded)), b(a.size());
    packed_dots(PackedRow{c.narrow.data(), nullptr, nullptr, 0.125f, 150}, c.ct.data(), c.padded, a.data());
    packed_dots(PackedRow{c.narrow.data(), nullptr, same.data(), 0, 150}, c.ct.data(), c.padded, b.data());
    for (int j = 0; j < c.padded; ++j) EXPECT_NEAR(a[j], b[j], 1e-5);
    const std::vector<float> dense(c.ct.begin(), c.ct.begin() + 500);
    EXPECT_NEAR(packed_dot(PackedRow{c.narrow.data(), nullptr, nullptr, 0.125f, 150}, dense.data()),
                packed_dot(PackedRow{c.narrow.data(), nullptr, same.data(), 0, 150}, dense.data()), 1e-12);
}

TEST(DotKernels, FewAtOnceIsExactlyOneAtATime) {
    const Case c = make_case(4, 400, 123, 5);
    std::vector<std::vector<float>> dense(kFewDots, std::vector<float>(400));
    std::mt19937_64 rng(6);
    for (auto& d : dense)
        for (auto& v : d) v = static_cast<float>(rng() % 1000) / 999.0f;
    const float* ptrs[kFewDots];
    for (int m = 0; m < kFewDots; ++m) ptrs[m] = dense[static_cast<std::size_t>(m)].data();
    for (const PackedRow row : {PackedRow{c.narrow.data(), nullptr, c.vals.data(), 0, 123},
                                PackedRow{nullptr, c.wide.data(), nullptr, 0.3f, 123},
                                PackedRow{nullptr, c.wide.data(), c.vals.data(), 0, 2}}) {
        for (int count = 1; count <= kFewDots; ++count) {
            double out[kFewDots];
            packed_dots_few(row, ptrs, count, out);
            for (int m = 0; m < count; ++m) EXPECT_EQ(out[m], packed_dot(row, ptrs[m]));
        }
    }
}

TEST(DotKernels, SparseDotInDouble) {
    const std::int32_t cols[3] = {2, 0, 5};
    const float vals[3] = {0.5f, 2.0f, -1.0f};
    const double dense[6] = {1, 10, 3, 100, 1000, 7};
    EXPECT_DOUBLE_EQ(sparse_dot(cols, vals, 3, dense), 0.5 * 3 + 2 * 1 - 7);
}

TEST(DotKernels, CountOfPositionsInABitmap) {
    std::vector<std::uint64_t> bitmap(4, 0);
    for (int p : {0, 5, 63, 64, 130, 255}) bitmap[static_cast<std::size_t>(p / 64)] |= std::uint64_t{1} << (p % 64);
    const std::uint16_t narrow[] = {0, 1, 5, 63, 64, 65, 130, 255, 200};
    const std::int32_t wide[] = {0, 1, 5, 63, 64, 65, 130, 255, 200};
    EXPECT_EQ(packed_count(PackedRow{narrow, nullptr, nullptr, 1.0f, 9}, bitmap.data()), 6);
    EXPECT_EQ(packed_count(PackedRow{nullptr, wide, nullptr, 1.0f, 9}, bitmap.data()), 6);
    EXPECT_EQ(packed_count(PackedRow{nullptr, wide, nullptr, 1.0f, 0}, bitmap.data()), 0);
}
