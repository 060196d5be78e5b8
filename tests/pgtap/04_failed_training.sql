-- 04_failed_training.sql -- a training that fails raises its error with the right SQLSTATE and
-- leaves no trace: the previous model stays the only active one, no rows of another model
-- remain in the catalog, and recommendations do not change. The same holds for a successful
-- training the caller rolls back to a savepoint (the serving cache must follow).
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(58);

CREATE TEMP TABLE demo AS
    SELECT * FROM movie_recs.load_demo_data(users => 100, movies => 60, seed => 11);
CREATE TEMP TABLE first_model AS SELECT * FROM train_movie_clusters(k => 4);

-- Everything a failed training could disturb, as one string.
CREATE FUNCTION pg_temp.catalog_state() RETURNS text LANGUAGE sql AS $$
SELECT concat_ws(' | ',
    'active=' || (SELECT coalesce(array_agg(model_id ORDER BY model_id), '{}')::text
                    FROM movie_recs.models WHERE active),
    'models=' || (SELECT count(*) FROM movie_recs.models),
    'centroids=' || (SELECT count(*) FROM movie_recs.centroids),
    'assignments=' || (SELECT count(*) FROM movie_recs.assignments),
    'cluster_movies=' || (SELECT count(*) FROM movie_recs.cluster_movies),
    'popular_movies=' || (SELECT count(*) FROM movie_recs.popular_movies),
    'recs=' || (SELECT md5(string_agg(format('%s:%s:%s:%s', u, r.rank, r.movie_id, r.score), ',' ORDER BY o, r.rank))
                  FROM unnest(ARRAY[1, 2, 50, 99, 100, -1]::bigint[]) WITH ORDINALITY AS l(u, o),
                       LATERAL recommend_movies(l.u, 10) r))
$$;

CREATE TEMP TABLE snapshot AS SELECT pg_temp.catalog_state() AS state;
CREATE TEMP TABLE recs_before AS
    SELECT u AS user_id, r.* FROM unnest(ARRAY[1, 2, 50, 99, 100, -1]::bigint[]) u,
                                  LATERAL recommend_movies(u, 10) r;

SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM first_model',
                  'the first model is active');
SELECT is((SELECT count(*) FROM recs_before), 60::bigint, 'baseline: 10 recommendations for each of 6 users');

-- Tables to fail on.
CREATE TABLE public.ratings_nan AS SELECT * FROM public.ratings;
INSERT INTO public.ratings_nan VALUES (1, 1, 'NaN', now());
CREATE TABLE public.ratings_inf AS SELECT * FROM public.ratings;
INSERT INTO public.ratings_inf VALUES (7, 3, '-Infinity', now());
CREATE TABLE public.ratings_text (user_id bigint, movie_id bigint, rating text);
INSERT INTO public.ratings_text SELECT user_id, movie_id, rating::text FROM public.ratings;
CREATE TABLE public.ratings_empty (LIKE public.ratings);
CREATE TABLE public.ratings_all_null AS SELECT user_id, movie_id, NULL::real AS rating FROM public.ratings;
CREATE SEQUENCE public.not_a_table;
CREATE TEMP TABLE temp_ratings AS SELECT * FROM public.ratings;

-- Each failing call: its SQLSTATE, then the catalog and the recommendations are unchanged.
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 101)$$, '22023',
                 'k must not be greater than the number of users',
                 'k greater than the number of users (100) raises 22023');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after k > users');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 0)$$, '22023', NULL, 'k = 0 raises 22023');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after k = 0');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, max_iterations => 0)$$, '22023', NULL,
                 'max_iterations = 0 raises 22023');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after max_iterations = 0');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, tolerance => -1)$$, '22023', NULL,
                 'a negative tolerance raises 22023');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, tolerance => 'NaN')$$, '22023', NULL,
                 'a NaN tolerance raises 22023');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after bad tolerances');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, user_column => 'movie_id')$$, '22023', NULL,
                 'the same column for users and movies raises 22023');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after user_column = movie_column');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => NULL)$$, '22004', 'k must not be null',
                 'a NULL k raises 22004');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(NULL, k => 4)$$, '22004', 'ratings_table must not be null',
                 'a NULL ratings_table raises 22004');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, seed => NULL)$$, '22004', 'seed must not be null',
                 'a NULL seed raises 22004');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after NULL arguments');

SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings_nan', k => 4)$$, '22003',
                 'relation "public.ratings_nan" has a rating that is not a finite number',
                 'a NaN rating raises 22003');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after a NaN rating');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings_inf', k => 4)$$, '22003', NULL,
                 'a -Infinity rating raises 22003');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after a -Infinity rating');
-- Control: the NaN sits in the rating column only; implicit feedback does not read it.
SELECT lives_ok($$SELECT * FROM train_movie_clusters('public.ratings_nan', k => 4, rating_column => NULL)$$,
                'an implicit-feedback training ignores the NaN in the unused rating column');
SELECT is((SELECT count(*) FROM movie_recs.models WHERE active AND rating_column IS NULL), 1::bigint,
          'control: that training activated an implicit-feedback model');
UPDATE movie_recs.models SET active = false WHERE active;
UPDATE movie_recs.models SET active = true WHERE model_id = (SELECT model_id FROM first_model);
DELETE FROM movie_recs.models WHERE model_id <> (SELECT model_id FROM first_model);
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'control model removed, first model active again');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, rating_column => 'stars')$$, '42703',
                 'column "stars" does not exist in relation "public.ratings"',
                 'a missing rating column raises 42703');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, user_column => 'customer_id')$$, '42703', NULL,
                 'a missing user column raises 42703');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, movie_column => 'film')$$, '42703', NULL,
                 'a missing movie column raises 42703');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after missing columns');

SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, movie_column => 'rated_at')$$, '42804', NULL,
                 'a timestamptz movie column raises 42804');
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 4, rating_column => 'rated_at')$$, '42804', NULL,
                 'a timestamptz rating column raises 42804');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings_text', k => 4)$$, '42804', NULL,
                 'a text rating column raises 42804');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.movies', k => 4, user_column => 'title', rating_column => NULL)$$,
                 '42804', NULL, 'a text user column raises 42804');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after wrong column types');

SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings_empty', k => 4)$$, '22000', NULL,
                 'an empty table raises 22000');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.ratings_all_null', k => 4)$$, '22000', NULL,
                 'a table whose every rating is NULL raises 22000');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.not_a_table', k => 4)$$, '42809', NULL,
                 'a sequence raises 42809');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('temp_ratings', k => 4)$$, '0A000', NULL,
                 'a temporary table raises 0A000');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot), 'unchanged after empty and unusable relations');

-- A failure while the catalog is being written, after the old model was deactivated and the new
-- model's row, centroids, assignments and cluster lists were inserted.
CREATE FUNCTION pg_temp.fail_popular() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'injected failure writing popular_movies' USING ERRCODE = 'P0001';
END
$$;
CREATE TRIGGER fail_popular BEFORE INSERT ON movie_recs.popular_movies
    FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.fail_popular();
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 3, seed => 5)$$, 'P0001',
                 'injected failure writing popular_movies',
                 'an error raised by the last catalog write reaches the caller unchanged');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot),
          'unchanged after a failure in the middle of writing the catalog');
DROP TRIGGER fail_popular ON movie_recs.popular_movies;

-- The detailed checks after all the failures.
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM first_model',
                  'after every failure the first model is still the only active one');
SELECT results_eq('SELECT model_id FROM movie_recs.models', 'SELECT model_id FROM first_model',
                  'after every failure there is still exactly one model');
SELECT is_empty(
    $$SELECT 'centroids', model_id FROM movie_recs.centroids WHERE model_id <> (SELECT model_id FROM first_model)
      UNION ALL SELECT 'assignments', model_id FROM movie_recs.assignments WHERE model_id <> (SELECT model_id FROM first_model)
      UNION ALL SELECT 'cluster_movies', model_id FROM movie_recs.cluster_movies WHERE model_id <> (SELECT model_id FROM first_model)
      UNION ALL SELECT 'popular_movies', model_id FROM movie_recs.popular_movies WHERE model_id <> (SELECT model_id FROM first_model)$$,
    'no catalog rows of any other model exist');
SELECT results_eq(
    $$SELECT u AS user_id, r.* FROM unnest(ARRAY[1, 2, 50, 99, 100, -1]::bigint[]) u,
                                    LATERAL recommend_movies(u, 10) r$$,
    'SELECT * FROM recs_before',
    'recommendations are unchanged');

