-- Training on a small hand-made table with two obvious taste groups:
-- users 1..12 rate movies 1..6 (each skips one), users 13..24 rate movies 11..16 (each skips
-- one), and everybody rated movie 20; every rating is 4, so every rated movie is also a liked
-- one (sql/quality.sql trains on ratings that differ).
CREATE TABLE ratings (user_id bigint, movie_id bigint, rating real, rated_at timestamptz);
INSERT INTO ratings (user_id, movie_id, rating)
SELECT u, m, 4
  FROM generate_series(1, 24) AS u,
       LATERAL (SELECT CASE WHEN u <= 12 THEN g ELSE g + 10 END AS m
                  FROM generate_series(1, 6) AS g
                 WHERE g <> u % 6 + 1) AS movies;
INSERT INTO ratings (user_id, movie_id, rating) SELECT u, 20, 4 FROM generate_series(1, 24) AS u;
CREATE INDEX ON ratings (user_id);

-- All defaults, unqualified (ratings_table defaults to the table "ratings" of the search_path).
SELECT model_id, k, iterations, converged, users, movies, ratings
  FROM train_movie_clusters();
SELECT k, max_iterations, tolerance, seed, user_column, movie_column, rating_column,
       source_schema, source_table, active
  FROM movie_recs.models;

-- Two clusters: the two taste groups.
SELECT model_id, k, iterations, converged, round(inertia::numeric, 6) AS inertia,
       users, movies, ratings, train_seconds >= 0 AS timed
  FROM train_movie_clusters('ratings', 2);
SELECT model_id, active, users, movies, ratings, skipped_rows, duplicates_merged,
       user_vector, soft_clusters, iterations, converged
  FROM movie_recs.models ORDER BY model_id;
-- Catalog rows of the active model.
SELECT (SELECT count(*) FROM movie_recs.centroids c WHERE c.model_id = m.model_id) AS centroids,
       (SELECT count(*) FROM movie_recs.assignments a WHERE a.model_id = m.model_id) AS assignments,
       (SELECT count(*) FROM movie_recs.cluster_movies l WHERE l.model_id = m.model_id) AS cluster_movies,
       (SELECT count(*) FROM movie_recs.popular_movies p WHERE p.model_id = m.model_id) AS popular_movies
  FROM movie_recs.models m WHERE m.active;
-- Each group is one cluster.
SELECT array_agg(a.user_id ORDER BY a.user_id) AS members, c.size
  FROM movie_recs.assignments a
  JOIN movie_recs.models m ON m.model_id = a.model_id AND m.active
  JOIN movie_recs.centroids c ON c.model_id = a.model_id AND c.cluster_id = a.cluster_id
 GROUP BY a.cluster_id, c.size ORDER BY members;
-- Each centroid is non-zero exactly on its group's movies (and movie 20), ids ascending.
SELECT c.movie_ids, c.size
  FROM movie_recs.centroids c JOIN movie_recs.models m ON m.model_id = c.model_id AND m.active
 ORDER BY c.movie_ids;
-- With two clusters every user blends both, its own first.
SELECT a.user_id, a.soft_clusters[1] = a.cluster_id AS own_first,
       cardinality(a.soft_clusters) AS width, round(a.soft_weights[1] + a.soft_weights[2]) AS total
  FROM movie_recs.assignments a JOIN movie_recs.models m ON m.model_id = a.model_id AND m.active
 WHERE a.user_id IN (1, 24) ORDER BY a.user_id;
-- A cluster's list: movie 20 (rated by everybody), its own movies (tied, so by movie_id),
-- then the other group's movies.
SELECT l.rank, l.movie_id, round(l.score::numeric, 6) AS score
  FROM movie_recs.cluster_movies l
  JOIN movie_recs.assignments a ON a.model_id = l.model_id AND a.cluster_id = l.cluster_id
  JOIN movie_recs.models m ON m.model_id = l.model_id AND m.active
 WHERE a.user_id = 1 AND l.rank <= 8 ORDER BY l.rank;
SELECT p.rank, p.movie_id, round(p.score::numeric, 6) AS score
  FROM movie_recs.popular_movies p JOIN movie_recs.models m ON m.model_id = p.model_id AND m.active
 WHERE p.rank <= 3 ORDER BY p.rank;

-- Only the newest model is active.
SELECT count(*) AS models, count(*) FILTER (WHERE active) AS active FROM movie_recs.models;

-- Same data and seed: same model.
SELECT k, iterations, converged, round(inertia::numeric, 6) AS inertia
  FROM train_movie_clusters('ratings', 2, seed => 42);

-- Named arguments in any order; schema-qualified name.
SELECT k, users, movies, ratings
  FROM public.train_movie_clusters(k => 3, max_iterations => 50, tolerance => 0,
                                   seed => 7, ratings_table => 'public.ratings');
SELECT k, max_iterations, tolerance, seed FROM movie_recs.models WHERE active;

-- A view with other column names as input.
CREATE VIEW ratings_view AS SELECT user_id AS uid, movie_id AS mid, rating AS stars FROM ratings;
SELECT k, users, movies, ratings
  FROM train_movie_clusters('ratings_view', 2, user_column => 'uid', movie_column => 'mid',
                            rating_column => 'stars');
SELECT source_table, user_column, movie_column, rating_column FROM movie_recs.models WHERE active;

-- integer and smallint ids, numeric ratings.
CREATE TABLE small_ids (member integer, film smallint, score numeric(3, 1));
INSERT INTO small_ids SELECT user_id, movie_id, rating FROM ratings;
SELECT k, users, movies, ratings
  FROM train_movie_clusters('small_ids', 2, user_column => 'member', movie_column => 'film',
                            rating_column => 'score');

-- No rating column: every row is a rating of 1 (implicit feedback).
SELECT k, users, movies, ratings
  FROM train_movie_clusters('ratings', 2, rating_column => NULL);
SELECT rating_column IS NULL AS implicit FROM movie_recs.models WHERE active;

-- Progress as NOTICEs (one per k-means iteration) when asked for.
SET movie_recs.progress = on;
SELECT k, iterations FROM train_movie_clusters('ratings', 2);
RESET movie_recs.progress;

-- A failed training leaves the active model alone.
SELECT model_id AS active_before FROM movie_recs.models WHERE active \gset
SELECT * FROM train_movie_clusters('ratings', 25);
SELECT model_id = :active_before AS unchanged FROM movie_recs.models WHERE active;
-- So does a rolled-back one.
BEGIN;
SELECT k FROM train_movie_clusters('ratings', 2);
ROLLBACK;
SELECT model_id = :active_before AS unchanged FROM movie_recs.models WHERE active;

-- The thread count does not change the model.
SET movie_recs.max_threads = 1;
SELECT round(inertia::numeric, 6) AS inertia_1_thread FROM train_movie_clusters('ratings', 3);
SET movie_recs.max_threads = 4;
SELECT round(inertia::numeric, 6) AS inertia_4_threads FROM train_movie_clusters('ratings', 3);
SELECT threads FROM movie_recs.models WHERE active;
RESET movie_recs.max_threads;

-- Leave the two-group model active for the next tests.
SELECT k FROM train_movie_clusters('ratings', 2);
