-- 15_lazy_fold_in.sql -- a backend reads the active model's centroids (for the fold-in) when a
-- call first needs them, not when it starts serving the model: known users whose ratings did not
-- change are served from their stored assignments without them; a call that places a user from
-- current ratings (changed ratings, a user the model does not know, user_cluster()'s distances)
-- reads them then, reports stored centroids it cannot use as before (XX001), and reads them
-- again at the next call once they are sound.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(9);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 200, movies => 120, seed => 11);
CREATE TEMP TABLE m AS SELECT model_id AS id FROM train_movie_clusters(k => 4, seed => 3);

-- Users 1..200 as the model knows them: every one from the stored assignment.
CREATE FUNCTION pg_temp.served() RETURNS TABLE (u bigint, movie_id bigint, score float8, rank int, source text)
LANGUAGE sql AS $$
    SELECT u, r.* FROM generate_series(1::bigint, 200) u, LATERAL recommend_movies(u, 6) r
$$;
CREATE TEMP TABLE known AS SELECT * FROM pg_temp.served();
SELECT is((SELECT array_agg(DISTINCT source) FROM known), ARRAY['cluster'],
          'precondition: every known user is served from the stored assignment');

-- A centroid this backend has not read yet becomes unusable (weights shorter than movie_ids).
CREATE TEMP TABLE saved AS
    SELECT cluster_id, weights FROM movie_recs.centroids
     WHERE model_id = (SELECT id FROM m) ORDER BY cluster_id LIMIT 1;
UPDATE movie_recs.centroids c SET weights = c.weights[1:1]
  FROM saved s WHERE c.model_id = (SELECT id FROM m) AND c.cluster_id = s.cluster_id;

SELECT results_eq('SELECT * FROM pg_temp.served() ORDER BY u, rank', 'SELECT * FROM known ORDER BY u, rank',
                  'known users with unchanged ratings are served without reading the centroids');

-- User 1000, unknown to the model, rates three movies: placing them needs the centroids.
INSERT INTO public.ratings (user_id, movie_id, rating, rated_at)
    SELECT 1000, movie_id, 4.5, now() FROM public.movies ORDER BY movie_id LIMIT 3;
SELECT throws_ok('SELECT * FROM recommend_movies(1000, 6)', 'XX001',
                 format('movie_recs model %s is incomplete: malformed centroid', (SELECT id FROM m)),
                 'a fold-in reports the unusable centroid (XX001)');
SELECT throws_ok('SELECT * FROM movie_recs.user_cluster(1)', 'XX001',
                 format('movie_recs model %s is incomplete: malformed centroid', (SELECT id FROM m)),
                 'user_cluster() needs the distances: the same error');
SELECT results_eq('SELECT * FROM pg_temp.served() ORDER BY u, rank', 'SELECT * FROM known ORDER BY u, rank',
                  'after the failed reads, known users are still served as before');

-- Sound again: the next call that needs the centroids reads them.
UPDATE movie_recs.centroids c SET weights = s.weights
  FROM saved s WHERE c.model_id = (SELECT id FROM m) AND c.cluster_id = s.cluster_id;
SELECT is((SELECT array_agg(DISTINCT source) FROM recommend_movies(1000, 6)), ARRAY['fold_in'],
          'the centroids are read at the next call: user 1000 is folded in');
SELECT is((SELECT count(*) FROM movie_recs.user_cluster(1)), 4::bigint,
          'user_cluster() gives a distance to each of the 4 clusters');
SELECT is((SELECT count(*) FROM recommend_movies(1000, 6) r JOIN public.ratings p
             ON p.user_id = 1000 AND p.movie_id = r.movie_id), 0::bigint,
          'the folded-in user is not recommended a movie they rated');
SELECT results_eq('SELECT * FROM pg_temp.served() ORDER BY u, rank', 'SELECT * FROM known ORDER BY u, rank',
                  'known users are served as before once the centroids are read');

SELECT * FROM finish();
ROLLBACK;
