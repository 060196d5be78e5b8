// Command line of movielens-load (see options.hpp).
#include "options.hpp"

#include <string_view>

#include "errors.hpp"

namespace movielens_load {

const char* usage_text() {
    return R"(usage: movielens-load [OPTIONS] DIR

Loads a MovieLens release from DIR into PostgreSQL, in one transaction:
  ratings(user_id bigint, movie_id bigint, rating real, rated_at timestamptz)
  movies(movie_id bigint primary key, title text, year integer, genres text[])
The release is detected from the files in DIR: ml-100k (u.data, u.item, u.genre),
ml-1m and ml-10m (ratings.dat, movies.dat), or a CSV release such as ml-20m, ml-25m,
ml-32m, ml-latest, ml-latest-small (ratings.csv, movies.csv).

Connection (libpq: the PG* environment variables, ~/.pgpass and the service file apply):
  -d, --dsn CONNINFO     connection string or URI, e.g. "dbname=movies host=/tmp" or
                         postgresql://user@host/db
Tables:
      --schema NAME      schema of the tables (default public; must exist)
      --ratings-table NAME   (default ratings)
      --movies-table NAME    (default movies)
      --append           add to existing tables (created when missing); movies whose
                         movie_id is already present are kept, not duplicated
      --drop             drop existing tables first (in the same transaction)
Input:
      --layout NAME      ml-100k, ml-1m, ml-10m or csv instead of detecting it
      --encoding NAME    latin1 or utf8: encoding of titles and genres (default: Latin-1
                         for ml-100k and ml-1m, UTF-8 otherwise)
      --dry-run          read and check the files, do not connect
Output:
      --format NAME      binary (default) or text COPY format; text lets the server
                         convert into existing columns of other types with --append
  -q, --quiet            no progress, no summary
  -h, --help             this text
      --version          the version

Without --append or --drop, existing tables are an error and nothing is changed.
Indexes (movies primary key, ratings(user_id)) are created after loading, on tables
this run created; then both tables are analyzed.

Exit status:
  0  loaded
  1  bad input: malformed or missing file (reported as FILE:LINE: what), bad option,
     tables that already exist; nothing was loaded
  2  connection failure or server error; nothing was loaded
  3  any other failure (out of memory); nothing was loaded
)";
}

namespace {

[[noreturn]] void bad(const std::string& what) {
    throw InputError(what + " (try --help)");
}

}  // namespace

Options parse_options(int argc, char** argv) {
    Options o;
    bool have_dir = false;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        std::string value;
        bool has_inline = false;
        if (arg.size() > 2 && arg.compare(0, 2, "--") == 0) {
            auto eq = arg.find('=');
            if (eq != std::string::npos) {
                value = arg.substr(eq + 1);
                arg = arg.substr(0, eq);
                has_inline = true;
            }
        }
        auto take = [&](const char* name) -> std::string {
            if (has_inline) {
                return value;
            }
            if (i + 1 >= argc) {
                bad(std::string("option ") + name + " needs a value");
            }
            return argv[++i];
        };
        auto flag = [&]() {
            if (has_inline) {
                bad("option " + arg + " takes no value");
            }
            return true;
        };
        if (arg == "-d" || arg == "--dsn") {
            o.dsn = take("--dsn");
        } else if (arg == "--schema") {
            o.schema = take("--schema");
        } else if (arg == "--ratings-table") {
            o.ratings_table = take("--ratings-table");
        } else if (arg == "--movies-table") {
            o.movies_table = take("--movies-table");
        } else if (arg == "--append") {
            o.append = flag();
        } else if (arg == "--drop") {
            o.drop = flag();
        } else if (arg == "--dry-run") {
            o.dry_run = flag();
        } else if (arg == "-q" || arg == "--quiet") {
            o.quiet = flag();
        } else if (arg == "-h" || arg == "--help") {
            o.help = flag();
        } else if (arg == "--version") {
            o.version = flag();
        } else if (arg == "--format") {
            std::string f = take("--format");
            if (f == "binary") {
                o.format = CopyFormat::Binary;
            } else if (f == "text") {
                o.format = CopyFormat::Text;
            } else {
                bad("--format must be binary or text, not '" + f + "'");
            }
        } else if (arg == "--layout") {
            o.layout = take("--layout");
        } else if (arg == "--encoding") {
            o.encoding = take("--encoding");
            if (o.encoding != "latin1" && o.encoding != "utf8") {
                bad("--encoding must be latin1 or utf8, not '" + o.encoding + "'");
            }
        } else if (arg.size() > 1 && arg[0] == '-') {
            bad("unknown option " + arg);
        } else if (have_dir) {
            bad("more than one directory given ('" + o.dir + "' and '" + arg + "')");
        } else {
            o.dir = arg;
            have_dir = true;
        }
    }
    if (o.help || o.version) {
        return o;
    }
    if (!have_dir) {
        bad("no directory given");
    }
    if (o.append && o.drop) {
        bad("--append and --drop cannot be used together");
    }
    for (const std::string* name : {&o.schema, &o.ratings_table, &o.movies_table}) {
        if (name->empty()) {
            bad("table and schema names cannot be empty");
        }
    }
    if (o.ratings_table == o.movies_table) {
        bad("--ratings-table and --movies-table must differ");
    }
    return o;
}

}  // namespace movielens_load
