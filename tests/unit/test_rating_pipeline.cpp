#include <gtest/gtest.h>

#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "core/errors.hpp"
#include "core/rating_matrix.hpp"
#include "core/rating_pipeline.hpp"

using namespace movie_recs::core;

namespace {

std::vector<RatingTriple> random_rows(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<RatingTriple> rows(n);
    for (auto& r : rows) {
        r.user_id = static_cast<std::int64_t>(rng() % 5000);
        r.movie_id = static_cast<std::int64_t>(rng() % 700) * 1000003;  // beyond the direct ids
        r.rating = static_cast<double>(rng() % 10 + 1) / 2;
    }
    return rows;
}

// Hands rows to the pipeline in batches of `batch` rows (at most kBatchRows).
void feed(RatingPipeline& p, const std::vector<RatingTriple>& rows, std::size_t batch) {
    for (std::size_t at = 0; at < rows.size(); at += batch) {
        const std::size_t n = std::min(batch, rows.size() - at);
        RatingTriple* b = p.acquire();
        std::memcpy(b, rows.data() + at, n * sizeof(RatingTriple));
        p.submit(b, n);
    }
}

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

}  // namespace

TEST(RatingPipeline, CollectsExactlyWhatTheCollectorWould) {
    const auto rows = random_rows(100000, 7);
    RatingCollector direct;
    direct.add(rows.data(), rows.size());
    RatingCollector piped;
    {
        RatingPipeline p(&piped, kNoLimit);
        feed(p, rows, 1000);
        p.finish();
        std::int64_t at, need;
        EXPECT_FALSE(p.over_limit(&at, &need));
        EXPECT_FALSE(p.failed());
    }
    EXPECT_EQ(piped.rows(), 100000);
    EXPECT_EQ(piped.users(), direct.users());
    EXPECT_EQ(piped.movies(), direct.movies());
    const RatingMatrix a = direct.build();
    const RatingMatrix b = piped.build(2);
    EXPECT_EQ(a.user_ids(), b.user_ids());
    EXPECT_EQ(a.movie_ids(), b.movie_ids());
    EXPECT_EQ(a.duplicates_merged(), b.duplicates_merged());
    ASSERT_EQ(a.ratings(), b.ratings());
    for (std::int64_t e = 0; e < a.ratings(); ++e) {
        EXPECT_EQ(a.rows().innerIndexPtr()[e], b.rows().innerIndexPtr()[e]);
        EXPECT_EQ(a.rows().valuePtr()[e], b.rows().valuePtr()[e]);
    }
}

TEST(RatingPipeline, ReportsTheErrorOfAddingAfterTheRest) {
    auto rows = random_rows(20000, 3);
    rows[12345].rating = std::numeric_limits<double>::quiet_NaN();
    RatingCollector c;
    RatingPipeline p(&c, kNoLimit);
    feed(p, rows, RatingPipeline::kBatchRows);
    EXPECT_THROW(p.finish(), Error);
    EXPECT_TRUE(p.failed());
    // The rows before the bad one were added (as RatingCollector::add does), the batches after
    // it dropped.
    EXPECT_EQ(c.rows(), 12345);
}

TEST(RatingPipeline, StopsWithoutFinishing) {
    const auto rows = random_rows(50000, 5);
    RatingCollector c;
    {
        RatingPipeline p(&c, kNoLimit);
        feed(p, rows, 4096);
    }  // the destructor drops what is queued and joins the worker (or the test hangs)
    EXPECT_LE(c.rows(), 50000);
    EXPECT_TRUE(c.rows() % 4096 == 0 || c.rows() == 50000);  // whole batches only
}

TEST(RatingPipeline, FindsTheFirstBatchOverTheMemoryLimit) {
    const auto rows = random_rows(60000, 11);
    // The batch after which adding on one thread goes over the limit, and the estimate then.
    const std::int64_t limit = 1'000'000;
    RatingCollector direct;
    std::int64_t want_rows = -1, want_need = 0;
    for (std::size_t at = 0; at < rows.size() && want_rows < 0; at += 5000) {
        direct.add(rows.data() + at, std::min<std::size_t>(5000, rows.size() - at));
        const std::int64_t need = estimate_build_bytes(direct.rows(), direct.users(), direct.movies());
        if (need > limit) {
            want_rows = direct.rows();
            want_need = need;
        }
    }
    ASSERT_GT(want_rows, 0);
    RatingCollector c;
    RatingPipeline p(&c, limit);
    feed(p, rows, 5000);
    p.finish();  // no error: going over the limit is reported by over_limit()
    std::int64_t at = 0, need = 0;
    ASSERT_TRUE(p.over_limit(&at, &need));
    EXPECT_TRUE(p.failed());
    EXPECT_EQ(at, want_rows);
    EXPECT_EQ(need, want_need);
    EXPECT_EQ(c.rows(), want_rows);  // the batches after it were dropped
}
