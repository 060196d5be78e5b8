-- recommend_movies() reads a user's ratings from the leaf pages of a B-tree on (user, movie,
-- rating) (src/pg/btree_read.cpp); in a serializable transaction it uses the index scan, and
-- under row-level security the SQL query. All three must see the same rows: each case compares
-- recommend_movies(u, 1000) (every listed movie the user has not rated, with scores that depend
-- on the ratings read when the user is folded in) and user_cluster(u) (distances from the
-- ratings read) for every user, by the three paths.
SET client_min_messages = warning;
-- VACUUM marks a page all-visible only once the commits of its rows are flushed (the test
-- server runs with synchronous_commit off).
SET synchronous_commit = on;
CREATE SCHEMA btr;
CREATE TABLE btr.r (user_id bigint, movie_id bigint, rating real);
INSERT INTO btr.r SELECT user_id, movie_id, rating FROM movie_recs.demo_ratings(300, 120, 5);
-- A user spanning several leaf pages, with duplicate (movie, rating) rows.
INSERT INTO btr.r SELECT 900001, m, (m % 10 + 1) / 2.0 FROM generate_series(1, 120) m, generate_series(1, 25) c;
-- A user whose thousand equal rows become posting lists (deduplication).
INSERT INTO btr.r SELECT 900002, 7, 4.5 FROM generate_series(1, 1000);
INSERT INTO btr.r SELECT 900002, m, 3 FROM generate_series(20, 60) m;
CREATE INDEX r_user_movie_rating ON btr.r (user_id, movie_id, rating);
VACUUM (ANALYZE) btr.r;
SELECT model_id > 0 AS trained FROM train_movie_clusters('btr.r', k => 4, seed => 3);

CREATE TABLE btr.users AS
SELECT DISTINCT user_id AS u FROM btr.r UNION SELECT 900003 UNION SELECT -5;
-- Results of every user through the current path.
CREATE FUNCTION btr.results() RETURNS TABLE (u bigint, what text, item bigint, value text)
LANGUAGE sql AS $$
    SELECT u, 'recommend ' || r.source, r.movie_id, r.score::text
      FROM btr.users, LATERAL recommend_movies(u, 1000) r
    UNION ALL
    SELECT u, 'cluster ' || c.source, c.cluster_id, c.distance::text || ' ' || c.weight::text
      FROM btr.users, LATERAL movie_recs.user_cluster(u) c
$$;
-- Rows that differ between the leaf read, the index scan and the query, and how many rows.
-- The query path: the active model's table under a policy that shows every row.
CREATE FUNCTION btr.compare() RETURNS TABLE (leaf bigint, leaf_vs_scan bigint, leaf_vs_query bigint)
LANGUAGE plpgsql AS $$
DECLARE
    rel text := (SELECT format('%I.%I', source_schema, source_table)
                   FROM movie_recs.models WHERE active);
BEGIN
    CREATE TEMP TABLE by_leaf AS SELECT * FROM btr.results();
    -- by_scan: the same in a serializable transaction (the index scan), made by the caller.
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY', rel);
    EXECUTE format('CREATE POLICY everything ON %s USING (true)', rel);
    CREATE TEMP TABLE by_query AS SELECT * FROM btr.results();
    EXECUTE format('DROP POLICY everything ON %s', rel);
    EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY, NO FORCE ROW LEVEL SECURITY', rel);
    RETURN QUERY SELECT (SELECT count(*) FROM by_leaf),
        (SELECT count(*) FROM ((TABLE by_leaf EXCEPT ALL TABLE by_scan)
                               UNION ALL (TABLE by_scan EXCEPT ALL TABLE by_leaf)) d),
        (SELECT count(*) FROM ((TABLE by_leaf EXCEPT ALL TABLE by_query)
                               UNION ALL (TABLE by_query EXCEPT ALL TABLE by_leaf)) d);
    DROP TABLE by_leaf, by_query, by_scan;
END $$;

-- by_scan through the index scan, then the comparison.
\set compare_paths 'BEGIN ISOLATION LEVEL SERIALIZABLE; CREATE TEMP TABLE by_scan AS SELECT * FROM btr.results(); COMMIT; SELECT * FROM btr.compare();'

