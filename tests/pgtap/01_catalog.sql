-- 01_catalog.sql -- the objects CREATE EXTENSION movie_recs installs: schema, catalog tables and
-- their keys, the one-active-model index, function signatures, search_path settings and
-- extension membership.
\set ON_ERROR_STOP 1
\pset format unaligned
\pset tuples_only true
\pset pager off

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(101);

-- ---------------------------------------------------------------------------------------------
-- Schema and tables
-- ---------------------------------------------------------------------------------------------
SELECT has_extension('movie_recs', 'extension movie_recs is installed');
SELECT has_schema('movie_recs', 'schema movie_recs exists');
SELECT is((SELECT n.nspname::text FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
            WHERE e.extname = 'movie_recs'),
          'public', 'the extension is installed into schema public');

SELECT has_table('movie_recs', 'models', 'table movie_recs.models exists');
SELECT has_table('movie_recs', 'centroids', 'table movie_recs.centroids exists');
SELECT has_table('movie_recs', 'assignments', 'table movie_recs.assignments exists');
SELECT has_table('movie_recs', 'cluster_movies', 'table movie_recs.cluster_movies exists');
SELECT has_table('movie_recs', 'popular_movies', 'table movie_recs.popular_movies exists');
SELECT tables_are('movie_recs',
                  ARRAY['models', 'centroids', 'assignments', 'cluster_movies', 'popular_movies',
                        'activations'],
                  'schema movie_recs holds exactly the six catalog tables');
SELECT views_are('movie_recs',
                 ARRAY['model_versions', 'running_trainings', 'user_clusters', 'cluster_top_movies',
                       'cluster_summary'],
                 'schema movie_recs holds exactly the five views');

-- ---------------------------------------------------------------------------------------------
-- Key columns and their types
-- ---------------------------------------------------------------------------------------------
SELECT has_column('movie_recs', 'models', 'model_id', 'models.model_id exists');
SELECT col_type_is('movie_recs', 'models', 'model_id', 'bigint', 'models.model_id is bigint');
SELECT has_column('movie_recs', 'models', 'active', 'models.active exists');
SELECT col_type_is('movie_recs', 'models', 'active', 'boolean', 'models.active is boolean');
SELECT col_not_null('movie_recs', 'models', 'active', 'models.active is NOT NULL');
SELECT col_default_is('movie_recs', 'models', 'active', 'false', 'models.active defaults to false');
SELECT col_type_is('movie_recs', 'models', 'k', 'integer', 'models.k is integer');
SELECT col_type_is('movie_recs', 'models', 'source_table', 'name', 'models.source_table is name');

SELECT has_column('movie_recs', 'centroids', 'movie_ids', 'centroids.movie_ids exists');
SELECT col_type_is('movie_recs', 'centroids', 'movie_ids', 'bigint[]', 'centroids.movie_ids is bigint[]');
SELECT has_column('movie_recs', 'centroids', 'weights', 'centroids.weights exists');
SELECT col_type_is('movie_recs', 'centroids', 'weights', 'real[]', 'centroids.weights is real[]');
SELECT col_type_is('movie_recs', 'centroids', 'cluster_id', 'integer', 'centroids.cluster_id is integer');

SELECT has_column('movie_recs', 'assignments', 'user_id', 'assignments.user_id exists');
SELECT col_type_is('movie_recs', 'assignments', 'user_id', 'bigint', 'assignments.user_id is bigint');
SELECT has_column('movie_recs', 'assignments', 'cluster_id', 'assignments.cluster_id exists');
SELECT col_type_is('movie_recs', 'assignments', 'cluster_id', 'integer', 'assignments.cluster_id is integer');
SELECT has_column('movie_recs', 'assignments', 'distance', 'assignments.distance exists');
SELECT col_type_is('movie_recs', 'assignments', 'distance', 'double precision',
                   'assignments.distance is double precision');

SELECT has_column('movie_recs', 'cluster_movies', 'rank', 'cluster_movies.rank exists');
SELECT col_type_is('movie_recs', 'cluster_movies', 'rank', 'integer', 'cluster_movies.rank is integer');
SELECT has_column('movie_recs', 'cluster_movies', 'movie_id', 'cluster_movies.movie_id exists');
SELECT col_type_is('movie_recs', 'cluster_movies', 'movie_id', 'bigint', 'cluster_movies.movie_id is bigint');
SELECT has_column('movie_recs', 'cluster_movies', 'score', 'cluster_movies.score exists');
SELECT col_type_is('movie_recs', 'cluster_movies', 'score', 'double precision',
                   'cluster_movies.score is double precision');

