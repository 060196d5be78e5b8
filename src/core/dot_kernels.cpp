// The k-means inner loops, written with GCC/Clang vector types so that each group of 8 lanes is
// one AVX instruction where the CPU has AVX2 and two SSE instructions elsewhere (x86-64 builds
// get both versions and pick one when the library loads). No fused multiply-add: every lane is
// rounded the same way on every path.
#include "dot_kernels.hpp"

#include <cstring>

#include "pure_cpp.hpp"

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define MOVIE_RECS_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define MOVIE_RECS_CLONES
#endif

namespace movie_recs::core {

namespace {

#if defined(__GNUC__)
typedef float Lanes __attribute__((vector_size(kLaneWidth * sizeof(float))));
#define MOVIE_RECS_INLINE inline __attribute__((always_inline))
#else
#error "dot_kernels.cpp needs GCC or Clang vector extensions"
#endif

// Unaligned load and store (vectors pass by reference: no vector crosses a call boundary).
MOVIE_RECS_INLINE void load(Lanes& v, const float* p) { std::memcpy(&v, p, sizeof v); }

MOVIE_RECS_INLINE void store(float* p, const Lanes& v) { std::memcpy(p, &v, sizeof v); }

// The weight of entry e: its value, or 1 for a uniform row (scaled at the end).
template <bool Uniform>
MOVIE_RECS_INLINE void weight(Lanes& w, const float* vals, std::int64_t e) {
    if (Uniform)
        w = Lanes{} + 1.0f;
    else
        w = Lanes{} + vals[e];
}

// B groups of 8 lanes kept in registers, two entries at a time into two sets of accumulators
// (independent dependency chains), added at the end.
template <int B, bool Uniform, typename Pos>
MOVIE_RECS_INLINE void dots_fixed(const Pos* pos, const float* vals, float uniform,
                                  std::int64_t nnz, const float* ct, float* out) {
    constexpr std::size_t width = static_cast<std::size_t>(B) * kLaneWidth;
    Lanes acc[B], acc2[B];
    for (int b = 0; b < B; ++b) acc[b] = acc2[b] = Lanes{};
    std::int64_t e = 0;
    for (; e + 1 < nnz; e += 2) {
        const float* r0 = ct + static_cast<std::size_t>(pos[e]) * width;
        const float* r1 = ct + static_cast<std::size_t>(pos[e + 1]) * width;
        Lanes w0, w1;
        weight<Uniform>(w0, vals, e);
        weight<Uniform>(w1, vals, e + 1);
        for (int b = 0; b < B; ++b) {
            Lanes x0, x1;
            load(x0, r0 + b * kLaneWidth);
            load(x1, r1 + b * kLaneWidth);
            if (Uniform) {
                acc[b] += x0;
                acc2[b] += x1;
            } else {
                acc[b] += w0 * x0;
                acc2[b] += w1 * x1;
            }
        }
    }
    if (e < nnz) {
        const float* r0 = ct + static_cast<std::size_t>(pos[e]) * width;
        Lanes w0;
        weight<Uniform>(w0, vals, e);
        for (int b = 0; b < B; ++b) {
            Lanes x0;
            load(x0, r0 + b * kLaneWidth);
            acc[b] += Uniform ? x0 : w0 * x0;
        }
    }
    const Lanes scale = Lanes{} + uniform;
    for (int b = 0; b < B; ++b) {
        acc[b] += acc2[b];
        if (Uniform) acc[b] *= scale;
        store(out + b * kLaneWidth, acc[b]);
    }
}

template <bool Uniform, typename Pos>
MOVIE_RECS_INLINE void dots_any(const Pos* pos, const float* vals, float uniform,
                                std::int64_t nnz, const float* ct, int padded_k, float* out) {
    const int blocks = padded_k / kLaneWidth;
    const Lanes zero{};
    for (int b = 0; b < blocks; ++b) store(out + b * kLaneWidth, zero);
    for (std::int64_t e = 0; e < nnz; ++e) {
        Lanes w;
        weight<Uniform>(w, vals, e);
        const float* row = ct + static_cast<std::size_t>(pos[e]) * static_cast<std::size_t>(padded_k);
        for (int b = 0; b < blocks; ++b) {
            Lanes acc, r;
            load(acc, out + b * kLaneWidth);
            load(r, row + b * kLaneWidth);
            acc += w * r;
            store(out + b * kLaneWidth, acc);
        }
    }
    if (Uniform)
        for (int c = 0; c < padded_k; ++c) out[c] *= uniform;
}

template <bool Uniform, typename Pos>
MOVIE_RECS_INLINE void dots(const Pos* pos, const float* vals, float uniform, std::int64_t nnz,
                            const float* ct, int padded_k, float* out) {
    switch (padded_k / kLaneWidth) {
        case 1: dots_fixed<1, Uniform>(pos, vals, uniform, nnz, ct, out); break;
        case 2: dots_fixed<2, Uniform>(pos, vals, uniform, nnz, ct, out); break;
        case 3: dots_fixed<3, Uniform>(pos, vals, uniform, nnz, ct, out); break;
        case 4: dots_fixed<4, Uniform>(pos, vals, uniform, nnz, ct, out); break;
        default: dots_any<Uniform>(pos, vals, uniform, nnz, ct, padded_k, out); break;
    }
}

// Four partial sums (entries e mod 4), added at the end: independent dependency chains.
template <bool Uniform, typename Pos, typename T>
MOVIE_RECS_INLINE double gather(const Pos* pos, const float* vals, float uniform,
                                std::int64_t nnz, const T* dense) {
    const auto w = [&](std::int64_t e) { return Uniform ? 1.0 : static_cast<double>(vals[e]); };
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    std::int64_t e = 0;
    for (; e + 3 < nnz; e += 4) {
        s0 += w(e) * static_cast<double>(dense[pos[e]]);
        s1 += w(e + 1) * static_cast<double>(dense[pos[e + 1]]);
        s2 += w(e + 2) * static_cast<double>(dense[pos[e + 2]]);
        s3 += w(e + 3) * static_cast<double>(dense[pos[e + 3]]);
    }
    for (; e < nnz; ++e) s0 += w(e) * static_cast<double>(dense[pos[e]]);
    const double s = (s0 + s1) + (s2 + s3);
    return Uniform ? s * static_cast<double>(uniform) : s;
}

// M dense vectors at once, each with the four partial sums of gather().
template <int M, bool Uniform, typename Pos>
MOVIE_RECS_INLINE void gather_few(const Pos* pos, const float* vals, float uniform,
                                  std::int64_t nnz, const float* const* dense, double* out) {
    const auto w = [&](std::int64_t e) { return Uniform ? 1.0 : static_cast<double>(vals[e]); };
    double s[M][4] = {};
    std::int64_t e = 0;
    for (; e + 3 < nnz; e += 4) {
        const Pos p0 = pos[e], p1 = pos[e + 1], p2 = pos[e + 2], p3 = pos[e + 3];
        for (int m = 0; m < M; ++m) {
            s[m][0] += w(e) * static_cast<double>(dense[m][p0]);
            s[m][1] += w(e + 1) * static_cast<double>(dense[m][p1]);
            s[m][2] += w(e + 2) * static_cast<double>(dense[m][p2]);
            s[m][3] += w(e + 3) * static_cast<double>(dense[m][p3]);
        }
    }
    for (; e < nnz; ++e)
        for (int m = 0; m < M; ++m) s[m][0] += w(e) * static_cast<double>(dense[m][pos[e]]);
    for (int m = 0; m < M; ++m) {
        const double sum = (s[m][0] + s[m][1]) + (s[m][2] + s[m][3]);
        out[m] = Uniform ? sum * static_cast<double>(uniform) : sum;
    }
}

template <bool Uniform, typename Pos>
MOVIE_RECS_INLINE void few(const Pos* pos, const float* vals, float uniform, std::int64_t nnz,
                           const float* const* dense, int count, double* out) {
    switch (count) {
        case 1: gather_few<1, Uniform>(pos, vals, uniform, nnz, dense, out); break;
        case 2: gather_few<2, Uniform>(pos, vals, uniform, nnz, dense, out); break;
        case 3: gather_few<3, Uniform>(pos, vals, uniform, nnz, dense, out); break;
        default: gather_few<4, Uniform>(pos, vals, uniform, nnz, dense, out); break;
    }
}

}  // namespace

void packed_dots_few(const PackedRow& r, const float* const* dense, int count, double* out) {
    if (r.narrow != nullptr) {
        if (r.vals == nullptr)
            few<true>(r.narrow, r.vals, r.uniform, r.nnz, dense, count, out);
        else
            few<false>(r.narrow, r.vals, r.uniform, r.nnz, dense, count, out);
    } else {
        if (r.vals == nullptr)
            few<true>(r.wide, r.vals, r.uniform, r.nnz, dense, count, out);
        else
            few<false>(r.wide, r.vals, r.uniform, r.nnz, dense, count, out);
    }
}

MOVIE_RECS_CLONES
void packed_dots(const PackedRow& r, const float* ct, int padded_k, float* out) {
    if (r.narrow != nullptr) {
        if (r.vals == nullptr)
            dots<true>(r.narrow, r.vals, r.uniform, r.nnz, ct, padded_k, out);
        else
            dots<false>(r.narrow, r.vals, r.uniform, r.nnz, ct, padded_k, out);
    } else {
        if (r.vals == nullptr)
            dots<true>(r.wide, r.vals, r.uniform, r.nnz, ct, padded_k, out);
        else
            dots<false>(r.wide, r.vals, r.uniform, r.nnz, ct, padded_k, out);
    }
}

double packed_dot(const PackedRow& r, const float* dense) {
    if (r.narrow != nullptr)
        return r.vals == nullptr ? gather<true>(r.narrow, r.vals, r.uniform, r.nnz, dense)
                                 : gather<false>(r.narrow, r.vals, r.uniform, r.nnz, dense);
    return r.vals == nullptr ? gather<true>(r.wide, r.vals, r.uniform, r.nnz, dense)
                             : gather<false>(r.wide, r.vals, r.uniform, r.nnz, dense);
}

std::int64_t packed_count(const PackedRow& r, const std::uint64_t* bitmap) {
    std::int64_t count = 0;
    if (r.narrow != nullptr) {
        for (std::int64_t e = 0; e < r.nnz; ++e)
            count += static_cast<std::int64_t>((bitmap[r.narrow[e] >> 6] >> (r.narrow[e] & 63)) & 1U);
    } else {
        for (std::int64_t e = 0; e < r.nnz; ++e) {
            const auto p = static_cast<std::uint32_t>(r.wide[e]);
            count += static_cast<std::int64_t>((bitmap[p >> 6] >> (p & 63)) & 1U);
        }
    }
    return count;
}

double sparse_dot(const std::int32_t* cols, const float* vals, std::int64_t nnz,
                  const double* dense) {
    return gather<false>(cols, vals, 0.0f, nnz, dense);
}

}  // namespace movie_recs::core
