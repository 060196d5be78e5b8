-- 08_train_if_stale.sql -- movie_recs.train_if_stale(max_age, min_changed_fraction, ...)
-- retrains with the active model's parameters only when the model is older than max_age or its
-- ratings changed by more than the fraction since training (row count, and the statistics
-- collector's count of inserted, updated and deleted rows), and says what it did and why.
-- (tests/cron/run.sh runs it from pg_cron, across committed transactions.)
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(40);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 120, movies => 60, seed => 6);
CREATE TEMP TABLE runs AS
    SELECT 0 AS run, * FROM movie_recs.train_if_stale('1 day', 0.05, ratings_table => 'ratings', k => 4) LIMIT 0;

-- Runs train_if_stale and records its row under the number run.
CREATE FUNCTION pg_temp.check(run int, max_age interval, fraction double precision,
                              ratings_table regclass DEFAULT NULL, k int DEFAULT NULL,
                              activate boolean DEFAULT true)
RETURNS SETOF runs LANGUAGE sql AS $$
    INSERT INTO runs
    SELECT run, * FROM movie_recs.train_if_stale(max_age, fraction, ratings_table => ratings_table,
                                                 k => k, activate => activate)
    RETURNING *
$$;
CREATE FUNCTION pg_temp.active() RETURNS bigint LANGUAGE sql AS $$
    SELECT model_id FROM movie_recs.models WHERE active
$$;

-- ---------------------------------------------------------------------------------------------
-- No model yet
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 0.05)$$, '55000',
                 'no movie_recs model to refresh', 'without a model and a table there is nothing to do (55000)');
SELECT results_eq($$SELECT trained, reason, model_id = pg_temp.active(), previous_model_id FROM pg_temp.check(1, '1 day', 0.05, 'ratings', 4)$$,
                  $$VALUES (true, 'no model was trained on public.ratings yet', true, NULL::bigint)$$,
                  'the first call trains on the table given and activates the model');
SELECT is((SELECT row(k, source_rows, source_changes)::text FROM movie_recs.models WHERE active),
          format('(4,%s,%s)', (SELECT count(*) FROM ratings), (SELECT count(*) FROM ratings)),
          'the model records k, the rows read and the change counter (all rows were inserted in this transaction)');

-- ---------------------------------------------------------------------------------------------
-- Fresh: nothing to do
-- ---------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT trained, model_id, previous_model_id, model_age, changed_fraction FROM pg_temp.check(2, '1 day', 0.05)$$,
                  $$SELECT false, pg_temp.active(), NULL::bigint, '0'::interval, 0::double precision$$,
                  'a fresh model: not retrained, age 0 and no change reported');
SELECT matches((SELECT reason FROM runs WHERE run = 2),
               '^model \d+ is 00:00:00 old and 0 of public\.ratings changed \(fraction 0\.0000\): fresh enough$',
               'the reason says why');
SELECT is((SELECT count(*) FROM movie_recs.models), 1::bigint, 'no model was added');

-- ---------------------------------------------------------------------------------------------
-- New ratings: more than the fraction
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE base AS SELECT count(*) AS n FROM ratings;
INSERT INTO ratings SELECT user_id, movie_id + 1000, rating, rated_at FROM ratings WHERE user_id <= 6;
CREATE TEMP TABLE added AS SELECT (SELECT count(*) FROM ratings) - (SELECT n FROM base) AS n;
SELECT cmp_ok((SELECT n FROM added)::float8 / (SELECT n FROM base), '<', 0.2::float8, 'the new ratings are under 20%');
SELECT results_eq($$SELECT trained, changed_fraction FROM pg_temp.check(3, '1 day', 0.2)$$,
                  $$SELECT false, (SELECT n FROM added)::float8 / (SELECT n FROM base)$$,
                  'under min_changed_fraction: not retrained, the fraction is new rows / rows at training');