SELECT col_type_is('movie_recs', 'popular_movies', 'rank', 'integer', 'popular_movies.rank is integer');
SELECT col_type_is('movie_recs', 'popular_movies', 'movie_id', 'bigint', 'popular_movies.movie_id is bigint');
SELECT col_type_is('movie_recs', 'popular_movies', 'score', 'double precision',
                   'popular_movies.score is double precision');

-- ---------------------------------------------------------------------------------------------
-- Primary and foreign keys
-- ---------------------------------------------------------------------------------------------
SELECT col_is_pk('movie_recs', 'models', 'model_id', 'models: primary key (model_id)');
SELECT col_is_pk('movie_recs', 'centroids', ARRAY['model_id', 'cluster_id'],
                 'centroids: primary key (model_id, cluster_id)');
SELECT col_is_pk('movie_recs', 'assignments', ARRAY['model_id', 'user_id'],
                 'assignments: primary key (model_id, user_id)');
SELECT col_is_pk('movie_recs', 'cluster_movies', ARRAY['model_id', 'cluster_id', 'rank'],
                 'cluster_movies: primary key (model_id, cluster_id, rank)');
SELECT col_is_pk('movie_recs', 'popular_movies', ARRAY['model_id', 'rank'],
                 'popular_movies: primary key (model_id, rank)');

SELECT fk_ok('movie_recs', 'centroids', 'model_id', 'movie_recs', 'models', 'model_id',
             'centroids.model_id references models');
SELECT fk_ok('movie_recs', 'assignments', 'model_id', 'movie_recs', 'models', 'model_id',
             'assignments.model_id references models');
SELECT fk_ok('movie_recs', 'cluster_movies', 'model_id', 'movie_recs', 'models', 'model_id',
             'cluster_movies.model_id references models');
SELECT fk_ok('movie_recs', 'popular_movies', 'model_id', 'movie_recs', 'models', 'model_id',
             'popular_movies.model_id references models');
SELECT set_eq(
    $$SELECT conrelid::regclass::text, confdeltype::text FROM pg_constraint
       WHERE contype = 'f' AND confrelid = 'movie_recs.models'::regclass$$,
    $$VALUES ('movie_recs.centroids', 'c'), ('movie_recs.assignments', 'c'),
             ('movie_recs.cluster_movies', 'c'), ('movie_recs.popular_movies', 'c')$$,
    'exactly the four child tables reference models, all ON DELETE CASCADE');

-- The keys really reject bad rows.
SELECT throws_ok(
    $$INSERT INTO movie_recs.centroids (model_id, cluster_id, size, prior_weight, movie_ids, weights)
      VALUES (-1, 1, 0, 0, '{}', '{}')$$,
    '23503', NULL, 'a centroid of a model that does not exist is rejected (23503)');
SELECT throws_ok(
    $$INSERT INTO movie_recs.popular_movies (model_id, rank, movie_id, score) VALUES (-1, 1, 1, 0)$$,
    '23503', NULL, 'a popular movie of a model that does not exist is rejected (23503)');

-- ---------------------------------------------------------------------------------------------
-- One active model: a unique partial index on models
-- ---------------------------------------------------------------------------------------------
SELECT has_index('movie_recs', 'models', 'models_one_active', 'index models_one_active exists');
SELECT index_is_unique('movie_recs', 'models', 'models_one_active', 'models_one_active is unique');
SELECT is((SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i
            WHERE i.indexrelid = 'movie_recs.models_one_active'::regclass),
          'active', 'models_one_active is partial: WHERE active');

-- Two trainings on a tiny table: the second deactivates the first.
CREATE TABLE public.tiny_ratings (user_id bigint, movie_id bigint, rating real);
INSERT INTO public.tiny_ratings
SELECT u, m, 1 + ((u * 7 + m * 3) % 5)
  FROM generate_series(1, 12) u, generate_series(1, 8) m
 WHERE (u + m) % 3 <> 0;

