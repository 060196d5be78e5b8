-- 03_recommend.sql -- recommend_movies() on demo data: never a movie the user rated (at call
-- time), ranks 1..n best first with ties by movie_id, the popular list for unknown users,
-- argument checks and set-based (LATERAL) use.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(40);

CREATE TEMP TABLE demo AS
    SELECT * FROM movie_recs.load_demo_data(users => 300, movies => 200, seed => 7);
SELECT results_eq('SELECT users, movies, ratings FROM demo',
                  $$VALUES (300::bigint, 200::bigint,
                            (SELECT count(*) FROM public.ratings))$$,
                  'load_demo_data created 300 users and 200 movies');

SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', '55000', 'no trained movie_recs model',
                 'before any training recommend_movies raises 55000');

CREATE TEMP TABLE model AS SELECT * FROM train_movie_clusters(k => 5);
SELECT results_eq(
    'SELECT k, users, movies, ratings FROM model',
    $$SELECT 5, count(DISTINCT user_id), count(DISTINCT movie_id),
             count(DISTINCT (user_id, movie_id)) FROM public.ratings$$,
    'the model covers every user, movie and rating of the table');
SELECT results_eq('SELECT model_id FROM movie_recs.models WHERE active', 'SELECT model_id FROM model',
                  'the trained model is the active one');

-- Preconditions that keep the checks below meaningful.
SELECT cmp_ok((SELECT max(c) FROM (SELECT count(*) AS c FROM public.ratings GROUP BY user_id) s),
              '<', 180::bigint, 'precondition: every user has at least 20 unrated movies');

-- All users, 20 recommendations each, in the order the function returns them.
CREATE TEMP TABLE recs AS
SELECT u.user_id, r.movie_id, r.score, r.rank, r.source, r.ord
  FROM (SELECT DISTINCT user_id FROM public.ratings) u
 CROSS JOIN LATERAL recommend_movies(u.user_id, 20) WITH ORDINALITY AS r(movie_id, score, rank, source, ord);

SELECT is((SELECT count(DISTINCT user_id) FROM recs), 300::bigint, 'every one of the 300 users got recommendations');
SELECT is_empty(
    $$SELECT user_id, count(*) FROM recs GROUP BY user_id HAVING count(*) <> 20$$,
    'every user gets exactly n = 20 recommendations');
SELECT is_empty(
    $$SELECT r.user_id, r.movie_id FROM recs r
        JOIN public.ratings x ON x.user_id = r.user_id AND x.movie_id = r.movie_id$$,
    'no user is ever recommended a movie they rated');
SELECT is_empty(
    $$SELECT user_id, movie_id FROM recs GROUP BY user_id, movie_id HAVING count(*) > 1$$,
    'no movie is recommended twice to the same user');
SELECT is_empty(
    $$SELECT r.movie_id FROM recs r WHERE NOT EXISTS (SELECT 1 FROM public.movies m WHERE m.movie_id = r.movie_id)$$,
    'every recommended movie exists');
SELECT is_empty(
    $$SELECT user_id, rank, ord FROM recs WHERE rank <> ord$$,
    'rows come back in rank order and ranks are 1..n consecutive');
SELECT is_empty(
    $$SELECT user_id FROM recs WHERE source IS DISTINCT FROM 'cluster'$$,
    'every user the model was trained on, unchanged since, is served from their stored clusters');
SELECT is_empty(
    $$SELECT user_id, score FROM recs
       WHERE score IS NULL OR score = 'NaN' OR score IN ('Infinity', '-Infinity') OR score < 0$$,
    'every score is a finite non-negative number');

CREATE TEMP VIEW recs_pairs AS
SELECT user_id, ord, movie_id, score,
       lag(score) OVER w AS prev_score, lag(movie_id) OVER w AS prev_movie
  FROM recs WINDOW w AS (PARTITION BY user_id ORDER BY ord);
SELECT is_empty(
    $$SELECT user_id, ord FROM recs_pairs WHERE prev_score < score$$,
    'scores are non-increasing down each list');
SELECT is_empty(
    $$SELECT user_id, ord FROM recs_pairs WHERE prev_score = score AND prev_movie >= movie_id$$,
    'equal scores are ordered by movie_id ascending');
