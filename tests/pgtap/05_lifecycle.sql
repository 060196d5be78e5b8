-- 05_lifecycle.sql -- model versions: training without activating, activate_model,
-- rollback_model (a stack: repeated calls go further back), drop_model (never the active one),
-- the activation history, retention by movie_recs.keep_models and prune_models, and what each
-- refuses.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(59);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 120, movies => 60, seed => 3);

-- Every user's top 5 as one string: which model serves.
CREATE FUNCTION pg_temp.served() RETURNS text LANGUAGE sql AS $$
    SELECT md5(string_agg(format('%s:%s:%s', u, r.rank, r.movie_id), ',' ORDER BY u, r.rank))
      FROM generate_series(1, 121) u, LATERAL recommend_movies(u, 5) r
$$;
CREATE FUNCTION pg_temp.active() RETURNS bigint LANGUAGE sql AS $$
    SELECT model_id FROM movie_recs.models WHERE active
$$;
CREATE TEMP TABLE m (name text PRIMARY KEY, id bigint, served text);

INSERT INTO m SELECT 'm1', model_id FROM train_movie_clusters(k => 3, seed => 1);
UPDATE m SET served = pg_temp.served() WHERE name = 'm1';
INSERT INTO m SELECT 'm2', model_id FROM train_movie_clusters(k => 4, seed => 2);
UPDATE m SET served = pg_temp.served() WHERE name = 'm2';

SELECT is(pg_temp.active(), (SELECT id FROM m WHERE name = 'm2'), 'a training activates its model');
SELECT isnt((SELECT served FROM m WHERE name = 'm1'), (SELECT served FROM m WHERE name = 'm2'),
            'the two models recommend differently (so the checks below can tell them apart)');

-- ---------------------------------------------------------------------------------------------
-- activate => false
-- ---------------------------------------------------------------------------------------------
INSERT INTO m SELECT 'm3', model_id FROM train_movie_clusters(k => 5, seed => 3, activate => false);
SELECT is(pg_temp.active(), (SELECT id FROM m WHERE name = 'm2'),
          'activate => false leaves the active model active');
SELECT is((SELECT active FROM movie_recs.models WHERE model_id = (SELECT id FROM m WHERE name = 'm3')), false,
          'the new model is stored inactive');
SELECT is((SELECT count(*) FROM movie_recs.assignments WHERE model_id = (SELECT id FROM m WHERE name = 'm3')),
          120::bigint, 'the inactive model is complete (every user assigned)');
SELECT is(pg_temp.served(), (SELECT served FROM m WHERE name = 'm2'),
          'recommendations still come from the active model');
SELECT results_eq(
    'SELECT model_id, action, previous_model_id FROM movie_recs.activations ORDER BY activation_id',
    $$SELECT id, 'train', lag(id) OVER (ORDER BY id) FROM m WHERE name IN ('m1', 'm2') ORDER BY id$$,
    'the history holds the two activating trainings, each with the model it replaced');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 3, activate => NULL)$$, '22004',
                 'activate must not be null', 'activate => NULL is refused (22004)');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 3, wait => NULL)$$, '22004',
                 'wait must not be null', 'wait => NULL is refused (22004)');

-- ---------------------------------------------------------------------------------------------
-- activate_model
-- ---------------------------------------------------------------------------------------------
SELECT results_eq(
    format('SELECT * FROM movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'm3')),
    format('VALUES (%s::bigint, %s::bigint)', (SELECT id FROM m WHERE name = 'm3'), (SELECT id FROM m WHERE name = 'm2')),
    'activate_model returns the new and the previous active model');
SELECT is(pg_temp.active(), (SELECT id FROM m WHERE name = 'm3'), 'm3 is active');
UPDATE m SET served = pg_temp.served() WHERE name = 'm3';
SELECT isnt((SELECT served FROM m WHERE name = 'm3'), (SELECT served FROM m WHERE name = 'm2'),
            'recommendations now come from m3 (the serving cache followed)');
SELECT is((SELECT row(action, previous_model_id, activated_by)::text FROM movie_recs.activations
            ORDER BY activation_id DESC LIMIT 1),
          format('(activate,%s,%s)', (SELECT id FROM m WHERE name = 'm2'), current_user),
          'the activation is recorded');
SELECT results_eq(
    format('SELECT * FROM movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'm3')),
    format('VALUES (%s::bigint, %s::bigint)', (SELECT id FROM m WHERE name = 'm3'), (SELECT id FROM m WHERE name = 'm3')),
    'activating the active model changes nothing');
SELECT is((SELECT count(*) FROM movie_recs.activations), 3::bigint, '... and records nothing');
SELECT throws_ok('SELECT * FROM movie_recs.activate_model(424242)', '42704',
                 'movie_recs model 424242 does not exist', 'activating an unknown model fails (42704)');
SELECT throws_ok('SELECT * FROM movie_recs.activate_model(NULL)', '22004',
                 'model_id must not be null', 'activate_model(NULL) fails (22004)');

-- ---------------------------------------------------------------------------------------------
-- rollback_model: back through the history
-- ---------------------------------------------------------------------------------------------
SELECT results_eq('SELECT * FROM movie_recs.rollback_model()',
    format('VALUES (%s::bigint, %s::bigint)', (SELECT id FROM m WHERE name = 'm2'), (SELECT id FROM m WHERE name = 'm3')),
    'rollback_model returns to the previously active model');
SELECT is(pg_temp.served(), (SELECT served FROM m WHERE name = 'm2'), 'm2 serves again');
SELECT is((SELECT action FROM movie_recs.activations ORDER BY activation_id DESC LIMIT 1), 'rollback',
          'the rollback is recorded');
SELECT results_eq('SELECT * FROM movie_recs.rollback_model()',
    format('VALUES (%s::bigint, %s::bigint)', (SELECT id FROM m WHERE name = 'm1'), (SELECT id FROM m WHERE name = 'm2')),
    'a second rollback goes one step further back, to m1');
SELECT is(pg_temp.served(), (SELECT served FROM m WHERE name = 'm1'), 'm1 serves again');
SELECT throws_ok('SELECT * FROM movie_recs.rollback_model()', '55000',
                 'no earlier movie_recs model to roll back to',
                 'there is nothing before the first model (55000)');
SELECT is(pg_temp.active(), (SELECT id FROM m WHERE name = 'm1'), 'the failed rollback changed nothing');

-- After activating m3 again, a rollback returns to m1 (the model active before), not to m2.
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'm3')),
                'm3 activated again');
