-- Installation and the state before any model is trained.

-- The catalog schema movie_recs cannot also be the install schema.
CREATE SCHEMA movie_recs;
CREATE EXTENSION movie_recs SCHEMA movie_recs;
DROP SCHEMA movie_recs;

CREATE EXTENSION movie_recs;

-- User-facing functions are in the install schema, the catalog in schema movie_recs.
SELECT p.oid::regprocedure::text AS function, p.provolatile, p.proconfig
  FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs')
 ORDER BY 1;
SELECT c.oid::regclass::text AS relation, c.relkind
  FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'movie_recs')
 ORDER BY 1;

-- Nothing trained yet.
SELECT * FROM recommend_movies(1);
SELECT * FROM recommend_movies(1, 0);
SELECT count(*) FROM movie_recs.models;

-- Settings: bounds, and the reserved prefix catches misspellings.
SHOW movie_recs.max_threads;
SHOW movie_recs.progress;
SET movie_recs.max_threads = 65;
SET movie_recs.max_threads = -1;
SET movie_recs.max_thread = 2;
SET movie_recs.max_threads = 1;
RESET movie_recs.max_threads;
