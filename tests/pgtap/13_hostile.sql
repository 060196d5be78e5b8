-- 13_hostile.sql -- hostile input to every SQL function of the extension, table-driven: each row
-- of hostile_cases is one call with either the exact SQLSTATE it must raise (and the message
-- where it is stable) or the exact result it must return (the query's single value as text).
-- One loop runs the rows in id order; a few checks that need more than one value follow it.
-- Categories: null (a NULL in each argument), bounds (numbers at and past each limit), rating
-- (NaN, infinities, negative, huge), shape (empty, one user, one movie, equal ratings, extreme
-- ids, a user with 100000 ratings), relation (views, partitioned, temporary, other schemas, no
-- index, missing tables and columns), type (wrong column types), ident (quotes, spaces,
-- capitals, SQL in names), state (calls that need a model or a history).
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;
SET LOCAL client_min_messages = warning;

-- ---------------------------------------------------------------------------------------------
-- Fixtures
-- ---------------------------------------------------------------------------------------------
CREATE TABLE public.canary (x int);
INSERT INTO public.canary VALUES (1);

-- public.ratings (200 users, 80 movies) and public.movies; the reference data.
CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(200, 80, 7);
CREATE SCHEMA demo_target;

CREATE TABLE public.h_empty (user_id bigint, movie_id bigint, rating double precision);
CREATE TABLE public.h_all_null (user_id bigint, movie_id bigint, rating double precision);
INSERT INTO public.h_all_null VALUES (1, 1, NULL), (NULL, 2, 3), (3, NULL, 4);
CREATE TABLE public.h_nan (user_id bigint, movie_id bigint, rating double precision);
INSERT INTO public.h_nan VALUES (2, 1, 3), (1, 7, 'NaN');
CREATE TABLE public.h_inf (LIKE public.h_nan);
INSERT INTO public.h_inf VALUES (2, 1, 3), (1, 7, 'Infinity');
CREATE TABLE public.h_neginf (LIKE public.h_nan);
INSERT INTO public.h_neginf VALUES (2, 1, 3), (1, 7, '-Infinity');
CREATE TABLE public.h_huge (LIKE public.h_nan);
INSERT INTO public.h_huge VALUES (1, 1, 1e308), (1, 2, 1e308), (2, 1, 3), (2, 3, 1);
CREATE TABLE public.h_huge_numeric (user_id bigint, movie_id bigint, rating numeric);
INSERT INTO public.h_huge_numeric VALUES (1, 1, 1e400), (2, 1, 3);
CREATE TABLE public.h_negative (LIKE public.h_nan);
INSERT INTO public.h_negative SELECT u, m, -((u * m) % 7) - 1 FROM generate_series(1, 6) u, generate_series(1, 5) m;
CREATE TABLE public.h_large_finite (LIKE public.h_nan);
INSERT INTO public.h_large_finite SELECT u, m, ((u * m) % 7 - 3) * 1e38 FROM generate_series(1, 6) u, generate_series(1, 5) m;
INSERT INTO public.h_large_finite VALUES (1, 6, '3.4028234e38'), (2, 6, '-3.4028234e38');
CREATE TABLE public.h_one_user (LIKE public.h_nan);
INSERT INTO public.h_one_user VALUES (7, 1, 4), (7, 2, 3), (7, 3, 5);
CREATE TABLE public.h_one_movie (LIKE public.h_nan);
INSERT INTO public.h_one_movie VALUES (1, 5, 4), (2, 5, 3), (3, 5, 1);
CREATE TABLE public.h_equal (LIKE public.h_nan);
INSERT INTO public.h_equal SELECT u, m, 3 FROM generate_series(1, 10) u, generate_series(1, 5) m WHERE (u + m) % 2 = 0;
-- Users and movies at the ends of bigint. User min rated movie max; user max rated min and max;
-- user 0 rated 0 and 1.
CREATE TABLE public.h_extreme (LIKE public.h_nan);
INSERT INTO public.h_extreme VALUES
    (-9223372036854775808, 9223372036854775807, 5), (9223372036854775807, -9223372036854775808, 4),
    (9223372036854775807, 9223372036854775807, 2), (0, 0, 1), (0, 1, 5);
CREATE INDEX ON public.h_extreme (user_id);
-- The demo ratings plus user 1000000 who rated 100000 movies (every movie of the table).
CREATE TABLE public.h_big_user AS SELECT user_id, movie_id, rating FROM public.ratings;
INSERT INTO public.h_big_user SELECT 1000000, m, (m % 5) + 1 FROM generate_series(1, 100000) m;
CREATE INDEX ON public.h_big_user (user_id);

-- Relations of every kind, without an index on the user column unless said.
CREATE VIEW public.h_view AS SELECT user_id, movie_id, rating FROM public.ratings WHERE rating >= 1;
CREATE MATERIALIZED VIEW public.h_matview AS SELECT user_id, movie_id, rating FROM public.ratings;
CREATE TABLE public.h_partitioned (user_id bigint, movie_id bigint, rating real) PARTITION BY HASH (user_id);
CREATE TABLE public.h_partitioned_0 PARTITION OF public.h_partitioned FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE public.h_partitioned_1 PARTITION OF public.h_partitioned FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO public.h_partitioned SELECT user_id, movie_id, rating FROM public.ratings;
CREATE TEMP TABLE h_temp AS SELECT user_id, movie_id, rating FROM public.ratings;
CREATE TABLE public.h_no_index AS SELECT user_id, movie_id, rating FROM public.ratings;
CREATE SEQUENCE public.h_sequence;
CREATE INDEX h_index ON public.h_no_index (movie_id);
CREATE SCHEMA "Other Schema";
CREATE TABLE "Other Schema"."Ratings Table" AS SELECT user_id, movie_id, rating FROM public.ratings;

-- Column types.
CREATE TABLE public.h_text_rating (user_id bigint, movie_id bigint, rating text);
CREATE TABLE public.h_bool_rating (user_id bigint, movie_id bigint, rating boolean);
CREATE TABLE public.h_text_user (user_id text, movie_id bigint, rating real);
CREATE TABLE public.h_numeric_user (user_id numeric, movie_id bigint, rating real);
CREATE TABLE public.h_float_movie (user_id bigint, movie_id double precision, rating real);
CREATE TABLE public.h_text_time (user_id bigint, movie_id bigint, rating real, seen text);
INSERT INTO public.h_text_time SELECT user_id, movie_id, rating, 'yesterday' FROM public.ratings;
CREATE TABLE public.h_small_types (user_id integer, movie_id smallint, rating numeric);
INSERT INTO public.h_small_types SELECT user_id, movie_id, rating FROM public.ratings;
CREATE INDEX ON public.h_small_types (user_id);
CREATE DOMAIN public.h_positive_id AS bigint CHECK (VALUE > 0);
CREATE TABLE public.h_domain (user_id public.h_positive_id, movie_id bigint, rating real);
INSERT INTO public.h_domain SELECT user_id, movie_id, rating FROM public.ratings;
CREATE INDEX ON public.h_domain USING hash (user_id);

CREATE TABLE public.h_text_movies (movie_id text, title text);
CREATE TABLE public.h_int_movies (movie_id integer, title integer);
INSERT INTO public.h_int_movies SELECT m, m * 10 FROM generate_series(1, 80) m;

-- Names with quotes, spaces, capitals and SQL in them.
CREATE SCHEMA "Hostile ""Schema""; DROP TABLE public.canary; --";
CREATE TABLE "Hostile ""Schema""; DROP TABLE public.canary; --"."Rat'ings; DROP TABLE public.canary"
    ("User ID" bigint, "Movie""; DROP TABLE public.canary; --" bigint, "RATING" real);
INSERT INTO "Hostile ""Schema""; DROP TABLE public.canary; --"."Rat'ings; DROP TABLE public.canary"
SELECT user_id, movie_id, rating FROM public.ratings;
CREATE TEMP TABLE hostile_name AS SELECT
    '"Hostile ""Schema""; DROP TABLE public.canary; --"."Rat''ings; DROP TABLE public.canary"'::regclass AS rel;

-- Targets of materialize_recommendations().
CREATE TABLE public.h_recs (user_id bigint, movie_id bigint, score double precision, rank integer);
CREATE VIEW public.h_recs_view AS SELECT * FROM public.h_recs;
CREATE TEMP TABLE h_temp_recs (LIKE public.h_recs);

-- ---------------------------------------------------------------------------------------------
-- The cases
-- ---------------------------------------------------------------------------------------------
-- phase 1 runs before any model exists, phase 2 with the reference model active (trainings use
-- activate => false), phase 3 activates models trained on small tables: its rows run in order
-- and some read the model the row before them activated.
CREATE TEMP TABLE hostile_cases (
    id          integer GENERATED ALWAYS AS IDENTITY,
    phase       integer NOT NULL,
    category    text NOT NULL,
    description text NOT NULL,
    sql         text NOT NULL,
    sqlstate    text,   -- the error expected, or NULL when the query must return `expected`
    message     text,   -- the exact error message, when stable (NULL: not checked)
    expected    text,   -- the query's single value as text (NULL: the value must be NULL)
    CHECK (sqlstate IS NULL OR expected IS NULL)
);

INSERT INTO hostile_cases (phase, category, description, sql, sqlstate, message, expected) VALUES
-- Phase 1: no model yet.
(1, 'state', 'recommend_movies without a model',
 $$SELECT * FROM recommend_movies(1, 5)$$, '55000', 'no trained movie_recs model', NULL),
(1, 'state', 'user_cluster without a model',
 $$SELECT * FROM movie_recs.user_cluster(1)$$, '55000', 'no trained movie_recs model', NULL),
(1, 'state', 'materialize_recommendations without a model',
 $$SELECT * FROM movie_recs.materialize_recommendations(5, 'public.h_recs')$$, '55000', 'no trained movie_recs model', NULL),
(1, 'state', 'rollback_model without a model',
 $$SELECT * FROM movie_recs.rollback_model()$$, '55000', 'no active movie_recs model to roll back', NULL),
(1, 'state', 'train_if_stale without a model or a table',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1)$$, '55000', 'no movie_recs model to refresh', NULL),
(1, 'state', 'cluster_summaries without a model: no rows',
 $$SELECT count(*) FROM movie_recs.cluster_summaries()$$, NULL, NULL, '0'),
