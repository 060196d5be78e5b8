-- ---------------------------------------------------------------------------------------------
-- Model lifecycle: versions, activation history, retention, safe retraining, scheduling, roles
-- (new in 0.2.0; this file is part of the upgrade script from 0.1.0 as well)
-- ---------------------------------------------------------------------------------------------

-- Roles are cluster-wide: create them only when missing (a second database, or a re-install,
-- finds them), and DROP EXTENSION leaves them behind. Privileges: 90_privileges.sql.
-- (Two databases creating the extension at once: the second CREATE ROLE fails on the first's role.)
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'movie_recs_reader') THEN
        BEGIN
            CREATE ROLE movie_recs_reader NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'movie_recs_trainer') THEN
        BEGIN
            CREATE ROLE movie_recs_trainer NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members
                    WHERE roleid = 'movie_recs_reader'::pg_catalog.regrole
                      AND member = 'movie_recs_trainer'::pg_catalog.regrole) THEN
        GRANT movie_recs_reader TO movie_recs_trainer;
    END IF;
END
$roles$;

-- What train_if_stale() compares with, and the cluster statistics of cluster summaries.
ALTER TABLE movie_recs.models
    ADD COLUMN source_rows bigint,
    ADD COLUMN source_changes bigint;
COMMENT ON COLUMN movie_recs.models.source_rows IS
    'Rows of the source relation read by the training (NULL rows included)';
COMMENT ON COLUMN movie_recs.models.source_changes IS
    'Rows inserted, updated and deleted in the source relation up to the training, from the statistics collector (NULL for views and foreign tables)';

ALTER TABLE movie_recs.centroids
    ADD COLUMN ratings bigint,
    ADD COLUMN mean_rating double precision;
COMMENT ON COLUMN movie_recs.centroids.cluster_id IS
    'Cluster id, stable across retraining: a cluster takes the id of the closest cluster of the model that was active when it was trained (optimal matching), new clusters get ids above the largest previous one';
COMMENT ON COLUMN movie_recs.centroids.ratings IS 'Ratings given by the users of the cluster';
COMMENT ON COLUMN movie_recs.centroids.mean_rating IS
    'Mean of the ratings given by the users of the cluster (NULL for a model trained without a rating column)';
COMMENT ON COLUMN movie_recs.assignments.cluster_id IS 'The user''s nearest cluster (centroids.cluster_id)';
COMMENT ON COLUMN movie_recs.cluster_movies.cluster_id IS 'Cluster id (centroids.cluster_id)';

CREATE TABLE movie_recs.activations (
    activation_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id           bigint NOT NULL,
    activated_at       timestamptz NOT NULL DEFAULT pg_catalog.now(),
    activated_by       name NOT NULL DEFAULT CURRENT_USER,
    action             text NOT NULL CHECK (action IN ('train', 'activate', 'rollback')),
    previous_model_id  bigint,
    undo_activation_id bigint
);
-- On upgrade from 0.1.0, the model active then starts the history (a fresh install has none).
INSERT INTO movie_recs.activations (model_id, activated_at, activated_by, action)
SELECT m.model_id, m.created_at, m.trained_by, 'train' FROM movie_recs.models m WHERE m.active;
COMMENT ON TABLE movie_recs.activations IS
    'Every change of the active model, oldest first; kept when models are dropped';
COMMENT ON COLUMN movie_recs.activations.model_id IS 'The model that became active';
COMMENT ON COLUMN movie_recs.activations.action IS
    'train (trained and activated), activate (activate_model()) or rollback (rollback_model())';
COMMENT ON COLUMN movie_recs.activations.previous_model_id IS 'The model active just before (NULL: none)';
COMMENT ON COLUMN movie_recs.activations.undo_activation_id IS
    'The activation whose model rollback_model() returns to from here (NULL: none)';