SELECT isnt_empty(
    $$SELECT r.user_id FROM recs r
       WHERE r.rank = 1
         AND r.movie_id <> (SELECT p.movie_id FROM movie_recs.popular_movies p
                             WHERE p.model_id = (SELECT model_id FROM model)
                               AND NOT EXISTS (SELECT 1 FROM public.ratings x
                                                WHERE x.user_id = r.user_id AND x.movie_id = p.movie_id)
                             ORDER BY p.rank LIMIT 1)$$,
    'recommendations are personalised: some users'' top movie is not the most popular one they have not rated');

-- The scores are those of the model: a known user's list is a blend of their clusters' lists, so
-- every recommended movie is in the catalog lists of the active model.
SELECT is_empty(
    $$SELECT r.movie_id FROM recs r
       WHERE NOT EXISTS (SELECT 1 FROM movie_recs.popular_movies p
                          WHERE p.model_id = (SELECT model_id FROM model) AND p.movie_id = r.movie_id)$$,
    'every recommended movie is in the active model''s popular list');

-- ---------------------------------------------------------------------------------------------
-- Ratings added after training are excluded at call time
-- ---------------------------------------------------------------------------------------------
CREATE TEMP TABLE before_recs AS SELECT * FROM recommend_movies(17, 10);
SELECT is((SELECT count(*) FROM before_recs), 10::bigint, 'user 17 has 10 recommendations');
INSERT INTO public.ratings (user_id, movie_id, rating, rated_at)
SELECT 17, movie_id, 4.5, now() FROM before_recs WHERE rank = 1;

SELECT is_empty(
    $$SELECT movie_id FROM recommend_movies(17, 1000) WHERE movie_id = (SELECT movie_id FROM before_recs WHERE rank = 1)$$,
    'a movie rated after training disappears from the user''s recommendations');
SELECT is((SELECT array_agg(DISTINCT source) FROM recommend_movies(17, 9)), ARRAY['fold_in'],
          'a user who rated a movie since training is folded in again from their ratings now');
SELECT results_eq(
    'SELECT movie_id, score, rank FROM recommend_movies(18, 10)',
    $$SELECT movie_id, score, rank FROM recs WHERE user_id = 18 AND rank <= 10 ORDER BY rank$$,
    'another user''s recommendations are unaffected');

DELETE FROM public.ratings
 WHERE user_id = 17 AND movie_id = (SELECT movie_id FROM before_recs WHERE rank = 1);
SELECT results_eq(
    'SELECT movie_id, score, rank FROM recommend_movies(17, 10)',
    'SELECT movie_id, score, rank FROM before_recs ORDER BY rank',
    'deleting that rating brings the movie back (the seen movies are read at every call)');

-- A movie the user rated at training time and still rates is never back, even with n = 1000.
SELECT is_empty(
    $$SELECT r.movie_id FROM recommend_movies(17, 1000) r
        JOIN public.ratings x ON x.user_id = 17 AND x.movie_id = r.movie_id$$,
    'with n = 1000 still none of the user''s rated movies');
SELECT is((SELECT count(*) FROM recommend_movies(17, 1000)),
          (SELECT 200 - count(DISTINCT movie_id) FROM public.ratings WHERE user_id = 17),
          'with n = 1000 every unrated movie is listed once');

-- ---------------------------------------------------------------------------------------------
-- Unknown users get the most popular movies
-- ---------------------------------------------------------------------------------------------
SELECT results_eq(
    'SELECT movie_id, score, rank FROM recommend_movies(-1, 15)',
    $$SELECT p.movie_id, p.score, p.rank FROM movie_recs.popular_movies p
       WHERE p.model_id = (SELECT model_id FROM movie_recs.models WHERE active)
       ORDER BY p.rank LIMIT 15$$,
    'an unknown user gets the top of popular_movies, in its order, with its scores');