(1, 'state', 'current_activation without a model: NULL',
 $$SELECT (movie_recs.current_activation()).model_id$$, NULL, NULL, NULL),

-- Phase 2, NULL in each argument.
(2, 'null', 'train_movie_clusters: ratings_table',
 $$SELECT * FROM train_movie_clusters(NULL)$$, '22004', 'ratings_table must not be null', NULL),
(2, 'null', 'train_movie_clusters: k',
 $$SELECT * FROM train_movie_clusters(k => NULL)$$, '22004', 'k must not be null', NULL),
(2, 'null', 'train_movie_clusters: user_column',
 $$SELECT * FROM train_movie_clusters(user_column => NULL)$$, '22004', 'user_column must not be null', NULL),
(2, 'null', 'train_movie_clusters: movie_column',
 $$SELECT * FROM train_movie_clusters(movie_column => NULL)$$, '22004', 'movie_column must not be null', NULL),
(2, 'null', 'train_movie_clusters: max_iterations',
 $$SELECT * FROM train_movie_clusters(max_iterations => NULL)$$, '22004', 'max_iterations must not be null', NULL),
(2, 'null', 'train_movie_clusters: tolerance',
 $$SELECT * FROM train_movie_clusters(tolerance => NULL)$$, '22004', 'tolerance must not be null', NULL),
(2, 'null', 'train_movie_clusters: seed',
 $$SELECT * FROM train_movie_clusters(seed => NULL)$$, '22004', 'seed must not be null', NULL),
(2, 'null', 'train_movie_clusters: activate',
 $$SELECT * FROM train_movie_clusters(activate => NULL)$$, '22004', 'activate must not be null', NULL),
(2, 'null', 'train_movie_clusters: wait',
 $$SELECT * FROM train_movie_clusters(wait => NULL)$$, '22004', 'wait must not be null', NULL),
(2, 'null', 'train_movie_clusters: rating_column NULL trains on implicit feedback (documented)',
 $$SELECT format('users=%s ratings=%s', users, ratings) FROM train_movie_clusters('public.h_one_movie', k => 1, rating_column => NULL, activate => false)$$,
 NULL, NULL, 'users=3 ratings=3'),
(2, 'null', 'recommend_movies: user_id',
 $$SELECT * FROM recommend_movies(NULL, 5)$$, '22004', 'user_id must not be null', NULL),
(2, 'null', 'recommend_movies: n',
 $$SELECT * FROM recommend_movies(1, NULL)$$, '22004', 'n must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: ratings_table',
 $$SELECT * FROM evaluate_movie_recommendations(NULL)$$, '22004', 'ratings_table must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: n',
 $$SELECT * FROM evaluate_movie_recommendations(n => NULL)$$, '22004', 'n must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: holdout',
 $$SELECT * FROM evaluate_movie_recommendations(holdout => NULL)$$, '22004', 'holdout must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: seed',
 $$SELECT * FROM evaluate_movie_recommendations(seed => NULL)$$, '22004', 'seed must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: relevance_threshold',
 $$SELECT * FROM evaluate_movie_recommendations(relevance_threshold => NULL)$$, '22004', 'relevance_threshold must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: user_column',
 $$SELECT * FROM evaluate_movie_recommendations(user_column => NULL)$$, '22004', 'user_column must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: max_iterations',
 $$SELECT * FROM evaluate_movie_recommendations(max_iterations => NULL)$$, '22004', 'max_iterations must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: tolerance',
 $$SELECT * FROM evaluate_movie_recommendations(tolerance => NULL)$$, '22004', 'tolerance must not be null', NULL),
(2, 'null', 'evaluate_movie_recommendations: k NULL is k = 20 (documented)',
 $$SELECT (SELECT array_agg(ndcg ORDER BY method) FROM evaluate_movie_recommendations(k => NULL))
        = (SELECT array_agg(ndcg ORDER BY method) FROM evaluate_movie_recommendations(k => 20))$$, NULL, NULL, 'true'),
(2, 'null', 'suggest_k: ratings_table',
 $$SELECT * FROM movie_recs.suggest_k(NULL)$$, '22004', 'ratings_table must not be null', NULL),
