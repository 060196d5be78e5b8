-- Every error of the user-facing functions, one per line.
\set VERBOSITY default

-- The relation.
SELECT * FROM train_movie_clusters('no_such_table');
CREATE SCHEMA empty_schema;
SET search_path = empty_schema;
SELECT * FROM public.train_movie_clusters();
RESET search_path;
SELECT * FROM train_movie_clusters('ratings_user_id_idx');
CREATE TEMP TABLE temp_ratings AS SELECT * FROM ratings;
SELECT * FROM train_movie_clusters('temp_ratings', 2);

-- Columns.
SELECT * FROM train_movie_clusters('ratings', 2, user_column => 'uid');
SELECT * FROM train_movie_clusters('ratings', 2, movie_column => 'film');
SELECT * FROM train_movie_clusters('ratings', 2, rating_column => 'stars');
CREATE TABLE text_ratings (user_id bigint, movie_id bigint, rating text, user_name text);
INSERT INTO text_ratings VALUES (1, 1, '5', 'ann');
SELECT * FROM train_movie_clusters('text_ratings', 1);
SELECT * FROM train_movie_clusters('text_ratings', 1, user_column => 'user_name');
SELECT * FROM train_movie_clusters('ratings', 1, movie_column => 'rated_at');
SELECT * FROM train_movie_clusters('ratings', 1, user_column => 'movie_id');

-- NULL arguments.
SELECT * FROM train_movie_clusters(NULL);
SELECT * FROM train_movie_clusters('ratings', NULL);
SELECT * FROM train_movie_clusters('ratings', 2, user_column => NULL);
SELECT * FROM train_movie_clusters('ratings', 2, movie_column => NULL);
SELECT * FROM train_movie_clusters('ratings', 2, max_iterations => NULL);
SELECT * FROM train_movie_clusters('ratings', 2, tolerance => NULL);
SELECT * FROM train_movie_clusters('ratings', 2, seed => NULL);
SELECT * FROM recommend_movies(NULL);
SELECT * FROM recommend_movies(1, NULL);

-- Out-of-range arguments.
SELECT * FROM train_movie_clusters('ratings', 0);
SELECT * FROM train_movie_clusters('ratings', -1);
SELECT * FROM train_movie_clusters('ratings', 10001);
SELECT * FROM train_movie_clusters('ratings', 25);
SELECT * FROM train_movie_clusters('ratings', 2, max_iterations => 0);
SELECT * FROM train_movie_clusters('ratings', 2, max_iterations => 100001);
SELECT * FROM train_movie_clusters('ratings', 2, tolerance => -0.1);
SELECT * FROM train_movie_clusters('ratings', 2, tolerance => 'NaN');
SELECT * FROM train_movie_clusters('ratings', 2, tolerance => 'Infinity');
SELECT * FROM recommend_movies(1, -1);
SELECT * FROM recommend_movies(1, 1001);

-- Data.
CREATE TABLE empty_ratings (user_id bigint, movie_id bigint, rating real);
SELECT * FROM train_movie_clusters('empty_ratings', 1);
CREATE TABLE bad_ratings (user_id int, movie_id int, rating float8);
INSERT INTO bad_ratings VALUES (1, 1, 4), (1, 2, 'NaN'), (2, 1, 3);
SELECT * FROM train_movie_clusters('bad_ratings', 1);
UPDATE bad_ratings SET rating = 'Infinity' WHERE movie_id = 2;
SELECT * FROM train_movie_clusters('bad_ratings', 1);
UPDATE bad_ratings SET rating = '-Infinity' WHERE movie_id = 2;
SELECT * FROM train_movie_clusters('bad_ratings', 1);
CREATE TABLE numeric_ratings (user_id int, movie_id int, rating numeric);
INSERT INTO numeric_ratings VALUES (1, 1, 4), (2, 1, 'NaN');
SELECT * FROM train_movie_clusters('numeric_ratings', 1);
-- Only NULLs: skipped, then nothing is left.
INSERT INTO empty_ratings VALUES (NULL, 1, 5), (1, NULL, 5), (1, 1, NULL);
SELECT * FROM train_movie_clusters('empty_ratings', 1);

-- Degenerate data that trains, with a NOTICE.
CREATE TABLE messy_ratings (user_id bigint, movie_id bigint, rating real);
INSERT INTO messy_ratings VALUES
    (1, 1, 5), (1, 2, 3), (2, 1, 4), (2, 3, 2), (3, 2, 5), (3, 3, 5),
    (NULL, 1, 5), (4, NULL, 5), (4, 1, NULL);
SELECT k, users, movies, ratings FROM train_movie_clusters('messy_ratings', 2);
SELECT skipped_rows, duplicates_merged FROM movie_recs.models WHERE active;
INSERT INTO messy_ratings VALUES (1, 1, 1), (1, 1, 3), (2, 3, 4);
SELECT k, users, movies, ratings FROM train_movie_clusters('messy_ratings', 2);
SELECT skipped_rows, duplicates_merged FROM movie_recs.models WHERE active;

-- Privileges: the caller's rights apply to the ratings, for a trainer too.
CREATE ROLE movie_recs_test_trainer IN ROLE movie_recs_trainer;
SET ROLE movie_recs_test_trainer;
SELECT * FROM train_movie_clusters('ratings', 2);
RESET ROLE;
DROP ROLE movie_recs_test_trainer;

-- Not in a read-only transaction.
BEGIN TRANSACTION READ ONLY;
SELECT * FROM train_movie_clusters('ratings', 2);
ROLLBACK;

-- Memory: the estimate is checked against maintenance_work_mem before training.
SET maintenance_work_mem = '1MB';
SELECT k FROM train_movie_clusters('ratings', 2);
CREATE TABLE many_ratings AS
    SELECT u AS user_id, m AS movie_id, 1 AS rating
      FROM generate_series(1, 300) u, generate_series(1, 200) m;
SELECT k FROM train_movie_clusters('many_ratings', 2);
SET maintenance_work_mem = '4MB';
SELECT k FROM train_movie_clusters('many_ratings', 2);
SELECT k FROM train_movie_clusters('many_ratings', 250);
RESET maintenance_work_mem;

-- The source table of the active model is gone.
SELECT k FROM train_movie_clusters('messy_ratings', 2);
DROP TABLE messy_ratings;
SELECT * FROM recommend_movies(1, 1);
