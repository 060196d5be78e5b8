-- ---------------------------------------------------------------------------------------------
-- Explain: where a user stands, what each cluster likes
-- ---------------------------------------------------------------------------------------------

-- One row per cluster of the active model: the distance of the user's vector (from their ratings
-- now) to its centroid, the weight of the cluster in the user's recommendations, whether it is
-- the user's own cluster, and how the user was placed (as recommend_movies() reports it).
CREATE FUNCTION movie_recs.user_cluster(user_id bigint)
RETURNS TABLE (cluster_id integer, distance double precision, weight real, assigned boolean,
               source text)
AS 'MODULE_PATHNAME', 'user_cluster'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.user_cluster(bigint) IS
    'Distances of the user to every cluster of the active model, the weights their recommendations blend, and their own cluster';

-- The ranked movies of each cluster with their popularity and lift: the view
-- movie_recs.cluster_top_movies (55_bi.sql).
