-- Serving from the two-group model trained at the end of train.sql.

-- User 1 (first group) skipped movie 2: it comes first, then the other group's movies, tied
-- and therefore by movie_id. Movies user 1 rated are never recommended.
SELECT * FROM recommend_movies(1, 5);
SELECT count(*) AS seen_recommended
  FROM recommend_movies(1, 1000) r JOIN ratings USING (movie_id) WHERE ratings.user_id = 1;
-- User 24 (second group) skipped movie 11.
SELECT movie_id, rank FROM recommend_movies(24, 3);
-- The default n is 10, and a user cannot get more movies than the model knows unseen.
SELECT count(*) FROM recommend_movies(1);
SELECT count(*) FROM recommend_movies(1, 1000);
-- Scores descending, ranks 1..n.
SELECT bool_and(score <= prev) AS descending, array_agg(rank ORDER BY rank) AS ranks
  FROM (SELECT score, rank, lag(score, 1, 'Infinity') OVER (ORDER BY rank) AS prev
          FROM recommend_movies(13, 6)) s;

-- n = 0 gives no rows.
SELECT * FROM recommend_movies(1, 0);

-- A rating added after training disappears from the user's list at once.
SELECT movie_id FROM recommend_movies(1, 1);
INSERT INTO ratings (user_id, movie_id, rating) VALUES (1, 2, 5);
SELECT movie_id FROM recommend_movies(1, 1);
DELETE FROM ratings WHERE user_id = 1 AND movie_id = 2;
SELECT movie_id FROM recommend_movies(1, 1);

-- An unknown user gets the most popular movies (everybody rated movie 20).
SELECT movie_id, round(score::numeric, 6) AS score, rank FROM recommend_movies(999, 3);
-- ... minus the ones they rated since.
INSERT INTO ratings (user_id, movie_id, rating) VALUES (999, 20, 5);
SELECT movie_id, rank FROM recommend_movies(999, 3);
DELETE FROM ratings WHERE user_id = 999;

-- Many users at once.
CREATE TABLE app_users (id bigint PRIMARY KEY, name text);
INSERT INTO app_users VALUES (1, 'ann'), (12, 'bob'), (13, 'cyd'), (24, 'dee'), (500, 'new');
SELECT u.name, r.rank, r.movie_id
  FROM app_users u CROSS JOIN LATERAL recommend_movies(u.id, 2) r
 ORDER BY u.id, r.rank;

-- Usable in plain expressions and with a STABLE planner.
SELECT (SELECT movie_id FROM recommend_movies(12, 1)) AS top_for_12;
PREPARE recs(bigint) AS SELECT movie_id FROM recommend_movies($1, 2);
EXECUTE recs(1);
EXECUTE recs(24);
DEALLOCATE recs;

-- A newly trained model is picked up by this session's cache.
-- (k = 1: one list for everybody, movie 2 scores (10 + 10 * 10/24) / (24 + 10).)
SELECT k FROM train_movie_clusters('ratings', 1);
SELECT movie_id, round(score::numeric, 6) AS score, rank FROM recommend_movies(1, 3);
SELECT k FROM train_movie_clusters('ratings', 2);
SELECT movie_id, round(score::numeric, 6) AS score, rank FROM recommend_movies(1, 3);

-- Members of movie_recs_reader may call recommend_movies() but need SELECT on the ratings table.
CREATE ROLE movie_recs_test_reader IN ROLE movie_recs_reader;
SET ROLE movie_recs_test_reader;
SELECT * FROM recommend_movies(1, 1);
RESET ROLE;
GRANT SELECT ON ratings TO movie_recs_test_reader;
SET ROLE movie_recs_test_reader;
SELECT movie_id, rank FROM recommend_movies(1, 1);
SELECT count(*) > 0 AS can_read_catalog FROM movie_recs.models;
SELECT * FROM train_movie_clusters('ratings', 2);
RESET ROLE;
REVOKE SELECT ON ratings FROM movie_recs_test_reader;
DROP ROLE movie_recs_test_reader;

-- If the source table changes after training, serving says so.
ALTER TABLE ratings RENAME COLUMN movie_id TO film_id;
SELECT * FROM recommend_movies(1, 1);
ALTER TABLE ratings RENAME COLUMN film_id TO movie_id;
SELECT movie_id FROM recommend_movies(1, 1);
ALTER TABLE ratings RENAME TO ratings_old;
SELECT * FROM recommend_movies(1, 1);
ALTER TABLE ratings_old RENAME TO ratings;
SELECT movie_id FROM recommend_movies(1, 1);
