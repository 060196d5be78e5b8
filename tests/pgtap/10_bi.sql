-- 10_bi.sql -- the views for BI tools (user_clusters, cluster_top_movies, cluster_summary,
-- cluster_summaries() with titles) show the active model and agree with the catalog and the
-- ratings; materialize_recommendations() writes exactly what recommend_movies() returns.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(36);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 300, movies => 120, seed => 9);
-- A few duplicate ratings: training merges them into their mean.
INSERT INTO ratings SELECT user_id, movie_id, 1, rated_at FROM ratings WHERE user_id <= 5 AND movie_id % 3 = 0;

SELECT is_empty('SELECT * FROM movie_recs.user_clusters', 'no model: user_clusters is empty');
SELECT is_empty('SELECT * FROM movie_recs.cluster_summary', 'no model: cluster_summary is empty');
SELECT throws_ok($$SELECT * FROM movie_recs.materialize_recommendations(5, 'ratings')$$, '42703', NULL,
                 'the target is checked first');
CREATE TABLE public.recs (user_id bigint, movie_id bigint, score double precision, rank integer);
SELECT throws_ok($$SELECT * FROM movie_recs.materialize_recommendations(5, 'recs')$$, '55000',
                 'no trained movie_recs model', 'no model: materialize_recommendations fails (55000)');

CREATE TEMP TABLE old_model AS SELECT * FROM train_movie_clusters(k => 4, seed => 1);
CREATE TEMP TABLE model AS SELECT * FROM train_movie_clusters(k => 6, seed => 2);

-- ---------------------------------------------------------------------------------------------
-- Views
-- ---------------------------------------------------------------------------------------------
SELECT set_eq('SELECT * FROM movie_recs.user_clusters',
              $$SELECT model_id, user_id, cluster_id, distance, soft_clusters, soft_weights
                  FROM movie_recs.assignments WHERE model_id = (SELECT model_id FROM model)$$,
              'user_clusters: the assignments of the active model');
SELECT is((SELECT count(*) FROM movie_recs.user_clusters), 300::bigint, 'one row per user');
SELECT set_eq('SELECT model_id, cluster_id, rank, movie_id, score FROM movie_recs.cluster_top_movies',
              $$SELECT model_id, cluster_id, rank, movie_id, score
                  FROM movie_recs.cluster_movies WHERE model_id = (SELECT model_id FROM model)$$,
              'cluster_top_movies: the lists of the active model');

SELECT is((SELECT count(*) FROM movie_recs.cluster_summary), 6::bigint, 'cluster_summary: one row per cluster');
SELECT is((SELECT sum(size) FROM movie_recs.cluster_summary), 300::numeric, 'the sizes add up to the users');
SELECT ok((SELECT abs(sum(user_share) - 1) < 1e-12 FROM movie_recs.cluster_summary), 'the user shares add up to 1');
SELECT is((SELECT sum(ratings) FROM movie_recs.cluster_summary), (SELECT ratings FROM model)::numeric,
          'the ratings add up to the model''s (after merging duplicates)');
-- The mean rating of each cluster from the ratings table itself (duplicates merged first).
SELECT is_empty(
    $$SELECT s.cluster_id FROM movie_recs.cluster_summary s
        JOIN (SELECT a.cluster_id, avg(r.rating) AS mean_rating, count(*) AS ratings
                FROM (SELECT user_id, movie_id, avg(rating) AS rating FROM ratings GROUP BY 1, 2) r
                JOIN movie_recs.user_clusters a USING (user_id)
               GROUP BY a.cluster_id) x USING (cluster_id)
       WHERE s.ratings <> x.ratings OR abs(s.mean_rating - x.mean_rating) > 1e-6$$,
    'each cluster''s rating count and mean rating match the ratings table');
SELECT is_empty(
    $$SELECT s.cluster_id FROM movie_recs.cluster_summary s
       WHERE s.top_movie_ids <> ARRAY(SELECT movie_id FROM movie_recs.cluster_top_movies t
                                        WHERE t.cluster_id = s.cluster_id AND t.rank <= 10 ORDER BY t.rank)$$,
    'top_movie_ids: the 10 best movies of the cluster in rank order');

SELECT results_eq(
    $$SELECT cluster_id, size, top_movie_ids[1:3], top_titles FROM movie_recs.cluster_summaries(top_n => 3)$$,
    $$SELECT cluster_id, size, top_movie_ids[1:3], NULL::text[] FROM movie_recs.cluster_summary ORDER BY cluster_id$$,
    'cluster_summaries() without a movies table: the summary, top_n movies, no titles');
SELECT results_eq(
    $$SELECT cluster_id, top_titles FROM movie_recs.cluster_summaries('movies', top_n => 3)$$,
    $$SELECT s.cluster_id, ARRAY(SELECT m.title FROM unnest(s.top_movie_ids[1:3]) WITH ORDINALITY u(id, o)
                                   JOIN movies m ON m.movie_id = u.id ORDER BY u.o)
        FROM movie_recs.cluster_summary s ORDER BY s.cluster_id$$,
    'cluster_summaries(''movies''): the titles of the top movies in rank order');