(2, 'null', 'suggest_k: ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => NULL)$$, '22004', 'ks must not be null', NULL),
(2, 'null', 'suggest_k: sample_size',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{2}', sample_size => NULL)$$, '22004', 'sample_size must not be null', NULL),
(2, 'null', 'suggest_k: holdout',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{2}', holdout => NULL)$$, '22004', 'holdout must not be null', NULL),
(2, 'null', 'user_cluster: user_id',
 $$SELECT * FROM movie_recs.user_cluster(NULL)$$, '22004', 'user_id must not be null', NULL),
(2, 'null', 'activate_model: model_id',
 $$SELECT * FROM movie_recs.activate_model(NULL)$$, '22004', 'model_id must not be null', NULL),
(2, 'null', 'drop_model: model_id',
 $$SELECT movie_recs.drop_model(NULL)$$, '22004', 'model_id must not be null', NULL),
(2, 'null', 'prune_models: keep',
 $$SELECT movie_recs.prune_models(NULL)$$, '22004', 'keep must not be null', NULL),
(2, 'null', 'train_if_stale: max_age NULL is not used (documented): the unchanged model is fresh',
 $$SELECT trained FROM movie_recs.train_if_stale(NULL, 0.1)$$, NULL, NULL, 'false'),
(2, 'null', 'train_if_stale: min_changed_fraction NULL is not used (documented)',
 $$SELECT trained FROM movie_recs.train_if_stale('1 day', NULL)$$, NULL, NULL, 'false'),
(2, 'null', 'train_if_stale: both criteria NULL never retrain (documented)',
 $$SELECT trained FROM movie_recs.train_if_stale(NULL, NULL)$$, NULL, NULL, 'false'),
(2, 'null', 'train_if_stale: activate',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, activate => NULL)$$, '22004', 'activate must not be null', NULL),
(2, 'null', 'train_if_stale: wait',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, wait => NULL)$$, '22004', 'wait must not be null', NULL),
(2, 'null', 'materialize_recommendations: n',
 $$SELECT * FROM movie_recs.materialize_recommendations(NULL, 'public.h_recs')$$, '22004', 'n must not be null', NULL),
(2, 'null', 'materialize_recommendations: target',
 $$SELECT * FROM movie_recs.materialize_recommendations(5, NULL)$$, '22004', 'target must not be null', NULL),
(2, 'null', 'materialize_recommendations: replace',
 $$SELECT * FROM movie_recs.materialize_recommendations(5, 'public.h_recs', NULL)$$, '22004', 'replace must not be null', NULL),
(2, 'null', 'cluster_summaries: top_n',
 $$SELECT * FROM movie_recs.cluster_summaries(top_n => NULL)$$, '22004', 'top_n must not be null', NULL),
(2, 'null', 'cluster_summaries: title_column',
 $$SELECT * FROM movie_recs.cluster_summaries('public.movies', NULL)$$, '22004', 'title_column must not be null', NULL),
(2, 'null', 'cluster_summaries: movie_column',
 $$SELECT * FROM movie_recs.cluster_summaries('public.movies', movie_column => NULL)$$, '22004', 'movie_column must not be null', NULL),
(2, 'null', 'cluster_summaries: movies NULL gives no titles (documented)',
 $$SELECT bool_and(top_titles IS NULL) FROM movie_recs.cluster_summaries(NULL)$$, NULL, NULL, 'true'),
(2, 'null', 'load_demo_data: users',
 $$SELECT * FROM movie_recs.load_demo_data(NULL, target_schema => 'demo_target')$$, '22004', 'users must not be null', NULL),
(2, 'null', 'load_demo_data: seed',
 $$SELECT * FROM movie_recs.load_demo_data(seed => NULL, target_schema => 'demo_target')$$, '22004', 'seed must not be null', NULL),
(2, 'null', 'load_demo_data: replace',
 $$SELECT * FROM movie_recs.load_demo_data(replace => NULL, target_schema => 'demo_target')$$, '22004', 'replace must not be null', NULL),
(2, 'null', 'load_demo_data: target_schema',
 $$SELECT * FROM movie_recs.load_demo_data(target_schema => NULL)$$, '22004', 'target_schema must not be null', NULL),
(2, 'null', 'demo_ratings: users',
 $$SELECT count(*) FROM movie_recs.demo_ratings(NULL, 10, 1)$$, '22004', 'users must not be null', NULL),
(2, 'null', 'demo_movies: seed',
 $$SELECT count(*) FROM movie_recs.demo_movies(10, NULL)$$, '22004', 'seed must not be null', NULL),
(2, 'null', 'lock_training: wait',
 $$SELECT movie_recs.lock_training(NULL)$$, '22004', 'wait must not be null', NULL),
(2, 'null', 'switch_model: model_id',
 $$SELECT * FROM movie_recs.switch_model(NULL, 'activate', NULL)$$, '22004', 'model_id must not be null', NULL),
(2, 'null', 'check_column: relation',
 $$SELECT movie_recs.check_column(NULL, 'movie_id')$$, '22004', 'relation must not be null', NULL),
(2, 'null', 'check_column: column_name',
 $$SELECT movie_recs.check_column('public.movies', NULL)$$, '22004', 'column_name must not be null', NULL),
(2, 'null', 'load_demo_data_into: p_schema',
 $$SELECT * FROM movie_recs.load_demo_data_into(10, 10, 1, false, NULL)$$, '22004', 'target_schema must not be null', NULL),
(2, 'null', 'require_writable: function_name',
 $$SELECT movie_recs.require_writable(NULL)$$, '22004', 'function_name must not be null', NULL),
(2, 'state', 'require_writable: a writable transaction passes',
 $$SELECT pg_typeof(movie_recs.require_writable('hostile()'))::text$$, NULL, NULL, 'void'),
(2, 'null', 'source_change_counter: NULL relation gives NULL (documented)',
 $$SELECT movie_recs.source_change_counter(NULL)$$, NULL, NULL, NULL),

-- Phase 2, numbers at and past each bound.
(2, 'bounds', 'train: k = 0',
 $$SELECT * FROM train_movie_clusters(k => 0)$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'train: k = -2147483648',
 $$SELECT * FROM train_movie_clusters(k => -2147483648)$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'train: k = 10001',
 $$SELECT * FROM train_movie_clusters(k => 10001)$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'train: k = 2147483647',
 $$SELECT * FROM train_movie_clusters(k => 2147483647)$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'train: k = 1',
 $$SELECT format('k=%s iterations=%s converged=%s', k, iterations, converged::text) FROM train_movie_clusters(k => 1, activate => false)$$,
 NULL, NULL, 'k=1 iterations=1 converged=true'),
(2, 'bounds', 'train: k = number of users (200): one user per cluster',
 $$SELECT format('k=%s users=%s inertia=%s', k, users, inertia) FROM train_movie_clusters(k => 200, activate => false)$$,
 NULL, NULL, 'k=200 users=200 inertia=0'),
(2, 'bounds', 'train: k = number of users + 1',
 $$SELECT * FROM train_movie_clusters(k => 201)$$, '22023', 'k must not be greater than the number of users', NULL),
(2, 'bounds', 'train: max_iterations = 0',
 $$SELECT * FROM train_movie_clusters(max_iterations => 0)$$, '22023', 'max_iterations must be between 1 and 100000', NULL),
(2, 'bounds', 'train: max_iterations = 100001',
 $$SELECT * FROM train_movie_clusters(max_iterations => 100001)$$, '22023', 'max_iterations must be between 1 and 100000', NULL),
(2, 'bounds', 'train: max_iterations = 1 stops after one iteration',
 $$SELECT iterations FROM train_movie_clusters(k => 8, max_iterations => 1, activate => false)$$, NULL, NULL, '1'),
(2, 'bounds', 'train: tolerance NaN',
 $$SELECT * FROM train_movie_clusters(tolerance => 'NaN')$$, '22023', 'tolerance must be a finite number greater than or equal to 0', NULL),
(2, 'bounds', 'train: tolerance -Infinity',
 $$SELECT * FROM train_movie_clusters(tolerance => '-Infinity')$$, '22023', 'tolerance must be a finite number greater than or equal to 0', NULL),
(2, 'bounds', 'train: tolerance Infinity',
 $$SELECT * FROM train_movie_clusters(tolerance => 'Infinity')$$, '22023', 'tolerance must be a finite number greater than or equal to 0', NULL),
(2, 'bounds', 'train: seed = min bigint',
 $$SELECT users FROM train_movie_clusters(k => 3, seed => -9223372036854775808, activate => false)$$, NULL, NULL, '200'),
(2, 'bounds', 'train: seed = max bigint',
 $$SELECT users FROM train_movie_clusters(k => 3, seed => 9223372036854775807, activate => false)$$, NULL, NULL, '200'),
(2, 'bounds', 'recommend_movies: n = 0 gives no rows',
 $$SELECT count(*) FROM recommend_movies(1, 0)$$, NULL, NULL, '0'),
(2, 'bounds', 'recommend_movies: n = -1',
 $$SELECT * FROM recommend_movies(1, -1)$$, '22023', 'n must be between 0 and 1000', NULL),
(2, 'bounds', 'recommend_movies: n = -2147483648',
 $$SELECT * FROM recommend_movies(1, -2147483648)$$, '22023', 'n must be between 0 and 1000', NULL),
(2, 'bounds', 'recommend_movies: n = 1000 gives every unseen movie of the model (80 movies)',
 $$SELECT count(*) = 80 - (SELECT count(DISTINCT movie_id) FROM public.ratings WHERE user_id = 1) FROM recommend_movies(1, 1000)$$,
 NULL, NULL, 'true'),
(2, 'bounds', 'recommend_movies: n = 1001',
 $$SELECT * FROM recommend_movies(1, 1001)$$, '22023', 'n must be between 0 and 1000', NULL),
(2, 'bounds', 'recommend_movies: n = 2147483647',
 $$SELECT * FROM recommend_movies(1, 2147483647)$$, '22023', 'n must be between 0 and 1000', NULL),
(2, 'bounds', 'recommend_movies: unknown user min bigint gets the popular list',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(-9223372036854775808, 5)$$, NULL, NULL, '5 popular'),
(2, 'bounds', 'recommend_movies: unknown user max bigint gets the popular list',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(9223372036854775807, 5)$$, NULL, NULL, '5 popular'),
(2, 'bounds', 'user_cluster: unknown user max bigint has no rows (documented)',
 $$SELECT count(*) FROM movie_recs.user_cluster(9223372036854775807)$$, NULL, NULL, '0'),
(2, 'bounds', 'evaluate: n = 0',
 $$SELECT * FROM evaluate_movie_recommendations(n => 0)$$, '22023', 'n must be between 1 and 1000', NULL),
(2, 'bounds', 'evaluate: n = 1001',
 $$SELECT * FROM evaluate_movie_recommendations(n => 1001)$$, '22023', 'n must be between 1 and 1000', NULL),
(2, 'bounds', 'evaluate: holdout = 0',
 $$SELECT * FROM evaluate_movie_recommendations(holdout => 0)$$, '22023', 'holdout must be between 0 and 1, exclusive', NULL),
(2, 'bounds', 'evaluate: holdout = 1',
 $$SELECT * FROM evaluate_movie_recommendations(holdout => 1)$$, '22023', 'holdout must be between 0 and 1, exclusive', NULL),
(2, 'bounds', 'evaluate: holdout NaN',
 $$SELECT * FROM evaluate_movie_recommendations(holdout => 'NaN')$$, '22023', 'holdout must be between 0 and 1, exclusive', NULL),
(2, 'bounds', 'evaluate: k = 0',
 $$SELECT * FROM evaluate_movie_recommendations(k => 0)$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'evaluate: k = number of users + 1',
 $$SELECT * FROM evaluate_movie_recommendations(k => 201)$$, '22023', 'k must not be greater than the number of users', NULL),
(2, 'bounds', 'evaluate: relevance_threshold Infinity',
 $$SELECT * FROM evaluate_movie_recommendations(relevance_threshold => 'Infinity')$$, '22023', 'relevance_threshold must be a finite number', NULL),
(2, 'bounds', 'evaluate: max_iterations = -1',
 $$SELECT * FROM evaluate_movie_recommendations(max_iterations => -1)$$, '22023', 'max_iterations must be between 1 and 100000', NULL),
(2, 'bounds', 'evaluate: tolerance -1',
 $$SELECT * FROM evaluate_movie_recommendations(tolerance => -1)$$, '22023', 'tolerance must be a finite number greater than or equal to 0', NULL),
(2, 'bounds', 'suggest_k: empty ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{}')$$, '22023', 'ks must not be empty', NULL),
(2, 'bounds', 'suggest_k: a NULL in ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{2,NULL}')$$, '22023', 'ks must be a one-dimensional array without NULLs', NULL),
(2, 'bounds', 'suggest_k: two-dimensional ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{{1,2},{3,4}}')$$, '22023', 'ks must be a one-dimensional array without NULLs', NULL),
(2, 'bounds', 'suggest_k: 101 values in ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => array_fill(2, ARRAY[101]))$$, '22023', 'ks must hold at most 100 values', NULL),
(2, 'bounds', 'suggest_k: k = 0 in ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{2,0}')$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'suggest_k: k = number of users + 1 in ks',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{2,201}')$$, '22023', 'k must not be greater than the number of users', NULL),
(2, 'bounds', 'suggest_k: sample_size = 1',
 $$SELECT * FROM movie_recs.suggest_k(ks => '{2}', sample_size => 1)$$, '22023', 'sample_size must be at least 2', NULL),
(2, 'bounds', 'suggest_k: sample_size = max integer samples every user',
 $$SELECT count(*) FROM movie_recs.suggest_k(ks => '{2}', sample_size => 2147483647)$$, NULL, NULL, '1'),
(2, 'bounds', 'suggest_k: a k given twice gives two equal rows',
 $$SELECT count(DISTINCT (k, inertia, ndcg))::text || '/' || count(*) FROM movie_recs.suggest_k(ks => '{3,3}')$$, NULL, NULL, '1/2'),
(2, 'bounds', 'suggest_k: k = 1 has NULL silhouette and Davies-Bouldin (documented)',
 $$SELECT format('%s %s %s', k, (silhouette IS NULL)::text, (davies_bouldin IS NULL)::text) FROM movie_recs.suggest_k(ks => '{1}')$$, NULL, NULL, '1 true true'),
(2, 'bounds', 'activate_model: model -1',
 $$SELECT * FROM movie_recs.activate_model(-1)$$, '42704', 'movie_recs model -1 does not exist', NULL),
(2, 'bounds', 'activate_model: model max bigint',
 $$SELECT * FROM movie_recs.activate_model(9223372036854775807)$$, '42704', 'movie_recs model 9223372036854775807 does not exist', NULL),
(2, 'bounds', 'drop_model: model min bigint',
 $$SELECT movie_recs.drop_model(-9223372036854775808)$$, '42704', 'movie_recs model -9223372036854775808 does not exist', NULL),
(2, 'bounds', 'prune_models: keep = -1',
 $$SELECT movie_recs.prune_models(-1)$$, '22023', 'keep must be greater than or equal to 0', NULL),
(2, 'bounds', 'prune_models: keep = max integer drops nothing',
 $$SELECT movie_recs.prune_models(2147483647)$$, NULL, NULL, '0'),
(2, 'bounds', 'train_if_stale: negative max_age',
 $$SELECT * FROM movie_recs.train_if_stale('-1 day', 0.1)$$, '22023', 'max_age must not be negative', NULL),
(2, 'bounds', 'train_if_stale: min_changed_fraction NaN',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 'NaN')$$, '22023', 'min_changed_fraction must be a finite number greater than or equal to 0', NULL),
(2, 'bounds', 'train_if_stale: min_changed_fraction -1',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', -1)$$, '22023', 'min_changed_fraction must be a finite number greater than or equal to 0', NULL),
(2, 'bounds', 'train_if_stale: k = 0 for a first training',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, 'public.h_text_time', k => 0)$$, '22023', 'k must be between 1 and 10000', NULL),
(2, 'bounds', 'materialize_recommendations: n = -1',
 $$SELECT * FROM movie_recs.materialize_recommendations(-1, 'public.h_recs')$$, '22023', 'n must be between 0 and 1000', NULL),
