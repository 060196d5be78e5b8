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

-- The ranked movies of each cluster of the active model with what makes them typical of it:
-- lift = the cluster's score over the movie's overall popularity (NULL when the movie is not in
-- the model's popular list). Filter on rank or lift_rank and join movies for titles.
CREATE VIEW movie_recs.cluster_top_movies AS
SELECT c.cluster_id,
       c.size,
       cm.rank,
       cm.movie_id,
       cm.score,
       p.score AS popularity,
       cm.score / NULLIF(p.score, 0) AS lift,
       pg_catalog.rank() OVER (PARTITION BY c.cluster_id
                               ORDER BY cm.score / NULLIF(p.score, 0) DESC NULLS LAST,
                                        cm.rank) AS lift_rank
  FROM movie_recs.models m
  JOIN movie_recs.centroids c ON c.model_id = m.model_id
  JOIN movie_recs.cluster_movies cm ON cm.model_id = c.model_id AND cm.cluster_id = c.cluster_id
  LEFT JOIN movie_recs.popular_movies p ON p.model_id = cm.model_id AND p.movie_id = cm.movie_id
 WHERE m.active;
COMMENT ON VIEW movie_recs.cluster_top_movies IS
    'Each cluster of the active model with its ranked movies, their overall popularity and lift (how much more the cluster likes them); join movies for titles';
