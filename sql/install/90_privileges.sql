-- ---------------------------------------------------------------------------------------------
-- Privileges: PUBLIC gets nothing; movie_recs_reader reads the catalog and recommends;
-- movie_recs_trainer (a member of movie_recs_reader) also trains, activates and drops models.
-- Every function runs with the caller's rights, so a role also needs SELECT on the ratings
-- table (granted by its owner). Also run by the upgrade script: every statement is idempotent.
-- ---------------------------------------------------------------------------------------------

REVOKE ALL ON SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA movie_recs FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.train_movie_clusters(regclass, integer, name, name, name, integer,
                                                         double precision, bigint, boolean, boolean)
    FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.recommend_movies(bigint, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION @extschema@.evaluate_movie_recommendations(regclass, integer,
    double precision, name, integer, bigint, double precision, name, name, name, integer,
    double precision) FROM PUBLIC;

-- Readers: the catalog and the views (cluster_top_movies included), recommendations and where a
-- user stands (user_cluster).
GRANT USAGE ON SCHEMA movie_recs TO movie_recs_reader;
GRANT SELECT ON ALL TABLES IN SCHEMA movie_recs TO movie_recs_reader;
GRANT EXECUTE ON FUNCTION @extschema@.recommend_movies(bigint, integer),
                          movie_recs.current_activation(),
                          movie_recs.cluster_summaries(regclass, name, name, integer),
                          movie_recs.check_column(regclass, name),
                          movie_recs.materialize_recommendations(integer, regclass, boolean),
                          movie_recs.user_cluster(bigint)
    TO movie_recs_reader;

-- Trainers: writing the catalog (always through the functions below in practice), training, and
-- measuring (evaluate_movie_recommendations and suggest_k train temporary models, write nothing).
GRANT INSERT, UPDATE, DELETE ON movie_recs.models, movie_recs.centroids, movie_recs.assignments,
                                movie_recs.cluster_movies, movie_recs.popular_movies,
                                movie_recs.activations
    TO movie_recs_trainer;
GRANT EXECUTE ON FUNCTION @extschema@.train_movie_clusters(regclass, integer, name, name, name,
                                                            integer, double precision, bigint,
                                                            boolean, boolean),
                          movie_recs.switch_model(bigint, text, bigint),
                          movie_recs.activate_model(bigint),
                          movie_recs.rollback_model(),
                          movie_recs.drop_model(bigint),
                          movie_recs.prune_models(integer),
                          movie_recs.lock_training(boolean),
                          movie_recs.require_writable(text),
                          movie_recs.source_change_counter(regclass),
                          movie_recs.train_if_stale(interval, double precision, regclass, integer,
                                                    boolean, boolean),
                          @extschema@.evaluate_movie_recommendations(regclass, integer,
                              double precision, name, integer, bigint, double precision, name,
                              name, name, integer, double precision),
                          movie_recs.suggest_k(regclass, integer[], name, name, name, name,
                                               double precision, bigint, integer)
    TO movie_recs_trainer;
