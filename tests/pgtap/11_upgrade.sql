-- 11_upgrade.sql -- ALTER EXTENSION movie_recs UPDATE from 0.1.0 to 0.2.0 on a database with
-- trained 0.1.0 models: the active model keeps serving the same recommendations, the lifecycle
-- works from there, and the upgraded extension is identical to a fresh 0.2.0 install (every
-- object, definition, column, constraint, index, comment and privilege).
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs VERSION '0.1.0';

SELECT plan(20);

SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'movie_recs'), '0.1.0', 'version 0.1.0 is installed');
CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 150, movies => 70, seed => 2);
-- Trained with this build's library on the 0.1.0 catalog (as between installing the new
-- package and running ALTER EXTENSION).
CREATE TEMP TABLE v1_first AS SELECT * FROM train_movie_clusters(k => 3, seed => 1);
CREATE TEMP TABLE v1_model AS SELECT * FROM train_movie_clusters(k => 4, seed => 2);
SELECT is((SELECT model_id FROM movie_recs.models WHERE active), (SELECT model_id FROM v1_model),
          'the 0.1.0 catalog: the second model is active');
SELECT is((SELECT array_agg(cluster_id ORDER BY cluster_id) FROM movie_recs.centroids
            WHERE model_id = (SELECT model_id FROM v1_model)), '{1,2,3,4}', 'numbered 1..k, as 0.1.0 did');
CREATE TEMP TABLE served_v1 AS
    SELECT u, r.movie_id, r.score, r.rank FROM generate_series(1, 151) u, LATERAL recommend_movies(u, 10) r;
SELECT ok(has_table_privilege('public', 'movie_recs.models', 'SELECT'), '0.1.0 let PUBLIC read the catalog');

ALTER EXTENSION movie_recs UPDATE;
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'movie_recs'), '0.2.0', 'updated to 0.2.0');
SELECT results_eq('SELECT u, r.movie_id, r.score, r.rank FROM generate_series(1, 151) u, LATERAL recommend_movies(u, 10) r',
                  'SELECT * FROM served_v1', 'the 0.1.0 model still serves the same recommendations');
SELECT results_eq('SELECT model_id, action FROM movie_recs.activations',
                  $$SELECT model_id, 'train' FROM v1_model$$, 'the history starts with the active model');
SELECT ok(NOT has_table_privilege('public', 'movie_recs.models', 'SELECT'), 'PUBLIC no longer reads the catalog');
SELECT ok(has_table_privilege('movie_recs_reader', 'movie_recs.models', 'SELECT'), 'movie_recs_reader does');
SELECT is((SELECT count(*) FROM movie_recs.cluster_summary), 4::bigint, 'the BI views show the 0.1.0 model');
SELECT is((SELECT trained FROM movie_recs.train_if_stale('1 day', 0.5)), false,
          'train_if_stale judges the 0.1.0 model (from the rows it counted)');

-- Lifecycle from there.
CREATE TEMP TABLE v2_model AS SELECT * FROM train_movie_clusters(k => 4, seed => 3);
SELECT is((SELECT array_agg(cluster_id ORDER BY cluster_id) FROM movie_recs.centroids
            WHERE model_id = (SELECT model_id FROM v2_model)), '{1,2,3,4}',
          'a new model takes the ids of the 0.1.0 clusters');
SELECT isnt_empty($$SELECT 1 FROM movie_recs.models WHERE model_id = (SELECT model_id FROM v2_model)
                     AND source_rows IS NOT NULL AND source_changes IS NOT NULL$$,
                  'and records what train_if_stale needs');
SELECT results_eq('SELECT active_model_id FROM movie_recs.rollback_model()', 'SELECT model_id FROM v1_model',
                  'rollback_model returns to the 0.1.0 model');
SELECT results_eq('SELECT u, r.movie_id, r.score, r.rank FROM generate_series(1, 151) u, LATERAL recommend_movies(u, 10) r',
                  'SELECT * FROM served_v1', 'which serves as before');
