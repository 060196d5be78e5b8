-- 06_training_lock.sql -- one training at a time per database. A second session (dblink) holds
-- the training lock, as a running train_movie_clusters() does (the extension itself is not
-- visible there: it is created in this test's uncommitted transaction, so the other session
-- takes the documented advisory lock directly). Training then fails at once with 55P03 naming
-- the holder, or waits with wait => true. Then this session trains and holds the lock to the end
-- of its transaction. tests/concurrency/run.sh shows the same with real concurrent trainings.
\set ON_ERROR_STOP 1

BEGIN;
CREATE EXTENSION movie_recs;
CREATE EXTENSION dblink;

SELECT plan(18);

CREATE TEMP TABLE demo AS SELECT * FROM movie_recs.load_demo_data(users => 60, movies => 40, seed => 8);

SELECT dblink_connect('other', format('host=%s port=%s dbname=%s user=%s',
                                      split_part(current_setting('unix_socket_directories'), ',', 1),
                                      current_setting('port'), current_database(), current_user));
CREATE TEMP TABLE other AS
    SELECT pid FROM dblink('other', 'SELECT pg_backend_pid()') AS t(pid int);

-- The error of a statement: SQLSTATE, message and detail.
CREATE FUNCTION pg_temp.error_of(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    state text; msg text; detail text; hint text;
BEGIN
    EXECUTE stmt;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, msg = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(' | ', state, msg, detail, hint);
END
$$;

-- The other session holds the training lock in an open transaction.
SELECT dblink_exec('other', 'BEGIN');
SELECT ok((SELECT locked FROM dblink('other', 'SELECT pg_try_advisory_xact_lock(1297237315, 1)') AS t(locked boolean)),
          'the other session takes the training lock');
SELECT results_eq('SELECT pid, training FROM movie_recs.running_trainings',
                  'SELECT pid, true FROM other',
                  'movie_recs.running_trainings shows the session holding the lock');

SELECT is(pg_temp.error_of($$SELECT * FROM train_movie_clusters(k => 2)$$),
          format('55P03 | another movie_recs training is running in this database | Process %s (role %s) has been training in database "%s" since %s. | Wait for it to finish, or pass wait => true to wait for it.',
                 (SELECT pid FROM other), current_user, current_database(),
                 (SELECT xact_start FROM pg_stat_activity WHERE pid = (SELECT pid FROM other))),
          'a second training fails at once with 55P03, naming the process, role and start of the running one');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('0 seconds', 0, ratings_table => 'ratings')$$, '55P03',
                 'another movie_recs training is running in this database',
                 'train_if_stale fails at once too (55P03)');
SELECT throws_ok('SELECT movie_recs.lock_training()', '55P03', NULL,
                 'lock_training() fails at once (55P03)');
SELECT throws_ok('SELECT movie_recs.lock_training(NULL)', '22004', 'wait must not be null',
                 'lock_training(NULL) is refused (22004)');

-- wait => true waits: here until lock_timeout, since the other session keeps the lock.
SET LOCAL lock_timeout = '200ms';
SELECT throws_ok($$SELECT * FROM train_movie_clusters(k => 2, wait => true)$$, '55P03',
                 'canceling statement due to lock timeout',
                 'with wait => true the training waits for the lock (here until lock_timeout)');
SELECT throws_ok($$SELECT * FROM movie_recs.train_if_stale('0 seconds', 0, ratings_table => 'ratings', wait => true)$$, '55P03',
                 'canceling statement due to lock timeout', 'train_if_stale(wait => true) waits too');
RESET lock_timeout;

SELECT is_empty('SELECT * FROM movie_recs.models', 'the refused trainings wrote nothing');
SELECT is_empty('SELECT * FROM movie_recs.activations', 'and activated nothing');
SELECT throws_ok('SELECT * FROM recommend_movies(1, 5)', '55000', 'no trained movie_recs model',
                 'recommend_movies does not wait for the lock either (it answers: no model yet)');

-- The other session ends its transaction: the lock is free.
SELECT dblink_exec('other', 'ROLLBACK');
SELECT is_empty('SELECT * FROM movie_recs.running_trainings', 'nobody holds the training lock');
SELECT lives_ok($$SELECT * FROM train_movie_clusters(k => 2, seed => 9)$$, 'training works now');

-- Now this transaction holds the lock until it ends (training took it): the other session
-- cannot train, and this session may train again (the lock is re-entrant).
SELECT is((SELECT locked FROM dblink('other', 'SELECT pg_try_advisory_xact_lock(1297237315, 1)') AS t(locked boolean)),
          false, 'after a training, its transaction keeps the training lock');
SELECT results_eq('SELECT pid, training FROM movie_recs.running_trainings',
                  'SELECT pg_backend_pid(), true',
                  'movie_recs.running_trainings shows this session');
SELECT lives_ok($$SELECT * FROM train_movie_clusters(k => 2, seed => 10)$$,
                'the same transaction may train again');
SELECT is((SELECT count(*) FROM movie_recs.models), 2::bigint, 'two models now');
SELECT is((SELECT locked FROM dblink('other', 'SELECT pg_try_advisory_lock(1297237315, 1) AND pg_advisory_unlock(1297237315, 1)') AS t(locked boolean)),
          false, 'still locked for other sessions');

SELECT dblink_disconnect('other');
SELECT * FROM finish();
ROLLBACK;
