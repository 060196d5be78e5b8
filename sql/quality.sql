-- Quality features on hand-made data: clustering on liked movies, implicit feedback, fold-in and
-- the source column of recommend_movies(), explain, evaluation and suggest_k (with their errors).

-- Two taste groups that rated the same twelve movies with opposite tastes: users 1..10 gave
-- movies 1..6 five stars and movies 7..12 one star, users 11..20 the reverse. Each user skipped
-- two movies of each half: u % 6 + 1, (u + 3) % 6 + 1 and the same plus 6. Which movies were
-- rated says nothing here; which were liked says everything.
CREATE TABLE taste (user_id bigint, movie_id bigint, rating real, rated_at timestamptz);
INSERT INTO taste
SELECT u, m, CASE WHEN (u <= 10) = (m <= 6) THEN 5 ELSE 1 END,
       timestamptz '2020-01-01' + make_interval(days => u * 20 + (m * 5 + u) % 12)
  FROM generate_series(1, 20) u, generate_series(1, 12) m
 WHERE (m - 1) % 6 NOT IN (u % 6, (u + 3) % 6);
CREATE INDEX ON taste (user_id);

SELECT k, users, movies, ratings FROM train_movie_clusters('taste', 2);
SELECT user_vector, round(temperature::numeric, 2) AS temperature FROM movie_recs.models WHERE active;
-- The two clusters are the two groups.
SELECT array_agg(user_id ORDER BY user_id) AS members
  FROM movie_recs.assignments a JOIN movie_recs.models m USING (model_id)
 WHERE m.active GROUP BY cluster_id ORDER BY 1;
-- A cluster's scores count the members who liked a movie (rated it at least their own mean):
-- group one's cluster ranks movies 1..6 first.
SELECT t.cluster_id = a.cluster_id AS users_1_cluster, t.rank, t.movie_id,
       round(t.score::numeric, 4) AS score, round(t.lift::numeric, 4) AS lift, t.lift_rank
  FROM movie_recs.cluster_top_movies t
  JOIN movie_recs.assignments a ON a.user_id = 1
  JOIN movie_recs.models m ON m.model_id = a.model_id AND m.active
 WHERE t.rank <= 6 ORDER BY 1 DESC, t.rank;
-- popular_movies holds the share of all users who liked each movie.
SELECT p.rank, p.movie_id, round(p.score::numeric, 4) AS score
  FROM movie_recs.popular_movies p JOIN movie_recs.models m USING (model_id)
 WHERE m.active AND p.rank <= 3 ORDER BY p.rank;

-- User 1 skipped movies 2 and 5, which their group loves: they come first, then 8 and 11, from
-- the stored assignment.
SELECT movie_id, rank, source FROM recommend_movies(1, 4);
-- User 12 (group two) skipped movies 7 and 10 (and 1 and 4).
SELECT movie_id, rank, source FROM recommend_movies(12, 2);

-- Fold-in: a user the model never saw, who loves movies 8 and 9 and dislikes movie 1, is placed
-- in group two's cluster from these ratings, and gets that group's other favourites.
INSERT INTO taste VALUES (100, 8, 5, now()), (100, 9, 5, now()), (100, 1, 1, now());
SELECT movie_id, rank, source FROM recommend_movies(100, 3);
SELECT cluster_id = (SELECT cluster_id FROM movie_recs.assignments a JOIN movie_recs.models m
                      USING (model_id) WHERE m.active AND a.user_id = 12) AS group_two,
       round(distance::numeric, 4) AS distance, round(weight::numeric, 4) AS weight, assigned, source
  FROM movie_recs.user_cluster(100) ORDER BY distance;
-- A known user who rates a movie after training is folded in again from their ratings now.
SELECT source FROM recommend_movies(1, 1);
INSERT INTO taste VALUES (1, 2, 5, now());
SELECT movie_id, rank, source FROM recommend_movies(1, 3);
DELETE FROM taste WHERE user_id = 1 AND movie_id = 2;
SELECT DISTINCT source FROM recommend_movies(1, 2);
-- A rating with a NULL value is excluded from the list but does not place the user.
INSERT INTO taste VALUES (1, 2, NULL, now());
SELECT movie_id, rank, source FROM recommend_movies(1, 3);
DELETE FROM taste WHERE user_id = 1 AND movie_id = 2;
-- No rating at all, or only movies the model does not know: the popular list.
SELECT movie_id, rank, source FROM recommend_movies(500, 2);
INSERT INTO taste VALUES (501, 99, 5, now());
SELECT movie_id, rank, source FROM recommend_movies(501, 2);
SELECT count(*) AS explained FROM movie_recs.user_cluster(500);
SELECT count(*) AS explained FROM movie_recs.user_cluster(501);
DELETE FROM taste WHERE user_id >= 100;
-- A known user's explanation: their stored weights, distances from their ratings now.
SELECT cluster_id = (SELECT cluster_id FROM movie_recs.assignments a JOIN movie_recs.models m
                      USING (model_id) WHERE m.active AND a.user_id = 1) AS own,
       round(distance::numeric, 4) AS distance, round(weight::numeric, 4) AS weight, assigned, source
  FROM movie_recs.user_cluster(1) ORDER BY distance;
