-- ---------------------------------------------------------------------------------------------
-- Demo data
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION movie_recs.demo_ratings(users integer, movies integer, seed bigint)
RETURNS TABLE (user_id bigint, movie_id bigint, rating real, rated_at timestamptz)
AS 'MODULE_PATHNAME', 'demo_ratings'
LANGUAGE C IMMUTABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.demo_ratings(integer, integer, bigint) IS
    'Deterministic MovieLens-shaped demo ratings with planted taste groups';

CREATE FUNCTION movie_recs.demo_movies(movies integer, seed bigint)
RETURNS TABLE (movie_id bigint, title text, genres text)
AS 'MODULE_PATHNAME', 'demo_movies'
LANGUAGE C IMMUTABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.demo_movies(integer, bigint) IS
    'Deterministic demo movies (invented titles) matching movie_recs.demo_ratings()';

-- The worker behind load_demo_data(). PL/pgSQL cannot give an input and an output parameter the
-- same name, so the user-facing function below is a SQL wrapper.
CREATE FUNCTION movie_recs.load_demo_data_into(
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

CREATE FUNCTION movie_recs.load_demo_data(
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
COMMENT ON FUNCTION movie_recs.load_demo_data(integer, integer, bigint, boolean, name) IS
    'Creates and fills demo tables ratings and movies (default: in the current schema)';

