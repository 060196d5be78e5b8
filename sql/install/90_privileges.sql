-- ---------------------------------------------------------------------------------------------
-- Privileges
-- ---------------------------------------------------------------------------------------------

REVOKE ALL ON ALL TABLES IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.train_movie_clusters(regclass, integer, name, name, name, integer,
                                                         double precision, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recommend_movies(bigint, integer) FROM PUBLIC;

GRANT USAGE ON SCHEMA movie_recs TO PUBLIC;
GRANT SELECT ON movie_recs.models, movie_recs.centroids, movie_recs.assignments,
                movie_recs.cluster_movies, movie_recs.popular_movies TO PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_movies(bigint, integer) TO PUBLIC;

-- Evaluation (60_evaluate.sql) reads with the caller's rights and writes nothing, but trains
-- models: like training, it is for the owner and roles granted EXECUTE. Explain (70_explain.sql)
-- is public like recommend_movies() and the catalog.
REVOKE ALL ON FUNCTION @extschema@.evaluate_movie_recommendations(regclass, integer,
    double precision, name, integer, bigint, double precision, name, name, name, integer,
    double precision) FROM PUBLIC;
GRANT SELECT ON movie_recs.cluster_top_movies TO PUBLIC;
GRANT EXECUTE ON FUNCTION movie_recs.user_cluster(bigint) TO PUBLIC;