SELECT results_eq($$SELECT trained, previous_model_id, changed_fraction FROM pg_temp.check(4, '1 day', 0.01)$$,
                  $$SELECT true, (SELECT model_id FROM runs WHERE run = 1), (SELECT n FROM added)::float8 / (SELECT n FROM base)$$,
                  'over min_changed_fraction: retrained');
SELECT is((SELECT reason FROM runs WHERE run = 4),
          format('%s of public.ratings changed since model %s was trained, more than min_changed_fraction 0.01',
                 (SELECT n FROM added), (SELECT model_id FROM runs WHERE run = 1)),
          'the reason names the change and the threshold');
SELECT is(pg_temp.active(), (SELECT model_id FROM runs WHERE run = 4), 'the new model is active');
SELECT results_eq(
    $$SELECT source_schema, source_table, user_column, movie_column, rating_column, k, max_iterations, tolerance, seed
        FROM movie_recs.models WHERE model_id = (SELECT model_id FROM runs WHERE run = 4)$$,
    $$SELECT source_schema, source_table, user_column, movie_column, rating_column, k, max_iterations, tolerance, seed
        FROM movie_recs.models WHERE model_id = (SELECT model_id FROM runs WHERE run = 1)$$,
    'it was trained with the parameters of the model it replaces');
SELECT is((SELECT users FROM movie_recs.models WHERE active), 120::bigint, 'on the current ratings');
SELECT is((SELECT trained FROM pg_temp.check(5, '1 day', 0.01)), false, 'right after, fresh again');

-- ---------------------------------------------------------------------------------------------
-- Changed ratings, same row count: the change counter sees them
-- ---------------------------------------------------------------------------------------------
UPDATE ratings SET rating = 6 - rating WHERE user_id <= 12;
CREATE TEMP TABLE updated AS SELECT count(*) AS n FROM ratings WHERE user_id <= 12;
SELECT results_eq($$SELECT trained, changed_fraction FROM pg_temp.check(6, '1 day', 0.01)$$,
                  $$SELECT true, (SELECT n FROM updated)::float8 / (SELECT count(*) FROM ratings)$$,
                  'updated ratings count as changes although the row count is the same');
DELETE FROM ratings WHERE user_id = 1;
SELECT is((SELECT trained FROM pg_temp.check(7, '1 day', 0.001)), true, 'deleted ratings count too');

-- ---------------------------------------------------------------------------------------------
-- Age
-- ---------------------------------------------------------------------------------------------
UPDATE movie_recs.models SET created_at = now() - interval '26 hours' WHERE active;
SELECT results_eq($$SELECT trained, model_age FROM pg_temp.check(8, '1 day', 1)$$,
                  $$VALUES (true, interval '26 hours')$$,
                  'a model older than max_age is retrained');
SELECT is((SELECT reason FROM runs WHERE run = 8),
          format('model %s is 1 day 02:00:00 old, more than max_age 1 day', (SELECT model_id FROM runs WHERE run = 7)),
          'the reason names the age');
UPDATE movie_recs.models SET created_at = now() - interval '26 hours' WHERE active;
SELECT is((SELECT trained FROM pg_temp.check(9, '2 days', 1)), false, 'younger than max_age: not retrained');
SELECT is((SELECT trained FROM pg_temp.check(10, NULL, NULL)), false, 'both criteria NULL: never retrained');
SELECT is((SELECT trained FROM pg_temp.check(11, NULL, 0)), false, 'max_age NULL: only the change counts (none)');

-- ---------------------------------------------------------------------------------------------
-- Options: k, activate => false, another relation (a view: row count only)
-- ---------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT trained, model_id = pg_temp.active() FROM pg_temp.check(12, '0 seconds', NULL, k => 3, activate => false)$$,
                  $$VALUES (true, false)$$,
                  'activate => false trains without activating');
SELECT is((SELECT k FROM movie_recs.models WHERE model_id = (SELECT model_id FROM runs WHERE run = 12)), 3, 'k => 3 is used');
SELECT is(pg_temp.active(), (SELECT model_id FROM runs WHERE run = 8), 'the active model is unchanged');

