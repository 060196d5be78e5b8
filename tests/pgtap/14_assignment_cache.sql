-- 14_assignment_cache.sql -- recommend_movies() looks users up in a per-backend copy of the
-- active model's stored assignments (setting movie_recs.assignment_cache_size): the answers are
-- those of the index lookup, with the copy, without it (0) and when the model does not fit (then
-- served through the index); another model activated in the session is served at the next call,
-- from its own copy, and so is the first one again after activate_model(). (A backend serves a
-- model through the index for its first few calls, 1 per page of movie_recs.assignments, before it
-- loads the copy: each run of the 303 users below crosses from one to the other.)
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(12);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 300, movies => 150, seed => 5);
CREATE TEMP TABLE m AS SELECT 'first'::text AS name, model_id AS id FROM train_movie_clusters(k => 4, seed => 1);
-- A user whose ratings changed since training (folded in) and users the model does not know.
INSERT INTO public.ratings (user_id, movie_id, rating, rated_at)
    SELECT 1, movie_id, 5, now() FROM public.movies
     WHERE movie_id NOT IN (SELECT movie_id FROM public.ratings WHERE user_id = 1) LIMIT 3;

-- Users 1..300 and 301..303 (unknown), 8 movies each, with this session's setting.
CREATE FUNCTION pg_temp.served() RETURNS TABLE (u bigint, movie_id bigint, score float8, rank int, source text)
LANGUAGE sql AS $$
    SELECT u, r.* FROM generate_series(1::bigint, 303) u, LATERAL recommend_movies(u, 8) r
$$;

SELECT is(current_setting('movie_recs.assignment_cache_size'), '64MB', 'the copy is kept up to 64MB by default');
CREATE TEMP TABLE first_copy AS SELECT * FROM pg_temp.served();
SET LOCAL movie_recs.assignment_cache_size = 0;
CREATE TEMP TABLE first_index AS SELECT * FROM pg_temp.served();
SET LOCAL movie_recs.assignment_cache_size = '1kB';
CREATE TEMP TABLE first_small AS SELECT * FROM pg_temp.served();
RESET movie_recs.assignment_cache_size;

SELECT results_eq('SELECT * FROM first_copy ORDER BY u, rank', 'SELECT * FROM first_index ORDER BY u, rank',
                  'the copy gives the answers of the index lookup');
SELECT results_eq('SELECT * FROM first_small ORDER BY u, rank', 'SELECT * FROM first_index ORDER BY u, rank',
                  'a model larger than the copy''s limit is served through the index, with the same answers');
SELECT set_eq('SELECT DISTINCT source FROM first_copy', ARRAY['cluster', 'fold_in', 'popular'],
              'stored assignments, fold-in and the popular list are all served with the copy');
SELECT is((SELECT DISTINCT source FROM first_copy WHERE u = 1), 'fold_in',
          'a user whose ratings changed since training is folded in, copy or not');

-- A second model becomes active in this session: the next call serves it.
INSERT INTO m SELECT 'second', model_id FROM train_movie_clusters(k => 5, seed => 2);
CREATE TEMP TABLE second_copy AS SELECT * FROM pg_temp.served();
SET LOCAL movie_recs.assignment_cache_size = 0;
CREATE TEMP TABLE second_index AS SELECT * FROM pg_temp.served();
RESET movie_recs.assignment_cache_size;
SELECT results_eq('SELECT * FROM second_copy ORDER BY u, rank', 'SELECT * FROM second_index ORDER BY u, rank',
                  'the model activated later is served from its own copy, as by the index');
SELECT isnt_empty('SELECT * FROM second_copy EXCEPT SELECT * FROM first_copy',
                  'the answers changed with the active model');

-- The first model again, by activate_model() in the same session.
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'first')),
                'the first model is activated again');
SELECT results_eq('SELECT * FROM pg_temp.served() ORDER BY u, rank', 'SELECT * FROM first_copy ORDER BY u, rank',
                  'after activate_model() the first model''s answers come back');

-- A soft assignment stored out of line (TOAST): user 2's repeated 120 times (600 entries, each
-- weight divided by 120). Read into the copy and through the index alike.
ALTER TABLE movie_recs.assignments ALTER soft_clusters SET STORAGE EXTERNAL,
                                   ALTER soft_weights SET STORAGE EXTERNAL;
UPDATE movie_recs.assignments a
   SET soft_clusters = (SELECT array_agg(c ORDER BY r, o)
                          FROM unnest(a.soft_clusters) WITH ORDINALITY AS x(c, o), generate_series(1, 120) r),
       soft_weights = (SELECT array_agg(w / 120 ORDER BY r, o)
                         FROM unnest(a.soft_weights) WITH ORDINALITY AS x(w, o), generate_series(1, 120) r)
 WHERE model_id = (SELECT id FROM m WHERE name = 'first') AND user_id = 2;
SELECT ok((SELECT pg_relation_size(reltoastrelid) > 0 FROM pg_class WHERE oid = 'movie_recs.assignments'::regclass),
          'precondition: the long arrays are stored out of line');
CREATE TEMP TABLE toasted_copy AS SELECT * FROM recommend_movies(2, 8);
SET LOCAL movie_recs.assignment_cache_size = 0;
CREATE TEMP TABLE toasted_index AS SELECT * FROM recommend_movies(2, 8);
RESET movie_recs.assignment_cache_size;
SELECT results_eq('SELECT * FROM toasted_copy', 'SELECT * FROM toasted_index',
                  'an assignment stored out of line is read alike from the copy and through the index');
SELECT is((SELECT array_agg(DISTINCT source) FROM toasted_copy), ARRAY['cluster'],
          '... and serves the user as stored');

SELECT * FROM finish();
ROLLBACK;
