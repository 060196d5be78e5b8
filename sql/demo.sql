-- Demo data: deterministic generators and load_demo_data().
CREATE SCHEMA demo;
\set SHOW_CONTEXT never

SELECT count(*), count(DISTINCT user_id) AS users, min(rating), max(rating)
  FROM movie_recs.demo_ratings(100, 50, 42);
SELECT * FROM movie_recs.demo_ratings(3, 20, 42) ORDER BY user_id, rated_at LIMIT 5;
SELECT * FROM movie_recs.demo_movies(100, 42) ORDER BY movie_id LIMIT 5;
-- Same seed, same data; another seed, other data.
SELECT (SELECT array_agg(r ORDER BY r::text) FROM movie_recs.demo_ratings(20, 30, 42) r)
     = (SELECT array_agg(r ORDER BY r::text) FROM movie_recs.demo_ratings(20, 30, 42) r) AS same,
       (SELECT array_agg(r ORDER BY r::text) FROM movie_recs.demo_ratings(20, 30, 42) r)
     = (SELECT array_agg(r ORDER BY r::text) FROM movie_recs.demo_ratings(20, 30, 43) r) AS other;
-- Bad arguments.
SELECT * FROM movie_recs.demo_ratings(0, 10, 42);
SELECT * FROM movie_recs.demo_ratings(10, 1, 42);
SELECT * FROM movie_recs.demo_ratings(NULL, 10, 42);
SELECT * FROM movie_recs.demo_movies(10, NULL);

-- load_demo_data() into a schema.
SELECT * FROM movie_recs.load_demo_data(users => 200, movies => 100, target_schema => 'demo');
SELECT count(*) FROM demo.ratings;
SELECT count(*) FROM demo.movies;
\d demo.ratings
-- It refuses to overwrite.
SELECT * FROM movie_recs.load_demo_data(users => 200, movies => 100, target_schema => 'demo');
-- ... unless asked to.
SELECT * FROM movie_recs.load_demo_data(users => 300, movies => 100, target_schema => 'demo',
                                        replace => true);
SELECT * FROM movie_recs.load_demo_data(target_schema => 'no_such_schema');
SELECT * FROM movie_recs.load_demo_data(replace => NULL, target_schema => 'demo');

-- The default target is the current schema.
SET search_path = demo, public;
SELECT * FROM movie_recs.load_demo_data(users => 300, movies => 100, replace => true);

-- Train on it and recommend.
SELECT k, iterations, converged, round(inertia::numeric, 4) AS inertia, users, movies, ratings
  FROM train_movie_clusters(k => 4);
SELECT source_schema, source_table FROM movie_recs.models WHERE active;
SELECT c.size FROM movie_recs.centroids c JOIN movie_recs.models m USING (model_id)
 WHERE m.active ORDER BY c.cluster_id;
SELECT r.rank, r.movie_id, round(r.score::numeric, 4) AS score, m.title
  FROM recommend_movies(1, 5) r JOIN movies m USING (movie_id) ORDER BY r.rank;
SELECT count(*) AS already_seen
  FROM recommend_movies(1, 100) r JOIN ratings x ON x.movie_id = r.movie_id AND x.user_id = 1;
RESET search_path;