SELECT is((SELECT active_model_id FROM movie_recs.rollback_model()), (SELECT id FROM m WHERE name = 'm1'),
          'the rollback undoes the latest activation');
SELECT is((SELECT model_id FROM movie_recs.model_versions WHERE rollback_target), NULL::bigint,
          'model_versions: nothing to roll back to from the first activation of m1');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'm2')),
                'm2 activated');
SELECT results_eq('SELECT model_id, active, rollback_target FROM movie_recs.model_versions ORDER BY model_id',
    $$SELECT id, name = 'm2', name = 'm1' FROM m ORDER BY id$$,
    'model_versions: m2 active, m1 the rollback target');

-- ---------------------------------------------------------------------------------------------
-- drop_model
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok(format('SELECT movie_recs.drop_model(%s)', (SELECT id FROM m WHERE name = 'm2')), '55006',
                 format('cannot drop movie_recs model %s because it is the active model', (SELECT id FROM m WHERE name = 'm2')),
                 'the active model cannot be dropped (55006)');
SELECT throws_ok('SELECT movie_recs.drop_model(424242)', '42704', NULL, 'dropping an unknown model fails (42704)');
SELECT throws_ok('SELECT movie_recs.drop_model(NULL)', '22004', NULL, 'drop_model(NULL) fails (22004)');
SELECT lives_ok(format('SELECT movie_recs.drop_model(%s)', (SELECT id FROM m WHERE name = 'm3')),
                'an inactive model is dropped');
SELECT is_empty(format(
    $$SELECT model_id FROM movie_recs.models WHERE model_id = %1$s
      UNION ALL SELECT model_id FROM movie_recs.centroids WHERE model_id = %1$s
      UNION ALL SELECT model_id FROM movie_recs.assignments WHERE model_id = %1$s
      UNION ALL SELECT model_id FROM movie_recs.cluster_movies WHERE model_id = %1$s
      UNION ALL SELECT model_id FROM movie_recs.popular_movies WHERE model_id = %1$s$$,
    (SELECT id FROM m WHERE name = 'm3')), 'every row of the dropped model is gone');
SELECT cmp_ok((SELECT count(*) FROM movie_recs.activations WHERE model_id = (SELECT id FROM m WHERE name = 'm3')),
              '>', 0::bigint, 'the activation history of the dropped model is kept');
