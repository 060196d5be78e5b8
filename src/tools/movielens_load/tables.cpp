// The target tables (see tables.hpp).
#include "tables.hpp"

#include "errors.hpp"

namespace movielens_load {

const std::vector<ColumnSpec>& ratings_columns() {
    static const std::vector<ColumnSpec> cols{{"user_id", "bigint", 20},
                                              {"movie_id", "bigint", 20},
                                              {"rating", "real", 700},
                                              {"rated_at", "timestamptz", 1184}};
    return cols;
}

const std::vector<ColumnSpec>& movies_columns() {
    static const std::vector<ColumnSpec> cols{{"movie_id", "bigint", 20},
                                              {"title", "text", 25},
                                              {"year", "integer", 23},
                                              {"genres", "text[]", 1009}};
    return cols;
}

std::string column_list(const Table& t) {
    std::string out = "(";
    for (std::size_t i = 0; i < t.columns->size(); ++i) {
        out += (i ? ", " : "") + std::string((*t.columns)[i].name);
    }
    return out + ")";
}

std::string copy_sql(const Table& t, CopyFormat format) {
    std::string sql = "COPY " + t.sql_name + " " + column_list(t) + " FROM STDIN (FORMAT ";
    sql += format == CopyFormat::Binary ? "binary" : "text";
    if (t.created) {
        sql += ", FREEZE";  // allowed because the table was created in this transaction
    }
    return sql + ")";
}

namespace {

void create(Connection& db, Table& t) {
    std::string sql = "CREATE TABLE " + t.sql_name + " (";
    for (std::size_t i = 0; i < t.columns->size(); ++i) {
        const ColumnSpec& c = (*t.columns)[i];
        sql += (i ? ", " : "") + std::string(c.name) + " " + c.type;
    }
    db.exec(sql + ")");
    t.created = true;
}

// Checks that the existing table t has every column, of the exact type in binary format.
void check_columns(Connection& db, const Table& t, const std::string& oid, CopyFormat format) {
    Rows rows = db.query(
        "SELECT attname, atttypid::int8, pg_catalog.format_type(atttypid, atttypmod) "
        "FROM pg_catalog.pg_attribute WHERE attrelid = $1::oid AND attnum > 0 "
        "AND NOT attisdropped",
        {oid});
    for (const ColumnSpec& c : *t.columns) {
        const std::vector<std::string>* found = nullptr;
        for (const auto& r : rows) {
            if (r[0] == c.name) {
                found = &r;
            }
        }
        if (found == nullptr) {
            throw InputError("table " + t.display_name + " has no column " + c.name +
                             " (expected " + c.name + " " + c.type + ")");
        }
        if (format == CopyFormat::Binary && (*found)[1] != std::to_string(c.type_oid)) {
            throw InputError(std::string("column ") + c.name + " of table " + t.display_name +
                             " has type " + (*found)[2] + ", the binary COPY needs " + c.type +
                             " (use --format text to let the server convert)");
        }
    }
}

}  // namespace

Table prepare_table(Connection& db, const std::string& schema, const std::string& name,
                    const std::vector<ColumnSpec>& columns, ExistingTable existing,
                    CopyFormat format) {
    Table t;
    t.schema = schema;
    t.name = name;
    t.sql_name = db.quote_ident(schema) + "." + db.quote_ident(name);
    t.display_name = schema + "." + name;
    t.columns = &columns;

    if (db.query("SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1", {schema}).empty()) {
        throw InputError("schema " + schema + " does not exist (create it with CREATE SCHEMA)");
    }
    Rows rel = db.query(
        "SELECT c.oid::int8, c.relkind FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = $2",
        {schema, name});
    if (rel.empty()) {
        create(db, t);
        return t;
    }
    const std::string& kind = rel[0][1];
    bool is_table = kind == "r" || kind == "p";
    switch (existing) {
        case ExistingTable::Refuse:
            throw InputError((is_table ? "table " : "relation ") + t.display_name +
                             " already exists; use --append to add to it or --drop to replace "
                             "it");
        case ExistingTable::Drop:
            if (!is_table) {
                throw InputError(t.display_name + " exists and is not a table; not dropping it");
            }
            db.exec("DROP TABLE " + t.sql_name);
            create(db, t);
            return t;
        case ExistingTable::Append:
            if (!is_table) {
                throw InputError(t.display_name + " exists and is not a table");
            }
            check_columns(db, t, rel[0][0], format);
            return t;
    }
    return t;
}

}  // namespace movielens_load