SELECT is((SELECT count(*) FROM movie_recs.cluster_summaries('movies', top_n => 0) WHERE top_titles = '{}'),
          6::bigint, 'top_n => 0 gives empty lists');

-- After a rollback the views follow.
SELECT lives_ok('SELECT movie_recs.rollback_model()', 'roll back');
SELECT is((SELECT DISTINCT model_id FROM movie_recs.user_clusters), (SELECT model_id FROM old_model),
          'user_clusters shows the model active now');
SELECT is((SELECT count(*) FROM movie_recs.cluster_summary), 4::bigint, 'cluster_summary too');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT model_id FROM model)), 'back to the newer model');

-- Implicit feedback: no mean rating.
CREATE TABLE public.implicit AS SELECT user_id, movie_id FROM ratings;
SELECT lives_ok($$SELECT * FROM train_movie_clusters('implicit', k => 3, rating_column => NULL, activate => false)$$,
                'an implicit-feedback model');
SELECT is_empty($$SELECT 1 FROM movie_recs.centroids c JOIN movie_recs.models m USING (model_id)
                   WHERE m.rating_column IS NULL AND (c.mean_rating IS NOT NULL OR c.ratings IS NULL)$$,
                'it stores rating counts and no mean rating');

-- ---------------------------------------------------------------------------------------------
-- materialize_recommendations
-- ---------------------------------------------------------------------------------------------
SELECT results_eq($$SELECT * FROM movie_recs.materialize_recommendations(7, 'recs')$$,
                  $$SELECT model_id, 300::bigint, 2100::bigint FROM model$$,
                  'materialize_recommendations returns the model, the users and the rows written');
SELECT set_eq('SELECT * FROM recs',
              'SELECT a.user_id, r.movie_id, r.score, r.rank FROM movie_recs.user_clusters a, recommend_movies(a.user_id, 7) r',
              'the rows are exactly recommend_movies(user, 7) for every user of the model');
SELECT lives_ok($$SELECT * FROM movie_recs.materialize_recommendations(3, 'recs')$$, 'again with n = 3');
SELECT is((SELECT count(*) FROM recs), 900::bigint, 'replace => true (the default) replaces the rows');
SELECT lives_ok($$SELECT * FROM movie_recs.materialize_recommendations(2, 'recs', replace => false)$$,
                'replace => false');
SELECT is((SELECT count(*) FROM recs), 1500::bigint, 'replace => false appends');
SET LOCAL movie_recs.max_threads = 1;
CREATE TABLE public.recs_one_thread (LIKE public.recs, written_at timestamptz DEFAULT now());
SELECT lives_ok($$SELECT * FROM movie_recs.materialize_recommendations(7, 'recs_one_thread')$$,
                'a target with another column that has a default, on one thread');
RESET movie_recs.max_threads;
SELECT set_eq('SELECT user_id, movie_id, score, rank FROM recs_one_thread',
              'SELECT a.user_id, r.movie_id, r.score, r.rank FROM movie_recs.user_clusters a, recommend_movies(a.user_id, 7) r',
              'the same rows on one thread');
-- Users whose rated movies changed since training are folded in by both functions alike.
INSERT INTO ratings (user_id, movie_id, rating, rated_at)
SELECT v.u, (SELECT min(m.movie_id) FROM movies m
              WHERE NOT EXISTS (SELECT 1 FROM ratings r WHERE r.user_id = v.u AND r.movie_id = m.movie_id)),
       5, now()
  FROM (VALUES (1), (2)) v(u);
CREATE TABLE public.recs_changed (LIKE public.recs);
SELECT lives_ok($$SELECT * FROM movie_recs.materialize_recommendations(7, 'recs_changed')$$,
                'after users 1 and 2 rated another movie');
SELECT is((SELECT count(DISTINCT a.user_id) FROM movie_recs.user_clusters a,
                  recommend_movies(a.user_id, 7) r WHERE r.source = 'fold_in'),
          2::bigint, 'recommend_movies folds in those two users');
SELECT set_eq('SELECT * FROM recs_changed',
              'SELECT a.user_id, r.movie_id, r.score, r.rank FROM movie_recs.user_clusters a, recommend_movies(a.user_id, 7) r',
              'materialize_recommendations places them as recommend_movies does');
CREATE ROLE movie_recs_t_bi IN ROLE movie_recs_reader;
GRANT SELECT ON ratings, recs TO movie_recs_t_bi;
SET LOCAL ROLE movie_recs_t_bi;
SELECT throws_ok($$SELECT * FROM movie_recs.materialize_recommendations(5, 'recs')$$, '42501', NULL,
                 'the target is written with the caller''s rights: a reader without DELETE and INSERT on it fails (42501)');
RESET ROLE;
SELECT throws_ok($$SELECT * FROM movie_recs.materialize_recommendations(1001, 'recs')$$, '22023', NULL, 'n above 1000 (22023)');
SELECT throws_ok($$SELECT * FROM movie_recs.materialize_recommendations(NULL, 'recs')$$, '22004', NULL, 'a NULL n (22004)');

SELECT * FROM finish();
ROLLBACK;
