-- 07_stable_cluster_ids.sql -- after retraining, each new cluster takes the id of the closest
-- cluster of the model that was active (a minimum total centroid distance matching, checked
-- here against every possible matching), new clusters get new ids, and serving works with
-- whatever ids a model has.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;

SELECT plan(28);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 400, movies => 150, seed => 4);

-- Euclidean distance of two centroids as stored (sparse arrays).
CREATE FUNCTION pg_temp.dist(m1 bigint, c1 int, m2 bigint, c2 int) RETURNS float8 LANGUAGE sql AS $$
    SELECT sqrt(coalesce(sum((coalesce(a.w, 0)::float8 - coalesce(b.w, 0)::float8) ^ 2), 0))
      FROM (SELECT x.m, x.w FROM movie_recs.centroids c, unnest(c.movie_ids, c.weights) x(m, w)
             WHERE c.model_id = m1 AND c.cluster_id = c1) a
      FULL JOIN (SELECT x.m, x.w FROM movie_recs.centroids c, unnest(c.movie_ids, c.weights) x(m, w)
                  WHERE c.model_id = m2 AND c.cluster_id = c2) b ON a.m = b.m
$$;
CREATE FUNCTION pg_temp.ids(model bigint) RETURNS int[] LANGUAGE sql AS $$
    SELECT array_agg(cluster_id ORDER BY cluster_id) FROM movie_recs.centroids WHERE model_id = model
$$;
-- Total distance of the stored matching (clusters of new_model and old_model with equal ids).
CREATE FUNCTION pg_temp.stored_cost(new_model bigint, old_model bigint) RETURNS float8 LANGUAGE sql AS $$
    SELECT coalesce(sum(pg_temp.dist(new_model, id, old_model, id)), 0)
      FROM unnest(pg_temp.ids(new_model)) id WHERE id = ANY (pg_temp.ids(old_model))
$$;
-- Smallest total distance over every matching of min(k_new, k_old) pairs, by enumeration.
CREATE FUNCTION pg_temp.best_cost(new_model bigint, old_model bigint) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    small int[]; large int[]; small_is_new boolean; best float8;
BEGIN
    small_is_new := cardinality(pg_temp.ids(new_model)) <= cardinality(pg_temp.ids(old_model));
    small := CASE WHEN small_is_new THEN pg_temp.ids(new_model) ELSE pg_temp.ids(old_model) END;
    large := CASE WHEN small_is_new THEN pg_temp.ids(old_model) ELSE pg_temp.ids(new_model) END;
    CREATE TEMP TABLE d ON COMMIT DROP AS
        SELECT s, l, CASE WHEN small_is_new THEN pg_temp.dist(new_model, s, old_model, l)
                          ELSE pg_temp.dist(new_model, l, old_model, s) END AS dist
          FROM unnest(small) s, unnest(large) l;
    WITH RECURSIVE inj(n, picked, cost) AS (
        SELECT 0, ARRAY[]::int[], 0::float8
        UNION ALL
        SELECT inj.n + 1, inj.picked || d.l, inj.cost + d.dist
          FROM inj JOIN d ON d.s = small[inj.n + 1] AND NOT d.l = ANY (inj.picked)
         WHERE inj.n < cardinality(small))
    SELECT min(cost) INTO best FROM inj WHERE n = cardinality(small);
    DROP TABLE d;
    RETURN best;
END
$$;
CREATE FUNCTION pg_temp.train(k int, seed int, activate boolean DEFAULT true) RETURNS bigint LANGUAGE sql AS $$
    SELECT model_id FROM train_movie_clusters(k => k, seed => seed, activate => activate)
$$;
-- The ids of a model are consistent: users, soft assignments and lists use the centroids' ids,
-- and each size counts the users of that id.
CREATE FUNCTION pg_temp.consistent(model bigint) RETURNS boolean LANGUAGE sql AS $$
    SELECT NOT EXISTS (SELECT 1 FROM movie_recs.assignments a WHERE a.model_id = model
                          AND (a.cluster_id <> a.soft_clusters[1]
                               OR NOT a.soft_clusters <@ pg_temp.ids(model)))
       AND NOT EXISTS (SELECT 1 FROM movie_recs.cluster_movies cm WHERE cm.model_id = model
                          AND NOT cm.cluster_id = ANY (pg_temp.ids(model)))
       AND NOT EXISTS (SELECT 1 FROM movie_recs.centroids c WHERE c.model_id = model
                          AND c.size <> (SELECT count(*) FROM movie_recs.assignments a
                                          WHERE a.model_id = model AND a.cluster_id = c.cluster_id))