-- pg_dump dumps the rows of the catalog (the tables belong to the extension, so it would dump
-- only their definitions otherwise): a dump and restore keeps the models and their history.
SELECT pg_catalog.pg_extension_config_dump('movie_recs.models', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.models_model_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.centroids', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.assignments', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.cluster_movies', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.popular_movies', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.activations', '');
SELECT pg_catalog.pg_extension_config_dump('movie_recs.activations_activation_id_seq', '');

-- ---------------------------------------------------------------------------------------------
-- Activation, rollback, dropping, retention
-- ---------------------------------------------------------------------------------------------

-- Makes p_model_id the active model and records it. Callers: activate_model(), rollback_model()
-- and train_movie_clusters(). Writers of the catalog queue on the SHARE ROW EXCLUSIVE lock of
-- models; readers (recommend_movies) are never blocked and see the switch at commit.
CREATE FUNCTION movie_recs.switch_model(p_model_id bigint, p_action text, p_undo_activation_id bigint)
RETURNS TABLE (active_model_id bigint, previous_model_id bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_model movie_recs.models;
    v_clusters bigint;
    v_previous bigint;
BEGIN
    IF p_model_id IS NULL THEN
        RAISE EXCEPTION 'model_id must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM movie_recs.require_writable('movie_recs.switch_model()');
    LOCK TABLE movie_recs.models IN SHARE ROW EXCLUSIVE MODE;
    SELECT * INTO v_model FROM movie_recs.models m WHERE m.model_id = p_model_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'movie_recs model % does not exist', p_model_id
            USING ERRCODE = 'undefined_object',
                  HINT = 'SELECT model_id, created_at, active FROM movie_recs.models lists the models.';
    END IF;
    SELECT count(*) INTO v_clusters FROM movie_recs.centroids c WHERE c.model_id = p_model_id;
    IF v_clusters <> v_model.k THEN
        RAISE EXCEPTION 'movie_recs model % is incomplete', p_model_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It has %s clusters in movie_recs.centroids instead of %s.', v_clusters, v_model.k),
                  HINT = 'Drop it with movie_recs.drop_model() and train again.';
    END IF;
    IF to_regclass(format('%I.%I', v_model.source_schema, v_model.source_table)) IS NULL THEN
        RAISE EXCEPTION 'cannot activate movie_recs model %: its source relation %.% does not exist',
                        p_model_id, quote_ident(v_model.source_schema), quote_ident(v_model.source_table)
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'recommend_movies() reads the movies a user has seen from the relation the model was trained on.';
    END IF;

    SELECT m.model_id INTO v_previous FROM movie_recs.models m WHERE m.active;
    IF v_previous = p_model_id THEN
        RAISE NOTICE 'movie_recs model % is already active', p_model_id;
        RETURN QUERY SELECT p_model_id, p_model_id;
        RETURN;
    END IF;
    UPDATE movie_recs.models m SET active = false WHERE m.active;
    UPDATE movie_recs.models m SET active = true WHERE m.model_id = p_model_id;
    INSERT INTO movie_recs.activations (model_id, action, previous_model_id, undo_activation_id)
    VALUES (p_model_id, p_action, v_previous, p_undo_activation_id);
    RETURN QUERY SELECT p_model_id, v_previous;
END
$body$;

-- The latest activation when it describes the active model; NULL when there is no active model
-- or it was activated outside these functions (a direct UPDATE of models).
CREATE FUNCTION movie_recs.current_activation()
RETURNS movie_recs.activations
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT a.*
      FROM (SELECT * FROM movie_recs.activations ORDER BY activation_id DESC LIMIT 1) a
      JOIN movie_recs.models m ON m.model_id = a.model_id AND m.active
$body$;

CREATE FUNCTION movie_recs.activate_model(model_id bigint)
RETURNS TABLE (active_model_id bigint, previous_model_id bigint)
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT movie_recs.require_writable('movie_recs.activate_model()');
    -- A rollback from the new state returns to the state before it.
    SELECT s.* FROM movie_recs.switch_model(
        model_id, 'activate', (SELECT (movie_recs.current_activation()).activation_id)) s
$body$;
COMMENT ON FUNCTION movie_recs.activate_model(bigint) IS
    'Makes a trained model the one recommend_movies() serves, in one transaction';

CREATE FUNCTION movie_recs.rollback_model()
RETURNS TABLE (active_model_id bigint, previous_model_id bigint)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_active bigint;
    v_current movie_recs.activations;
    v_target movie_recs.activations;
BEGIN
    PERFORM movie_recs.require_writable('movie_recs.rollback_model()');
    LOCK TABLE movie_recs.models IN SHARE ROW EXCLUSIVE MODE;
    SELECT m.model_id INTO v_active FROM movie_recs.models m WHERE m.active;
    IF v_active IS NULL THEN
        RAISE EXCEPTION 'no active movie_recs model to roll back'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Choose a model with movie_recs.activate_model(model_id).';
    END IF;
    v_current := movie_recs.current_activation();
    IF v_current.activation_id IS NULL THEN
        RAISE EXCEPTION 'the activation history does not say how movie_recs model % became active', v_active
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'It was activated outside movie_recs.activate_model(), e.g. by an UPDATE of movie_recs.models.',
                  HINT = 'Choose a model with movie_recs.activate_model(model_id).';
    END IF;
    SELECT * INTO v_target FROM movie_recs.activations a
     WHERE a.activation_id = v_current.undo_activation_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no earlier movie_recs model to roll back to'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Model %s was the first model activated.', v_active);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM movie_recs.models m WHERE m.model_id = v_target.model_id) THEN
        RAISE EXCEPTION 'cannot roll back to movie_recs model %: it was dropped', v_target.model_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Choose a model with movie_recs.activate_model(model_id).';
    END IF;
    -- Rolling back restores the target's own state: a second rollback goes one step further.
    RETURN QUERY SELECT * FROM movie_recs.switch_model(v_target.model_id, 'rollback',
                                                       v_target.undo_activation_id);
