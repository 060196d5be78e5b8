-- 05_quality.sql -- evaluation, fold-in, explain and suggest_k on demo data: evaluation and
-- suggest_k never change the catalog or the active model; rating movies since training moves a
-- user's recommendations (fold-in); user_cluster and cluster_top_movies agree with the catalog.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(34);

SELECT lives_ok($$SELECT * FROM movie_recs.load_demo_data(users => 600, movies => 300, seed => 11)$$,
                'demo data with planted taste groups');
CREATE TEMP TABLE model AS SELECT * FROM train_movie_clusters(k => 8);

-- ---------------------------------------------------------------------------------------------
-- Evaluation changes nothing
-- ---------------------------------------------------------------------------------------------
CREATE TEMP VIEW catalog_state AS
SELECT (SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM movie_recs.models t) AS models,
       (SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM movie_recs.centroids t) AS centroids,
       (SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM movie_recs.assignments t) AS assignments,
       (SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM movie_recs.cluster_movies t) AS lists,
       (SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) FROM movie_recs.popular_movies t) AS popular,
       (SELECT last_value FROM movie_recs.models_model_id_seq) AS sequence;
CREATE TEMP TABLE before_state AS SELECT * FROM catalog_state;
CREATE TEMP TABLE before_recs AS SELECT * FROM recommend_movies(5, 10);

CREATE TEMP TABLE eval_time AS
    SELECT * FROM evaluate_movie_recommendations(time_column => 'rated_at', seed => 1);
CREATE TEMP TABLE eval_random AS SELECT * FROM evaluate_movie_recommendations(seed => 1);
CREATE TEMP TABLE eval_k AS SELECT * FROM movie_recs.suggest_k(ks => '{1,4,8}', sample_size => 300);

SELECT results_eq('SELECT * FROM catalog_state', 'SELECT * FROM before_state',
                  'evaluate_movie_recommendations and suggest_k leave every catalog table and the sequence unchanged');
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM model',
                  'the active model is still the one trained before');
SELECT results_eq('SELECT * FROM recommend_movies(5, 10)', 'SELECT * FROM before_recs',
                  'recommendations are unchanged after evaluating');

-- ---------------------------------------------------------------------------------------------
-- evaluate_movie_recommendations
-- ---------------------------------------------------------------------------------------------
SELECT results_eq('SELECT method, n FROM eval_time ORDER BY method',
                  $$VALUES ('most_rated', 10), ('movie_recs', 10)$$,
                  'one row per method, n defaults to 10');
SELECT is((SELECT count(DISTINCT users) FROM eval_time), 1::bigint,
          'both methods are measured on the same users');
SELECT cmp_ok((SELECT users FROM eval_time LIMIT 1), '>', 400::bigint,
              'most of the 600 users have a relevant held-out rating');
SELECT is_empty($$SELECT * FROM eval_time WHERE NOT ("precision" BETWEEN 0 AND 1 AND recall BETWEEN 0 AND 1
                                                   AND ndcg BETWEEN 0 AND 1 AND coverage BETWEEN 0 AND 1)$$,
                'precision, recall, NDCG and coverage are between 0 and 1');
SELECT cmp_ok((SELECT ndcg FROM eval_time WHERE method = 'movie_recs'), '>',
              (SELECT 1.5 * ndcg FROM eval_time WHERE method = 'most_rated'),
              'on data with planted taste groups the model beats the most-rated baseline by half');
SELECT cmp_ok((SELECT coverage FROM eval_time WHERE method = 'movie_recs'), '>',
              (SELECT coverage FROM eval_time WHERE method = 'most_rated'),
              'the model covers more of the catalogue than the baseline');
SELECT results_eq('SELECT * FROM evaluate_movie_recommendations(time_column => ''rated_at'', seed => 1)',
                  'SELECT * FROM eval_time',
                  'same data, parameters and seed: same figures');
SELECT results_eq('SELECT * FROM evaluate_movie_recommendations(seed => 1)', 'SELECT * FROM eval_random',
                  'the random holdout is reproducible with its seed');
SELECT isnt_empty($$SELECT * FROM evaluate_movie_recommendations(seed => 2) e
                     JOIN eval_random r USING (method) WHERE e.ndcg <> r.ndcg$$,
                  'another seed holds out other ratings');
SELECT cmp_ok((SELECT users FROM evaluate_movie_recommendations(n => 5, holdout => 0.5, k => 4)
                WHERE method = 'movie_recs'),
              '>', (SELECT users FROM eval_random LIMIT 1),
              'a larger holdout leaves more users with a relevant held-out rating');
SELECT is((SELECT count(*) FROM evaluate_movie_recommendations(rating_column => NULL)
            WHERE users = (SELECT count(DISTINCT user_id) FROM public.ratings)),
          2::bigint, 'implicit feedback: every held-out movie is relevant, so every user is evaluated');

-- Evaluating is for trainers, like training; readers may explain.
CREATE ROLE movie_recs_t5_reader IN ROLE movie_recs_reader;
GRANT SELECT ON public.ratings TO movie_recs_t5_reader;
SET LOCAL ROLE movie_recs_t5_reader;
SELECT throws_ok('SELECT * FROM evaluate_movie_recommendations()', '42501', NULL,
                 'a reader may not run evaluate_movie_recommendations');
SELECT throws_ok('SELECT * FROM movie_recs.suggest_k()', '42501', NULL,
                 'a reader may not run suggest_k');
