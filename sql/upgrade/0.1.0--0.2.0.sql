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
LANGUAGE C STABLE ROWS 10;
-- Without SET search_path, unlike every other function: it is called once per request, and the
-- clause cost ~10% of a call. The function sets search_path = pg_catalog, pg_temp itself around
-- the queries it runs (src/pg/recommend.cpp); its direct reads do not depend on the path.
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

-- load_demo_data() refuses the catalog's schema as target_schema (a copy of the function in
-- sql/install/40_demo_data.sql).
CREATE OR REPLACE FUNCTION movie_recs.load_demo_data_into(
    p_users integer, p_movies integer, p_seed bigint, p_replace boolean, p_schema name)
RETURNS TABLE (users bigint, movies bigint, ratings bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    existing text;
    existing_count bigint;
BEGIN
    IF p_users IS NULL OR p_movies IS NULL OR p_seed IS NULL THEN
        RAISE EXCEPTION '% must not be null',
            CASE WHEN p_users IS NULL THEN 'users' WHEN p_movies IS NULL THEN 'movies' ELSE 'seed' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_replace IS NULL THEN
        RAISE EXCEPTION 'replace must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_schema IS NULL THEN
        RAISE EXCEPTION 'target_schema must not be null' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'current_schema() is null when no schema of the search_path exists; pass target_schema => ''public''.';
    END IF;
    IF p_schema = 'movie_recs' THEN
        RAISE EXCEPTION 'target_schema must not be movie_recs' USING ERRCODE = 'invalid_parameter_value',
            DETAIL = 'Schema movie_recs holds the extension''s catalog.',
            HINT = 'Load the demo data into another schema, e.g. target_schema => ''public''.';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = p_schema) THEN
        RAISE EXCEPTION 'schema "%" does not exist', p_schema USING ERRCODE = 'invalid_schema_name';
    END IF;

    SELECT pg_catalog.string_agg(pg_catalog.format('"%s.%s"', p_schema, c.relname), ' and '
                                 ORDER BY c.relname),
           pg_catalog.count(*)
      INTO existing, existing_count
      FROM pg_catalog.pg_class c
     WHERE c.relnamespace = (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = p_schema)
       AND c.relname IN ('ratings', 'movies');
    IF existing_count > 0 THEN
        IF NOT p_replace THEN
            RAISE EXCEPTION '% % already %', CASE WHEN existing_count = 1 THEN 'relation' ELSE 'relations' END,
                  existing, CASE WHEN existing_count = 1 THEN 'exists' ELSE 'exist' END
                USING ERRCODE = 'duplicate_table',
                DETAIL = pg_catalog.format('load_demo_data() creates tables ratings and movies in schema %s.', p_schema),
                HINT = 'To drop and recreate them, pass replace => true.';
        END IF;
        EXECUTE pg_catalog.format('DROP TABLE IF EXISTS %I.ratings, %I.movies', p_schema, p_schema);
    END IF;

    EXECUTE pg_catalog.format(
        'CREATE TABLE %I.ratings (user_id bigint NOT NULL, movie_id bigint NOT NULL,'
        ' rating real NOT NULL, rated_at timestamptz NOT NULL)', p_schema);
    EXECUTE pg_catalog.format(
        'CREATE TABLE %I.movies (movie_id bigint PRIMARY KEY, title text NOT NULL,'
        ' genres text NOT NULL)', p_schema);
    EXECUTE pg_catalog.format(
        'INSERT INTO %I.movies SELECT * FROM movie_recs.demo_movies($1, $2)', p_schema)
        USING p_movies, p_seed;
    EXECUTE pg_catalog.format(
        'INSERT INTO %I.ratings SELECT * FROM movie_recs.demo_ratings($1, $2, $3)', p_schema)
        USING p_users, p_movies, p_seed;
    EXECUTE pg_catalog.format('CREATE INDEX ON %I.ratings (user_id)', p_schema);
    EXECUTE pg_catalog.format('ANALYZE %I.ratings, %I.movies', p_schema, p_schema);

    RETURN QUERY EXECUTE pg_catalog.format(
        'SELECT (SELECT pg_catalog.count(DISTINCT user_id) FROM %I.ratings),'
        ' (SELECT pg_catalog.count(*) FROM %I.movies),'
        ' (SELECT pg_catalog.count(*) FROM %I.ratings)', p_schema, p_schema, p_schema);
END
$body$;