CREATE TEMP TABLE trained (seq int, model_id bigint);
INSERT INTO trained SELECT 1, model_id FROM train_movie_clusters('tiny_ratings', k => 2);
INSERT INTO trained SELECT 2, model_id FROM train_movie_clusters('tiny_ratings', k => 3, seed => 7);

SELECT is((SELECT count(*) FROM movie_recs.models), 2::bigint, 'two trainings: two models');
SELECT results_eq(
    'SELECT model_id FROM movie_recs.models WHERE active',
    'SELECT model_id FROM trained WHERE seq = 2',
    'only the second (newest) model is active');
SELECT throws_ok(
    'UPDATE movie_recs.models SET active = true WHERE model_id = (SELECT model_id FROM trained WHERE seq = 1)',
    '23505', NULL, 'activating a second model violates models_one_active (23505)');
SELECT throws_ok(
    $$INSERT INTO movie_recs.models (active, source_schema, source_table, user_column, movie_column, k)
      VALUES (true, 'public', 'tiny_ratings', 'user_id', 'movie_id', 2)$$,
    '23505', NULL, 'inserting a second active model violates models_one_active (23505)');
SELECT lives_ok(
    $$INSERT INTO movie_recs.models (active, source_schema, source_table, user_column, movie_column, k)
      VALUES (false, 'public', 'tiny_ratings', 'user_id', 'movie_id', 2),
             (false, 'public', 'tiny_ratings', 'user_id', 'movie_id', 2)$$,
    'any number of inactive models is allowed');
-- The index is not deferrable: switching the active model takes two statements, as training
-- does (deactivate, then activate).
SELECT lives_ok(
    $$UPDATE movie_recs.models SET active = false WHERE active;
      UPDATE movie_recs.models SET active = true WHERE model_id = (SELECT model_id FROM trained WHERE seq = 1)$$,
    'deactivating, then activating another model is allowed');
SELECT results_eq(
    'SELECT model_id FROM movie_recs.models WHERE active',
    'SELECT model_id FROM trained WHERE seq = 1',
    'after the switch the first model is the only active one');

-- ON DELETE CASCADE really removes a model's rows.
SELECT cmp_ok((SELECT count(*) FROM movie_recs.assignments
                WHERE model_id = (SELECT model_id FROM trained WHERE seq = 2)), '>', 0::bigint,
              'the second model has assignments');
DELETE FROM movie_recs.models WHERE model_id = (SELECT model_id FROM trained WHERE seq = 2);
SELECT is_empty(
    $$SELECT model_id FROM movie_recs.centroids WHERE model_id = (SELECT model_id FROM trained WHERE seq = 2)
      UNION ALL SELECT model_id FROM movie_recs.assignments WHERE model_id = (SELECT model_id FROM trained WHERE seq = 2)
      UNION ALL SELECT model_id FROM movie_recs.cluster_movies WHERE model_id = (SELECT model_id FROM trained WHERE seq = 2)
      UNION ALL SELECT model_id FROM movie_recs.popular_movies WHERE model_id = (SELECT model_id FROM trained WHERE seq = 2)$$,
    'deleting a model deletes its centroids, assignments, cluster_movies and popular_movies');

-- ---------------------------------------------------------------------------------------------
-- Functions: signatures, schemas, return types
-- ---------------------------------------------------------------------------------------------
SELECT has_function('public', 'train_movie_clusters',
                    ARRAY['regclass', 'integer', 'name', 'name', 'name', 'integer', 'double precision', 'bigint', 'boolean', 'boolean'],
                    'public.train_movie_clusters(regclass, integer, name, name, name, integer, double precision, bigint, boolean, boolean) exists');
SELECT function_returns('public', 'train_movie_clusters',
                        ARRAY['regclass', 'integer', 'name', 'name', 'name', 'integer', 'double precision', 'bigint', 'boolean', 'boolean'],
                        'setof record', 'train_movie_clusters returns setof record');
SELECT is(pg_get_function_result('public.train_movie_clusters(regclass, integer, name, name, name, integer, double precision, bigint, boolean, boolean)'::regprocedure),
          'TABLE(model_id bigint, k integer, iterations integer, converged boolean, inertia double precision, users bigint, movies bigint, ratings bigint, train_seconds double precision)',
          'train_movie_clusters returns TABLE(model_id, k, iterations, converged, inertia, users, movies, ratings, train_seconds)');
