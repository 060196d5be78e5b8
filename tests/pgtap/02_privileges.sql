-- 02_privileges.sql -- what PUBLIC may do (read the catalog, call recommend_movies) and may not
-- do (write the catalog, train, load demo data), and that training and serving read the ratings
-- with the caller's rights: no privilege, column privilege or row-level security policy is
-- bypassed, and EXECUTE on train_movie_clusters alone grants nothing.
--
-- The test roles are created inside the transaction, so the final ROLLBACK removes them.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(62);

CREATE ROLE movie_recs_t_nobody NOLOGIN;   -- only what PUBLIC has
CREATE ROLE movie_recs_t_reader NOLOGIN;   -- PUBLIC + SELECT on the ratings table
CREATE ROLE movie_recs_t_etl NOLOGIN;      -- the grants the extension script documents for training
CREATE ROLE movie_recs_t_execonly NOLOGIN; -- EXECUTE on train_movie_clusters + SELECT on ratings only

-- Data and a model, as the superuser.
CREATE TEMP TABLE demo AS
    SELECT * FROM movie_recs.load_demo_data(users => 80, movies => 50, seed => 5);
CREATE TEMP TABLE first_model AS
    SELECT * FROM train_movie_clusters('public.ratings', k => 3);
CREATE TEMP TABLE su_recs AS
    SELECT u AS user_id, r.* FROM unnest(ARRAY[1, 2, 40, 80, 1000000]::bigint[]) u,
                                  LATERAL recommend_movies(u, 8) r;
CREATE TEMP TABLE su_counts AS
    SELECT 'models' AS t, count(*) AS n FROM movie_recs.models
    UNION ALL SELECT 'centroids', count(*) FROM movie_recs.centroids
    UNION ALL SELECT 'assignments', count(*) FROM movie_recs.assignments
    UNION ALL SELECT 'cluster_movies', count(*) FROM movie_recs.cluster_movies
    UNION ALL SELECT 'popular_movies', count(*) FROM movie_recs.popular_movies;
-- The roles must read these temp tables to compare.
GRANT SELECT ON first_model, su_recs, su_counts TO PUBLIC;

SELECT is((SELECT count(*) FROM su_recs), 40::bigint,
          'superuser: 8 recommendations for each of 5 users');
SELECT cmp_ok((SELECT min(n) FROM su_counts), '>', 0::bigint,
              'superuser: every catalog table has rows of the first model');

-- ---------------------------------------------------------------------------------------------
-- The ACLs: what PUBLIC is granted on the extension's objects, exactly
-- ---------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT 'schema movie_recs', a.privilege_type
        FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
       WHERE n.nspname = 'movie_recs' AND a.grantee = 0
      UNION ALL
      SELECT c.oid::regclass::text, a.privilege_type
        FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
       WHERE c.relnamespace = 'movie_recs'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
         AND a.grantee = 0
      UNION ALL
      SELECT p.oid::regprocedure::text, a.privilege_type
        FROM pg_proc p
        JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                        AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                        AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs'),
             aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
       WHERE a.grantee = 0$$,
    $$VALUES ('schema movie_recs', 'USAGE'),
             ('movie_recs.models', 'SELECT'), ('movie_recs.centroids', 'SELECT'),
             ('movie_recs.assignments', 'SELECT'), ('movie_recs.cluster_movies', 'SELECT'),
             ('movie_recs.popular_movies', 'SELECT'), ('movie_recs.cluster_top_movies', 'SELECT'),
             ('recommend_movies(bigint,integer)', 'EXECUTE'),
             ('movie_recs.user_cluster(bigint)', 'EXECUTE')$$,
    'PUBLIC is granted exactly USAGE on movie_recs, SELECT on the catalog tables and view, and EXECUTE on recommend_movies and user_cluster');

SELECT schema_privs_are('movie_recs', 'movie_recs_t_nobody', ARRAY['USAGE'],
                        'a role without grants has USAGE but not CREATE on schema movie_recs');
SELECT table_privs_are('movie_recs', t, 'movie_recs_t_nobody', ARRAY['SELECT'],
                       format('a role without grants may only SELECT movie_recs.%s', t))
  FROM unnest(ARRAY['models', 'centroids', 'assignments', 'cluster_movies', 'popular_movies']) t;
SELECT function_privs_are('public', 'recommend_movies', ARRAY['bigint', 'integer'],
                          'movie_recs_t_nobody', ARRAY['EXECUTE'],
                          'a role without grants may execute recommend_movies');
SELECT function_privs_are('public', 'train_movie_clusters',
                          ARRAY['regclass', 'integer', 'name', 'name', 'name', 'integer', 'double precision', 'bigint'],
                          'movie_recs_t_nobody', ARRAY[]::name[],
                          'a role without grants may not execute train_movie_clusters');
SELECT function_privs_are('movie_recs', 'load_demo_data', ARRAY['integer', 'integer', 'bigint', 'boolean', 'name'],
                          'movie_recs_t_nobody', ARRAY[]::name[],
                          'a role without grants may not execute load_demo_data');
