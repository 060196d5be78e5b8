-- 09_identifiers.sql -- schema, table and column names with quotes, spaces, capitals and SQL
-- text in them work everywhere a name reaches SQL (training, serving, train_if_stale, activation,
-- materialize_recommendations, cluster_summaries), and names that are SQL injections are refused
-- as what they are: names that do not exist. A canary table must survive.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(22);

CREATE TABLE public.canary (x int);
INSERT INTO public.canary VALUES (1);

CREATE SCHEMA "Movie ""Recs""; DROP TABLE public.canary; --";
CREATE TABLE "Movie ""Recs""; DROP TABLE public.canary; --"."Rat'ings ""v2"""
    ("User ID" bigint, "movie""); DROP TABLE public.canary; --" int, "Rating$$" real);
INSERT INTO "Movie ""Recs""; DROP TABLE public.canary; --"."Rat'ings ""v2"""
SELECT user_id, movie_id, rating FROM movie_recs.demo_ratings(150, 60, 12);
CREATE INDEX ON "Movie ""Recs""; DROP TABLE public.canary; --"."Rat'ings ""v2""" ("User ID");
CREATE TABLE "Movie ""Recs""; DROP TABLE public.canary; --"."Movie Titles"
    ("Film#" bigint, "Title (EN)"")--" text);
INSERT INTO "Movie ""Recs""; DROP TABLE public.canary; --"."Movie Titles"
SELECT movie_id, title FROM movie_recs.demo_movies(60, 12);
CREATE SCHEMA "BI ""out""";
CREATE TABLE "BI ""out"""."recs; DELETE FROM public.canary"
    (user_id bigint, movie_id bigint, score double precision, rank integer);

CREATE TEMP TABLE names AS SELECT
    '"Movie ""Recs""; DROP TABLE public.canary; --"."Rat''ings ""v2"""'::regclass AS ratings,
    '"Movie ""Recs""; DROP TABLE public.canary; --"."Movie Titles"'::regclass AS movies,
    '"BI ""out"""."recs; DELETE FROM public.canary"'::regclass AS target;

-- Training and serving.
CREATE TEMP TABLE first_model AS
    SELECT * FROM train_movie_clusters((SELECT ratings FROM names), k => 3,
                                       user_column => 'User ID',
                                       movie_column => 'movie"); DROP TABLE public.canary; --',
                                       rating_column => 'Rating$$');
SELECT is((SELECT users FROM first_model), 150::bigint, 'training on the oddly named table sees every user');
SELECT is((SELECT row(source_schema, source_table, user_column, movie_column, rating_column)::text
             FROM movie_recs.models WHERE active),
          row('Movie "Recs"; DROP TABLE public.canary; --', 'Rat''ings "v2"', 'User ID',
              'movie"); DROP TABLE public.canary; --', 'Rating$$')::text,
          'the catalog stores the names as they are');
SELECT is((SELECT source FROM movie_recs.model_versions WHERE active),
          '"Movie ""Recs""; DROP TABLE public.canary; --"."Rat''ings ""v2"""',
          'model_versions shows the source quoted');
SELECT is((SELECT count(*) FROM recommend_movies(1, 5)), 5::bigint, 'recommend_movies serves from it');
SELECT is_empty(
    $$SELECT r.movie_id FROM recommend_movies(1, 60) r
        JOIN "Movie ""Recs""; DROP TABLE public.canary; --"."Rat'ings ""v2""" x
          ON x."movie""); DROP TABLE public.canary; --" = r.movie_id AND x."User ID" = 1$$,
    'and reads the seen movies through the odd column names');

-- train_if_stale rebuilds the relation from the stored names.
SELECT is((SELECT trained FROM movie_recs.train_if_stale('1 day', 0.05)), false,
          'train_if_stale finds the relation from the stored names (fresh)');
INSERT INTO "Movie ""Recs""; DROP TABLE public.canary; --"."Rat'ings ""v2"""
SELECT "User ID", "movie""); DROP TABLE public.canary; --" + 100, "Rating$$"
  FROM "Movie ""Recs""; DROP TABLE public.canary; --"."Rat'ings ""v2""" WHERE "User ID" <= 30;
