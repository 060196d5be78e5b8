-- 02_privileges.sql -- who may do what. PUBLIC gets nothing; movie_recs_reader reads the catalog
-- and the views and calls recommend_movies; movie_recs_trainer (a member of movie_recs_reader)
-- also trains, activates, rolls back and drops. Training and serving read the ratings with the
-- caller's rights: no privilege, column privilege or row-level security policy is bypassed, and
-- EXECUTE on train_movie_clusters alone grants nothing.
--
-- The test roles are created inside the transaction, so the final ROLLBACK removes them.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(81);

CREATE ROLE movie_recs_t_nobody NOLOGIN;                           -- only what PUBLIC has
CREATE ROLE movie_recs_t_reader NOLOGIN IN ROLE movie_recs_reader;
CREATE ROLE movie_recs_t_trainer NOLOGIN IN ROLE movie_recs_trainer;
CREATE ROLE movie_recs_t_execonly NOLOGIN;  -- EXECUTE on train_movie_clusters + SELECT on ratings

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
    UNION ALL SELECT 'popular_movies', count(*) FROM movie_recs.popular_movies
    UNION ALL SELECT 'activations', count(*) FROM movie_recs.activations;
-- The roles must read these temp tables to compare.
GRANT SELECT ON first_model, su_recs, su_counts TO PUBLIC;

SELECT is((SELECT count(*) FROM su_recs), 40::bigint,
          'superuser: 8 recommendations for each of 5 users');
SELECT cmp_ok((SELECT min(n) FROM su_counts), '>', 0::bigint,
              'superuser: every catalog table has rows of the first model');

-- ---------------------------------------------------------------------------------------------
-- The roles and the ACLs, exactly
-- ---------------------------------------------------------------------------------------------
SELECT is((SELECT row(rolcanlogin, rolsuper, rolcreaterole, rolcreatedb)::text FROM pg_roles
            WHERE rolname = 'movie_recs_reader'), '(f,f,f,f)',
          'role movie_recs_reader exists, cannot log in, has no special attributes');
SELECT is((SELECT row(rolcanlogin, rolsuper, rolcreaterole, rolcreatedb)::text FROM pg_roles
            WHERE rolname = 'movie_recs_trainer'), '(f,f,f,f)',
          'role movie_recs_trainer exists, cannot log in, has no special attributes');
SELECT is_member_of('movie_recs_reader', 'movie_recs_trainer',
                    'movie_recs_trainer is a member of movie_recs_reader');

-- Privileges of one grantee (0 = PUBLIC) on every object of the extension.
CREATE FUNCTION pg_temp.ext_privileges(grantee oid) RETURNS TABLE (object text, privilege text)
LANGUAGE sql AS $$
    SELECT 'schema movie_recs', a.privilege_type
      FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
     WHERE n.nspname = 'movie_recs' AND a.grantee = $1
    UNION ALL
    SELECT c.oid::regclass::text, a.privilege_type
      FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
     WHERE c.relnamespace = 'movie_recs'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'S')
       AND a.grantee = $1
    UNION ALL
    SELECT p.oid::regprocedure::text, a.privilege_type
      FROM pg_proc p
      JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                      AND d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
                      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs'),
           aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
     WHERE a.grantee = $1
$$;

SELECT is_empty('SELECT * FROM pg_temp.ext_privileges(0)',
                'PUBLIC is granted nothing on any object of the extension');
SELECT set_eq(
    $$SELECT * FROM pg_temp.ext_privileges('movie_recs_reader'::regrole)$$,
    $$VALUES ('schema movie_recs', 'USAGE'),
             ('movie_recs.models', 'SELECT'), ('movie_recs.centroids', 'SELECT'),
             ('movie_recs.assignments', 'SELECT'), ('movie_recs.cluster_movies', 'SELECT'),
             ('movie_recs.popular_movies', 'SELECT'), ('movie_recs.activations', 'SELECT'),
             ('movie_recs.model_versions', 'SELECT'), ('movie_recs.running_trainings', 'SELECT'),
             ('movie_recs.user_clusters', 'SELECT'), ('movie_recs.cluster_top_movies', 'SELECT'),
             ('movie_recs.cluster_summary', 'SELECT'),
             ('recommend_movies(bigint,integer)', 'EXECUTE'),
             ('movie_recs.current_activation()', 'EXECUTE'),
             ('movie_recs.cluster_summaries(regclass,name,name,integer)', 'EXECUTE'),
             ('movie_recs.check_column(regclass,name)', 'EXECUTE'),
             ('movie_recs.materialize_recommendations(integer,regclass,boolean)', 'EXECUTE'),
             ('movie_recs.user_cluster(bigint)', 'EXECUTE')$$,
    'movie_recs_reader: USAGE on the schema, SELECT on every table and view, EXECUTE on recommending, explaining and summarising');