$$;

CREATE TEMP TABLE m (name text PRIMARY KEY, id bigint);

-- ---------------------------------------------------------------------------------------------
-- Same k, another seed: a permutation of the same ids, optimal
-- ---------------------------------------------------------------------------------------------
INSERT INTO m VALUES ('a', pg_temp.train(8, 1));
SELECT is(pg_temp.ids((SELECT id FROM m WHERE name = 'a')), '{1,2,3,4,5,6,7,8}', 'the first model numbers its clusters 1..k');
INSERT INTO m VALUES ('b', pg_temp.train(8, 2));
SELECT is(pg_temp.ids((SELECT id FROM m WHERE name = 'b')), '{1,2,3,4,5,6,7,8}', 'retrained with the same k: the same ids');
SELECT ok(pg_temp.consistent((SELECT id FROM m WHERE name = 'b')), 'the retrained model uses its ids consistently');
SELECT cmp_ok(pg_temp.stored_cost((SELECT id FROM m WHERE name = 'b'), (SELECT id FROM m WHERE name = 'a')), '<=',
              pg_temp.best_cost((SELECT id FROM m WHERE name = 'b'), (SELECT id FROM m WHERE name = 'a')) + 1e-9,
              'the ids follow a minimum total distance matching (checked against all 40320)');
-- The 8 planted taste groups are found by both trainings: users keep their cluster id.
SELECT cmp_ok((SELECT avg((a.cluster_id = b.cluster_id)::int)
                 FROM movie_recs.assignments a JOIN movie_recs.assignments b USING (user_id)
                WHERE a.model_id = (SELECT id FROM m WHERE name = 'a')
                  AND b.model_id = (SELECT id FROM m WHERE name = 'b')), '>=', 0.8::numeric,
              'at least 80% of the users keep their cluster id (k-means with another seed differs a little)');
-- A deliberately poor matching would cost more: the test can fail.
SELECT cmp_ok(pg_temp.stored_cost((SELECT id FROM m WHERE name = 'b'), (SELECT id FROM m WHERE name = 'a')), '<',
              (SELECT sum(pg_temp.dist((SELECT id FROM m WHERE name = 'b'), i, (SELECT id FROM m WHERE name = 'a'), i % 8 + 1))
                 FROM generate_series(1, 8) i),
              'a shifted matching (id i -> i mod 8 + 1) costs more');

-- ---------------------------------------------------------------------------------------------
-- Fewer clusters: a subset of the previous ids; more clusters: new ids after the largest
-- ---------------------------------------------------------------------------------------------
INSERT INTO m VALUES ('c', pg_temp.train(5, 3));
SELECT ok(pg_temp.ids((SELECT id FROM m WHERE name = 'c')) <@ '{1,2,3,4,5,6,7,8}'::int[]
          AND cardinality(pg_temp.ids((SELECT id FROM m WHERE name = 'c'))) = 5,
          'with k = 5 the clusters keep five of the previous eight ids');
SELECT cmp_ok(pg_temp.stored_cost((SELECT id FROM m WHERE name = 'c'), (SELECT id FROM m WHERE name = 'b')), '<=',
              pg_temp.best_cost((SELECT id FROM m WHERE name = 'c'), (SELECT id FROM m WHERE name = 'b')) + 1e-9,
              'the five are the optimal choice among all 6720 matchings');
SELECT ok(pg_temp.consistent((SELECT id FROM m WHERE name = 'c')), 'the k = 5 model uses its ids consistently');

INSERT INTO m VALUES ('d', pg_temp.train(7, 4));
SELECT is((SELECT array_agg(i ORDER BY i) FROM unnest(pg_temp.ids((SELECT id FROM m WHERE name = 'd'))) i
            WHERE i = ANY (pg_temp.ids((SELECT id FROM m WHERE name = 'c')))),
          pg_temp.ids((SELECT id FROM m WHERE name = 'c')),
          'with k = 7 every previous id is taken again');
SELECT is((SELECT array_agg(i ORDER BY i) FROM unnest(pg_temp.ids((SELECT id FROM m WHERE name = 'd'))) i
            WHERE NOT i = ANY (pg_temp.ids((SELECT id FROM m WHERE name = 'c')))),
          (SELECT array_agg(i) FROM generate_series(
               (SELECT max(x) FROM unnest(pg_temp.ids((SELECT id FROM m WHERE name = 'c'))) x) + 1,
               (SELECT max(x) FROM unnest(pg_temp.ids((SELECT id FROM m WHERE name = 'c'))) x) + 2) i),
          'the two new clusters get the ids after the largest previous one');