CREATE TEMP TABLE second_run AS SELECT * FROM movie_recs.train_if_stale('1 day', 0.05);
SELECT is((SELECT trained FROM second_run), true, 'and retrains with the same odd column names');
SELECT is((SELECT row(user_column, movie_column, rating_column)::text FROM movie_recs.models WHERE active),
          row('User ID', 'movie"); DROP TABLE public.canary; --', 'Rating$$')::text,
          'the new model has the same columns');

-- Activation checks the stored relation exists.
SELECT lives_ok('SELECT movie_recs.rollback_model()', 'rolling back to the first model (its relation is found)');

-- Batch recommendations into an oddly named table, and summaries with titles.
SELECT results_eq(
    $$SELECT users, recommendations FROM movie_recs.materialize_recommendations(4, (SELECT target FROM names))$$,
    'VALUES (150::bigint, 600::bigint)',
    'materialize_recommendations writes into the oddly named target');
-- Users 1..30 rated more movies after the first model: recommend_movies() folds them in, the
-- batch blends their stored clusters; every other user gets the same rows from both.
SELECT set_eq('SELECT user_id, movie_id, score, rank FROM "BI ""out"""."recs; DELETE FROM public.canary" WHERE user_id > 30',
              $$SELECT a.user_id, r.movie_id, r.score, r.rank FROM movie_recs.user_clusters a, recommend_movies(a.user_id, 4) r
                 WHERE r.source = 'cluster'$$,
              'exactly what recommend_movies gives to the users whose ratings did not change');
SELECT is((SELECT count(*) FROM movie_recs.cluster_summaries((SELECT movies FROM names), 'Title (EN)")--', 'Film#', 3)
            WHERE cardinality(top_titles) = 3 AND array_position(top_titles, NULL) IS NULL), 3::bigint,
          'cluster_summaries reads titles through the odd table and column names');
SELECT results_eq(
    $$SELECT cluster_id, top_titles FROM movie_recs.cluster_summaries((SELECT movies FROM names), 'Title (EN)")--', 'Film#', 2)$$,
    $$SELECT s.cluster_id, ARRAY(SELECT t."Title (EN)"")--" FROM unnest(s.top_movie_ids[1:2]) WITH ORDINALITY u(m, o)
                               JOIN "Movie ""Recs""; DROP TABLE public.canary; --"."Movie Titles" t ON t."Film#" = u.m
                               ORDER BY u.o)
        FROM movie_recs.cluster_summary s ORDER BY s.cluster_id$$,
    'the titles are those of the top movies, in rank order');

-- Injections are names that do not exist.
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.canary', k => 1, user_column => 'x; DROP TABLE public.canary')$$,
                 '42703', NULL, 'a column name holding SQL is an unknown column (42703)');
SELECT throws_ok($$SELECT * FROM train_movie_clusters('public.canary; DROP TABLE public.canary', k => 1)$$,
                 NULL, NULL, 'a table name holding SQL is not a relation');
SELECT throws_ok($$SELECT * FROM movie_recs.cluster_summaries('public.canary', title_column => 'x FROM public.canary; --', movie_column => 'x')$$,
                 '42703', NULL, 'cluster_summaries: a title column holding SQL is an unknown column (42703)');
SELECT throws_ok($$SELECT * FROM movie_recs.cluster_summaries('public.canary', 'x', movie_column => 'x) OR (1=1')$$,
                 '42703', NULL, 'cluster_summaries: a movie column holding SQL is an unknown column (42703)');
SELECT throws_ok($$SELECT * FROM movie_recs.materialize_recommendations(5, 'public.canary')$$,
                 '42703', 'column "user_id" does not exist in relation "canary"',
                 'a target without the right columns is refused before anything is written (42703)');
SELECT throws_ok($$SELECT * FROM movie_recs.cluster_summaries(top_n => 1001)$$, '22023', NULL,
                 'cluster_summaries: top_n out of range (22023)');
SELECT throws_ok($$SELECT * FROM movie_recs.cluster_summaries('public.canary', NULL)$$, '22004', NULL,
                 'cluster_summaries: a NULL title column (22004)');

SELECT is((SELECT count(*) FROM public.canary), 1::bigint, 'the canary table is intact');
SELECT has_table('public', 'canary', 'and still there');

SELECT * FROM finish();
ROLLBACK;