SELECT set_eq(
    $$SELECT * FROM pg_temp.ext_privileges('movie_recs_trainer'::regrole)$$,
    $$SELECT t, p FROM unnest(ARRAY['movie_recs.models', 'movie_recs.centroids', 'movie_recs.assignments',
                                    'movie_recs.cluster_movies', 'movie_recs.popular_movies',
                                    'movie_recs.activations']) t,
                       unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) p
      UNION ALL
      SELECT f, 'EXECUTE' FROM unnest(ARRAY[
          'train_movie_clusters(regclass,integer,name,name,name,integer,double precision,bigint,boolean,boolean)',
          'movie_recs.switch_model(bigint,text,bigint)', 'movie_recs.activate_model(bigint)',
          'movie_recs.rollback_model()', 'movie_recs.drop_model(bigint)',
          'movie_recs.prune_models(integer)', 'movie_recs.lock_training(boolean)',
          'movie_recs.require_writable(text)', 'movie_recs.source_change_counter(regclass)',
          'movie_recs.train_if_stale(interval,double precision,regclass,integer,boolean,boolean)',
          'evaluate_movie_recommendations(regclass,integer,double precision,name,integer,bigint,double precision,name,name,name,integer,double precision)',
          'movie_recs.suggest_k(regclass,integer[],name,name,name,name,double precision,bigint,integer)']) f$$,
    'movie_recs_trainer: writing the catalog tables (no TRUNCATE) and EXECUTE on training, evaluation and the lifecycle functions');

-- ---------------------------------------------------------------------------------------------
-- A role with only PUBLIC's privileges can do nothing
-- ---------------------------------------------------------------------------------------------
SET LOCAL ROLE movie_recs_t_nobody;
SELECT throws_ok('SELECT count(*) FROM movie_recs.models', '42501', NULL,
                 'PUBLIC cannot read the catalog (42501)');
SELECT throws_ok('SELECT * FROM movie_recs.user_clusters', '42501', NULL,
                 'PUBLIC cannot read the views (42501)');
SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', '42501', 'permission denied for function recommend_movies',
                 'PUBLIC cannot call recommend_movies (42501)');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings', k => 2)$$, '42501', NULL,
                 'PUBLIC cannot execute train_movie_clusters (42501)');
SELECT throws_ok($$SELECT * FROM movie_recs.load_demo_data(users => 10, movies => 10, target_schema => 'public')$$,
                 '42501', NULL, 'PUBLIC cannot execute load_demo_data (42501)');
SELECT throws_ok('CREATE TABLE movie_recs.intruder (x int)', '42501', NULL,
                 'PUBLIC cannot create objects in schema movie_recs (42501)');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- A reader: reads, recommends (with SELECT on the ratings), writes nothing
-- ---------------------------------------------------------------------------------------------
SET LOCAL ROLE movie_recs_t_reader;
SELECT results_eq(
    $$SELECT 'models' AS t, count(*) AS n FROM movie_recs.models
      UNION ALL SELECT 'centroids', count(*) FROM movie_recs.centroids
      UNION ALL SELECT 'assignments', count(*) FROM movie_recs.assignments
      UNION ALL SELECT 'cluster_movies', count(*) FROM movie_recs.cluster_movies
      UNION ALL SELECT 'popular_movies', count(*) FROM movie_recs.popular_movies
      UNION ALL SELECT 'activations', count(*) FROM movie_recs.activations$$,
    'SELECT t, n FROM su_counts',
    'a reader reads every catalog table in full');
SELECT is((SELECT count(*) FROM movie_recs.user_clusters), 80::bigint, 'a reader reads the views');
-- recommend_movies reads the movies a user has seen from the source table with the caller's
-- rights: without SELECT on it nothing is returned.
SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', '42501', 'permission denied for table ratings',
                 'a reader without SELECT on the ratings table gets no recommendations (42501)');