SELECT function_privs_are('movie_recs', 'load_demo_data_into', ARRAY['integer', 'integer', 'bigint', 'boolean', 'name'],
                          'movie_recs_t_nobody', ARRAY[]::name[],
                          'a role without grants may not execute load_demo_data_into');
SELECT function_privs_are('movie_recs', 'demo_ratings', ARRAY['integer', 'integer', 'bigint'],
                          'movie_recs_t_nobody', ARRAY[]::name[],
                          'a role without grants may not execute demo_ratings');
SELECT function_privs_are('movie_recs', 'demo_movies', ARRAY['integer', 'bigint'],
                          'movie_recs_t_nobody', ARRAY[]::name[],
                          'a role without grants may not execute demo_movies');

-- ---------------------------------------------------------------------------------------------
-- A role with only PUBLIC's privileges
-- ---------------------------------------------------------------------------------------------
SET LOCAL ROLE movie_recs_t_nobody;

SELECT results_eq(
    $$SELECT 'models' AS t, count(*) AS n FROM movie_recs.models
      UNION ALL SELECT 'centroids', count(*) FROM movie_recs.centroids
      UNION ALL SELECT 'assignments', count(*) FROM movie_recs.assignments
      UNION ALL SELECT 'cluster_movies', count(*) FROM movie_recs.cluster_movies
      UNION ALL SELECT 'popular_movies', count(*) FROM movie_recs.popular_movies$$,
    'SELECT t, n FROM su_counts',
    'PUBLIC reads every catalog table in full');

-- recommend_movies is executable, but the movies a user has seen come from the source table,
-- read with the caller's rights: without SELECT on it nothing is returned.
SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', '42501', NULL,
                 'PUBLIC cannot get recommendations without SELECT on the ratings table (42501)');
SELECT throws_ok('SELECT * FROM recommend_movies(1000000, 5)', '42501', NULL,
                 'not even for an unknown user (42501)');

-- Writing the catalog: every statement kind on every table.
SELECT throws_ok(format(s.stmt, t.name, t.col), '42501', NULL,
                 format('PUBLIC cannot %s movie_recs.%s (42501)', s.kind, t.name))
  FROM (VALUES ('INSERT', $$INSERT INTO movie_recs.%I DEFAULT VALUES$$),
               ('UPDATE', $$UPDATE movie_recs.%I SET %I = %2$I$$),
               ('DELETE', $$DELETE FROM movie_recs.%I$$),
               ('TRUNCATE', $$TRUNCATE movie_recs.%I CASCADE$$)) AS s(kind, stmt),
       (VALUES (1, 'models', 'k'), (2, 'centroids', 'size'), (3, 'assignments', 'distance'),
               (4, 'cluster_movies', 'score'), (5, 'popular_movies', 'score')) AS t(ord, name, col)
 ORDER BY t.ord, s.kind;
SELECT throws_ok('UPDATE movie_recs.models SET active = false', '42501', NULL,
                 'PUBLIC cannot deactivate the model (42501)');
SELECT throws_ok('CREATE TABLE movie_recs.intruder (x int)', '42501', NULL,
                 'PUBLIC cannot create objects in schema movie_recs (42501)');

SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings', k => 2)$$, '42501', NULL,
                 'PUBLIC cannot execute train_movie_clusters (42501)');
SELECT throws_ok($$SELECT * FROM movie_recs.load_demo_data(users => 10, movies => 10, target_schema => 'public')$$,
                 '42501', NULL, 'PUBLIC cannot execute load_demo_data (42501)');
SELECT throws_ok('SELECT * FROM movie_recs.demo_ratings(10, 10, 1)', '42501', NULL,
                 'PUBLIC cannot execute demo_ratings (42501)');
RESET ROLE;

SELECT results_eq('SELECT t, n FROM su_counts ORDER BY t',
                  $$SELECT 'assignments', count(*) FROM movie_recs.assignments
                    UNION ALL SELECT 'centroids', count(*) FROM movie_recs.centroids
                    UNION ALL SELECT 'cluster_movies', count(*) FROM movie_recs.cluster_movies
                    UNION ALL SELECT 'models', count(*) FROM movie_recs.models
                    UNION ALL SELECT 'popular_movies', count(*) FROM movie_recs.popular_movies$$,
                  'the catalog is unchanged after the refused statements');

-- ---------------------------------------------------------------------------------------------
-- A role with SELECT on the ratings table gets the same recommendations as the superuser
-- ---------------------------------------------------------------------------------------------
GRANT SELECT ON public.ratings TO movie_recs_t_reader;
SET LOCAL ROLE movie_recs_t_reader;
SELECT results_eq(
    $$SELECT u AS user_id, r.* FROM unnest(ARRAY[1, 2, 40, 80, 1000000]::bigint[]) u,
                                    LATERAL recommend_movies(u, 8) r$$,
    'SELECT * FROM su_recs',
    'a role with SELECT on the ratings table gets the superuser''s recommendations');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings', k => 2)$$, '42501', NULL,
                 'SELECT on the ratings table does not allow training (42501)');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- EXECUTE on train_movie_clusters alone: the catalog is written with the caller's rights
