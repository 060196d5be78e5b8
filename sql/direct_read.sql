-- Training reads a plain table straight from its heap (src/pg/direct_read.cpp) and anything else
-- through a query. Both must read the same rows and values: each case trains on a table and on a
-- view of it (always read by the query) and shows both results, which must be equal.
CREATE FUNCTION fit(rel regclass, rating name DEFAULT 'rating', usr name DEFAULT 'user_id',
                    movie name DEFAULT 'movie_id') RETURNS text
LANGUAGE sql AS $$
    SELECT format('%s users, %s movies, %s ratings, inertia %s', users, movies, ratings,
                  round(inertia::numeric, 9))
      FROM train_movie_clusters(rel, k => 3, user_column => usr, movie_column => movie,
                                rating_column => rating, activate => false)
$$;
SET client_min_messages = warning;

-- Narrower integer columns and a double precision rating.
CREATE TABLE narrow (user_id integer, movie_id smallint, rating double precision);
INSERT INTO narrow
SELECT u, (u * 7 + i * 13) % 40, ((u + i) % 9 + 1) / 2.0
  FROM generate_series(1, 60) u, generate_series(1, 12) i;
CREATE VIEW narrow_v AS SELECT * FROM narrow;
SELECT fit('narrow') AS direct, fit('narrow_v') AS query;
-- Without a rating column (implicit feedback).
SELECT fit('narrow', NULL) AS direct, fit('narrow_v', NULL) AS query;

-- A variable-width column before the ones read, NULLs and duplicate rows.
CREATE TABLE wide (note text, movie_id bigint, user_id bigint, rating real);
INSERT INTO wide
SELECT repeat('x', u % 5), (u * 3 + i * 11) % 50, u, ((u * i) % 10 + 1) / 2.0
  FROM generate_series(1, 80) u, generate_series(1, 10) i;
INSERT INTO wide VALUES ('n', NULL, 1, 3), ('n', 1, NULL, 3), ('n', 1, 1, NULL), (NULL, 2, 2, 4),
                        ('d', 3, 3, 1), ('d', 3, 3, 5);
CREATE VIEW wide_v AS SELECT * FROM wide;
SET client_min_messages = notice;
SELECT fit('wide') AS direct;
SELECT fit('wide_v') AS query;
SET client_min_messages = warning;

-- A dropped column, and a rating column added later with a default (older rows do not store
-- it), a domain over integer, and a numeric rating (read by the query).
CREATE DOMAIN movie_number AS integer CHECK (VALUE >= 0);
CREATE TABLE altered (gone bigint, user_id bigint, movie_id movie_number, rating numeric);
INSERT INTO altered
SELECT u, u, (u * 5 + i * 7) % 30, ((u + 2 * i) % 10 + 1) / 2.0
  FROM generate_series(1, 50) u, generate_series(1, 8) i;
ALTER TABLE altered DROP COLUMN gone;
ALTER TABLE altered ADD COLUMN stars real DEFAULT 2.5;
INSERT INTO altered SELECT u, 40 + u % 3, 4, 5 FROM generate_series(1, 50) u;
UPDATE altered SET stars = (movie_id * user_id) % 5 + 1 WHERE user_id % 2 = 0;
CREATE VIEW altered_v AS SELECT * FROM altered;
SELECT fit('altered', 'stars') AS direct, fit('altered_v', 'stars') AS query;
SELECT fit('altered') AS numeric_rating, fit('altered_v') AS query;

-- A bad rating stops the direct read with the error of the query.
INSERT INTO altered (user_id, movie_id, stars) VALUES (7, 8, 'NaN');
SELECT fit('altered', 'stars');
SELECT fit('altered_v', 'stars');

-- An inheritance parent: its children's rows count (read by the query).
CREATE TABLE parent (user_id bigint, movie_id bigint, rating real);
CREATE TABLE child () INHERITS (parent);
INSERT INTO parent SELECT user_id, movie_id, rating FROM narrow WHERE user_id <= 30;
INSERT INTO child SELECT user_id, movie_id, rating FROM narrow WHERE user_id > 30;
SELECT fit('parent') AS parent, fit('narrow') AS whole;

-- Row-level security: the policy applies (read by the query), and column privileges suffice.
CREATE ROLE movie_recs_test_reading;
GRANT movie_recs_trainer TO movie_recs_test_reading;
CREATE TABLE guarded (user_id bigint, movie_id bigint, rating real, secret text);
INSERT INTO guarded SELECT user_id, movie_id, rating, 's' FROM narrow;
GRANT SELECT (user_id, movie_id, rating) ON guarded TO movie_recs_test_reading;
GRANT SELECT ON narrow_v TO movie_recs_test_reading;
CREATE VIEW first_half_v AS SELECT * FROM narrow WHERE user_id <= 30;
GRANT SELECT ON first_half_v TO movie_recs_test_reading;
SET ROLE movie_recs_test_reading;
SELECT fit('guarded') AS columns_granted, fit('narrow_v') AS query;
RESET ROLE;
ALTER TABLE guarded ENABLE ROW LEVEL SECURITY;
CREATE POLICY first_half ON guarded TO movie_recs_test_reading USING (user_id <= 30);
SET ROLE movie_recs_test_reading;
SELECT fit('guarded') AS policy, fit('first_half_v') AS query;
SELECT fit('parent') AS no_privilege;
RESET ROLE;
SELECT fit('guarded') AS owner, fit('narrow') AS query;
REVOKE SELECT (rating) ON guarded FROM movie_recs_test_reading;
SET ROLE movie_recs_test_reading;
SELECT fit('guarded');
RESET ROLE;

RESET client_min_messages;
DROP TABLE narrow, wide, altered, parent, guarded CASCADE;
DROP DOMAIN movie_number;
DROP FUNCTION fit;
DROP ROLE movie_recs_test_reading;
