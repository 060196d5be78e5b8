-- ---------------------------------------------------------------------------------------------
-- Hot standbys and read-only transactions (README "Scaling out")
-- ---------------------------------------------------------------------------------------------

-- Every function that changes models calls this first: on a hot standby (during recovery) or in
-- a read-only transaction it raises 25006 read_only_sql_transaction with a hint to run the
-- function on the primary. The read paths never call it. (CREATE OR REPLACE: the upgrade from
-- 0.1.0 creates it before this file, for load_demo_data().)
CREATE OR REPLACE FUNCTION movie_recs.require_writable(function_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'movie_recs_require_writable'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.require_writable(text) IS
    'Raises 25006 with a hint to use the primary when this server is a hot standby or the transaction is read-only';
