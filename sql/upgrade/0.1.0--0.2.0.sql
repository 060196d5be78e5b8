\echo Use "ALTER EXTENSION movie_recs UPDATE TO '0.2.0'" to load this file. \quit

-- movie_recs 0.1.0 -> 0.2.0. The Makefile appends the topic files that are new in 0.2.0
-- (sql/install/50_lifecycle.sql, 55_bi.sql, ...) and 90_privileges.sql to this file; here are
-- only the changes to objects 0.1.0 already had.

-- train_movie_clusters() gains activate and wait (the old signature is dropped: grants on it by
-- hand must be repeated; roles movie_recs_trainer and movie_recs_reader are the new way).
DROP FUNCTION @extschema@.train_movie_clusters(regclass, integer, name, name, name, integer,
                                                double precision, bigint);
-- The default of ratings_table is an expression evaluated at call time in the caller's
-- search_path ('ratings'::regclass would be resolved once, by CREATE EXTENSION).
CREATE FUNCTION @extschema@.train_movie_clusters(
    ratings_table  regclass DEFAULT 'ratings'::text::regclass,
    k              integer DEFAULT 20,
    user_column    name DEFAULT 'user_id',
    movie_column   name DEFAULT 'movie_id',
    rating_column  name DEFAULT 'rating',
    max_iterations integer DEFAULT 100,
    tolerance      double precision DEFAULT 1e-4,
    seed           bigint DEFAULT 42,
    activate       boolean DEFAULT true,
    wait           boolean DEFAULT false)
RETURNS TABLE (
    model_id      bigint,
    k             integer,
    iterations    integer,
    converged     boolean,
    inertia       double precision,
    users         bigint,
    movies        bigint,
    ratings       bigint,
    train_seconds double precision)
AS 'MODULE_PATHNAME', 'train_movie_clusters'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.train_movie_clusters(regclass, integer, name, name, name, integer,
                                                      double precision, bigint, boolean, boolean) IS
    'Clusters the users of a ratings table into k taste groups and makes the result the active movie_recs model (unless activate => false)';


-- assignments gain the fingerprint of each user's rated movies (fold-in when they changed); the
-- users of models trained by 0.1.0 have none (NULL: served from their stored assignment).
ALTER TABLE movie_recs.assignments ADD COLUMN fingerprint bigint;
COMMENT ON COLUMN movie_recs.assignments.fingerprint IS
    'Hash of the set of movies the user had rated at training; when the user''s rated movies differ at call time, recommend_movies() folds the user in again; NULL for models trained before 0.2.0 (their stored assignment is used)';

-- recommend_movies() gains the source column (a new return type: dropped and created again; the
-- privileges follow from 90_privileges.sql).
DROP FUNCTION @extschema@.recommend_movies(bigint, integer);
CREATE FUNCTION @extschema@.recommend_movies(user_id bigint, n integer DEFAULT 10)
RETURNS TABLE (movie_id bigint, score double precision, rank integer, source text)
AS 'MODULE_PATHNAME', 'recommend_movies'
LANGUAGE C STABLE ROWS 10
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.recommend_movies(bigint, integer) IS
    'Top n movies the user has not rated yet, from the active movie_recs model; source says how the user was placed: cluster (as trained), fold_in (from their current ratings), popular (no known rating)';

-- load_demo_data() refuses to run on a hot standby or in a read-only transaction, with a hint
-- (as every function that writes). Its check, movie_recs.require_writable(), is new in 0.2.0: it
-- is created here already, before 05_read_only.sql (appended below) creates it again.
CREATE OR REPLACE FUNCTION movie_recs.require_writable(function_name text)
RETURNS void
AS 'MODULE_PATHNAME', 'movie_recs_require_writable'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
CREATE OR REPLACE FUNCTION movie_recs.load_demo_data(
    users         integer DEFAULT 2000,
    movies        integer DEFAULT 1000,
    seed          bigint DEFAULT 42,
    replace       boolean DEFAULT false,
    target_schema name DEFAULT current_schema())
RETURNS TABLE (users bigint, movies bigint, ratings bigint)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT movie_recs.require_writable('movie_recs.load_demo_data()');
    SELECT * FROM movie_recs.load_demo_data_into(users, movies, seed, replace, target_schema)
$body$;
