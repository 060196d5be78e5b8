\echo Use "CREATE EXTENSION movie_recs" to load this file. \quit

-- movie_recs 0.2.0: in-database k-means movie recommendations.
--
-- Layout:
--   @extschema@ (the schema CREATE EXTENSION installs into, normally public):
--       train_movie_clusters(), recommend_movies(), the two user-facing functions, callable
--       unqualified with the default search_path.
--   movie_recs (created here): the model catalog, the model lifecycle functions, the views for
--       BI tools and the demo-data helpers.
-- Do not install the extension INTO schema movie_recs (checked below).
--
-- Privileges (90_privileges.sql): PUBLIC gets nothing. Roles movie_recs_reader (read the catalog,
-- recommend) and movie_recs_trainer (also train, activate, drop) are created when missing
-- (50_lifecycle.sql); roles are cluster-wide, so DROP EXTENSION leaves them behind. Every
-- function runs with the caller's rights: the ratings are always read as the caller.
--
-- Every function runs with search_path = pg_catalog, pg_temp; all names below are qualified.
-- recommend_movies() sets it itself around the queries it runs instead of a SET clause (20_train_serve.sql).

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