SELECT results_eq(
    'SELECT movie_id, rank FROM recommend_movies(-1, 15)',
    $$SELECT movie_id, (row_number() OVER (ORDER BY count(*) DESC, movie_id))::int
        FROM public.ratings r
        JOIN (SELECT user_id, avg(rating::float8) AS mean FROM public.ratings GROUP BY 1) u
       USING (user_id)
       WHERE r.rating >= u.mean
       GROUP BY movie_id ORDER BY count(*) DESC, movie_id LIMIT 15$$,
    'popular_movies is the movies by number of users who liked them (rated at least their mean), ties by movie_id');
SELECT is((SELECT array_agg(DISTINCT source) FROM recommend_movies(-1, 15)), ARRAY['popular'],
          'an unknown user without ratings is served the popular list (source popular)');
SELECT isnt_empty(
    $$SELECT score FROM recommend_movies(-1, 30) GROUP BY score HAVING count(*) > 1$$,
    'precondition: the popular list has tied scores (so the tie order above is exercised)');

-- A user who started rating after training is folded in from their ratings: placed among the
-- clusters at call time, and never recommended the movies they rated.
INSERT INTO public.ratings (user_id, movie_id, rating, rated_at)
SELECT 5000, p.movie_id, 3, now() FROM movie_recs.popular_movies p
 WHERE p.model_id = (SELECT model_id FROM model) AND p.rank IN (1, 3);
SELECT is((SELECT array_agg(DISTINCT source) FROM recommend_movies(5000, 10)), ARRAY['fold_in'],
          'a new user with ratings is folded in (source fold_in)');
SELECT is_empty(
    $$SELECT movie_id FROM recommend_movies(5000, 1000)
       WHERE movie_id IN (SELECT movie_id FROM public.ratings WHERE user_id = 5000)$$,
    'a folded-in user is never recommended a movie they rated');
SELECT is((SELECT count(*) FROM recommend_movies(5000, 1000)), 198::bigint,
          'a folded-in user can get every other movie');

-- ---------------------------------------------------------------------------------------------
-- n and NULL arguments
-- ---------------------------------------------------------------------------------------------
SELECT is_empty('SELECT * FROM recommend_movies(17, 0)', 'n = 0 gives no rows');
SELECT is_empty('SELECT * FROM recommend_movies(-1, 0)', 'n = 0 gives no rows for an unknown user');
SELECT is((SELECT count(*) FROM recommend_movies(17)), 10::bigint, 'n defaults to 10');
SELECT throws_ok('SELECT * FROM recommend_movies(17, -1)', '22023', NULL, 'n = -1 raises 22023');
SELECT throws_ok('SELECT * FROM recommend_movies(17, 1001)', '22023', NULL, 'n = 1001 raises 22023');
SELECT throws_ok('SELECT * FROM recommend_movies(NULL, 5)', '22004', NULL, 'a NULL user_id raises 22004');
SELECT throws_ok('SELECT * FROM recommend_movies(17, NULL)', '22004', NULL, 'a NULL n raises 22004');

-- ---------------------------------------------------------------------------------------------
-- LATERAL over a list of users
-- ---------------------------------------------------------------------------------------------
SELECT results_eq(
    $$SELECT u, count(*)::int FROM unnest(ARRAY[3, 250, 17, -1, 42]::bigint[]) u
       CROSS JOIN LATERAL recommend_movies(u, 7) r GROUP BY u ORDER BY u$$,
    $$VALUES (-1::bigint, 7), (3, 7), (17, 7), (42, 7), (250, 7)$$,
    'LATERAL over five users (one unknown) gives 7 rows per user');
SELECT results_eq(
    $$SELECT u, r.movie_id, r.score, r.rank, r.source FROM unnest(ARRAY[3, 250, -1, 42]::bigint[]) WITH ORDINALITY AS l(u, o)
       CROSS JOIN LATERAL recommend_movies(l.u, 7) r ORDER BY l.o, r.rank$$,
    $$SELECT 3::bigint, * FROM recommend_movies(3, 7)
      UNION ALL SELECT 250, * FROM recommend_movies(250, 7)
      UNION ALL SELECT -1, * FROM recommend_movies(-1, 7)
      UNION ALL SELECT 42, * FROM recommend_movies(42, 7)$$,
    'each LATERAL call returns exactly what a single call returns');

SELECT * FROM finish();
ROLLBACK;