-- Which path read the ratings (the leaf read says so at DEBUG2).
SET client_min_messages = debug2;
SELECT count(*) FROM recommend_movies(900001, 5);
SELECT count(*) FROM recommend_movies(900002, 5);
SELECT count(*) FROM recommend_movies(900003, 5);
SET client_min_messages = warning;
BEGIN ISOLATION LEVEL SERIALIZABLE;
SET LOCAL client_min_messages = debug2;
SELECT count(*) FROM recommend_movies(900001, 5);
COMMIT;
SET client_min_messages = warning;

-- All pages all-visible after VACUUM: the entries come from the index tuples.
:compare_paths
SELECT what, count(*) FROM btr.results() GROUP BY what ORDER BY what;

-- Rows deleted, updated and inserted since: pages not all-visible, entries of deleted rows still
-- in the index (their heap tuples are checked), the users folded in again.
DELETE FROM btr.r WHERE user_id = 900001 AND movie_id % 3 = 0;
DELETE FROM btr.r WHERE user_id % 7 = 0 AND user_id < 280 AND movie_id % 2 = 0;
UPDATE btr.r SET rating = 5 - rating WHERE user_id % 11 = 0 AND movie_id % 5 = 1;
UPDATE btr.r SET movie_id = movie_id + 1000 WHERE user_id = 900002 AND movie_id BETWEEN 30 AND 40;
INSERT INTO btr.r SELECT 900003, m, 2.5 FROM generate_series(1, 50) m;
INSERT INTO btr.r SELECT u, 119, 1 FROM generate_series(1, 300, 13) u;
SET client_min_messages = debug2;
SELECT count(*) FROM recommend_movies(900001, 5);
SET client_min_messages = warning;
:compare_paths
SELECT what, count(*) FROM btr.results() GROUP BY what ORDER BY what;

-- Index entries of the deleted rows marked dead by an index scan that met them.
SET enable_seqscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
SELECT count(*) FROM btr.r WHERE user_id = 900001;
RESET enable_seqscan;
RESET enable_bitmapscan;
RESET enable_indexonlyscan;
SET client_min_messages = debug2;
SELECT count(*) FROM recommend_movies(900001, 5);
SET client_min_messages = warning;
:compare_paths

-- After VACUUM: all-visible again, the dead entries gone.
VACUUM btr.r;
SET client_min_messages = debug2;
SELECT count(*) FROM recommend_movies(900001, 5);
SET client_min_messages = warning;
:compare_paths

-- A rating changed in a transaction not yet committed is not seen by another one; seen in its own.
BEGIN;
DELETE FROM btr.r WHERE user_id = 900002 AND movie_id = 7;
SELECT count(*) FILTER (WHERE movie_id = 7) AS movie_7_recommended FROM recommend_movies(900002, 1000);
ROLLBACK;
SELECT count(*) FILTER (WHERE movie_id = 7) AS movie_7_recommended FROM recommend_movies(900002, 1000);

-- Integer columns: an id beyond the user column's range has no ratings (no error); with an
-- integer rating the index deduplicates the equal rows into posting lists (it does not with a
-- real one: its equal values may differ in their bits, -0 and 0).
CREATE TABLE btr.r4 (user_id integer, movie_id integer, rating smallint);
INSERT INTO btr.r4 SELECT user_id, movie_id, round(rating) FROM btr.r;
CREATE INDEX ON btr.r4 (user_id, movie_id, rating);
VACUUM btr.r4;
CREATE EXTENSION pageinspect;
SELECT count(*) > 0 AS posting_lists
  FROM generate_series(1, pg_relation_size('btr.r4_user_id_movie_id_rating_idx') / 8192 - 1) b,
       LATERAL bt_page_items('btr.r4_user_id_movie_id_rating_idx', b::int) i
 WHERE i.tids IS NOT NULL;
SELECT model_id > 0 AS trained FROM train_movie_clusters('btr.r4', k => 4, seed => 3);
SET client_min_messages = debug2;
SELECT count(*), min(source) FROM recommend_movies(900001, 1000);
SELECT count(*), min(source) FROM recommend_movies(900002, 1000);
SELECT count(*), min(source) FROM recommend_movies(9000000000, 1000);
SET client_min_messages = warning;
:compare_paths

RESET client_min_messages;
DROP SCHEMA btr CASCADE;
DROP EXTENSION pageinspect;