SELECT throws_ok('SELECT * FROM recommend_movies(1000000, 5)', '42501', 'permission denied for table ratings',
                 'not even for an unknown user (42501)');

-- Writing the catalog: every statement kind on every table.
SELECT throws_ok(format(s.stmt, t.name, t.col), '42501', NULL,
                 format('a reader cannot %s movie_recs.%s (42501)', s.kind, t.name))
  FROM (VALUES ('INSERT', $$INSERT INTO movie_recs.%I DEFAULT VALUES$$),
               ('UPDATE', $$UPDATE movie_recs.%I SET %I = %2$I$$),
               ('DELETE', $$DELETE FROM movie_recs.%I$$),
               ('TRUNCATE', $$TRUNCATE movie_recs.%I CASCADE$$)) AS s(kind, stmt),
       (VALUES (1, 'models', 'k'), (2, 'centroids', 'size'), (3, 'assignments', 'distance'),
               (4, 'cluster_movies', 'score'), (5, 'popular_movies', 'score'),
               (6, 'activations', 'action')) AS t(ord, name, col)
 ORDER BY t.ord, s.kind;
SELECT throws_ok('UPDATE movie_recs.models SET active = false', '42501', NULL,
                 'a reader cannot deactivate the model (42501)');
SELECT throws_ok(format('SELECT * FROM %s', f), '42501', NULL,
                 format('a reader cannot call %s (42501)', f))
  FROM unnest(ARRAY[$$train_movie_clusters('public.ratings', k => 2)$$,
                    'movie_recs.activate_model(1)', 'movie_recs.rollback_model()',
                    'movie_recs.drop_model(1)', 'movie_recs.prune_models(1)',
                    'movie_recs.lock_training()',
                    $$movie_recs.train_if_stale('1 day', 0.1)$$,
                    $$movie_recs.switch_model(1, 'activate', NULL)$$]) f;
RESET ROLE;
SELECT results_eq('SELECT t, n FROM su_counts ORDER BY t',
                  $$SELECT 'activations', count(*) FROM movie_recs.activations
                    UNION ALL SELECT 'assignments', count(*) FROM movie_recs.assignments
                    UNION ALL SELECT 'centroids', count(*) FROM movie_recs.centroids
                    UNION ALL SELECT 'cluster_movies', count(*) FROM movie_recs.cluster_movies
                    UNION ALL SELECT 'models', count(*) FROM movie_recs.models
                    UNION ALL SELECT 'popular_movies', count(*) FROM movie_recs.popular_movies$$,
                  'the catalog is unchanged after the refused statements');

GRANT SELECT ON public.ratings TO movie_recs_t_reader;
SET LOCAL ROLE movie_recs_t_reader;
SELECT results_eq(
    $$SELECT u AS user_id, r.* FROM unnest(ARRAY[1, 2, 40, 80, 1000000]::bigint[]) u,
                                    LATERAL recommend_movies(u, 8) r$$,
    'SELECT * FROM su_recs',
    'a reader with SELECT on the ratings table gets the superuser''s recommendations');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings', k => 2)$$, '42501', NULL,
                 'SELECT on the ratings table does not allow a reader to train (42501)');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- EXECUTE on train_movie_clusters alone: the catalog is written with the caller's rights
-- ---------------------------------------------------------------------------------------------
GRANT EXECUTE ON FUNCTION train_movie_clusters(regclass, integer, name, name, name, integer,
                                               double precision, bigint, boolean, boolean)
    TO movie_recs_t_execonly;
GRANT SELECT ON public.ratings TO movie_recs_t_execonly;
SET LOCAL ROLE movie_recs_t_execonly;
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings', k => 2)$$, '42501', NULL,
                 'EXECUTE without the trainer role cannot train (42501 on the catalog)');
RESET ROLE;
SELECT results_eq('SELECT model_id FROM movie_recs.models',
                  'SELECT model_id FROM first_model',
                  'the refused training left no model behind');

-- ---------------------------------------------------------------------------------------------
-- A trainer: trains with its own rights on the ratings, activates, rolls back, drops
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.secret_ratings AS SELECT * FROM public.ratings;
CREATE TABLE public.rls_ratings AS SELECT * FROM public.ratings;
ALTER TABLE public.rls_ratings ENABLE ROW LEVEL SECURITY;
CREATE POLICY only_first_users ON public.rls_ratings FOR SELECT TO movie_recs_t_trainer
    USING (user_id <= 20);
