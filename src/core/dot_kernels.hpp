// Dot products of one sparse row with dense centroids: the inner loops of k-means.
#pragma once

#include <cstdint>

namespace movie_recs::core {

// Centroid lanes are padded to a multiple of this many floats.
constexpr int kLaneWidth = 8;

inline int padded_lanes(int k) { return (k + kLaneWidth - 1) / kLaneWidth * kLaneWidth; }

// One sparse row as the k-means loops read it: the positions of its columns in the centroid
// copies (16-bit when there are at most 65536 columns, else 32-bit) and its values, or a single
// value shared by every entry (the case of presence vectors), which spares reading them.
struct PackedRow {
    const std::uint16_t* narrow;  // positions, or nullptr
    const std::int32_t* wide;     // positions when narrow is nullptr
    const float* vals;            // values, or nullptr: every entry is `uniform`
    float uniform;
    std::int64_t nnz;
};

// out[0..padded_k) = sum over the row's entries e of w_e * ct[pos_e * padded_k + c] in float,
// w_e the entry's value: ct is the transposed centroid matrix (positions x padded_k), so every
// entry adds one contiguous row of it. With a uniform value the rows are summed, then scaled.
// The summation order is fixed, and the result does not depend on the instruction set the
// machine offers (each lane is a plain multiply then add).
void packed_dots(const PackedRow& row, const float* ct, int padded_k, float* out);

// Sum over the row's entries of w_e * dense[pos_e], accumulated in double.
double packed_dot(const PackedRow& row, const float* dense);

// The most dense vectors packed_dots_few() reads in one pass.
constexpr int kFewDots = 4;

// out[m] = packed_dot(row, dense[m]) for m < count <= kFewDots, in one pass over the row (the
// loads of the m vectors overlap), with exactly the arithmetic of packed_dot.
void packed_dots_few(const PackedRow& row, const float* const* dense, int count, double* out);

// The number of the row's positions whose bit is set in `bitmap` (bit p of word p / 64).
std::int64_t packed_count(const PackedRow& row, const std::uint64_t* bitmap);

// Sum over the entries of vals[e] * dense[cols[e]], accumulated in double.
double sparse_dot(const std::int32_t* cols, const float* vals, std::int64_t nnz,
                  const double* dense);

}  // namespace movie_recs::core