SELECT lives_ok('SELECT * FROM movie_recs.user_cluster(5)', 'but may explain a user');
SELECT lives_ok('SELECT * FROM movie_recs.cluster_top_movies', 'and read the cluster summary');
RESET ROLE;

-- ---------------------------------------------------------------------------------------------
-- suggest_k
-- ---------------------------------------------------------------------------------------------
SELECT results_eq('SELECT k FROM eval_k', $$VALUES (1), (4), (8)$$, 'one row per k, in the order given');
SELECT ok((SELECT bool_and(inertia < prev) FROM (SELECT inertia, lag(inertia) OVER (ORDER BY k) AS prev FROM eval_k) s
            WHERE prev IS NOT NULL), 'inertia falls as k grows');
SELECT ok((SELECT silhouette IS NULL AND davies_bouldin IS NULL FROM eval_k WHERE k = 1),
          'silhouette and Davies-Bouldin are undefined (NULL) for one cluster');
SELECT ok((SELECT bool_and(silhouette BETWEEN -1 AND 1 AND davies_bouldin > 0) FROM eval_k WHERE k > 1),
          'silhouette is within [-1, 1] and Davies-Bouldin positive');
SELECT cmp_ok((SELECT ndcg FROM eval_k WHERE k = 8), '>', (SELECT ndcg FROM eval_k WHERE k = 1),
              'eight clusters for eight planted groups recommend better than one');
SELECT is((SELECT ndcg FROM eval_k WHERE k = 8),
          (SELECT ndcg FROM evaluate_movie_recommendations(k => 8) WHERE method = 'movie_recs'),
          'suggest_k''s NDCG is evaluate_movie_recommendations'' for the same k, holdout and seed');

-- ---------------------------------------------------------------------------------------------
-- Explain
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE explained AS SELECT * FROM movie_recs.user_cluster(5);
SELECT is((SELECT count(*) FROM explained), 8::bigint, 'user_cluster gives one row per cluster');
SELECT results_eq(
    $$SELECT cluster_id, round(distance::numeric, 5) FROM explained WHERE assigned$$,
    $$SELECT a.cluster_id, round(a.distance::numeric, 5) FROM movie_recs.assignments a
       WHERE a.model_id = (SELECT model_id FROM model) AND a.user_id = 5$$,
    'an unchanged user''s own cluster and distance are the stored ones');
SELECT results_eq(
    $$SELECT cluster_id, weight FROM explained WHERE weight > 0 ORDER BY weight DESC, cluster_id$$,
    $$SELECT c, w FROM movie_recs.assignments a, unnest(a.soft_clusters, a.soft_weights) AS s(c, w)
       WHERE a.model_id = (SELECT model_id FROM model) AND a.user_id = 5 AND w > 0
       ORDER BY w DESC, c$$,
    'the weights are the user''s stored soft assignment');
SELECT is((SELECT count(*) FROM movie_recs.cluster_top_movies),
          (SELECT count(*) FROM movie_recs.cluster_movies WHERE model_id = (SELECT model_id FROM model)),
          'cluster_top_movies lists every ranked movie of the active model');
SELECT is_empty(
    $$SELECT t.cluster_id FROM movie_recs.cluster_top_movies t
       JOIN movie_recs.centroids c ON c.model_id = (SELECT model_id FROM model) AND c.cluster_id = t.cluster_id
      WHERE t.size <> c.size OR t.lift_rank < 1$$,
    'cluster sizes are the centroids'' and lift ranks start at 1');
SELECT is((SELECT count(*) FROM movie_recs.cluster_top_movies t JOIN public.movies m USING (movie_id)
            WHERE t.lift_rank <= 3),
          (SELECT count(*) FROM movie_recs.cluster_top_movies WHERE lift_rank <= 3),
          'the summary joins the movies table for titles');

-- ---------------------------------------------------------------------------------------------
-- Fold-in moves recommendations
-- ---------------------------------------------------------------------------------------------
-- User 5 rates, five stars each, the ten movies most typical of a cluster that is not theirs.
CREATE TEMP TABLE target AS
SELECT cluster_id FROM explained WHERE NOT assigned ORDER BY distance DESC LIMIT 1;
INSERT INTO public.ratings (user_id, movie_id, rating, rated_at)
SELECT 5, t.movie_id, 5, now()
  FROM movie_recs.cluster_top_movies t
 WHERE t.cluster_id = (SELECT cluster_id FROM target)
   AND NOT EXISTS (SELECT 1 FROM public.ratings r WHERE r.user_id = 5 AND r.movie_id = t.movie_id)
 ORDER BY t.lift_rank LIMIT 10;
SELECT ok((SELECT bool_and(source = 'fold_in') FROM recommend_movies(5, 10)),
          'after rating movies the user is folded in again');
SELECT cmp_ok((SELECT weight FROM movie_recs.user_cluster(5) WHERE cluster_id = (SELECT cluster_id FROM target)),
              '>', (SELECT weight FROM explained WHERE cluster_id = (SELECT cluster_id FROM target)),
              'the cluster of the newly rated movies weighs more in the user''s blend');
SELECT isnt_empty(
    $$SELECT movie_id FROM recommend_movies(5, 10) EXCEPT SELECT movie_id FROM before_recs$$,
    'the recommendations moved');

SELECT * FROM finish();
ROLLBACK;