SELECT cmp_ok(pg_temp.stored_cost((SELECT id FROM m WHERE name = 'd'), (SELECT id FROM m WHERE name = 'c')), '<=',
              pg_temp.best_cost((SELECT id FROM m WHERE name = 'd'), (SELECT id FROM m WHERE name = 'c')) + 1e-9,
              'the five matched clusters are the optimal choice among all 2520 matchings');
SELECT ok(pg_temp.consistent((SELECT id FROM m WHERE name = 'd')), 'the k = 7 model uses its ids consistently');

-- ---------------------------------------------------------------------------------------------
-- Serving with ids that are not 1..k gives exactly what the same model numbered 1..k gives
-- ---------------------------------------------------------------------------------------------
SELECT isnt(pg_temp.ids((SELECT id FROM m WHERE name = 'd')), '{1,2,3,4,5,6,7}', 'model d has ids other than 1..7');
CREATE TEMP TABLE served_d AS
    SELECT u, r.* FROM generate_series(1, 401) u, LATERAL recommend_movies(u, 10) r;
-- user_cluster() reports the stored ids too: one row per centroid of model d, and an unchanged
-- user's own cluster is the one stored for them.
SELECT set_eq('SELECT cluster_id FROM movie_recs.user_cluster(1)',
              format('SELECT unnest(%L::int[])', pg_temp.ids((SELECT id FROM m WHERE name = 'd'))),
              'user_cluster lists the stored cluster ids of model d');
SELECT results_eq(
    $$SELECT u.cluster_id FROM generate_series(1, 20) g, LATERAL movie_recs.user_cluster(g) u
       WHERE u.assigned ORDER BY g$$,
    format('SELECT cluster_id FROM movie_recs.assignments WHERE model_id = %s AND user_id <= 20 ORDER BY user_id',
           (SELECT id FROM m WHERE name = 'd')),
    'user_cluster marks the stored cluster of unchanged users as assigned');
-- A copy of model d with its ids renumbered 1..6, activated.
CREATE TEMP TABLE renumber AS
    SELECT cluster_id AS old_id, row_number() OVER (ORDER BY cluster_id)::int AS new_id
      FROM movie_recs.centroids WHERE model_id = (SELECT id FROM m WHERE name = 'd');
INSERT INTO movie_recs.models (source_schema, source_table, user_column, movie_column, rating_column, k, user_vector,
                               soft_clusters, temperature)
SELECT source_schema, source_table, user_column, movie_column, rating_column, k, user_vector,
       soft_clusters, temperature
  FROM movie_recs.models WHERE model_id = (SELECT id FROM m WHERE name = 'd');
INSERT INTO m SELECT 'd_dense', max(model_id) FROM movie_recs.models;
INSERT INTO movie_recs.centroids (model_id, cluster_id, size, prior_weight, movie_ids, weights)
SELECT (SELECT id FROM m WHERE name = 'd_dense'), r.new_id, c.size, c.prior_weight, c.movie_ids, c.weights
  FROM movie_recs.centroids c JOIN renumber r ON r.old_id = c.cluster_id
 WHERE c.model_id = (SELECT id FROM m WHERE name = 'd');
INSERT INTO movie_recs.assignments (model_id, user_id, cluster_id, distance, soft_clusters, soft_weights)
SELECT (SELECT id FROM m WHERE name = 'd_dense'), a.user_id, r.new_id, a.distance,
       ARRAY(SELECT r2.new_id FROM unnest(a.soft_clusters) WITH ORDINALITY s(c, o)
               JOIN renumber r2 ON r2.old_id = s.c ORDER BY s.o),
       a.soft_weights
  FROM movie_recs.assignments a JOIN renumber r ON r.old_id = a.cluster_id
 WHERE a.model_id = (SELECT id FROM m WHERE name = 'd');
INSERT INTO movie_recs.cluster_movies (model_id, cluster_id, rank, movie_id, score)
SELECT (SELECT id FROM m WHERE name = 'd_dense'), r.new_id, cm.rank, cm.movie_id, cm.score
  FROM movie_recs.cluster_movies cm JOIN renumber r ON r.old_id = cm.cluster_id
 WHERE cm.model_id = (SELECT id FROM m WHERE name = 'd');