(2, 'bounds', 'materialize_recommendations: n = 1001',
 $$SELECT * FROM movie_recs.materialize_recommendations(1001, 'public.h_recs')$$, '22023', 'n must be between 0 and 1000', NULL),
(2, 'bounds', 'materialize_recommendations: n = 0 writes nothing',
 $$SELECT format('%s %s', users, recommendations) FROM movie_recs.materialize_recommendations(0, 'public.h_recs')$$, NULL, NULL, '200 0'),
(2, 'bounds', 'cluster_summaries: top_n = -1',
 $$SELECT * FROM movie_recs.cluster_summaries(top_n => -1)$$, '22023', 'top_n must be between 0 and 1000', NULL),
(2, 'bounds', 'cluster_summaries: top_n = 1001',
 $$SELECT * FROM movie_recs.cluster_summaries(top_n => 1001)$$, '22023', 'top_n must be between 0 and 1000', NULL),
(2, 'bounds', 'cluster_summaries: top_n = 0 gives empty lists',
 $$SELECT bool_and(top_movie_ids = '{}') FROM movie_recs.cluster_summaries(top_n => 0)$$, NULL, NULL, 'true'),
(2, 'bounds', 'load_demo_data: users = 0',
 $$SELECT * FROM movie_recs.load_demo_data(0, 10, target_schema => 'demo_target')$$, '22023', 'users must be between 1 and 10000000', NULL),