GRANT SELECT ON public.rls_ratings TO movie_recs_t_trainer;

SET LOCAL ROLE movie_recs_t_trainer;
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2)$$,
                 '42501', 'permission denied for table secret_ratings',
                 'a trainer cannot train on a table it cannot read (42501, no data leak)');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2, rating_column => NULL)$$,
                 '42501', 'permission denied for table secret_ratings',
                 'nor with implicit feedback (42501)');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, ratings_table => 'public.secret_ratings')$$,
                 '42501', 'permission denied for table secret_ratings',
                 'nor through train_if_stale (42501)');
SELECT throws_ok('CREATE TABLE movie_recs.intruder (x int)', '42501', NULL,
                 'a trainer cannot create objects in schema movie_recs (42501)');
SELECT throws_ok('TRUNCATE movie_recs.models CASCADE', '42501', NULL,
                 'a trainer cannot truncate the catalog (42501)');
RESET ROLE;
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active',
                  'SELECT model_id FROM first_model',
                  'after the refused trainings the first model is still the active one');
SELECT is((SELECT count(*) FROM movie_recs.models), 1::bigint,
          'after the refused trainings there is still one model');

-- Column privileges: user_id and movie_id only.
GRANT SELECT (user_id, movie_id) ON public.secret_ratings TO movie_recs_t_trainer;
SET LOCAL ROLE movie_recs_t_trainer;
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2)$$,
                 '42501', 'permission denied for table secret_ratings',
                 'training needs SELECT on the rating column too (42501)');
CREATE TEMP TABLE implicit_model AS
    SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2, rating_column => NULL);
RESET ROLE;
SELECT is((SELECT row(active, trained_by, rating_column IS NULL)::text FROM movie_recs.models
             WHERE model_id = (SELECT model_id FROM implicit_model)),
          '(t,movie_recs_t_trainer,t)',
          'implicit-feedback training reads only the two granted columns; the model is active, trained_by the role, rating_column NULL');
SELECT is((SELECT users FROM implicit_model),
          (SELECT count(DISTINCT user_id) FROM public.secret_ratings),
          'the implicit-feedback model covers every user');
SELECT is((SELECT row(action, activated_by, previous_model_id)::text FROM movie_recs.activations
            ORDER BY activation_id DESC LIMIT 1),
          format('(train,movie_recs_t_trainer,%s)', (SELECT model_id FROM first_model)),
          'the activation is recorded with the trainer''s name and the model it replaced');

-- Full SELECT: the same role trains on secret_ratings.
GRANT SELECT ON public.secret_ratings TO movie_recs_t_trainer;
SET LOCAL ROLE movie_recs_t_trainer;
SELECT lives_ok($$SELECT * FROM train_movie_clusters('public.secret_ratings', k => 2)$$,
                'with SELECT on the table the same role trains');
RESET ROLE;
SELECT is((SELECT trained_by::text FROM movie_recs.models WHERE active), 'movie_recs_t_trainer',
          'the new model is active and records the role that trained it');

-- The lifecycle functions, as the trainer.
SET LOCAL ROLE movie_recs_t_trainer;
SELECT lives_ok('SELECT * FROM movie_recs.rollback_model()', 'a trainer rolls back');
SELECT is((SELECT model_id FROM movie_recs.models WHERE active), (SELECT model_id FROM implicit_model),
          'the rollback made the implicit-feedback model active again');
SELECT lives_ok(format('SELECT * FROM movie_recs.activate_model(%s)', (SELECT model_id FROM first_model)),
                'a trainer activates a model');
SELECT lives_ok(format('SELECT movie_recs.drop_model(%s)', (SELECT model_id FROM implicit_model)),
                'a trainer drops an inactive model');
SELECT lives_ok('SELECT movie_recs.prune_models(1)', 'a trainer prunes old models');
SELECT lives_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, ratings_table => 'public.secret_ratings')$$,
                'a trainer runs train_if_stale on a table it may read');
RESET ROLE;
SELECT is((SELECT model_id FROM movie_recs.models WHERE active), (SELECT model_id FROM first_model),
          'the model the trainer activated is active');

-- Row-level security applies to training.
SET LOCAL ROLE movie_recs_t_trainer;
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
