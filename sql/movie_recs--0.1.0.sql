\echo Use "CREATE EXTENSION movie_recs" to load this file. \quit

-- movie_recs 0.1.0: in-database k-means movie recommendations.
--
-- Layout:
--   @extschema@ (the schema CREATE EXTENSION installs into, normally public):
--       train_movie_clusters(), recommend_movies(), the two user-facing functions, callable
--       unqualified with the default search_path.
--   movie_recs (created here): the model catalog and the demo-data helpers.
-- Do not install the extension INTO schema movie_recs (checked below).
--
-- Privileges (a later version adds roles):
--   PUBLIC may read the catalog and call recommend_movies(); it still needs SELECT on the
--   ratings table a model was trained on, because the movies a user has seen are read from it
--   with the caller's rights.
--   train_movie_clusters() and movie_recs.load_demo_data() write the catalog with the caller's
--   rights: they need a superuser, the extension owner, or explicit grants, e.g.
--     GRANT EXECUTE ON FUNCTION train_movie_clusters(regclass, integer, name, name, name,
--                                                    integer, double precision, bigint) TO etl;
--     GRANT SELECT, INSERT, UPDATE ON movie_recs.models TO etl;
--     GRANT SELECT, INSERT ON movie_recs.centroids, movie_recs.assignments,
--                             movie_recs.cluster_movies, movie_recs.popular_movies TO etl;
--   plus SELECT on the ratings table to train on.
--
-- Every function runs with search_path = pg_catalog, pg_temp; all names below are qualified.

DO $check$
BEGIN
    IF '@extschema@' = 'movie_recs' THEN
        RAISE EXCEPTION 'movie_recs cannot be installed into schema movie_recs'
            USING ERRCODE = 'invalid_schema_name',
                  DETAIL = 'Schema movie_recs is created by the extension for its catalog.',
                  HINT = 'Install it into another schema, e.g. CREATE EXTENSION movie_recs SCHEMA public.';
    END IF;
END
$check$;

CREATE SCHEMA movie_recs;
COMMENT ON SCHEMA movie_recs IS
    'movie_recs extension: catalog of trained recommendation models and demo-data helpers';

-- ---------------------------------------------------------------------------------------------
-- Catalog
-- ---------------------------------------------------------------------------------------------

CREATE TABLE movie_recs.models (
    model_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at        timestamptz NOT NULL DEFAULT now(),
    trained_by        name NOT NULL DEFAULT current_user,
    active            boolean NOT NULL DEFAULT false,
    source_schema     name NOT NULL,
    source_table      name NOT NULL,
    user_column       name NOT NULL,
    movie_column      name NOT NULL,
    rating_column     name,
    k                 integer NOT NULL,
    max_iterations    integer,
    tolerance         double precision,
    seed              bigint,
    user_vector       text,
    soft_clusters     integer,
    temperature       double precision,
    shrinkage         double precision,
    list_length       integer,
    threads           integer,
    iterations        integer,
    converged         boolean,
    inertia           double precision,
    users             bigint,
    movies            bigint,
    ratings           bigint,
    skipped_rows      bigint,
    duplicates_merged bigint,
    train_seconds     double precision
);
CREATE UNIQUE INDEX models_one_active ON movie_recs.models ((true)) WHERE active;

COMMENT ON TABLE movie_recs.models IS
    'One row per trained model (train_movie_clusters()); recommend_movies() serves the active one';
COMMENT ON COLUMN movie_recs.models.model_id IS 'Model identifier, referenced by the other catalog tables';
COMMENT ON COLUMN movie_recs.models.created_at IS 'Start of the transaction that trained the model';
COMMENT ON COLUMN movie_recs.models.trained_by IS 'Role that ran train_movie_clusters()';
COMMENT ON COLUMN movie_recs.models.active IS
    'True for the model recommend_movies() serves; at most one model is active, training a new one deactivates the old';
