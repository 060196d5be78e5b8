-- Reading large ratings tables: a large table without an index leading with the user column
-- gets a WARNING (recommend_movies() reads each user's ratings from it at every call); small
-- tables, and tables with such an index, get none. A rating beyond the range of real stops the
-- training like a NaN does.
SET client_min_messages = warning;
-- 4 rows per page, 1100 pages (8.6 MB).
CREATE TABLE wide_ratings AS
    SELECT u AS user_id, m AS movie_id, (u + m) % 5 + 1 AS rating, repeat('x', 1800) AS pad
      FROM generate_series(1, 1100) u, generate_series(1, 4) m;
SELECT k, users, ratings FROM train_movie_clusters('wide_ratings', 2);
CREATE INDEX wide_movie_user ON wide_ratings (movie_id, user_id);
SELECT k FROM train_movie_clusters('wide_ratings', 2);
CREATE INDEX wide_user_partial ON wide_ratings (user_id) WHERE rating > 2;
SELECT k FROM train_movie_clusters('wide_ratings', 2);
CREATE INDEX wide_user_movie ON wide_ratings (user_id, movie_id);
SELECT k FROM train_movie_clusters('wide_ratings', 2);
DROP TABLE wide_ratings;
-- The same shape at 2 pages: no warning.
CREATE TABLE narrow_ratings AS
    SELECT u AS user_id, m AS movie_id, 1 AS rating
      FROM generate_series(1, 100) u, generate_series(1, 4) m;
SELECT k FROM train_movie_clusters('narrow_ratings', 2);
-- Ratings are read as real: a larger magnitude is an error naming the row.
CREATE TABLE huge_ratings (user_id bigint, movie_id bigint, rating double precision);
INSERT INTO huge_ratings VALUES (1, 1, 4), (2, 1, 3), (2, 7, 1e300);
SELECT k FROM train_movie_clusters('huge_ratings', 1);
-- Training reads with the caller's rights even without a cursor: row-level security applies.
CREATE TABLE rls_ratings AS SELECT * FROM narrow_ratings;
ALTER TABLE rls_ratings ENABLE ROW LEVEL SECURITY;
CREATE POLICY few ON rls_ratings USING (user_id <= 10);
CREATE ROLE movie_recs_rls_reader IN ROLE movie_recs_trainer;
GRANT SELECT ON rls_ratings TO movie_recs_rls_reader;
SET ROLE movie_recs_rls_reader;
SELECT users, ratings FROM train_movie_clusters('rls_ratings', 2);
RESET ROLE;
REVOKE SELECT ON rls_ratings FROM movie_recs_rls_reader;
DROP TABLE rls_ratings, narrow_ratings, huge_ratings;
DROP ROLE movie_recs_rls_reader;
-- Serving reads the user's ratings through the index only where that gives what the SQL query
-- gives; row-level security, column privileges and inheritance children are honoured.
CREATE TABLE serve_ratings AS
    SELECT user_id, movie_id, rating FROM movie_recs.demo_ratings(300, 60, 3);
CREATE INDEX ON serve_ratings (user_id, movie_id, rating);
SELECT k FROM train_movie_clusters('serve_ratings', 3);
CREATE TABLE user1_movies AS SELECT movie_id FROM serve_ratings WHERE user_id = 1;
SELECT count(u.movie_id) AS seen_recommended, min(r.source) AS source
  FROM recommend_movies(1, 50) r LEFT JOIN user1_movies u USING (movie_id);
ALTER TABLE serve_ratings ENABLE ROW LEVEL SECURITY;
CREATE POLICY hide_user_1 ON serve_ratings USING (user_id <> 1);
CREATE ROLE movie_recs_serve_reader IN ROLE movie_recs_reader;
GRANT SELECT ON serve_ratings, user1_movies TO movie_recs_serve_reader;
SET ROLE movie_recs_serve_reader;
-- User 1's rows are hidden: nothing of theirs is excluded, and nothing places them.
SELECT count(u.movie_id) > 0 AS seen_recommended, min(r.source) AS source
  FROM recommend_movies(1, 50) r LEFT JOIN user1_movies u USING (movie_id);
SELECT DISTINCT source FROM recommend_movies(2, 5);
SET row_security = off;
SELECT count(*) FROM recommend_movies(2, 5);
RESET row_security;
RESET ROLE;
ALTER TABLE serve_ratings DISABLE ROW LEVEL SECURITY;
-- Without SELECT on the rating column, the call fails as the query would.
REVOKE SELECT ON serve_ratings FROM movie_recs_serve_reader;
GRANT SELECT (user_id, movie_id) ON serve_ratings TO movie_recs_serve_reader;
SET ROLE movie_recs_serve_reader;
SELECT count(*) FROM recommend_movies(2, 5);
RESET ROLE;
GRANT SELECT (rating) ON serve_ratings TO movie_recs_serve_reader;
SET ROLE movie_recs_serve_reader;
SELECT count(*), min(source) AS source FROM recommend_movies(2, 5);
RESET ROLE;
-- The index is dropped and another created in the same session: the direct read forgets the
-- index it chose, the query reads without one, and the new (non-covering) one is used next.
CREATE TABLE user1_top AS SELECT movie_id, rank FROM recommend_movies(1, 20);
DROP INDEX serve_ratings_user_id_movie_id_rating_idx;
SELECT array_agg(movie_id ORDER BY rank) = (SELECT array_agg(movie_id ORDER BY rank) FROM user1_top)
       AS same_without_index
  FROM recommend_movies(1, 20);
CREATE INDEX ON serve_ratings (user_id);
SELECT array_agg(movie_id ORDER BY rank) = (SELECT array_agg(movie_id ORDER BY rank) FROM user1_top)
       AS same_with_another_index
  FROM recommend_movies(1, 20);
DROP TABLE user1_top;
-- A row of user 2 in an inheritance child: excluded, and it places the user anew.
CREATE TABLE serve_more () INHERITS (serve_ratings);
INSERT INTO serve_more
    SELECT 2, movie_id, 5 FROM recommend_movies(2, 1);
SELECT count(c.movie_id) AS child_movie_recommended, min(r.source) AS source
  FROM recommend_movies(2, 50) r LEFT JOIN serve_more c USING (movie_id);
DROP TABLE serve_more, serve_ratings, user1_movies;
DROP OWNED BY movie_recs_serve_reader;
DROP ROLE movie_recs_serve_reader;