(2, 'bounds', 'load_demo_data: users = max integer',
 $$SELECT * FROM movie_recs.load_demo_data(2147483647, 10, target_schema => 'demo_target')$$, '22023', 'users must be between 1 and 10000000', NULL),
(2, 'bounds', 'load_demo_data: movies = 1',
 $$SELECT * FROM movie_recs.load_demo_data(10, 1, target_schema => 'demo_target')$$, '22023', 'movies must be between 2 and 1000000', NULL),
(2, 'bounds', 'demo_ratings: users = -1',
 $$SELECT count(*) FROM movie_recs.demo_ratings(-1, 10, 1)$$, '22023', 'users must be between 1 and 10000000', NULL),
(2, 'bounds', 'demo_movies: movies = -2147483648',
 $$SELECT count(*) FROM movie_recs.demo_movies(-2147483648, 1)$$, '22023', 'movies must be between 2 and 1000000', NULL),
(2, 'bounds', 'load_demo_data: seed = min bigint, 1 user, 2 movies',
 $$SELECT format('%s %s', users, movies) FROM movie_recs.load_demo_data(1, 2, -9223372036854775808, target_schema => 'demo_target')$$, NULL, NULL, '1 2'),

-- Phase 2, rating values.
(2, 'rating', 'train: a NaN rating',
 $$SELECT * FROM train_movie_clusters('public.h_nan', k => 1)$$, '22003', 'relation "public.h_nan" has a rating that is not a finite number', NULL),
(2, 'rating', 'train: an Infinity rating',
 $$SELECT * FROM train_movie_clusters('public.h_inf', k => 1)$$, '22003', 'relation "public.h_inf" has a rating that is not a finite number', NULL),
(2, 'rating', 'train: a -Infinity rating',
 $$SELECT * FROM train_movie_clusters('public.h_neginf', k => 1)$$, '22003', 'relation "public.h_neginf" has a rating that is not a finite number', NULL),
(2, 'rating', 'train: a huge finite rating (1e308)',
 $$SELECT * FROM train_movie_clusters('public.h_huge', k => 1)$$, '22003', 'relation "public.h_huge" has a rating out of the range of type real', NULL),
(2, 'rating', 'train: a numeric rating beyond double precision (1e400)',
 $$SELECT * FROM train_movie_clusters('public.h_huge_numeric', k => 1)$$, '22003', NULL, NULL),
(2, 'rating', 'train: ratings up to the limits of real (3.4e38) train',
 $$SELECT users FROM train_movie_clusters('public.h_large_finite', k => 2, activate => false)$$, NULL, NULL, '6'),