COMMENT ON COLUMN movie_recs.models.source_schema IS 'Schema of the ratings relation the model was trained on';
COMMENT ON COLUMN movie_recs.models.source_table IS
    'Ratings relation the model was trained on; recommend_movies() reads the movies a user has seen from it';
COMMENT ON COLUMN movie_recs.models.user_column IS 'Column of user ids in the source relation';
COMMENT ON COLUMN movie_recs.models.movie_column IS 'Column of movie ids in the source relation';
COMMENT ON COLUMN movie_recs.models.rating_column IS
    'Column of ratings in the source relation; NULL when every row counted as a rating of 1 (implicit feedback)';
COMMENT ON COLUMN movie_recs.models.k IS 'Number of clusters (taste groups)';
COMMENT ON COLUMN movie_recs.models.max_iterations IS 'Iteration cap of k-means';
COMMENT ON COLUMN movie_recs.models.tolerance IS
    'k-means stopped when the inertia improved by at most this fraction in one iteration';
COMMENT ON COLUMN movie_recs.models.seed IS 'Random seed of the k-means++ initialisation; same data and seed give the same model';
COMMENT ON COLUMN movie_recs.models.user_vector IS 'How a user''s ratings became the vector that was clustered';
COMMENT ON COLUMN movie_recs.models.soft_clusters IS 'Number of nearest clusters blended into each user''s recommendations';
COMMENT ON COLUMN movie_recs.models.temperature IS 'Softness of the blend of a user''s nearest clusters';
COMMENT ON COLUMN movie_recs.models.shrinkage IS
    'Pseudo-members pulling a small cluster''s movie scores towards overall popularity';
COMMENT ON COLUMN movie_recs.models.list_length IS 'Movies kept per cluster in cluster_movies and in popular_movies';
COMMENT ON COLUMN movie_recs.models.threads IS 'Threads used for training (setting movie_recs.max_threads)';
COMMENT ON COLUMN movie_recs.models.iterations IS 'k-means iterations run';
COMMENT ON COLUMN movie_recs.models.converged IS 'True when k-means stopped before max_iterations';
COMMENT ON COLUMN movie_recs.models.inertia IS 'Sum of squared distances of the users to their cluster centres (lower is tighter)';
COMMENT ON COLUMN movie_recs.models.users IS 'Distinct users trained on';
COMMENT ON COLUMN movie_recs.models.movies IS 'Distinct movies trained on';
COMMENT ON COLUMN movie_recs.models.ratings IS 'Distinct (user, movie) ratings trained on, after merging duplicates';
COMMENT ON COLUMN movie_recs.models.skipped_rows IS 'Source rows ignored because the user, movie or rating was NULL';
COMMENT ON COLUMN movie_recs.models.duplicates_merged IS
    'Source rows merged into another row of the same (user, movie) pair, which got their mean rating';
COMMENT ON COLUMN movie_recs.models.train_seconds IS 'Wall-clock seconds of the train_movie_clusters() call';

CREATE TABLE movie_recs.centroids (
    model_id     bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    cluster_id   integer NOT NULL,
    size         bigint NOT NULL,
    prior_weight double precision NOT NULL,
    movie_ids    bigint[] NOT NULL,
    weights      real[] NOT NULL,
    PRIMARY KEY (model_id, cluster_id)
);
COMMENT ON TABLE movie_recs.centroids IS
    'Cluster centres of each model, one row per cluster (taste group), stored sparsely';
COMMENT ON COLUMN movie_recs.centroids.cluster_id IS 'Cluster number, 1..k';
COMMENT ON COLUMN movie_recs.centroids.size IS 'Users assigned to the cluster';
COMMENT ON COLUMN movie_recs.centroids.prior_weight IS
    'Share of overall popularity in the cluster''s movie scores (large for small clusters)';
COMMENT ON COLUMN movie_recs.centroids.movie_ids IS
    'Movies with a non-zero centre coordinate, ascending; parallel to weights';