SELECT throws_ok(format('SELECT * FROM movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'm3')),
                 '42704', NULL, 'a dropped model cannot be activated (42704)');
-- The rollback target can be dropped by hand; rolling back then says so.
SELECT lives_ok(format('SELECT movie_recs.drop_model(%s)', (SELECT id FROM m WHERE name = 'm1')),
                'the rollback target can be dropped explicitly');
SELECT throws_ok('SELECT * FROM movie_recs.rollback_model()', '55000',
                 format('cannot roll back to movie_recs model %s: it was dropped', (SELECT id FROM m WHERE name = 'm1')),
                 'rolling back to a dropped model fails (55000)');
DELETE FROM m WHERE name IN ('m1', 'm3');

-- ---------------------------------------------------------------------------------------------
-- What activation refuses: incomplete models, models whose source is gone, a history that
-- does not match (a direct UPDATE)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.other_ratings AS SELECT * FROM public.ratings;
INSERT INTO m SELECT 'gone', model_id FROM train_movie_clusters('other_ratings', k => 2, activate => false);
INSERT INTO m SELECT 'broken', model_id FROM train_movie_clusters(k => 2, activate => false);
DELETE FROM movie_recs.centroids
 WHERE model_id = (SELECT id FROM m WHERE name = 'broken')
   AND cluster_id = (SELECT min(cluster_id) FROM movie_recs.centroids
                      WHERE model_id = (SELECT id FROM m WHERE name = 'broken'));
SELECT throws_ok(format('SELECT * FROM movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'broken')),
                 '55000', format('movie_recs model %s is incomplete', (SELECT id FROM m WHERE name = 'broken')),
                 'an incomplete model is not activated (55000)');
DROP TABLE public.other_ratings;
SELECT throws_ok(format('SELECT * FROM movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'gone')),
                 '55000', NULL, 'a model whose source table is gone is not activated (55000)');
SELECT is(pg_temp.active(), (SELECT id FROM m WHERE name = 'm2'), 'm2 is still active');

UPDATE movie_recs.models SET active = false WHERE active;
UPDATE movie_recs.models SET active = true WHERE model_id = (SELECT id FROM m WHERE name = 'broken');
SELECT throws_ok('SELECT * FROM movie_recs.rollback_model()', '55000',
                 format('the activation history does not say how movie_recs model %s became active', (SELECT id FROM m WHERE name = 'broken')),
                 'after a direct UPDATE of models.active, rollback refuses (55000)');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'm2')),
                'activate_model repairs it');
SELECT is((SELECT row(action, previous_model_id, undo_activation_id IS NULL)::text FROM movie_recs.activations
            ORDER BY activation_id DESC LIMIT 1),
          format('(activate,%s,t)', (SELECT id FROM m WHERE name = 'broken')),
          '... recording the previous model, with nothing to undo');
SELECT lives_ok(format('SELECT movie_recs.drop_model(%s)', (SELECT id FROM m WHERE name = 'broken')), 'cleanup');
SELECT lives_ok(format('SELECT movie_recs.drop_model(%s)', (SELECT id FROM m WHERE name = 'gone')), 'cleanup');
DELETE FROM m WHERE name IN ('broken', 'gone');

-- A failed training records nothing.
CREATE TEMP TABLE history_before AS SELECT count(*) AS n FROM movie_recs.activations;
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 1000)$$, '22023', NULL, 'a training that fails');
SELECT is((SELECT count(*) FROM movie_recs.activations), (SELECT n FROM history_before),
          'a failed training leaves the history unchanged');

-- ---------------------------------------------------------------------------------------------
-- Retention: movie_recs.keep_models after each successful training, prune_models by hand
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok('SET movie_recs.keep_models = -1', '22023', NULL, 'keep_models cannot be negative');
SELECT is(current_setting('movie_recs.keep_models'), '0', 'by default every model is kept');
INSERT INTO m SELECT 'm4', model_id FROM train_movie_clusters(k => 3, seed => 4);
INSERT INTO m SELECT 'm5', model_id FROM train_movie_clusters(k => 3, seed => 5);
INSERT INTO m SELECT 'm6', model_id FROM train_movie_clusters(k => 3, seed => 6);
SELECT is((SELECT count(*) FROM movie_recs.models), 4::bigint, 'with keep_models = 0 all four models are kept');

SET LOCAL movie_recs.keep_models = 1;
INSERT INTO m SELECT 'm7', model_id FROM train_movie_clusters(k => 3, seed => 7);
SELECT results_eq('SELECT model_id FROM movie_recs.models ORDER BY model_id',
                  $$SELECT id FROM m WHERE name IN ('m6', 'm7') ORDER BY id$$,
                  'keep_models = 1 keeps the newest model (active) and the one a rollback returns to');
INSERT INTO m SELECT 'm8', model_id FROM train_movie_clusters(k => 3, seed => 8, activate => false);
SELECT results_eq('SELECT model_id FROM movie_recs.models ORDER BY model_id',
                  $$SELECT id FROM m WHERE name IN ('m6', 'm7', 'm8') ORDER BY id$$,
                  'an inactive new model is kept besides the active one and the rollback target');
SELECT is((SELECT active_model_id FROM movie_recs.rollback_model()), (SELECT id FROM m WHERE name = 'm6'),
          'retention kept what rollback_model needs');
RESET movie_recs.keep_models;

SELECT throws_ok('SELECT movie_recs.prune_models(-1)', '22023', NULL, 'prune_models(-1) fails (22023)');
SELECT throws_ok('SELECT movie_recs.prune_models(NULL)', '22004', NULL, 'prune_models(NULL) fails (22004)');
SELECT is(movie_recs.prune_models(0), 0, 'prune_models(0) drops nothing');
SELECT is(movie_recs.prune_models(1), 1, 'prune_models(1) drops what is neither newest, active nor rollback target');
SELECT results_eq('SELECT model_id FROM movie_recs.models ORDER BY model_id',
                  $$SELECT id FROM m WHERE name IN ('m6', 'm8') ORDER BY id$$,
                  'left: m6 (active) and m8 (newest); m7 was dropped');

SELECT * FROM finish();
ROLLBACK;
