// The load itself: read the files of a release and copy them into PostgreSQL in one transaction.
#pragma once

#include <cstdint>
#include <string>

#include "options.hpp"
#include "progress.hpp"

namespace movielens_load {

struct LoadSummary {
    std::string release;        // "ml-100k", "ml-1m", "ml-10m", "csv"
    std::string ratings_table;  // schema.table, for messages
    std::string movies_table;
    bool dry_run = false;
    std::uint64_t ratings = 0;
    std::uint64_t ratings_bytes = 0;   // size of the ratings file
    std::uint64_t movies = 0;          // movies added
    std::uint64_t movies_present = 0;  // with --append: movies already in the table, not added
    double ratings_seconds = 0, movies_seconds = 0, index_seconds = 0, analyze_seconds = 0;
    double total_seconds = 0;
};

// Runs the load described by o. Throws InputError (bad files or options, tables in the way) or
// ServerError; on any error nothing is committed.
LoadSummary run_load(const Options& o, Progress& progress);

// One line describing what was loaded and how fast.
std::string describe(const LoadSummary& s);

}  // namespace movielens_load