COMMENT ON COLUMN movie_recs.centroids.weights IS 'Centre coordinate of each movie in movie_ids';

CREATE TABLE movie_recs.assignments (
    model_id      bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    user_id       bigint NOT NULL,
    cluster_id    integer NOT NULL,
    distance      double precision NOT NULL,
    soft_clusters integer[] NOT NULL,
    soft_weights  real[] NOT NULL,
    PRIMARY KEY (model_id, user_id)
);
COMMENT ON TABLE movie_recs.assignments IS 'The cluster of every user a model was trained on';
COMMENT ON COLUMN movie_recs.assignments.user_id IS 'User id from the source relation';
COMMENT ON COLUMN movie_recs.assignments.cluster_id IS 'The user''s nearest cluster, 1..k';
COMMENT ON COLUMN movie_recs.assignments.distance IS 'Euclidean distance of the user''s vector to that cluster''s centre';
COMMENT ON COLUMN movie_recs.assignments.soft_clusters IS
    'The user''s nearest clusters, nearest first; recommendations blend their movie lists';
COMMENT ON COLUMN movie_recs.assignments.soft_weights IS 'Weight of each cluster in soft_clusters, summing to 1';

CREATE TABLE movie_recs.cluster_movies (
    model_id   bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    cluster_id integer NOT NULL,
    rank       integer NOT NULL,
    movie_id   bigint NOT NULL,
    score      double precision NOT NULL,
    PRIMARY KEY (model_id, cluster_id, rank)
);
COMMENT ON TABLE movie_recs.cluster_movies IS 'The best movies of each cluster, best first';
COMMENT ON COLUMN movie_recs.cluster_movies.cluster_id IS 'Cluster number, 1..k';
COMMENT ON COLUMN movie_recs.cluster_movies.rank IS 'Position in the cluster''s list, 1 = best';
COMMENT ON COLUMN movie_recs.cluster_movies.score IS
    'Share of the cluster''s users who rated the movie, shrunk towards overall popularity';

CREATE TABLE movie_recs.popular_movies (
    model_id bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    rank     integer NOT NULL,
    movie_id bigint NOT NULL,
    score    double precision NOT NULL,
    PRIMARY KEY (model_id, rank)
);
COMMENT ON TABLE movie_recs.popular_movies IS
    'The most popular movies of each model; recommended to users the model does not know';
COMMENT ON COLUMN movie_recs.popular_movies.rank IS 'Position in the list, 1 = most popular';
COMMENT ON COLUMN movie_recs.popular_movies.score IS 'Share of all users who rated the movie';

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
    seed           bigint DEFAULT 42)
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
                                                      double precision, bigint) IS
    'Clusters the users of a ratings table into k taste groups and makes the result the active movie_recs model';

CREATE FUNCTION @extschema@.recommend_movies(user_id bigint, n integer DEFAULT 10)
RETURNS TABLE (movie_id bigint, score double precision, rank integer)
AS 'MODULE_PATHNAME', 'recommend_movies'
LANGUAGE C STABLE ROWS 10
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.recommend_movies(bigint, integer) IS
    'Top n movies the user has not rated yet, from the active movie_recs model (most popular movies for unknown users)';

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
    SELECT * FROM movie_recs.load_demo_data_into(users, movies, seed, replace, target_schema)
$body$;
COMMENT ON FUNCTION movie_recs.load_demo_data(integer, integer, bigint, boolean, name) IS
    'Creates and fills demo tables ratings and movies (default: in the current schema)';

-- ---------------------------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.train_movie_clusters(regclass, integer, name, name, name, integer,
                                                         double precision, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recommend_movies(bigint, integer) FROM PUBLIC;

GRANT USAGE ON SCHEMA movie_recs TO PUBLIC;
GRANT SELECT ON movie_recs.models, movie_recs.centroids, movie_recs.assignments,
                movie_recs.cluster_movies, movie_recs.popular_movies TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_movies(bigint, integer) TO PUBLIC;