END
$body$;
COMMENT ON FUNCTION movie_recs.rollback_model() IS
    'Makes the previously active model active again; repeated calls go further back in the activation history';

-- The models retention and drop_model() never remove: the active one and the one
-- rollback_model() would return to.
CREATE VIEW movie_recs.model_versions WITH (security_invoker = true) AS
SELECT m.model_id, m.created_at, m.trained_by, m.active,
       coalesce(m.model_id = (SELECT u.model_id FROM movie_recs.activations u
                               WHERE u.activation_id = (movie_recs.current_activation()).undo_activation_id),
                false) AS rollback_target,
       (SELECT max(a.activated_at) FROM movie_recs.activations a WHERE a.model_id = m.model_id)
           AS last_activated_at,
       pg_catalog.format('%I.%I', m.source_schema, m.source_table) AS source,
       m.k, m.users, m.movies, m.ratings, m.iterations, m.converged, m.inertia, m.train_seconds
  FROM movie_recs.models m;
COMMENT ON VIEW movie_recs.model_versions IS
    'Every model with its state: active, the one rollback_model() returns to, when it was last activated';

CREATE FUNCTION movie_recs.drop_model(model_id bigint)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_variable
DECLARE
    v_active boolean;
BEGIN
    IF model_id IS NULL THEN
        RAISE EXCEPTION 'model_id must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    PERFORM movie_recs.require_writable('movie_recs.drop_model()');
    LOCK TABLE movie_recs.models IN SHARE ROW EXCLUSIVE MODE;
    SELECT m.active INTO v_active FROM movie_recs.models m WHERE m.model_id = model_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'movie_recs model % does not exist', model_id USING ERRCODE = 'undefined_object';
    END IF;
    IF v_active THEN
        RAISE EXCEPTION 'cannot drop movie_recs model % because it is the active model', model_id
            USING ERRCODE = 'object_in_use',
                  HINT = 'Activate another model first with movie_recs.activate_model() or movie_recs.rollback_model().';
    END IF;
    DELETE FROM movie_recs.models m WHERE m.model_id = model_id;
END
$body$;
COMMENT ON FUNCTION movie_recs.drop_model(bigint) IS
    'Deletes an inactive model and its rows; the active model cannot be dropped';