SELECT throws_ok('SELECT movie_recs.rollback_model()', '55000', 'no earlier movie_recs model to roll back to',
                 'the history before the upgrade is not known');
SELECT lives_ok(format('SELECT movie_recs.activate_model(%s)', (SELECT model_id FROM v1_first)),
                'an older 0.1.0 model can be activated');

-- The upgraded extension, described; then the same for a fresh install.
CREATE FUNCTION pg_temp.describe() RETURNS SETOF text LANGUAGE sql AS $$
    WITH members AS (
        SELECT classid, objid FROM pg_depend
         WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
           AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs'))
    SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
    UNION ALL
    SELECT 'function ' || pg_get_functiondef(p.oid) FROM pg_proc p JOIN members m ON m.objid = p.oid AND m.classid = 'pg_proc'::regclass
    UNION ALL
    SELECT format('grant %s %s %s', p.oid::regprocedure, a.grantee::regrole, a.privilege_type)
      FROM pg_proc p JOIN members m ON m.objid = p.oid AND m.classid = 'pg_proc'::regclass,
           aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
    UNION ALL
    SELECT format('comment %s %s', p.oid::regprocedure, obj_description(p.oid, 'pg_proc'))
      FROM pg_proc p JOIN members m ON m.objid = p.oid AND m.classid = 'pg_proc'::regclass
    UNION ALL
    SELECT format('column %s.%s %s notnull=%s default=%s identity=%s comment=%s', c.oid::regclass, a.attname,
                  format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                  a.attidentity, col_description(c.oid, a.attnum))
      FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
     WHERE c.relnamespace = 'movie_recs'::regnamespace AND c.relkind IN ('r', 'v')
    UNION ALL
    SELECT format('relation %s kind=%s options=%s comment=%s view=%s', c.oid::regclass, c.relkind, c.reloptions,
                  obj_description(c.oid, 'pg_class'), CASE WHEN c.relkind = 'v' THEN pg_get_viewdef(c.oid) END)
      FROM pg_class c WHERE c.relnamespace = 'movie_recs'::regnamespace
    UNION ALL
    SELECT format('grant %s %s %s', c.oid::regclass, a.grantee::regrole, a.privilege_type)
      FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner))) a
     WHERE c.relnamespace = 'movie_recs'::regnamespace
    UNION ALL
    SELECT format('constraint %s %s', conrelid::regclass, pg_get_constraintdef(oid))
      FROM pg_constraint WHERE connamespace = 'movie_recs'::regnamespace
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
     WHERE c.relnamespace = 'movie_recs'::regnamespace
    UNION ALL
    SELECT format('schema grant %s %s', a.grantee::regrole, a.privilege_type)
      FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
     WHERE n.nspname = 'movie_recs'
    UNION ALL
    SELECT 'schema comment ' || obj_description('movie_recs'::regnamespace, 'pg_namespace')
    UNION ALL
    SELECT 'dumped with pg_dump ' || c::regclass FROM pg_extension e, unnest(e.extconfig) c
     WHERE e.extname = 'movie_recs'
$$;
CREATE TEMP TABLE upgraded AS SELECT * FROM pg_temp.describe() d;
SELECT cmp_ok((SELECT count(*) FROM upgraded), '>', 200::bigint, 'the description of the upgraded extension is detailed');

DROP EXTENSION movie_recs CASCADE;
SELECT ok(EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'movie_recs_reader')
          AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'movie_recs_trainer'),
          'DROP EXTENSION leaves the roles behind (they are cluster-wide)');
CREATE EXTENSION movie_recs;
SELECT set_eq('SELECT * FROM upgraded', 'SELECT * FROM pg_temp.describe()',
              'the upgraded extension is identical to a fresh 0.2.0 install');

SELECT * FROM finish();
ROLLBACK;
