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
CREATE ROLE movie_recs_rls_reader;
GRANT SELECT ON rls_ratings TO movie_recs_rls_reader;
GRANT INSERT, UPDATE, SELECT ON ALL TABLES IN SCHEMA movie_recs TO movie_recs_rls_reader;
GRANT EXECUTE ON FUNCTION train_movie_clusters TO movie_recs_rls_reader;
SET ROLE movie_recs_rls_reader;
SELECT users, ratings FROM train_movie_clusters('rls_ratings', 2);
RESET ROLE;
REVOKE ALL ON ALL TABLES IN SCHEMA movie_recs FROM movie_recs_rls_reader;
REVOKE EXECUTE ON FUNCTION train_movie_clusters FROM movie_recs_rls_reader;
DROP TABLE rls_ratings, narrow_ratings, huge_ratings;
DROP ROLE movie_recs_rls_reader;