CREATE FUNCTION movie_recs.prune_models(keep integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
DECLARE
    v_dropped integer;
BEGIN
    IF keep IS NULL THEN
        RAISE EXCEPTION 'keep must not be null' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF keep < 0 THEN
        RAISE EXCEPTION 'keep must be greater than or equal to 0' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM movie_recs.require_writable('movie_recs.prune_models()');
    IF keep = 0 THEN
        RETURN 0;
    END IF;
    LOCK TABLE movie_recs.models IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM movie_recs.models m
     WHERE m.model_id IN (SELECT v.model_id FROM movie_recs.model_versions v
                           WHERE NOT v.active AND NOT v.rollback_target)
       AND m.model_id NOT IN (SELECT n.model_id FROM movie_recs.models n
                               ORDER BY n.model_id DESC LIMIT keep);
    GET DIAGNOSTICS v_dropped = ROW_COUNT;
    RETURN v_dropped;
END
$body$;
COMMENT ON FUNCTION movie_recs.prune_models(integer) IS
    'Keeps the newest keep models, the active one and the one rollback_model() returns to, and drops the others; training runs it with movie_recs.keep_models';

-- ---------------------------------------------------------------------------------------------
-- Safe retraining and scheduling
-- ---------------------------------------------------------------------------------------------

-- One training at a time per database: a transaction-level advisory lock, held until the
-- training's transaction ends. Raises 55P03 when another session holds it, unless wait.
CREATE FUNCTION movie_recs.lock_training(wait boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'movie_recs_lock_training'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION movie_recs.lock_training(boolean) IS
    'Takes the training lock of this database until the end of the transaction (train_movie_clusters() does)';

CREATE VIEW movie_recs.running_trainings WITH (security_invoker = true) AS
SELECT l.pid, l.granted AS training, a.usename, a.application_name, a.xact_start, a.query_start,
       a.wait_event_type, a.query
  FROM pg_catalog.pg_locks l
  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
 WHERE l.locktype = 'advisory'
   AND l.database = (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())
   AND l.classid = 1297237315 AND l.objid = 1 AND l.objsubid = 2;
COMMENT ON VIEW movie_recs.running_trainings IS
    'Sessions holding (training = true) or waiting for the training lock of this database';

-- A cheap change signal: rows inserted, updated and deleted in the relation (all partitions of a
-- partitioned table) according to the statistics collector, this transaction's included. NULL
-- for views and foreign tables.
CREATE FUNCTION movie_recs.source_change_counter(relation regclass)
RETURNS bigint
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $body$
    SELECT CASE WHEN c.relkind IN ('r', 'm', 'p') THEN
               (SELECT coalesce(sum(pg_stat_get_tuples_inserted(t.relid) + pg_stat_get_tuples_updated(t.relid)
                                    + pg_stat_get_tuples_deleted(t.relid)
                                    + pg_stat_get_xact_tuples_inserted(t.relid)
                                    + pg_stat_get_xact_tuples_updated(t.relid)
                                    + pg_stat_get_xact_tuples_deleted(t.relid)), 0)::bigint
                  FROM (SELECT c.oid AS relid WHERE c.relkind <> 'p'
                        UNION ALL
                        SELECT p.relid FROM pg_partition_tree(c.oid) p WHERE c.relkind = 'p' AND p.isleaf) t)
           END
      FROM pg_class c WHERE c.oid = relation
$body$;
COMMENT ON FUNCTION movie_recs.source_change_counter(regclass) IS
    'Rows inserted, updated and deleted in a relation so far (statistics collector); NULL for views and foreign tables';

CREATE FUNCTION movie_recs.train_if_stale(
    max_age              interval,
    min_changed_fraction double precision,
    ratings_table        regclass DEFAULT NULL,
    k                    integer DEFAULT NULL,
    activate             boolean DEFAULT true,
    wait                 boolean DEFAULT false)
RETURNS TABLE (trained boolean, reason text, model_id bigint, previous_model_id bigint,
               model_age interval, changed_fraction double precision)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $body$
#variable_conflict use_variable
DECLARE
    v_ref movie_recs.models;
    v_rel regclass;
    v_rows bigint;
    v_counter bigint;
    v_base_rows bigint;
    v_changed bigint;
    v_age interval;
    v_fraction double precision;
    v_why text;
    v_new bigint;
BEGIN
    IF activate IS NULL OR wait IS NULL THEN
        RAISE EXCEPTION '% must not be null', CASE WHEN activate IS NULL THEN 'activate' ELSE 'wait' END
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    -- A NULL criterion is not used (README); a negative age cannot be meant.
    IF max_age < '0 seconds' THEN
        RAISE EXCEPTION 'max_age must not be negative' USING ERRCODE = 'invalid_parameter_value',
            HINT = 'Pass max_age => ''0 seconds'' to retrain whatever the age, or NULL not to judge by age.';
    END IF;
    IF NOT (min_changed_fraction >= 0 AND min_changed_fraction < 'Infinity') THEN
        RAISE EXCEPTION 'min_changed_fraction must be a finite number greater than or equal to 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- Take the training lock before looking: after waiting for another training, its model is
    -- the one to judge.
    PERFORM movie_recs.require_writable('movie_recs.train_if_stale()');
    PERFORM movie_recs.lock_training(wait);

    -- The model to judge: the active one (when it was trained on ratings_table, if given), else the
    -- newest one trained on ratings_table.
    SELECT * INTO v_ref FROM movie_recs.models m
     WHERE ratings_table IS NULL
        OR to_regclass(format('%I.%I', m.source_schema, m.source_table)) = ratings_table
     ORDER BY m.active DESC, m.model_id DESC LIMIT 1;

    IF v_ref.model_id IS NULL THEN
        IF ratings_table IS NULL THEN
            RAISE EXCEPTION 'no movie_recs model to refresh'
                USING ERRCODE = 'object_not_in_prerequisite_state',
                      HINT = 'Name the relation for the first training: train_if_stale(..., ratings_table => ''ratings'').';
        END IF;
        IF k IS NULL THEN
            SELECT t.model_id INTO v_new
              FROM @extschema@.train_movie_clusters(ratings_table, activate => activate, wait => wait) t;
        ELSE
            SELECT t.model_id INTO v_new
              FROM @extschema@.train_movie_clusters(ratings_table, k => k, activate => activate, wait => wait) t;
        END IF;
        RETURN QUERY SELECT true, format('no model was trained on %s yet', ratings_table), v_new,
                            NULL::bigint, NULL::interval, NULL::double precision;
        RETURN;
    END IF;

    v_rel := to_regclass(format('%I.%I', v_ref.source_schema, v_ref.source_table));
    IF v_rel IS NULL THEN
        RAISE EXCEPTION 'relation %.% of movie_recs model % does not exist',
                        quote_ident(v_ref.source_schema), quote_ident(v_ref.source_table), v_ref.model_id
            USING ERRCODE = 'undefined_table',
                  HINT = 'Pass ratings_table => ... to train on another relation.';
    END IF;
    v_age := now() - v_ref.created_at;
    EXECUTE format('SELECT count(*) FROM %s', v_rel) INTO v_rows;
    v_counter := movie_recs.source_change_counter(v_rel);
    -- Models trained by 0.1.0 did not record the rows read: all but these were used.
    v_base_rows := coalesce(v_ref.source_rows,
                            v_ref.ratings + v_ref.skipped_rows + v_ref.duplicates_merged);
    v_changed := abs(v_rows - v_base_rows);
    IF v_counter IS NOT NULL AND v_ref.source_changes IS NOT NULL THEN
        IF v_counter < v_ref.source_changes THEN
            v_why := 'the statistics of ' || v_rel::text || ' were reset since model '
                     || v_ref.model_id || ' was trained, so its changes are unknown';
        ELSE
            v_changed := greatest(v_changed, v_counter - v_ref.source_changes);
        END IF;
    END IF;
    v_fraction := v_changed::double precision / greatest(v_base_rows, 1);

    IF v_why IS NULL AND v_age > max_age THEN
        v_why := format('model %s is %s old, more than max_age %s', v_ref.model_id, v_age, max_age);
    ELSIF v_why IS NULL AND v_fraction > min_changed_fraction THEN
        v_why := format('%s of %s changed since model %s was trained, more than min_changed_fraction %s',
                        v_changed, v_rel, v_ref.model_id, min_changed_fraction);
    END IF;
    IF v_why IS NULL THEN
        RETURN QUERY SELECT false,
            format('model %s is %s old and %s of %s changed (fraction %s): fresh enough',
                   v_ref.model_id, v_age, v_changed, v_rel, round(v_fraction::numeric, 4)),
            v_ref.model_id, NULL::bigint, v_age, v_fraction;
        RETURN;
    END IF;

    SELECT t.model_id INTO v_new
      FROM @extschema@.train_movie_clusters(
               v_rel, k => coalesce(k, v_ref.k), user_column => v_ref.user_column,
               movie_column => v_ref.movie_column, rating_column => v_ref.rating_column,
               max_iterations => v_ref.max_iterations, tolerance => v_ref.tolerance,
               seed => v_ref.seed, activate => activate, wait => wait) t;
    RETURN QUERY SELECT true, v_why, v_new, v_ref.model_id, v_age, v_fraction;
END
$body$;
COMMENT ON FUNCTION movie_recs.train_if_stale(interval, double precision, regclass, integer, boolean, boolean) IS
    'Retrains with the active model''s parameters when it is older than max_age or its ratings changed by more than min_changed_fraction; returns what it did';
