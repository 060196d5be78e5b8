// The target tables: their columns, checks of existing tables, and the SQL that creates, fills,
// indexes and analyzes them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "copy_encoder.hpp"
#include "database.hpp"

namespace movielens_load {

struct ColumnSpec {
    const char* name;
    const char* type;  // as written in CREATE TABLE
    std::uint32_t type_oid;
};

// ratings(user_id bigint, movie_id bigint, rating real, rated_at timestamptz)
const std::vector<ColumnSpec>& ratings_columns();
// movies(movie_id bigint, title text, year integer, genres text[]); primary key added later
const std::vector<ColumnSpec>& movies_columns();

// One target table and what this run does with it.
struct Table {
    std::string schema, name;
    std::string sql_name;      // "schema"."name", quoted
    std::string display_name;  // schema.name, for messages
    const std::vector<ColumnSpec>* columns = nullptr;
    bool created = false;  // created by this run (so filled with FREEZE and indexed here)
};

enum class ExistingTable { Refuse, Append, Drop };

// Inside an open transaction: checks that schema exists, then creates the table, or with an
// existing one refuses (InputError), drops and recreates it, or checks that its columns can take
// the COPY rows (in binary format their types must match exactly).
Table prepare_table(Connection& db, const std::string& schema, const std::string& name,
                    const std::vector<ColumnSpec>& columns, ExistingTable existing,
                    CopyFormat format);

// "COPY table (columns) FROM STDIN (FORMAT ..., FREEZE when the table was created here)".
std::string copy_sql(const Table& t, CopyFormat format);

// "(col, col, ...)" of the table's columns, quoted.
std::string column_list(const Table& t);

}  // namespace movielens_load