CREATE VIEW public.good_ratings AS SELECT * FROM public.ratings WHERE rating >= 3;
SELECT results_eq($$SELECT trained, previous_model_id FROM pg_temp.check(13, '1 day', 0.01, 'good_ratings', 3)$$,
                  $$VALUES (true, NULL::bigint)$$,
                  'another relation without a model of its own: trained');
SELECT is((SELECT row(source_table, source_changes IS NULL)::text FROM movie_recs.models WHERE active),
          '(good_ratings,t)', 'a view has no change counter');
SELECT is((SELECT trained FROM pg_temp.check(14, '1 day', 0.01, 'good_ratings')), false, 'the view''s model is fresh');
INSERT INTO ratings SELECT user_id, movie_id + 2000, 5, rated_at FROM ratings WHERE user_id <= 20;
SELECT is((SELECT trained FROM pg_temp.check(15, '1 day', 0.01, 'good_ratings')), true,
          'a view''s rows changing by more than the fraction: retrained');
SELECT is((SELECT previous_model_id FROM runs WHERE run = 15), (SELECT model_id FROM runs WHERE run = 13),
          'the model it judged was the one trained on the view');
-- With ratings_table given, the newest model trained on it is judged when another is active.
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT model_id FROM runs WHERE run = 8)),
                'the ratings model is active again');
SELECT is((SELECT model_id FROM pg_temp.check(16, '1 day', 0.01, 'good_ratings')), (SELECT model_id FROM runs WHERE run = 15),
          'ratings_table => good_ratings judges the newest model trained on the view');

-- A model trained by 0.1.0 did not record the rows read: they are derived.
UPDATE movie_recs.models SET source_rows = NULL, source_changes = NULL WHERE active;
SELECT is((SELECT changed_fraction FROM pg_temp.check(17, '1 day', 1)),
          (SELECT (abs((SELECT count(*) FROM ratings) - (ratings + skipped_rows + duplicates_merged)))::float8
                  / (ratings + skipped_rows + duplicates_merged) FROM movie_recs.models WHERE active),
          'without recorded rows the fraction uses the rows the model counted');

-- The change counter of a partitioned table sums its partitions.
CREATE TABLE public.part_ratings (LIKE public.ratings) PARTITION BY RANGE (user_id);
CREATE TABLE public.part_low PARTITION OF public.part_ratings FOR VALUES FROM (MINVALUE) TO (60);
CREATE TABLE public.part_high PARTITION OF public.part_ratings FOR VALUES FROM (60) TO (MAXVALUE);
INSERT INTO public.part_ratings SELECT * FROM public.ratings;
DELETE FROM public.part_ratings WHERE user_id IN (10, 100);
SELECT is(movie_recs.source_change_counter('part_ratings'),
          (SELECT count(*) FROM ratings) + (SELECT count(*) FROM ratings WHERE user_id IN (10, 100)),
          'the change counter of a partitioned table counts the rows inserted and deleted in its partitions');
CREATE VIEW public.some_view AS SELECT * FROM public.ratings;
SELECT is(movie_recs.source_change_counter('some_view'), NULL, 'a view has no change counter');

-- ---------------------------------------------------------------------------------------------
-- Refusals
-- ---------------------------------------------------------------------------------------------
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', -0.1)$$, '22023', NULL, 'a negative fraction (22023)');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 'NaN')$$, '22023', NULL, 'a NaN fraction (22023)');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 'Infinity')$$, '22023', NULL, 'an infinite fraction (22023)');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, activate => NULL)$$, '22004', NULL, 'activate => NULL (22004)');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT model_id FROM runs WHERE run = 15)),
                'the view''s model is active');
DROP VIEW public.good_ratings;
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1)$$, '42P01',
                 format('relation public.good_ratings of movie_recs model %s does not exist', (SELECT model_id FROM runs WHERE run = 15)),
                 'the active model''s relation is gone (42P01)');

SELECT * FROM finish();
ROLLBACK;