-- ---------------------------------------------------------------------------------------------
-- A successful training rolled back by the caller
-- ---------------------------------------------------------------------------------------------
-- pgTAP's bookkeeping would be rolled back with the savepoint too, so what happens inside it is
-- captured in psql variables and tested afterwards.
SAVEPOINT before_second;
SELECT model_id AS second_model_id FROM train_movie_clusters(k => 3, seed => 99) \gset
SELECT (SELECT array_agg(model_id) FROM movie_recs.models WHERE active)::text AS inside_active,
       pg_temp.catalog_state() AS inside_state,
       (SELECT string_agg(movie_id::text, ',' ORDER BY rank) FROM recommend_movies(1, 10)) AS inside_recs_1
\gset
ROLLBACK TO SAVEPOINT before_second;

SELECT is(:'inside_active', '{' || :'second_model_id' || '}',
          'inside the savepoint the second model was the only active one');
SELECT isnt(:'inside_state', (SELECT state FROM snapshot),
            'inside the savepoint the catalog and the recommendations had changed');
SELECT isnt(:'inside_recs_1', (SELECT string_agg(movie_id::text, ',' ORDER BY rank) FROM recs_before WHERE user_id = 1),
            'inside the savepoint user 1 got the second model''s recommendations (the cache was loaded)');
SELECT is(pg_temp.catalog_state(), (SELECT state FROM snapshot),
          'after ROLLBACK TO SAVEPOINT the catalog and the recommendations are the first model''s again');
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM first_model',
                  'after ROLLBACK TO SAVEPOINT the first model is active');
SELECT is_empty(format('SELECT 1 FROM movie_recs.assignments WHERE model_id = %s', :'second_model_id'),
                'after ROLLBACK TO SAVEPOINT no assignments of the second model remain');
SELECT results_eq(
    $$SELECT u AS user_id, r.* FROM unnest(ARRAY[1, 2, 50, 99, 100, -1]::bigint[]) u,
                                    LATERAL recommend_movies(u, 10) r$$,
    'SELECT * FROM recs_before',
    'after ROLLBACK TO SAVEPOINT recommendations are the first model''s');

-- ---------------------------------------------------------------------------------------------
-- After all that, a training succeeds normally
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE third_model AS SELECT * FROM train_movie_clusters(k => 3, seed => 99);
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM third_model',
                  'a later successful training activates its model');
SELECT cmp_ok((SELECT model_id FROM third_model), '>', :'second_model_id'::bigint,
              'model ids are not reused after a rollback');
SELECT results_eq('SELECT model_id, active FROM movie_recs.models ORDER BY model_id',
                  $$VALUES ((SELECT model_id FROM first_model), false), ((SELECT model_id FROM third_model), true)$$,
                  'the first model is kept, inactive');
SELECT is((SELECT string_agg(movie_id::text, ',' ORDER BY rank) FROM recommend_movies(1, 10)), :'inside_recs_1',
          'the same data and seed give the same recommendations as the rolled-back training');

-- ---------------------------------------------------------------------------------------------
-- Known bug: the serving cache is keyed by (model_id, created_at). Within one transaction a
-- re-created extension repeats both (the identity restarts at 1, created_at is now()), so the
-- old model keeps being served.
-- ---------------------------------------------------------------------------------------------
UPDATE movie_recs.models SET active = false WHERE active;
UPDATE movie_recs.models SET active = true WHERE model_id = (SELECT model_id FROM first_model);
SELECT results_eq('SELECT movie_id, score, rank FROM recommend_movies(1, 10)',
                  'SELECT movie_id, score, rank FROM recs_before WHERE user_id = 1 ORDER BY rank',
                  're-activating the first model by hand serves its recommendations again');
DROP EXTENSION movie_recs;
CREATE EXTENSION movie_recs;
CREATE TABLE public.other_ratings (user_id bigint, movie_id bigint, rating real);
INSERT INTO public.other_ratings
SELECT u, 1000 + m, 3 FROM generate_series(1, 10) u, generate_series(1, 6) m WHERE (u + m) % 2 = 0;
CREATE TEMP TABLE recreated_model AS SELECT * FROM train_movie_clusters('public.other_ratings', k => 2);
SELECT is((SELECT model_id FROM recreated_model), (SELECT model_id FROM first_model),
          'precondition: the re-created extension reuses the first model_id');
SELECT is_empty(
    $$SELECT movie_id FROM recommend_movies(1, 3) WHERE movie_id NOT BETWEEN 1001 AND 1006$$,
    'after re-creating the extension and training, only movies of the new model are recommended');

SELECT * FROM finish();
ROLLBACK;