(2, 'rating', 'evaluate: a NaN rating',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_nan', k => 1)$$, '22003', 'relation "public.h_nan" has a rating that is not a finite number', NULL),
(2, 'rating', 'evaluate: a huge finite rating (1e308)',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_huge', k => 1)$$, '22003', 'relation "public.h_huge" has a rating out of the range of type real', NULL),
(2, 'rating', 'suggest_k: an Infinity rating',
 $$SELECT * FROM movie_recs.suggest_k('public.h_inf', '{1}')$$, '22003', 'relation "public.h_inf" has a rating that is not a finite number', NULL),
(2, 'rating', 'train: negative ratings train (only their order within a user counts)',
 $$SELECT format('users=%s movies=%s', users, movies) FROM train_movie_clusters('public.h_negative', k => 2, activate => false)$$,
 NULL, NULL, 'users=6 movies=5'),
(2, 'rating', 'train: every rating equal',
 $$SELECT format('users=%s movies=%s ratings=%s', users, movies, ratings) FROM train_movie_clusters('public.h_equal', k => 3, activate => false)$$,
 NULL, NULL, 'users=10 movies=5 ratings=25'),

-- Phase 2, shapes of data.
(2, 'shape', 'train: empty table',
 $$SELECT * FROM train_movie_clusters('public.h_empty', k => 1)$$, '22000', 'relation "public.h_empty" has no ratings to train on', NULL),
(2, 'shape', 'train: only rows with NULLs',
 $$SELECT * FROM train_movie_clusters('public.h_all_null', k => 1)$$, '22000', 'relation "public.h_all_null" has no ratings to train on', NULL),
(2, 'shape', 'evaluate: empty table',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_empty', k => 1)$$, '22000', 'relation "public.h_empty" has no ratings to evaluate on', NULL),
(2, 'shape', 'suggest_k: empty table',
 $$SELECT * FROM movie_recs.suggest_k('public.h_empty', '{1}')$$, '22000', 'relation "public.h_empty" has no ratings to evaluate on', NULL),
(2, 'shape', 'train_if_stale: first training on an empty table',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, 'public.h_empty')$$, '22000', 'relation "public.h_empty" has no ratings to train on', NULL),
(2, 'shape', 'train: one user, k = 1',
 $$SELECT format('users=%s movies=%s inertia=%s', users, movies, inertia) FROM train_movie_clusters('public.h_one_user', k => 1, activate => false)$$,
 NULL, NULL, 'users=1 movies=3 inertia=0'),
(2, 'shape', 'train: one user, k = 2',
 $$SELECT * FROM train_movie_clusters('public.h_one_user', k => 2)$$, '22023', 'k must not be greater than the number of users', NULL),
(2, 'shape', 'evaluate: one user, nothing relevant held out',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_one_user', k => 1, relevance_threshold => 6)$$, '22000', 'no held-out rating is relevant', NULL),
(2, 'shape', 'evaluate: one rating per user leaves nothing to train on',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_one_movie', k => 1)$$, '22000', 'no ratings left to train on after the holdout', NULL),
(2, 'shape', 'train: one movie, k = users',
 $$SELECT format('users=%s movies=%s', users, movies) FROM train_movie_clusters('public.h_one_movie', k => 3, activate => false)$$,
 NULL, NULL, 'users=3 movies=1'),
(2, 'shape', 'train: a user with 100000 ratings',
 $$SELECT format('users=%s movies=%s ratings=%s', users, movies, ratings) FROM train_movie_clusters('public.h_big_user', k => 4, activate => false)$$,
 NULL, NULL, 'users=201 movies=100000 ratings=104694'),

-- Phase 2, relations.
(2, 'relation', 'train: a view',
 $$SELECT users FROM train_movie_clusters('public.h_view', k => 3, activate => false)$$, NULL, NULL, '200'),
(2, 'relation', 'train: a materialized view',
 $$SELECT users FROM train_movie_clusters('public.h_matview', k => 3, activate => false)$$, NULL, NULL, '200'),
(2, 'relation', 'train: a partitioned table',
 $$SELECT users FROM train_movie_clusters('public.h_partitioned', k => 3, activate => false)$$, NULL, NULL, '200'),
(2, 'relation', 'train: a table in another schema, with a space and capitals',
 $$SELECT users FROM train_movie_clusters('"Other Schema"."Ratings Table"', k => 3, activate => false)$$, NULL, NULL, '200'),
(2, 'relation', 'train: a table without an index on the user column',
 $$SELECT users FROM train_movie_clusters('public.h_no_index', k => 3, activate => false)$$, NULL, NULL, '200'),
(2, 'relation', 'train: a temporary table',
 $$SELECT * FROM train_movie_clusters('h_temp', k => 3)$$, '0A000', 'cannot train on temporary relation "h_temp"', NULL),
(2, 'relation', 'evaluate: a temporary table',
 $$SELECT * FROM evaluate_movie_recommendations('h_temp', k => 3)$$, '0A000', 'cannot train on temporary relation "h_temp"', NULL),
(2, 'relation', 'train_if_stale: a temporary table',
 $$SELECT * FROM movie_recs.train_if_stale('1 day', 0.1, 'h_temp')$$, '0A000', 'cannot train on temporary relation "h_temp"', NULL),
(2, 'relation', 'train: a sequence',
 $$SELECT * FROM train_movie_clusters('public.h_sequence', k => 1)$$, '42809', 'cannot train on relation "public.h_sequence"', NULL),
(2, 'relation', 'train: an index',
 $$SELECT * FROM train_movie_clusters('public.h_index', k => 1)$$, '42809', 'cannot train on relation "public.h_index"', NULL),
(2, 'relation', 'train: a missing table',
 $$SELECT * FROM train_movie_clusters('public.no_such_table', k => 1)$$, '42P01', 'relation "public.no_such_table" does not exist', NULL),
(2, 'relation', 'train: a dangling relation OID',
 $$SELECT * FROM train_movie_clusters(0::oid::regclass, k => 1)$$, '42P01', 'relation with OID 0 does not exist', NULL),
(2, 'relation', 'evaluate: a dangling relation OID',
 $$SELECT * FROM evaluate_movie_recommendations(4000000000::oid::regclass)$$, '42P01', 'relation with OID 4000000000 does not exist', NULL),
(2, 'relation', 'suggest_k: a dangling relation OID',
 $$SELECT * FROM movie_recs.suggest_k(4000000000::oid::regclass)$$, '42P01', 'relation with OID 4000000000 does not exist', NULL),
(2, 'relation', 'materialize_recommendations: a dangling target OID',
 $$SELECT * FROM movie_recs.materialize_recommendations(5, 4000000000::oid::regclass)$$, '42P01', 'relation with OID 4000000000 does not exist', NULL),
(2, 'relation', 'cluster_summaries: a dangling movies OID',
 $$SELECT * FROM movie_recs.cluster_summaries(4000000000::oid::regclass)$$, '42P01', 'relation with OID 4000000000 does not exist', NULL),
(2, 'relation', 'source_change_counter: a dangling OID gives NULL (documented)',
 $$SELECT movie_recs.source_change_counter(4000000000::oid::regclass)$$, NULL, NULL, NULL),
(2, 'relation', 'train: a missing user column',
 $$SELECT * FROM train_movie_clusters(user_column => 'uid')$$, '42703', 'column "uid" does not exist in relation "public.ratings"', NULL),
(2, 'relation', 'train: a column name differing only in case',
 $$SELECT * FROM train_movie_clusters(movie_column => 'Movie_ID')$$, '42703', 'column "Movie_ID" does not exist in relation "public.ratings"', NULL),
(2, 'relation', 'train: an empty rating column name',
 $$SELECT * FROM train_movie_clusters(rating_column => '')$$, '42703', 'column "" does not exist in relation "public.ratings"', NULL),
(2, 'relation', 'evaluate: a missing time column',
 $$SELECT * FROM evaluate_movie_recommendations(time_column => 'nope')$$, '42703', 'column "nope" does not exist in relation "public.ratings"', NULL),
(2, 'relation', 'materialize_recommendations: a target without the columns',
 $$SELECT * FROM movie_recs.materialize_recommendations(5, 'public.movies')$$, '42703', NULL, NULL),
(2, 'type', 'cluster_summaries: a text movie id column',
 $$SELECT * FROM movie_recs.cluster_summaries('public.h_text_movies')$$, '42804', 'movie column "movie_id" must be an integer type, not text', NULL),
(2, 'type', 'cluster_summaries: integer ids and integer titles',
 $$SELECT count(*) FROM movie_recs.cluster_summaries('public.h_int_movies')$$, NULL, NULL, '4'),
(2, 'relation', 'load_demo_data: into the catalog schema movie_recs',
 $$SELECT * FROM movie_recs.load_demo_data(10, 10, target_schema => 'movie_recs')$$, '22023', 'target_schema must not be movie_recs', NULL),
(2, 'relation', 'load_demo_data: into pg_catalog',
 $$SELECT * FROM movie_recs.load_demo_data(10, 10, target_schema => 'pg_catalog')$$, '42501', NULL, NULL),
(2, 'relation', 'cluster_summaries: a missing title column',
 $$SELECT * FROM movie_recs.cluster_summaries('public.movies', 'name')$$, '42703', 'column "name" does not exist in relation "public.movies"', NULL),
(2, 'relation', 'train: user_column = movie_column',
 $$SELECT * FROM train_movie_clusters(movie_column => 'user_id')$$, '22023', 'user_column and movie_column must name different columns', NULL),
(2, 'relation', 'train: rating_column = user_column',
 $$SELECT * FROM train_movie_clusters(rating_column => 'user_id')$$, '22023', 'rating_column must differ from user_column and movie_column', NULL),
(2, 'relation', 'evaluate: rating_column = movie_column',
 $$SELECT * FROM evaluate_movie_recommendations(rating_column => 'movie_id')$$, '22023', 'rating_column must differ from user_column and movie_column', NULL),
(2, 'relation', 'evaluate: time_column = rating_column',
 $$SELECT * FROM evaluate_movie_recommendations(time_column => 'rating')$$, '22023', 'time_column must differ from the user, movie and rating columns', NULL),

-- Phase 2, column types.
(2, 'type', 'train: text ratings',
 $$SELECT * FROM train_movie_clusters('public.h_text_rating', k => 1)$$, '42804', 'rating column "rating" must be a numeric type, not text', NULL),
(2, 'type', 'evaluate: text ratings',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_text_rating', k => 1)$$, '42804', 'rating column "rating" must be a numeric type, not text', NULL),
(2, 'type', 'train: boolean ratings',
 $$SELECT * FROM train_movie_clusters('public.h_bool_rating', k => 1)$$, '42804', 'rating column "rating" must be a numeric type, not boolean', NULL),
(2, 'type', 'train: text user ids',
 $$SELECT * FROM train_movie_clusters('public.h_text_user', k => 1)$$, '42804', 'user column "user_id" must be an integer type, not text', NULL),
(2, 'type', 'train: numeric user ids',
 $$SELECT * FROM train_movie_clusters('public.h_numeric_user', k => 1)$$, '42804', 'user column "user_id" must be an integer type, not numeric', NULL),
(2, 'type', 'train: double precision movie ids',
 $$SELECT * FROM train_movie_clusters('public.h_float_movie', k => 1)$$, '42804', 'movie column "movie_id" must be an integer type, not double precision', NULL),
(2, 'type', 'evaluate: a text time column',
 $$SELECT * FROM evaluate_movie_recommendations('public.h_text_time', time_column => 'seen')$$,
 '42804', 'time column "seen" must be a timestamp, date or integer type, not text', NULL),
(2, 'type', 'train: integer user ids, smallint movie ids, numeric ratings',
 $$SELECT format('users=%s movies=%s', users, movies) FROM train_movie_clusters('public.h_small_types', k => 3, activate => false)$$,
 NULL, NULL, 'users=200 movies=80'),

-- Phase 2, identifiers.
(2, 'ident', 'train: schema, table and columns with quotes, spaces, capitals and SQL',
 $$SELECT users FROM train_movie_clusters((SELECT rel FROM hostile_name), k => 3, user_column => 'User ID',
        movie_column => 'Movie"; DROP TABLE public.canary; --', rating_column => 'RATING', activate => false)$$, NULL, NULL, '200'),
(2, 'ident', 'evaluate: the same names',
 $$SELECT count(*) FROM evaluate_movie_recommendations((SELECT rel FROM hostile_name), k => 3, user_column => 'User ID',
        movie_column => 'Movie"; DROP TABLE public.canary; --', rating_column => 'RATING')$$, NULL, NULL, '2'),
(2, 'ident', 'suggest_k: the same names',
 $$SELECT count(*) FROM movie_recs.suggest_k((SELECT rel FROM hostile_name), '{2,3}', user_column => 'User ID',
        movie_column => 'Movie"; DROP TABLE public.canary; --', rating_column => 'RATING')$$, NULL, NULL, '2'),
(2, 'ident', 'train: a user column holding SQL is an unknown column',
 $$SELECT * FROM train_movie_clusters(user_column => 'user_id; DROP TABLE public.canary; --')$$, '42703',
 'column "user_id; DROP TABLE public.canary; --" does not exist in relation "public.ratings"', NULL),
(2, 'ident', 'train: a table name holding SQL is a syntax error of the name',
 $$SELECT * FROM train_movie_clusters('public.ratings; DROP TABLE public.canary; --')$$, '42602', NULL, NULL),
(2, 'ident', 'evaluate: a time column holding SQL is an unknown column',
 $$SELECT * FROM evaluate_movie_recommendations(time_column => 'rated_at) FROM public.canary; --')$$, '42703', NULL, NULL),
(2, 'ident', 'cluster_summaries: a title column holding SQL is an unknown column',
 $$SELECT * FROM movie_recs.cluster_summaries('public.movies', 'title FROM public.canary; --')$$, '42703', NULL, NULL),
(2, 'ident', 'load_demo_data: a schema name holding SQL is an unknown schema',
 $$SELECT * FROM movie_recs.load_demo_data(10, 10, target_schema => 'public; DROP TABLE public.canary; --')$$,
 '3F000', 'schema "public; DROP TABLE public.canary; --" does not exist', NULL),
(2, 'ident', 'materialize_recommendations: a target name holding SQL is a syntax error of the name',
 $$SELECT * FROM movie_recs.materialize_recommendations(5, 'public.h_recs; DROP TABLE public.canary')$$, '42602', NULL, NULL),
(2, 'relation', 'materialize_recommendations: an updatable view as target',
 $$SELECT format('%s %s', users, recommendations) FROM movie_recs.materialize_recommendations(5, 'public.h_recs_view')$$, NULL, NULL, '200 1000'),
(2, 'relation', 'materialize_recommendations: a temporary target',
 $$SELECT format('%s %s', users, recommendations) FROM movie_recs.materialize_recommendations(5, 'h_temp_recs')$$, NULL, NULL, '200 1000'),

-- Phase 2, state.
(2, 'state', 'drop_model: the active model',
 $$SELECT movie_recs.drop_model((SELECT model_id FROM movie_recs.models WHERE active))$$, '55006', NULL, NULL),
(2, 'state', 'rollback_model: only one model was ever activated',
 $$SELECT * FROM movie_recs.rollback_model()$$, '55000', 'no earlier movie_recs model to roll back to', NULL),
(2, 'state', 'switch_model: an unknown action',
 $$SELECT * FROM movie_recs.switch_model((SELECT max(model_id) FROM movie_recs.models WHERE NOT active), 'delete', NULL)$$, '23514', NULL, NULL),

-- Phase 3: models on small tables, activated; each serving row reads the model of the row before.
(3, 'shape', 'extreme ids: train and activate',
 $$SELECT format('users=%s movies=%s', users, movies) FROM train_movie_clusters('public.h_extreme', k => 2)$$, NULL, NULL, 'users=3 movies=4'),
(3, 'shape', 'extreme ids: user min bigint gets every unseen movie',
 $$SELECT array_agg(movie_id ORDER BY movie_id)::text FROM recommend_movies(-9223372036854775808, 1000)$$,
 NULL, NULL, '{-9223372036854775808,0,1}'),
(3, 'shape', 'extreme ids: user max bigint gets every unseen movie',
 $$SELECT array_agg(movie_id ORDER BY movie_id)::text FROM recommend_movies(9223372036854775807, 1000)$$,
 NULL, NULL, '{0,1}'),
(3, 'shape', 'extreme ids: user_cluster of user max bigint',
 $$SELECT format('%s %s', count(*), count(*) FILTER (WHERE assigned)) FROM movie_recs.user_cluster(9223372036854775807)$$, NULL, NULL, '2 1'),
(3, 'shape', 'extreme ids: materialize_recommendations',
 $$SELECT format('%s %s', users, recommendations) FROM movie_recs.materialize_recommendations(1000, 'public.h_recs')$$, NULL, NULL, '3 7'),
(3, 'rating', 'extreme ids: a huge rating (1e308) added after training',
 $$WITH ins AS (INSERT INTO public.h_extreme VALUES (0, -9223372036854775808, 1e308) RETURNING 1) SELECT count(*) FROM ins$$, NULL, NULL, '1'),
(3, 'rating', 'a huge rating: the movie is excluded, the rating does not place the user',
 $$SELECT format('%s %s', array_agg(movie_id ORDER BY movie_id), min(source)) FROM recommend_movies(0, 1000)$$,
 NULL, NULL, '{9223372036854775807} cluster'),
(3, 'rating', 'a huge rating: user_cluster gives finite distances',
 $$SELECT count(*) FILTER (WHERE distance < 'Infinity') FROM movie_recs.user_cluster(0)$$, NULL, NULL, '2'),
(3, 'shape', 'one movie: train and activate',
 $$SELECT users FROM train_movie_clusters('public.h_one_movie', k => 2)$$, NULL, NULL, '3'),
(3, 'shape', 'one movie: a user who rated it gets nothing',
 $$SELECT count(*) FROM recommend_movies(1, 10)$$, NULL, NULL, '0'),
(3, 'shape', 'one movie: an unknown user gets it from the popular list',
 $$SELECT format('%s %s', string_agg(movie_id::text, ','), min(source)) FROM recommend_movies(99, 10)$$, NULL, NULL, '5 popular'),
(3, 'shape', 'a user with 100000 ratings: train and activate',
 $$SELECT users FROM train_movie_clusters('public.h_big_user', k => 4)$$, NULL, NULL, '201'),
(3, 'shape', 'a user with 100000 ratings has seen every movie: nothing to recommend',
 $$SELECT count(*) FROM recommend_movies(1000000, 1000)$$, NULL, NULL, '0'),
(3, 'shape', 'a user with 100000 ratings: user_cluster places them',
 $$SELECT count(*) FILTER (WHERE assigned) FROM movie_recs.user_cluster(1000000)$$, NULL, NULL, '1'),
(3, 'shape', 'another user gets the unseen movies of their clusters'' lists (1000 movies each, documented)',
 $$SELECT ((SELECT count(*) FROM recommend_movies(1, 1000))
           = (SELECT least(1000, count(DISTINCT cm.movie_id))
                FROM movie_recs.user_clusters uc
                JOIN movie_recs.cluster_movies cm ON cm.model_id = uc.model_id AND cm.cluster_id = ANY (uc.soft_clusters)
               WHERE uc.user_id = 1 AND cm.movie_id NOT IN (SELECT movie_id FROM public.h_big_user WHERE user_id = 1)))::text$$,
 NULL, NULL, 'true'),
(3, 'relation', 'partitioned table: train and activate',
 $$SELECT users FROM train_movie_clusters('public.h_partitioned', k => 3)$$, NULL, NULL, '200'),
(3, 'relation', 'partitioned table: serving excludes the movies rated in the partitions',
 $$SELECT count(*) FROM recommend_movies(1, 1000) r JOIN public.h_partitioned p ON p.user_id = 1 AND p.movie_id = r.movie_id$$, NULL, NULL, '0'),
(3, 'type', 'integer user ids with an index: train and activate',
 $$SELECT users FROM train_movie_clusters('public.h_small_types', k => 3)$$, NULL, NULL, '200'),
(3, 'type', 'integer user ids: a known user is served from the index',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(1, 5)$$, NULL, NULL, '5 cluster'),
(3, 'type', 'integer user ids: a bigint id beyond integer is an unknown user',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(2147483648, 5)$$, NULL, NULL, '5 popular'),
(3, 'type', 'integer user ids: min bigint is an unknown user',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(-9223372036854775808, 5)$$, NULL, NULL, '5 popular'),
(3, 'type', 'a domain over bigint with a hash index: train and activate',
 $$SELECT users FROM train_movie_clusters('public.h_domain', k => 3)$$, NULL, NULL, '200'),
(3, 'type', 'a domain: an id its check refuses is an unknown user',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(-5, 5)$$, NULL, NULL, '5 popular'),
(3, 'type', 'a domain: a known user is served',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(2, 5)$$, NULL, NULL, '5 cluster'),
(3, 'relation', 'no index: train and activate',
 $$SELECT users FROM train_movie_clusters('public.h_no_index', k => 3)$$, NULL, NULL, '200'),
(3, 'relation', 'no index: serving reads the user''s ratings by a scan',
 $$SELECT count(*) = 80 - (SELECT count(DISTINCT movie_id) FROM public.h_no_index WHERE user_id = 2) FROM recommend_movies(2, 1000)$$, NULL, NULL, 'true'),
(3, 'ident', 'hostile names: train and activate',
 $$SELECT users FROM train_movie_clusters((SELECT rel FROM hostile_name), k => 3, user_column => 'User ID',
        movie_column => 'Movie"; DROP TABLE public.canary; --', rating_column => 'RATING')$$, NULL, NULL, '200'),
(3, 'ident', 'hostile names: serving reads the seen movies through them',
 $$SELECT format('%s %s', count(*), min(source)) FROM recommend_movies(3, 7)$$, NULL, NULL, '7 cluster'),
(3, 'rating', 'a NaN rating of an unseen movie added after training',
 $$WITH ins AS (INSERT INTO "Hostile ""Schema""; DROP TABLE public.canary; --"."Rat'ings; DROP TABLE public.canary"
                SELECT 3, min(m), 'NaN' FROM generate_series(1, 80) m
                 WHERE m NOT IN (SELECT movie_id FROM public.ratings WHERE user_id = 3) RETURNING 1)
   SELECT count(*) FROM ins$$, NULL, NULL, '1'),
(3, 'rating', 'a NaN rating: the movie is excluded, the user stays in their trained clusters',
 $$SELECT format('%s %s', (count(*) = 79 - (SELECT count(DISTINCT movie_id) FROM public.ratings WHERE user_id = 3))::text, min(source))
     FROM recommend_movies(3, 1000)$$, NULL, NULL, 'true cluster');

-- ---------------------------------------------------------------------------------------------
-- The loop
-- ---------------------------------------------------------------------------------------------
-- The single value of a query as text; an error becomes its text, so that a result case that
-- fails shows what it raised instead of stopping the suite.
CREATE FUNCTION pg_temp.single_value(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v text;
BEGIN
    EXECUTE query INTO STRICT v;
    RETURN v;
EXCEPTION WHEN OTHERS THEN
    RETURN format('ERROR %s: %s', SQLSTATE, SQLERRM);
END
$$;

CREATE FUNCTION pg_temp.run_cases(p_phase integer) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM hostile_cases WHERE phase = p_phase ORDER BY id LOOP
        IF c.sqlstate IS NOT NULL THEN
            RETURN NEXT throws_ok(c.sql, c.sqlstate, c.message,
                                  format('[%s] %s: %s', c.category, c.description, c.sqlstate));
        ELSE
            RETURN NEXT is(pg_temp.single_value(c.sql), c.expected,
                           format('[%s] %s: %s', c.category, c.description, coalesce(c.expected, 'NULL')));
        END IF;
    END LOOP;
END
$$;

SELECT plan((SELECT count(*)::integer FROM hostile_cases) + 10);

SELECT * FROM pg_temp.run_cases(1);

-- The reference model for phase 2.
CREATE TEMP TABLE reference AS SELECT * FROM train_movie_clusters(k => 4);
SELECT * FROM pg_temp.run_cases(2);
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM reference',
                  'phase 2 left the reference model active');
SELECT is((SELECT count(*) FROM movie_recs.models m WHERE m.source_table = 'h_temp'), 0::bigint,
          'no model of a temporary table was stored');
SELECT is((SELECT count(*) FROM demo_target.ratings), 2::bigint,
          'load_demo_data(1, 2, min bigint seed) wrote its rows in the target schema');

SELECT * FROM pg_temp.run_cases(3);

-- Custom checks.
-- The 100000-rating user's ratings are all in the model: none of their movies is recommended to
-- them, and they are assigned to exactly one cluster in the catalog.
SELECT is((SELECT count(*) FROM movie_recs.assignments a JOIN movie_recs.models m USING (model_id)
            WHERE m.model_id = (SELECT max(model_id) FROM movie_recs.models WHERE source_table = 'h_big_user')
              AND a.user_id = 1000000), 1::bigint,
          'the user with 100000 ratings has one assignment');
-- Extreme ids reach the catalog unchanged.
SELECT set_eq($$SELECT a.user_id FROM movie_recs.assignments a JOIN movie_recs.models m USING (model_id)
                WHERE m.model_id = (SELECT max(model_id) FROM movie_recs.models WHERE source_table = 'h_extreme')$$,
              ARRAY[-9223372036854775808, 0, 9223372036854775807]::bigint[],
              'users min bigint, 0 and max bigint are stored as they are');
-- No model holds a non-finite value anywhere.
SELECT is((SELECT count(*) FROM movie_recs.centroids
            WHERE mean_rating IN ('NaN', 'Infinity', '-Infinity') OR prior_weight IN ('NaN', 'Infinity', '-Infinity')
               OR EXISTS (SELECT 1 FROM unnest(weights) w WHERE w IN ('NaN', 'Infinity', '-Infinity'))),
          0::bigint, 'no centroid holds NaN or Infinity');
SELECT is((SELECT count(*) FROM movie_recs.cluster_movies WHERE score IN ('NaN', 'Infinity', '-Infinity'))
          + (SELECT count(*) FROM movie_recs.assignments WHERE distance IN ('NaN', 'Infinity', '-Infinity')),
          0::bigint, 'no score or distance holds NaN or Infinity');

-- The source of the active model dropped: serving and retraining fail with clear errors.
DROP TABLE "Hostile ""Schema""; DROP TABLE public.canary; --"."Rat'ings; DROP TABLE public.canary";
SELECT throws_ok($$SELECT * FROM recommend_movies(1, 5)$$, '42P01', NULL,
                 'recommend_movies after the source was dropped: 42P01');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('0 seconds', 0)$$, '42P01', NULL,
                 'train_if_stale after the source was dropped: 42P01');

SELECT is((SELECT count(*) FROM public.canary), 1::bigint, 'the canary table is intact');

SELECT * FROM finish();
ROLLBACK;