SELECT is(pg_get_function_arguments('public.train_movie_clusters(regclass, integer, name, name, name, integer, double precision, bigint, boolean, boolean)'::regprocedure),
          $$ratings_table regclass DEFAULT ('ratings'::text)::regclass, k integer DEFAULT 20, user_column name DEFAULT 'user_id'::name, movie_column name DEFAULT 'movie_id'::name, rating_column name DEFAULT 'rating'::name, max_iterations integer DEFAULT 100, tolerance double precision DEFAULT 0.0001, seed bigint DEFAULT 42, activate boolean DEFAULT true, wait boolean DEFAULT false$$,
          'train_movie_clusters argument names and defaults');
SELECT volatility_is('public', 'train_movie_clusters',
                     ARRAY['regclass', 'integer', 'name', 'name', 'name', 'integer', 'double precision', 'bigint', 'boolean', 'boolean'],
                     'volatile', 'train_movie_clusters is VOLATILE');

SELECT has_function('public', 'recommend_movies', ARRAY['bigint', 'integer'],
                    'public.recommend_movies(bigint, integer) exists');
SELECT function_returns('public', 'recommend_movies', ARRAY['bigint', 'integer'], 'setof record',
                        'recommend_movies returns setof record');
SELECT is(pg_get_function_result('public.recommend_movies(bigint, integer)'::regprocedure),
          'TABLE(movie_id bigint, score double precision, rank integer, source text)',
          'recommend_movies returns TABLE(movie_id bigint, score double precision, rank integer, source text)');
SELECT is(pg_get_function_arguments('public.recommend_movies(bigint, integer)'::regprocedure),
          'user_id bigint, n integer DEFAULT 10',
          'recommend_movies argument names and defaults');
SELECT volatility_is('public', 'recommend_movies', ARRAY['bigint', 'integer'], 'stable',
                     'recommend_movies is STABLE');

SELECT has_function('movie_recs', 'load_demo_data', ARRAY['integer', 'integer', 'bigint', 'boolean', 'name'],
                    'movie_recs.load_demo_data(integer, integer, bigint, boolean, name) exists');
SELECT is(pg_get_function_result('movie_recs.load_demo_data(integer, integer, bigint, boolean, name)'::regprocedure),
          'TABLE(users bigint, movies bigint, ratings bigint)',
          'load_demo_data returns TABLE(users bigint, movies bigint, ratings bigint)');
SELECT has_function('movie_recs', 'demo_ratings', ARRAY['integer', 'integer', 'bigint'],
                    'movie_recs.demo_ratings(integer, integer, bigint) exists');
SELECT has_function('movie_recs', 'demo_movies', ARRAY['integer', 'bigint'],
                    'movie_recs.demo_movies(integer, bigint) exists');

SELECT hasnt_function('movie_recs', 'train_movie_clusters', 'train_movie_clusters is not in schema movie_recs');
SELECT hasnt_function('movie_recs', 'recommend_movies', 'recommend_movies is not in schema movie_recs');
SELECT hasnt_function('public', 'load_demo_data', 'load_demo_data is not in schema public');
SELECT is((SELECT count(*)::int FROM pg_proc WHERE proname IN ('train_movie_clusters', 'recommend_movies')),
          2, 'exactly one train_movie_clusters and one recommend_movies (no overloads elsewhere)');

-- Unqualified calls resolve with the default search_path.
SELECT is((SELECT count(*)::int FROM recommend_movies(1, 3)), 3,
          'recommend_movies() is callable unqualified');

-- ---------------------------------------------------------------------------------------------
-- Every function: SET search_path = pg_catalog, pg_temp; SECURITY INVOKER
-- ---------------------------------------------------------------------------------------------
CREATE TEMP VIEW ext_functions AS
SELECT p.oid::regprocedure AS fn, p.proconfig, p.prosecdef
  FROM pg_depend d
  JOIN pg_proc p ON d.classid = 'pg_proc'::regclass AND p.oid = d.objid
 WHERE d.refclassid = 'pg_extension'::regclass
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs')
   AND d.deptype = 'e';

SELECT cmp_ok((SELECT count(*) FROM ext_functions), '>=', 18::bigint,
              'the extension owns at least its eighteen functions');
