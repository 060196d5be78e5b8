-- ---------------------------------------------------------------------------------------------
-- Catalog
-- ---------------------------------------------------------------------------------------------

CREATE TABLE movie_recs.models (
    model_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at        timestamptz NOT NULL DEFAULT now(),
    trained_by        name NOT NULL DEFAULT current_user,
    active            boolean NOT NULL DEFAULT false,
    source_schema     name NOT NULL,
    source_table      name NOT NULL,
    user_column       name NOT NULL,
    movie_column      name NOT NULL,
    rating_column     name,
    k                 integer NOT NULL,
    max_iterations    integer,
    tolerance         double precision,
    seed              bigint,
    user_vector       text,
    soft_clusters     integer,
    temperature       double precision,
    shrinkage         double precision,
    list_length       integer,
    threads           integer,
    iterations        integer,
    converged         boolean,
    inertia           double precision,
    users             bigint,
    movies            bigint,
    ratings           bigint,
    skipped_rows      bigint,
    duplicates_merged bigint,
    train_seconds     double precision
);
CREATE UNIQUE INDEX models_one_active ON movie_recs.models ((true)) WHERE active;

COMMENT ON TABLE movie_recs.models IS
    'One row per trained model (train_movie_clusters()); recommend_movies() serves the active one';
COMMENT ON COLUMN movie_recs.models.model_id IS 'Model identifier, referenced by the other catalog tables';
COMMENT ON COLUMN movie_recs.models.created_at IS 'Start of the transaction that trained the model';
COMMENT ON COLUMN movie_recs.models.trained_by IS 'Role that ran train_movie_clusters()';
COMMENT ON COLUMN movie_recs.models.active IS
    'True for the model recommend_movies() serves; at most one model is active, training a new one deactivates the old';
COMMENT ON COLUMN movie_recs.models.source_schema IS 'Schema of the ratings relation the model was trained on';
COMMENT ON COLUMN movie_recs.models.source_table IS
    'Ratings relation the model was trained on; recommend_movies() reads the movies a user has seen from it';
COMMENT ON COLUMN movie_recs.models.user_column IS 'Column of user ids in the source relation';
COMMENT ON COLUMN movie_recs.models.movie_column IS 'Column of movie ids in the source relation';
COMMENT ON COLUMN movie_recs.models.rating_column IS
    'Column of ratings in the source relation; NULL when every row counted as a rating of 1 (implicit feedback)';
COMMENT ON COLUMN movie_recs.models.k IS 'Number of clusters (taste groups)';
COMMENT ON COLUMN movie_recs.models.max_iterations IS 'Iteration cap of k-means';
COMMENT ON COLUMN movie_recs.models.tolerance IS
    'k-means stopped when the inertia improved by at most this fraction in one iteration';
COMMENT ON COLUMN movie_recs.models.seed IS 'Random seed of the k-means++ initialisation; same data and seed give the same model';
COMMENT ON COLUMN movie_recs.models.user_vector IS 'How a user''s ratings became the vector that was clustered';
COMMENT ON COLUMN movie_recs.models.soft_clusters IS 'Number of nearest clusters blended into each user''s recommendations';
COMMENT ON COLUMN movie_recs.models.temperature IS 'Softness of the blend of a user''s nearest clusters';
COMMENT ON COLUMN movie_recs.models.shrinkage IS
    'Pseudo-members pulling a small cluster''s movie scores towards overall popularity';
COMMENT ON COLUMN movie_recs.models.list_length IS 'Movies kept per cluster in cluster_movies and in popular_movies';
COMMENT ON COLUMN movie_recs.models.threads IS 'Threads used for training (setting movie_recs.max_threads)';
COMMENT ON COLUMN movie_recs.models.iterations IS 'k-means iterations run';
COMMENT ON COLUMN movie_recs.models.converged IS 'True when k-means stopped before max_iterations';
COMMENT ON COLUMN movie_recs.models.inertia IS 'Sum of squared distances of the users to their cluster centres (lower is tighter)';
COMMENT ON COLUMN movie_recs.models.users IS 'Distinct users trained on';
COMMENT ON COLUMN movie_recs.models.movies IS 'Distinct movies trained on';
COMMENT ON COLUMN movie_recs.models.ratings IS 'Distinct (user, movie) ratings trained on, after merging duplicates';
COMMENT ON COLUMN movie_recs.models.skipped_rows IS 'Source rows ignored because the user, movie or rating was NULL';
COMMENT ON COLUMN movie_recs.models.duplicates_merged IS
    'Source rows merged into another row of the same (user, movie) pair, which got their mean rating';
