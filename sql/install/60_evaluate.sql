-- ---------------------------------------------------------------------------------------------
-- Evaluation: offline quality inside the database (README "Quality")
-- ---------------------------------------------------------------------------------------------

-- Per user, holds out the latest `holdout` share of the ratings by time_column (a seeded random
-- share when it is NULL; at least one rating), trains a temporary model on the rest with the
-- given parameters, and measures the model and a most-rated baseline on the held-out ratings.
-- Writes nothing: the catalog and the active model are untouched.
CREATE FUNCTION @extschema@.evaluate_movie_recommendations(
    ratings_table       regclass DEFAULT 'ratings'::text::regclass,
    n                   integer DEFAULT 10,
    holdout             double precision DEFAULT 0.2,
    time_column         name DEFAULT NULL,
    k                   integer DEFAULT NULL,
    seed                bigint DEFAULT 42,
    relevance_threshold double precision DEFAULT 4,
    user_column         name DEFAULT 'user_id',
    movie_column        name DEFAULT 'movie_id',
    rating_column       name DEFAULT 'rating',
    max_iterations      integer DEFAULT 100,
    tolerance           double precision DEFAULT 1e-4)
RETURNS TABLE (
    method    text,
    n         integer,
    "precision" double precision,
    recall    double precision,
    ndcg      double precision,
    coverage  double precision,
    users     bigint)
AS 'MODULE_PATHNAME', 'evaluate_movie_recommendations'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION @extschema@.evaluate_movie_recommendations(regclass, integer, double precision,
    name, integer, bigint, double precision, name, name, name, integer, double precision) IS
    'Holds out each user''s latest (or a random) share of ratings, trains a temporary model on the rest and returns precision, recall, NDCG at n and coverage for the model and a most-rated baseline';

-- Per k: inertia, a sampled silhouette and the Davies-Bouldin index of a model trained on all the
-- ratings, and the holdout NDCG@10 of evaluate_movie_recommendations() for that k.
CREATE FUNCTION movie_recs.suggest_k(
    ratings_table regclass DEFAULT 'ratings'::text::regclass,
    ks            integer[] DEFAULT '{4,8,12,16,24,32}',
    user_column   name DEFAULT 'user_id',
    movie_column  name DEFAULT 'movie_id',
    rating_column name DEFAULT 'rating',
    time_column   name DEFAULT NULL,
    holdout       double precision DEFAULT 0.2,
    seed          bigint DEFAULT 42,
    sample_size   integer DEFAULT 1000)
RETURNS TABLE (
    k                integer,
    inertia          double precision,
    silhouette       double precision,
    davies_bouldin   double precision,
    ndcg             double precision,
    smallest_cluster bigint,
    largest_cluster  bigint)
AS 'MODULE_PATHNAME', 'suggest_k'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.suggest_k(regclass, integer[], name, name, name, name,
                                         double precision, bigint, integer) IS
    'Measures candidate numbers of clusters: inertia, sampled silhouette, Davies-Bouldin index and holdout NDCG@10 per k';