SELECT is_empty(
    $$SELECT fn::text FROM ext_functions
       WHERE (proconfig IS NULL OR NOT ('search_path=pg_catalog, pg_temp' = ANY (proconfig)))
         AND fn <> 'public.recommend_movies(bigint, integer)'::regprocedure$$,
    'every extension function but recommend_movies has SET search_path = pg_catalog, pg_temp');
SELECT is((SELECT proconfig FROM pg_proc
            WHERE oid = 'public.train_movie_clusters(regclass, integer, name, name, name, integer, double precision, bigint, boolean, boolean)'::regprocedure),
          ARRAY['search_path=pg_catalog, pg_temp'], 'train_movie_clusters proconfig');
SELECT is((SELECT proconfig FROM pg_proc WHERE oid = 'public.recommend_movies(bigint, integer)'::regprocedure),
          NULL, 'recommend_movies has no SET clause (it sets search_path around its own queries)');
SELECT is_empty($$SELECT fn::text FROM ext_functions WHERE prosecdef$$,
                'no extension function is SECURITY DEFINER (they run with the caller''s rights)');
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c
       WHERE c.relnamespace = 'movie_recs'::regnamespace AND c.relkind = 'v'
         AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)$$,
    'every view runs with the rights of the querying role (security_invoker)');

-- A hostile search_path does not change what the functions do: a table named ratings and
-- shadowing functions in a schema first on the path are ignored.
CREATE SCHEMA evil;
CREATE TABLE evil.models (model_id bigint, active boolean);
CREATE FUNCTION evil.unnest(anyarray) RETURNS SETOF anyelement LANGUAGE sql
    AS $$SELECT NULL::anyelement WHERE false$$;
SET LOCAL search_path = evil, public;
SELECT is((SELECT count(*)::int FROM recommend_movies(1, 3)), 3,
          'recommend_movies ignores objects of the caller''s search_path');
SELECT lives_ok($$SELECT * FROM train_movie_clusters('public.tiny_ratings', k => 2)$$,
                'train_movie_clusters works with a hostile search_path');
RESET search_path;
SELECT is((SELECT count(*) FROM movie_recs.assignments a JOIN movie_recs.models m USING (model_id)
            WHERE m.active), 12::bigint,
          'the model trained under the hostile search_path wrote all 12 users to the real catalog');
-- recommend_movies() has no SET clause: the queries it runs (here: loading the model just
-- trained, and the ratings under row-level security) must not meet an equality operator for
-- bigint put before pg_catalog on the path.
CREATE FUNCTION evil.never(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT false';
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.never);
SELECT lives_ok($$SELECT * FROM train_movie_clusters('public.tiny_ratings', k => 2)$$,
                'another model trained (this backend has not loaded it yet)');
ALTER TABLE public.tiny_ratings ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON public.tiny_ratings USING (true);
-- User 1 rates one more movie: folded in, which reads the model's centroids (a query).
INSERT INTO public.tiny_ratings SELECT 1, max(movie_id) + 1, 4 FROM public.tiny_ratings;
SET LOCAL search_path = evil, pg_catalog, public;
SELECT is((SELECT 1::bigint = 1::bigint), false, 'the hostile operator is the one the path finds');
CREATE TEMP TABLE recs_hostile AS SELECT u, r.* FROM generate_series(1, 12) u, recommend_movies(u, 3) r;
SELECT is(current_setting('search_path'), 'evil, pg_catalog, public',
          'the caller''s search_path is the same after recommend_movies');
RESET search_path;
CREATE TEMP TABLE recs_normal AS SELECT u, r.* FROM generate_series(1, 12) u, recommend_movies(u, 3) r;
SELECT set_eq('SELECT * FROM recs_hostile', 'SELECT * FROM recs_normal',
              'recommend_movies gives the same under a hostile search_path with its queries');
DROP POLICY all_rows ON public.tiny_ratings;
ALTER TABLE public.tiny_ratings DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY;

