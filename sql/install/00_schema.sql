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

