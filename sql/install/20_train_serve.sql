-- ---------------------------------------------------------------------------------------------
-- Training and serving
-- ---------------------------------------------------------------------------------------------

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

CREATE FUNCTION @extschema@.recommend_movies(user_id bigint, n integer DEFAULT 10)
RETURNS TABLE (movie_id bigint, score double precision, rank integer, source text)
AS 'MODULE_PATHNAME', 'recommend_movies'
LANGUAGE C STABLE ROWS 10;
-- Without SET search_path, unlike every other function: it is called once per request, and the
-- clause cost ~10% of a call. The function sets search_path = pg_catalog, pg_temp itself around
-- the queries it runs (src/pg/recommend.cpp); its direct reads do not depend on the path.
COMMENT ON FUNCTION @extschema@.recommend_movies(bigint, integer) IS
    'Top n movies the user has not rated yet, from the active movie_recs model; source says how the user was placed: cluster (as trained), fold_in (from their current ratings), popular (no known rating)';