-- ---------------------------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION train_movie_clusters(regclass, integer, name, name, name, integer,
                                               double precision, bigint) TO movie_recs_t_execonly;
GRANT SELECT ON public.ratings TO movie_recs_t_execonly;
SET LOCAL ROLE movie_recs_t_execonly;
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings', k => 2)$$, '42501', NULL,
                 'EXECUTE without catalog privileges cannot train (42501 writing the catalog)');
RESET ROLE;
SELECT results_eq('SELECT model_id FROM movie_recs.models',
                  'SELECT model_id FROM first_model',
                  'the refused training left no model behind');

-- ---------------------------------------------------------------------------------------------
-- The documented training grants, but no SELECT on the ratings to train on
-- ---------------------------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION train_movie_clusters(regclass, integer, name, name, name, integer,
                                               double precision, bigint) TO movie_recs_t_etl;
GRANT SELECT, INSERT, UPDATE ON movie_recs.models TO movie_recs_t_etl;
GRANT SELECT, INSERT ON movie_recs.centroids, movie_recs.assignments,
                        movie_recs.cluster_movies, movie_recs.popular_movies TO movie_recs_t_etl;

CREATE TABLE public.secret_ratings AS SELECT * FROM public.ratings;
CREATE TABLE public.rls_ratings AS SELECT * FROM public.ratings;
ALTER TABLE public.rls_ratings ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_first_users ON public.rls_ratings FOR SELECT TO movie_recs_t_etl
    USING (user_id <= 20);
GRANT SELECT ON public.rls_ratings TO movie_recs_t_etl;

SET LOCAL ROLE movie_recs_t_etl;
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2)$$,
                 '42501', 'permission denied for table secret_ratings',
                 'training on a table the caller cannot read fails with 42501 (no data leak)');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2, rating_column => NULL)$$,
                 '42501', 'permission denied for table secret_ratings',
                 'implicit-feedback training on a table the caller cannot read fails with 42501');
RESET ROLE;
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active',
                  'SELECT model_id FROM first_model',
                  'after the refused trainings the first model is still the active one');
SELECT is((SELECT count(*) FROM movie_recs.models), 1::bigint,
          'after the refused trainings there is still one model');

-- Column privileges: user_id and movie_id only.
GRANT SELECT (user_id, movie_id) ON public.secret_ratings TO movie_recs_t_etl;
SET LOCAL ROLE movie_recs_t_etl;
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2)$$,
                 '42501', 'permission denied for table secret_ratings',
                 'training needs SELECT on the rating column too (42501)');
CREATE TEMP TABLE implicit_model AS
    SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2, rating_column => NULL);
RESET ROLE;
SELECT is((SELECT row(active, trained_by, rating_column IS NULL)::text FROM movie_recs.models
             WHERE model_id = (SELECT model_id FROM implicit_model)),
          '(t,movie_recs_t_etl,t)',
          'implicit-feedback training reads only the two granted columns; the model is active, trained_by the role, rating_column NULL');
SELECT is((SELECT users FROM implicit_model),
          (SELECT count(DISTINCT user_id) FROM public.secret_ratings),
          'the implicit-feedback model covers every user');

-- Full SELECT: the same role trains on secret_ratings.
GRANT SELECT ON public.secret_ratings TO movie_recs_t_etl;
SET LOCAL ROLE movie_recs_t_etl;
SELECT lives_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2)$$,
                'with SELECT on the table the same role trains');
RESET ROLE;
SELECT is((SELECT trained_by::text FROM movie_recs.models WHERE active), 'movie_recs_t_etl',
          'the new model is active and records the role that trained it');

-- Row-level security applies to training.
SET LOCAL ROLE movie_recs_t_etl;
CREATE TEMP TABLE rls_model AS
    SELECT * FROM train_movie_clusters('public.rls_ratings', k => 2);
RESET ROLE;
SELECT is((SELECT users FROM rls_model),
          (SELECT count(DISTINCT user_id) FROM public.rls_ratings WHERE user_id <= 20),
          'training under a row-level security policy sees only the permitted users');
SELECT is((SELECT ratings FROM rls_model),
          (SELECT count(*) FROM public.rls_ratings WHERE user_id <= 20),
          'training under a row-level security policy sees only the permitted ratings');
SELECT is_empty(
    $$SELECT user_id FROM movie_recs.assignments
       WHERE model_id = (SELECT model_id FROM rls_model) AND user_id > 20$$,
    'the model trained under row-level security has no assignment of a hidden user');
SELECT cmp_ok((SELECT count(DISTINCT user_id) FROM public.rls_ratings), '>',
              (SELECT users FROM rls_model),
              'the policy really hid users (the table has more)');

-- Serving reads the seen movies with the caller's rights too: the reader has no SELECT on
-- rls_ratings, the source of the now active model.
SET LOCAL ROLE movie_recs_t_reader;
SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', '42501', 'permission denied for table rls_ratings',
                 'recommend_movies reads the active model''s source with the caller''s rights (42501)');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
