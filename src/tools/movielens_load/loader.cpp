// The load (see loader.hpp). One transaction:
//   BEGIN; [DROP]; CREATE TABLE (or check the existing ones with --append);
//   COPY movies; COPY ratings (FREEZE into tables created here);
//   ALTER TABLE movies ADD PRIMARY KEY; CREATE INDEX ON ratings (user_id)  -- new tables only
//   ANALYZE; COMMIT
// Every error before COMMIT leaves the database as it was.
#include "loader.hpp"

#include <chrono>
#include <cstdio>
#include <optional>

#include "copy_encoder.hpp"
#include "database.hpp"
#include "errors.hpp"
#include "input_file.hpp"
#include "layout.hpp"
#include "readers.hpp"
#include "tables.hpp"

namespace movielens_load {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// Bytes collected before one PQputCopyData call.
constexpr std::size_t kChunkBytes = 1 << 18;
// Rows between two progress updates.
constexpr std::uint64_t kProgressRows = 1 << 15;

// Where COPY data goes: the connection, or nowhere with --dry-run.
class CopyTarget {
public:
    explicit CopyTarget(Connection* db) : db_(db) {}
    void send(CopyEncoder& enc) {
        if (db_ != nullptr) {
            db_->copy_send(enc.data(), enc.size());
        }
        enc.clear();
    }

private:
    Connection* db_;
};

std::uint64_t stream_movies(MoviesReader& reader, CopyEncoder& enc, CopyTarget& target) {
    MovieRow row;
    std::uint64_t n = 0;
    enc.begin();
    while (reader.next(row)) {
        enc.add(row);
        ++n;
        if (enc.size() >= kChunkBytes) {
            target.send(enc);
        }
    }
    enc.end();
    target.send(enc);
    return n;
}

std::uint64_t stream_ratings(RatingsReader& reader, CopyEncoder& enc, CopyTarget& target,
                             Progress& progress) {
    RatingRow row;
    std::uint64_t n = 0;
    enc.begin();
    while (reader.next(row)) {
        enc.add(row);
        if (++n % kProgressRows == 0) {
            progress.update(n, reader.bytes_read());
        }
        if (enc.size() >= kChunkBytes) {
            target.send(enc);
        }
    }
    enc.end();
    target.send(enc);
    return n;
}

// Copies the movies into table: directly when this run created it, otherwise through a scratch
// table, adding only the movies not already present. Sets s.movies and s.movies_present.
void load_movies(Connection& db, const Table& table, MoviesReader& reader, CopyEncoder& enc,
                 LoadSummary& s) {
    CopyTarget target(&db);
    if (table.created) {
        db.copy_begin(copy_sql(table, enc.format()));
        s.movies = stream_movies(reader, enc, target);
        db.copy_end();
        return;
    }
    Table staging = table;
    staging.sql_name = "pg_temp.movielens_load_movies";
    db.exec("CREATE TEMPORARY TABLE " + staging.sql_name +
            " (movie_id bigint, title text, year integer, genres text[]) ON COMMIT DROP");
    db.copy_begin(copy_sql(staging, enc.format()));
    std::uint64_t read = stream_movies(reader, enc, target);
    db.copy_end();
    std::string cols = column_list(table);
    s.movies = db.exec_count("INSERT INTO " + table.sql_name + " " + cols + " SELECT " +
                             cols.substr(1, cols.size() - 2) + " FROM " + staging.sql_name +
                             " s WHERE NOT EXISTS (SELECT 1 FROM " + table.sql_name +
                             " m WHERE m.movie_id = s.movie_id)");
    s.movies_present = read - s.movies;
}

// After the data: the primary key and index of the tables this run created, then ANALYZE of
// both (inside the transaction: it sees the rows copied in it, and its statistics commit with
// them).
void finish_tables(Connection& db, const Table& movies, const Table& ratings, Progress& progress,
                   LoadSummary& s) {
    auto t = Clock::now();
    if (movies.created || ratings.created) {
        progress.note("creating the primary key and index");
    }
    if (movies.created) {
        db.exec("ALTER TABLE " + movies.sql_name + " ADD PRIMARY KEY (movie_id)");
    }
    if (ratings.created) {
        db.exec("CREATE INDEX ON " + ratings.sql_name + " (user_id)");
    }
    s.index_seconds = seconds_since(t);
    t = Clock::now();
    progress.note("analyzing");
    db.exec("ANALYZE " + ratings.sql_name + ", " + movies.sql_name);
    s.analyze_seconds = seconds_since(t);
}

std::string base_name(const std::string& path) {
    auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

LoadSummary run_load(const Options& o, Progress& progress) {
    const auto t0 = Clock::now();
    LoadSummary s;
    s.dry_run = o.dry_run;
    s.ratings_table = o.schema + "." + o.ratings_table;
    s.movies_table = o.schema + "." + o.movies_table;

    // Everything about the files is checked before connecting, as far as it can be without
    // reading them through.
    Layout layout = detect_layout(o.dir, o.layout);
    if (!o.encoding.empty()) {
        layout.text_encoding = o.encoding == "latin1" ? Encoding::Latin1 : Encoding::Utf8;
    }
    s.release = layout.release;
    InputFile movies_file(layout.movies_path);
    InputFile ratings_file(layout.ratings_path);
    std::optional<InputFile> genres_file;
    if (!layout.genres_path.empty()) {
        genres_file.emplace(layout.genres_path);
    }
    auto movies = make_movies_reader(layout.format, layout.text_encoding, movies_file,
                                     genres_file ? &*genres_file : nullptr);
    auto ratings = make_ratings_reader(layout.format, ratings_file);
    s.ratings_bytes = ratings->bytes_total();
    progress.note("reading a " + layout.release + " release from " + o.dir);

    std::optional<Connection> db;
    if (!o.dry_run) {
        db.emplace(o.dsn);
        progress.note("connected to " + db->describe());
        db->exec("BEGIN");
    }
    CopyTarget target(db ? &*db : nullptr);
    CopyEncoder enc(o.format, kChunkBytes + (1 << 16));

    // Movies first: the small file, so that its errors show before the long part.
    auto t = Clock::now();
    std::optional<Table> movies_table, ratings_table;
    if (db) {
        ExistingTable existing = o.append ? ExistingTable::Append
                                 : o.drop ? ExistingTable::Drop
                                          : ExistingTable::Refuse;
        movies_table =
            prepare_table(*db, o.schema, o.movies_table, movies_columns(), existing, o.format);
        ratings_table =
            prepare_table(*db, o.schema, o.ratings_table, ratings_columns(), existing, o.format);
        load_movies(*db, *movies_table, *movies, enc, s);
    } else {
        s.movies = stream_movies(*movies, enc, target);
    }
    s.movies_seconds = seconds_since(t);
    progress.note(base_name(layout.movies_path) + ": " +
                  std::to_string(s.movies + s.movies_present) + " movies" +
                  (s.movies_present
                       ? " (" + std::to_string(s.movies_present) + " already present, not added)"
                       : ""));

    if (db) {
        db->copy_begin(copy_sql(*ratings_table, o.format));
    }
    progress.start(base_name(layout.ratings_path), s.ratings_bytes);
    s.ratings = stream_ratings(*ratings, enc, target, progress);
    if (db) {
        db->copy_end();
    }
    s.ratings_seconds = progress.finish(s.ratings, s.ratings_bytes);

    if (db) {
        finish_tables(*db, *movies_table, *ratings_table, progress, s);
        db->exec("COMMIT");
    }
    s.total_seconds = seconds_since(t0);
    return s;
}

std::string describe(const LoadSummary& s) {
    char buf[512];
    double rate = s.ratings_seconds > 0 ? static_cast<double>(s.ratings) / s.ratings_seconds : 0;
    double total_rate = s.total_seconds > 0 ? static_cast<double>(s.ratings) / s.total_seconds : 0;
    double mbps =
        s.ratings_seconds > 0 ? static_cast<double>(s.ratings_bytes) / 1e6 / s.ratings_seconds : 0;
    if (s.dry_run) {
        std::snprintf(buf, sizeof buf,
                      "checked %llu ratings and %llu movies (%s release) in %.2f s: ratings at "
                      "%.0f rows/s, %.1f MB/s; nothing loaded (--dry-run)",
                      static_cast<unsigned long long>(s.ratings),
                      static_cast<unsigned long long>(s.movies), s.release.c_str(), s.total_seconds,
                      rate, mbps);
        return buf;
    }
    std::string present;
    if (s.movies_present > 0) {
        present = " (" + std::to_string(s.movies_present) + " movies already present)";
    }
    std::snprintf(buf, sizeof buf,
                  "loaded %llu ratings into %s and %llu movies into %s%s (%s release) in %.2f s "
                  "(%.0f ratings/s overall): copy %.2f s (%.0f rows/s, %.1f MB/s), "
                  "index %.2f s, analyze %.2f s",
                  static_cast<unsigned long long>(s.ratings), s.ratings_table.c_str(),
                  static_cast<unsigned long long>(s.movies), s.movies_table.c_str(),
                  present.c_str(), s.release.c_str(), s.total_seconds, total_rate,
                  s.ratings_seconds, rate, mbps, s.index_seconds, s.analyze_seconds);
    return buf;
}

}  // namespace movielens_load
