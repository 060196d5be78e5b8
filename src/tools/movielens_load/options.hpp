// Command line of movielens-load.
#pragma once

#include <string>

#include "copy_encoder.hpp"

namespace movielens_load {

struct Options {
    std::string dir;
    std::string dsn;  // empty: PG* environment variables
    std::string schema = "public";
    std::string ratings_table = "ratings";
    std::string movies_table = "movies";
    bool append = false;
    bool drop = false;
    bool dry_run = false;
    bool quiet = false;
    bool help = false;
    bool version = false;
    CopyFormat format = CopyFormat::Binary;
    std::string layout;    // empty: detect
    std::string encoding;  // empty: the release's own
};

// Parses argv; throws InputError with a one-line reason on a bad command line.
Options parse_options(int argc, char** argv);

// The --help text.
const char* usage_text();

}  // namespace movielens_load
