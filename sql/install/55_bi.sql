-- ---------------------------------------------------------------------------------------------
-- For BI tools: views of the active model, cluster summaries, batch recommendations
-- (new in 0.2.0). The views run with the rights of the querying role (security_invoker).
-- ---------------------------------------------------------------------------------------------

CREATE VIEW movie_recs.user_clusters WITH (security_invoker = true) AS
SELECT a.model_id, a.user_id, a.cluster_id, a.distance, a.soft_clusters, a.soft_weights
  FROM movie_recs.models m
  JOIN movie_recs.assignments a ON a.model_id = m.model_id
 WHERE m.active;
COMMENT ON VIEW movie_recs.user_clusters IS
    'The cluster of every user of the active model (users who rated nothing before training are not listed)';

-- The ranked movies of each cluster with what makes them typical of it: lift = the cluster's
-- score over the movie's overall popularity (NULL when the movie is not in the model's popular
-- list). Filter on rank or lift_rank and join movies for titles.
CREATE VIEW movie_recs.cluster_top_movies WITH (security_invoker = true) AS
SELECT cm.model_id,
       cm.cluster_id,
       cm.rank,
       cm.movie_id,
       cm.score,
       c.size,
       p.score AS popularity,
       cm.score / NULLIF(p.score, 0) AS lift,
       pg_catalog.rank() OVER (PARTITION BY cm.cluster_id
                               ORDER BY cm.score / NULLIF(p.score, 0) DESC NULLS LAST,
                                        cm.rank) AS lift_rank
  FROM movie_recs.models m
  JOIN movie_recs.cluster_movies cm ON cm.model_id = m.model_id
  JOIN movie_recs.centroids c ON c.model_id = cm.model_id AND c.cluster_id = cm.cluster_id
  LEFT JOIN movie_recs.popular_movies p ON p.model_id = cm.model_id AND p.movie_id = cm.movie_id
 WHERE m.active;
COMMENT ON VIEW movie_recs.cluster_top_movies IS
    'The ranked movie list of every cluster of the active model, best first, with the cluster''s size, each movie''s overall popularity and lift (how much more the cluster likes it); join movies for titles';

CREATE VIEW movie_recs.cluster_summary WITH (security_invoker = true) AS
SELECT c.model_id, c.cluster_id, c.size,
       c.size::double precision / GREATEST(m.users, 1) AS user_share,
       c.ratings, c.mean_rating,
       ARRAY(SELECT cm.movie_id FROM movie_recs.cluster_movies cm
              WHERE cm.model_id = c.model_id AND cm.cluster_id = c.cluster_id AND cm.rank <= 10
              ORDER BY cm.rank) AS top_movie_ids
  FROM movie_recs.models m
  JOIN movie_recs.centroids c ON c.model_id = m.model_id
 WHERE m.active;
COMMENT ON VIEW movie_recs.cluster_summary IS
    'One row per cluster of the active model: users, their share, their ratings and mean rating, the 10 best movies';

-- The summary with movie titles from a movies table (any relation with an id and a title column).
CREATE FUNCTION movie_recs.cluster_summaries(
    movies       regclass DEFAULT NULL,
    title_column name DEFAULT 'title',
    movie_column name DEFAULT 'movie_id',
    top_n        integer DEFAULT 10)
RETURNS TABLE (model_id bigint, cluster_id integer, size bigint, user_share double precision,
               ratings bigint, mean_rating double precision, top_movie_ids bigint[],
               top_titles text[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_base oid;
    v_type oid;
BEGIN
    IF top_n IS NULL THEN
        RAISE EXCEPTION 'top_n must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF top_n < 0 OR top_n > 1000 THEN
        RAISE EXCEPTION 'top_n must be between 0 and 1000' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF movies IS NOT NULL THEN
        IF title_column IS NULL OR movie_column IS NULL THEN
            RAISE EXCEPTION '% must not be null', CASE WHEN title_column IS NULL THEN 'title_column' ELSE 'movie_column' END
                USING ERRCODE = 'null_value_not_allowed';
        END IF;
        PERFORM movie_recs.check_column(movies, movie_column);
        PERFORM movie_recs.check_column(movies, title_column);
        -- The ids are compared with cluster_movies.movie_id (bigint): integer types only, as in training.
        SELECT CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END, a.atttypid
          INTO v_base, v_type
          FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = movies AND a.attname = movie_column;
        IF v_base NOT IN ('pg_catalog.int2'::regtype, 'pg_catalog.int4'::regtype, 'pg_catalog.int8'::regtype) THEN
            RAISE EXCEPTION 'movie column "%" must be an integer type, not %', movie_column, format_type(v_type, NULL)
                USING ERRCODE = 'datatype_mismatch',
                      DETAIL = 'Accepted types: smallint, integer, bigint.';
        END IF;
    END IF;
    RETURN QUERY EXECUTE format(
        $q$SELECT s.model_id, s.cluster_id, s.size, s.user_share, s.ratings, s.mean_rating,
                  ARRAY(SELECT cm.movie_id FROM movie_recs.cluster_movies cm
                         WHERE cm.model_id = s.model_id AND cm.cluster_id = s.cluster_id AND cm.rank <= $1
                         ORDER BY cm.rank),
                  %s
             FROM movie_recs.cluster_summary s
            ORDER BY s.cluster_id$q$,
        CASE WHEN movies IS NULL THEN 'NULL::text[]'
             ELSE format($t$ARRAY(SELECT mv.%I::text
                                  FROM movie_recs.cluster_movies cm
                                  LEFT JOIN %s mv ON mv.%I = cm.movie_id
                                 WHERE cm.model_id = s.model_id AND cm.cluster_id = s.cluster_id
                                   AND cm.rank <= $1
                                 ORDER BY cm.rank)$t$, title_column, movies, movie_column)
        END)
    USING top_n;
END
$body$;
COMMENT ON FUNCTION movie_recs.cluster_summaries(regclass, name, name, integer) IS
    'movie_recs.cluster_summary with the top_n movies of each cluster, and their titles when a movies table is given';

-- Raises 42703 when a relation has no such column (a clear error before dynamic SQL runs), 42P01
-- when the relation does not exist, 22004 for a NULL argument.
CREATE FUNCTION movie_recs.check_column(relation regclass, column_name name)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
BEGIN
    IF relation IS NULL OR column_name IS NULL THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN relation IS NULL THEN 'relation' ELSE 'column_name' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = relation) THEN
        RAISE EXCEPTION 'relation with OID % does not exist', relation::oid USING ERRCODE = 'undefined_table';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_attribute a
                    WHERE a.attrelid = relation AND a.attname = column_name
                      AND a.attnum > 0 AND NOT a.attisdropped) THEN
        RAISE EXCEPTION 'column "%" does not exist in relation "%"', column_name, relation::text
            USING ERRCODE = 'undefined_column';
    END IF;
END
$body$;

-- Top-n recommendations of every user of the active model into a table, exactly as
-- recommend_movies() would give them, in one pass.
CREATE FUNCTION movie_recs.materialize_recommendations(
    n       integer,
    target  regclass,
    replace boolean DEFAULT true)
RETURNS TABLE (model_id bigint, users bigint, recommendations bigint)
AS 'MODULE_PATHNAME', 'movie_recs_materialize_recommendations'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.materialize_recommendations(integer, regclass, boolean) IS
    'Writes the top n recommendations of every user of the active model into target(user_id, movie_id, score, rank), replacing its rows unless replace => false';
