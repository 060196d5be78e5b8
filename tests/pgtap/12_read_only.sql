-- 12_read_only.sql -- functions that change models refuse to run in a read-only transaction with
-- 25006 read_only_sql_transaction and a hint to run them in a read-write transaction on the
-- primary (the same check refuses them on a hot standby, with a hint to use the primary:
-- tests/standby/run.sh); the read paths (recommendations, explain, views, evaluation) work in
-- the same read-only transaction and give what they gave before it.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(20);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 120, movies => 50, seed => 4);
CREATE TEMP TABLE m1 AS SELECT model_id FROM train_movie_clusters(k => 3, seed => 1);
CREATE TEMP TABLE m2 AS SELECT model_id FROM train_movie_clusters(k => 4, seed => 2);
CREATE TABLE recs (user_id bigint, movie_id bigint, score double precision, rank integer);

-- The error of a statement: SQLSTATE, message and hint.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text; msg text; hint text;
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', state, msg, nullif(hint, ''));
END
$$;

-- What the read paths give before the transaction turns read-only (compared with results_eq:
-- set_eq would need temporary tables, which a read-only transaction cannot create).
CREATE TEMP TABLE before_recs AS
    SELECT u, r.* FROM generate_series(1, 121) u, LATERAL recommend_movies(u, 5) r;
CREATE TEMP TABLE before_explain AS
    SELECT u, c.* FROM generate_series(1, 20) u, LATERAL movie_recs.user_cluster(u) c;
CREATE TEMP TABLE before_views AS
    SELECT (SELECT count(*) FROM movie_recs.cluster_top_movies) AS top,
           (SELECT count(*) FROM movie_recs.user_clusters) AS users,
           (SELECT count(*) FROM movie_recs.cluster_summary) AS summary,
           (SELECT count(*) FROM movie_recs.model_versions) AS versions;
CREATE TEMP TABLE before_eval AS
    SELECT * FROM evaluate_movie_recommendations(time_column => 'rated_at', k => 3);
CREATE TEMP TABLE before_catalog AS
    SELECT (SELECT count(*) FROM movie_recs.models) AS models,
           (SELECT count(*) FROM movie_recs.activations) AS activations,
           (SELECT model_id FROM movie_recs.models WHERE active) AS active;

SET TRANSACTION READ ONLY;
SELECT is(current_setting('transaction_read_only'), 'on', 'the transaction is read-only from here on');

-- Every function that changes models: 25006, its own name, a hint to use the primary.
SELECT is(pg_temp.error_of(format('SELECT * FROM %s', call)),
          format('25006 | cannot execute %s in a read-only transaction | '
                 'Run %s in a read-write transaction on the primary server.', name, name),
          format('%s refuses in a read-only transaction (25006, hint)', name))
  FROM (VALUES ($$train_movie_clusters(k => 3)$$, 'train_movie_clusters()'),
               ($$movie_recs.train_if_stale(max_age => '1 day', min_changed_fraction => 1)$$,
                'movie_recs.train_if_stale()'),
               ((SELECT format('movie_recs.activate_model(%s)', model_id) FROM m1),
                'movie_recs.activate_model()'),
               ('movie_recs.rollback_model()', 'movie_recs.rollback_model()'),
               ((SELECT format('movie_recs.drop_model(%s)', model_id) FROM m1),
                'movie_recs.drop_model()'),
               ('movie_recs.prune_models(1)', 'movie_recs.prune_models()'),
               ($$movie_recs.materialize_recommendations(5, 'recs')$$,
                'movie_recs.materialize_recommendations()'),
               ($$movie_recs.load_demo_data(users => 10, movies => 10, replace => true)$$,
                'movie_recs.load_demo_data()'),
               ('movie_recs.lock_training()', 'movie_recs.lock_training()'),
               ((SELECT format($$movie_recs.switch_model(%s, 'activate', NULL)$$, model_id) FROM m1),
                'movie_recs.switch_model()')) AS w(call, name);
SELECT is(pg_temp.error_of($$SELECT movie_recs.require_writable(NULL)$$),
          '22004 | function_name must not be null', 'require_writable(NULL) is refused (22004)');
-- The refusal comes before anything else: even an argument error is not reached.
SELECT is(pg_temp.error_of($$SELECT movie_recs.prune_models(0)$$),
          '25006 | cannot execute movie_recs.prune_models() in a read-only transaction | '
          'Run movie_recs.prune_models() in a read-write transaction on the primary server.',
          'prune_models(0), which would change nothing, refuses too');

-- The read paths work and give what they gave before.
SELECT results_eq('SELECT u, r.* FROM generate_series(1, 121) u, LATERAL recommend_movies(u, 5) r ORDER BY u, r.rank',
              'SELECT * FROM before_recs ORDER BY u, rank',
              'recommend_movies() serves the same in the read-only transaction');
SELECT results_eq('SELECT u, c.* FROM generate_series(1, 20) u, LATERAL movie_recs.user_cluster(u) c ORDER BY u, c.cluster_id',
              'SELECT * FROM before_explain ORDER BY u, cluster_id',
              'movie_recs.user_cluster() gives the same in the read-only transaction');
SELECT results_eq($$SELECT (SELECT count(*) FROM movie_recs.cluster_top_movies),
                           (SELECT count(*) FROM movie_recs.user_clusters),
                           (SELECT count(*) FROM movie_recs.cluster_summary),
                           (SELECT count(*) FROM movie_recs.model_versions)$$,
                  'SELECT top, users, summary, versions FROM before_views',
                  'the views read the same in the read-only transaction');
SELECT results_eq($$SELECT * FROM evaluate_movie_recommendations(time_column => 'rated_at', k => 3) ORDER BY method$$,
              'SELECT * FROM before_eval ORDER BY method',
              'evaluate_movie_recommendations() works in the read-only transaction (it writes nothing)');
SELECT lives_ok($$SELECT * FROM movie_recs.cluster_summaries('movies', top_n => 2)$$,
                'movie_recs.cluster_summaries() works in the read-only transaction');
SELECT lives_ok($$SELECT * FROM movie_recs.suggest_k(ks => '{2,3}', sample_size => 50)$$,
                'movie_recs.suggest_k() works in the read-only transaction');
SELECT results_eq($$SELECT (SELECT count(*) FROM movie_recs.models),
                           (SELECT count(*) FROM movie_recs.activations),
                           (SELECT model_id FROM movie_recs.models WHERE active)$$,
                  'SELECT models, activations, active FROM before_catalog',
                  'the catalog is unchanged after the refused calls');

SELECT * FROM finish();
ROLLBACK;