-- ---------------------------------------------------------------------------------------------
-- Extension membership (pg_depend)
-- ---------------------------------------------------------------------------------------------
SELECT set_eq(
    $$SELECT pg_describe_object(classid, objid, objsubid) FROM pg_depend
       WHERE refclassid = 'pg_extension'::regclass
         AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs')
         AND deptype = 'e'$$,
    $$VALUES ('schema movie_recs'),
             ('table movie_recs.models'), ('sequence movie_recs.models_model_id_seq'),
             ('table movie_recs.centroids'),
             ('table movie_recs.assignments'), ('table movie_recs.cluster_movies'),
             ('table movie_recs.popular_movies'),
             ('table movie_recs.activations'), ('sequence movie_recs.activations_activation_id_seq'),
             ('view movie_recs.model_versions'), ('view movie_recs.running_trainings'),
             ('view movie_recs.user_clusters'), ('view movie_recs.cluster_top_movies'),
             ('view movie_recs.cluster_summary'),
             ('function movie_recs.switch_model(bigint,text,bigint)'),
             ('function movie_recs.current_activation()'),
             ('function movie_recs.activate_model(bigint)'),
             ('function movie_recs.rollback_model()'),
             ('function movie_recs.drop_model(bigint)'),
             ('function movie_recs.prune_models(integer)'),
             ('function movie_recs.lock_training(boolean)'),
             ('function movie_recs.require_writable(text)'),
             ('function movie_recs.source_change_counter(regclass)'),
             ('function movie_recs.train_if_stale(interval,double precision,regclass,integer,boolean,boolean)'),
             ('function movie_recs.cluster_summaries(regclass,name,name,integer)'),
             ('function movie_recs.check_column(regclass,name)'),
             ('function movie_recs.materialize_recommendations(integer,regclass,boolean)'),
             ('function train_movie_clusters(regclass,integer,name,name,name,integer,double precision,bigint,boolean,boolean)'),
             ('function recommend_movies(bigint,integer)'),
             ('function movie_recs.demo_ratings(integer,integer,bigint)'),
             ('function movie_recs.demo_movies(integer,bigint)'),
             ('function movie_recs.load_demo_data_into(integer,integer,bigint,boolean,name)'),
             ('function movie_recs.load_demo_data(integer,integer,bigint,boolean,name)'),
             ('function evaluate_movie_recommendations(regclass,integer,double precision,name,integer,bigint,double precision,name,name,name,integer,double precision)'),
             ('function movie_recs.suggest_k(regclass,integer[],name,name,name,name,double precision,bigint,integer)'),
             ('function movie_recs.user_cluster(bigint)')$$,
    'the extension owns exactly its schema, six tables, two identity sequences, five views and twenty-two functions');
SELECT is_empty(
    $$SELECT c.oid::regclass::text FROM pg_class c
       WHERE c.relnamespace = 'movie_recs'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                            AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e')$$,
    'every relation in schema movie_recs belongs to the extension');
SELECT is_empty(
    $$SELECT p.oid::regprocedure::text FROM pg_proc p
       WHERE p.pronamespace = 'movie_recs'::regnamespace
         AND NOT EXISTS (SELECT 1 FROM pg_depend d
                          WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                            AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e')$$,
    'every function in schema movie_recs belongs to the extension');
SELECT set_eq(
    $$SELECT c::regclass::text FROM pg_extension e, unnest(e.extconfig) c WHERE e.extname = 'movie_recs'$$,
    $$VALUES ('movie_recs.models'), ('movie_recs.models_model_id_seq'), ('movie_recs.centroids'),
             ('movie_recs.assignments'), ('movie_recs.cluster_movies'), ('movie_recs.popular_movies'),
             ('movie_recs.activations'), ('movie_recs.activations_activation_id_seq')$$,
    'pg_dump dumps the rows of every catalog table and the identity sequences (extension configuration)');
SELECT throws_ok('DROP TABLE movie_recs.popular_movies', '2BP01', NULL,
                 'a catalog table cannot be dropped on its own (it belongs to the extension)');
SELECT throws_ok('DROP FUNCTION recommend_movies(bigint, integer)', '2BP01', NULL,
                 'recommend_movies cannot be dropped on its own (it belongs to the extension)');

-- Installing into schema movie_recs is refused.
SELECT throws_ok(
    $$DROP EXTENSION movie_recs; CREATE SCHEMA movie_recs; CREATE EXTENSION movie_recs SCHEMA movie_recs$$,
    '3F000', 'movie_recs cannot be installed into schema movie_recs',
    'CREATE EXTENSION ... SCHEMA movie_recs is refused (3F000)');

SELECT * FROM finish();
ROLLBACK;