INSERT INTO movie_recs.popular_movies (model_id, rank, movie_id, score)
SELECT (SELECT id FROM m WHERE name = 'd_dense'), rank, movie_id, score
  FROM movie_recs.popular_movies WHERE model_id = (SELECT id FROM m WHERE name = 'd');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'd_dense')),
                'the renumbered copy is activated');
SELECT results_eq('SELECT u, r.* FROM generate_series(1, 401) u, LATERAL recommend_movies(u, 10) r',
                  'SELECT * FROM served_d',
                  'the renumbered copy recommends exactly what model d recommended (400 users and an unknown one)');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT id FROM m WHERE name = 'd')),
                'model d is active again');

-- ---------------------------------------------------------------------------------------------
-- The reference is the active model, not the newest
-- ---------------------------------------------------------------------------------------------
INSERT INTO m VALUES ('e', pg_temp.train(4, 5, activate => false));
INSERT INTO m VALUES ('f', pg_temp.train(4, 6, activate => false));
SELECT ok(pg_temp.ids((SELECT id FROM m WHERE name = 'e')) <@ pg_temp.ids((SELECT id FROM m WHERE name = 'd'))
          AND pg_temp.ids((SELECT id FROM m WHERE name = 'f')) <@ pg_temp.ids((SELECT id FROM m WHERE name = 'd')),
          'models trained with activate => false take ids of the active model d');
SELECT cmp_ok(pg_temp.stored_cost((SELECT id FROM m WHERE name = 'f'), (SELECT id FROM m WHERE name = 'd')), '<=',
              pg_temp.best_cost((SELECT id FROM m WHERE name = 'f'), (SELECT id FROM m WHERE name = 'd')) + 1e-9,
              'model f is matched optimally to d (not to e, the newest)');

-- Rolling back and retraining: matched against the model rolled back to.
SELECT lives_ok('SELECT movie_recs.rollback_model()', 'roll back from d');
INSERT INTO m VALUES ('g', pg_temp.train(6, 7));
SELECT cmp_ok(pg_temp.stored_cost((SELECT id FROM m WHERE name = 'g'), (SELECT id FROM m WHERE name = 'd_dense')), '<=',
              pg_temp.best_cost((SELECT id FROM m WHERE name = 'g'), (SELECT id FROM m WHERE name = 'd_dense')) + 1e-9,
              'after a rollback the next model is matched to the model active then');
SELECT ok(pg_temp.ids((SELECT id FROM m WHERE name = 'g')) <@ '{1,2,3,4,5,6,7}'::int[],
          'and takes its ids');

-- A model in another vector space is not matched: ids 1..k.
UPDATE movie_recs.models SET user_vector = 'raw' WHERE active;
INSERT INTO m VALUES ('h', pg_temp.train(3, 8));
SELECT is(pg_temp.ids((SELECT id FROM m WHERE name = 'h')), '{1,2,3}',
          'clusters are not matched to a model of another user_vector kind');

-- Serving checks the ids it maps: an id without a centroid is a corrupt catalog (XX001).
UPDATE movie_recs.assignments SET soft_clusters[1] = 999
 WHERE model_id = (SELECT id FROM m WHERE name = 'h') AND user_id = 1;
SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', 'XX001',
                 format('movie_recs model %s is incomplete: soft assignment names a cluster without a centroid',
                        (SELECT id FROM m WHERE name = 'h')),
                 'a soft assignment naming a cluster without a centroid is reported (XX001)');
UPDATE movie_recs.cluster_movies SET cluster_id = 999
 WHERE model_id = (SELECT id FROM m WHERE name = 'h') AND rank = 1 AND cluster_id = 1;
-- (A changed created_at makes this session's serving cache load the model again.)
UPDATE movie_recs.models SET created_at = created_at - interval '1 second'
 WHERE model_id = (SELECT id FROM m WHERE name = 'h');
SELECT throws_ok('SELECT * FROM recommend_movies(2, 5)', 'XX001',
                 format('movie_recs model %s is incomplete: cluster_movies names a cluster without a centroid',
                        (SELECT id FROM m WHERE name = 'h')),
                 'a list naming a cluster without a centroid is reported when the model is loaded (XX001)');

-- No active model: 1..k.
UPDATE movie_recs.models SET active = false;
INSERT INTO m VALUES ('i', pg_temp.train(4, 9));
SELECT is(pg_temp.ids((SELECT id FROM m WHERE name = 'i')), '{1,2,3,4}',
          'without an active model the clusters are numbered 1..k');

SELECT * FROM finish();
ROLLBACK;
