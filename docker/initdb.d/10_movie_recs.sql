-- Run once by the image's entrypoint on first start, in database POSTGRES_DB.
CREATE EXTENSION IF NOT EXISTS movie_recs;