COMMENT ON COLUMN movie_recs.models.train_seconds IS 'Wall-clock seconds of the train_movie_clusters() call';

CREATE TABLE movie_recs.centroids (
    model_id     bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    cluster_id   integer NOT NULL,
    size         bigint NOT NULL,
    prior_weight double precision NOT NULL,
    movie_ids    bigint[] NOT NULL,
    weights      real[] NOT NULL,
    PRIMARY KEY (model_id, cluster_id)
);
COMMENT ON TABLE movie_recs.centroids IS
    'Cluster centres of each model, one row per cluster (taste group), stored sparsely';
COMMENT ON COLUMN movie_recs.centroids.cluster_id IS 'Cluster number, 1..k';
COMMENT ON COLUMN movie_recs.centroids.size IS 'Users assigned to the cluster';
COMMENT ON COLUMN movie_recs.centroids.prior_weight IS
    'Share of overall popularity in the cluster''s movie scores (large for small clusters)';
COMMENT ON COLUMN movie_recs.centroids.movie_ids IS
    'Movies with a non-zero centre coordinate, ascending; parallel to weights';
COMMENT ON COLUMN movie_recs.centroids.weights IS 'Centre coordinate of each movie in movie_ids';

CREATE TABLE movie_recs.assignments (
    model_id      bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    user_id       bigint NOT NULL,
    cluster_id    integer NOT NULL,
    distance      double precision NOT NULL,
    soft_clusters integer[] NOT NULL,
    soft_weights  real[] NOT NULL,
    fingerprint   bigint,
    PRIMARY KEY (model_id, user_id)
);
COMMENT ON TABLE movie_recs.assignments IS 'The cluster of every user a model was trained on';
COMMENT ON COLUMN movie_recs.assignments.user_id IS 'User id from the source relation';
COMMENT ON COLUMN movie_recs.assignments.cluster_id IS 'The user''s nearest cluster, 1..k';
COMMENT ON COLUMN movie_recs.assignments.distance IS 'Euclidean distance of the user''s vector to that cluster''s centre';
COMMENT ON COLUMN movie_recs.assignments.soft_clusters IS
    'The user''s nearest clusters, nearest first; recommendations blend their movie lists';
COMMENT ON COLUMN movie_recs.assignments.soft_weights IS 'Weight of each cluster in soft_clusters, summing to 1';
COMMENT ON COLUMN movie_recs.assignments.fingerprint IS
    'Hash of the set of movies the user had rated at training; when the user''s rated movies differ at call time, recommend_movies() folds the user in again; NULL for models trained before 0.2.0 (their stored assignment is used)';

CREATE TABLE movie_recs.cluster_movies (
    model_id   bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    cluster_id integer NOT NULL,
    rank       integer NOT NULL,
    movie_id   bigint NOT NULL,
    score      double precision NOT NULL,
    PRIMARY KEY (model_id, cluster_id, rank)
);
COMMENT ON TABLE movie_recs.cluster_movies IS 'The best movies of each cluster, best first';
COMMENT ON COLUMN movie_recs.cluster_movies.cluster_id IS 'Cluster number, 1..k';
COMMENT ON COLUMN movie_recs.cluster_movies.rank IS 'Position in the cluster''s list, 1 = best';
COMMENT ON COLUMN movie_recs.cluster_movies.score IS
    'Share of the cluster''s users who rated the movie, shrunk towards overall popularity';

CREATE TABLE movie_recs.popular_movies (
    model_id bigint NOT NULL REFERENCES movie_recs.models ON DELETE CASCADE,
    rank     integer NOT NULL,
    movie_id bigint NOT NULL,
    score    double precision NOT NULL,
    PRIMARY KEY (model_id, rank)
);
COMMENT ON TABLE movie_recs.popular_movies IS
    'The most popular movies of each model; recommended to users the model does not know';
COMMENT ON COLUMN movie_recs.popular_movies.rank IS 'Position in the list, 1 = most popular';
COMMENT ON COLUMN movie_recs.popular_movies.score IS 'Share of all users who rated the movie';