SELECT round(a.distance::numeric, 4) AS stored_distance
  FROM movie_recs.assignments a JOIN movie_recs.models m USING (model_id)
 WHERE m.active AND a.user_id = 1;
SELECT * FROM movie_recs.user_cluster(NULL);

-- Implicit feedback: no rating column, every row counts as a liked movie (presence). The groups
-- rated the same movies, so they cannot be told apart any more.
SELECT k, users, ratings FROM train_movie_clusters('taste', 2, rating_column => NULL);
SELECT rating_column IS NULL AS implicit FROM movie_recs.models WHERE active;
SELECT p.rank, p.movie_id, round(p.score::numeric, 4) AS score
  FROM movie_recs.popular_movies p JOIN movie_recs.models m USING (model_id)
 WHERE m.active AND p.rank <= 2 ORDER BY p.rank;
SELECT movie_id, rank, source FROM recommend_movies(1, 1);

-- Evaluation: each user's latest rating (20% of 8, at least one) is held out. It writes nothing.
SELECT count(*) AS models_before FROM movie_recs.models \gset
SELECT method, n, round("precision"::numeric, 4) AS "precision", round(recall::numeric, 4) AS recall,
       round(ndcg::numeric, 4) AS ndcg, round(coverage::numeric, 4) AS coverage, users
  FROM evaluate_movie_recommendations('taste', n => 2, time_column => 'rated_at', k => 2);
SELECT count(*) = :models_before AS catalog_unchanged FROM movie_recs.models;
-- A random holdout instead, and implicit feedback (every held-out movie is relevant).
SELECT method, users FROM evaluate_movie_recommendations('taste', k => 2, seed => 3);
SELECT method, users
  FROM evaluate_movie_recommendations('taste', k => 2, rating_column => NULL);

-- suggest_k: one row per k, in the order given.
SELECT k, round(inertia::numeric, 4) AS inertia, round(silhouette::numeric, 4) AS silhouette,
       round(davies_bouldin::numeric, 4) AS davies_bouldin, ndcg IS NOT NULL AS has_ndcg,
       smallest_cluster, largest_cluster
  FROM movie_recs.suggest_k('taste', '{2,1,4}', time_column => 'rated_at');

-- Errors.
\set VERBOSITY default
SELECT * FROM evaluate_movie_recommendations('no_such_table');
SELECT * FROM evaluate_movie_recommendations('taste', n => 0);
SELECT * FROM evaluate_movie_recommendations('taste', n => 1001);
SELECT * FROM evaluate_movie_recommendations('taste', holdout => 0);
SELECT * FROM evaluate_movie_recommendations('taste', holdout => 1);
SELECT * FROM evaluate_movie_recommendations('taste', holdout => NULL);
SELECT * FROM evaluate_movie_recommendations('taste', k => 0);
SELECT * FROM evaluate_movie_recommendations('taste', k => 21);
SELECT * FROM evaluate_movie_recommendations('taste', seed => NULL);
SELECT * FROM evaluate_movie_recommendations('taste', relevance_threshold => 'NaN');
SELECT * FROM evaluate_movie_recommendations('taste', relevance_threshold => 6);
SELECT * FROM evaluate_movie_recommendations('taste', time_column => 'when');
SELECT * FROM evaluate_movie_recommendations('taste', time_column => 'rating');
CREATE TABLE text_times (user_id bigint, movie_id bigint, rating real, t text);
SELECT * FROM evaluate_movie_recommendations('text_times', time_column => 't');
SELECT * FROM evaluate_movie_recommendations('text_times');
SELECT * FROM evaluate_movie_recommendations('taste', user_column => 'uid');
SELECT * FROM evaluate_movie_recommendations('taste', max_iterations => 0);
SELECT * FROM movie_recs.suggest_k('taste', '{}');
SELECT * FROM movie_recs.suggest_k('taste', '{2,NULL}');
SELECT * FROM movie_recs.suggest_k('taste', '{0}');
SELECT * FROM movie_recs.suggest_k('taste', '{2,30}');
SELECT * FROM movie_recs.suggest_k('taste', NULL);
SELECT * FROM movie_recs.suggest_k('taste', sample_size => 1);
DROP TABLE text_times;
