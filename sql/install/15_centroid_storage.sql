-- ---------------------------------------------------------------------------------------------
-- Storage of the centroids
-- ---------------------------------------------------------------------------------------------

-- A centroid's arrays hold one entry per movie its cluster rated (up to every movie: 12 bytes
-- each). pglz does not shrink them (ascending ids and float weights), but trying costs a
-- training about as long as writing them: store them out of line, uncompressed.
ALTER TABLE movie_recs.centroids
    ALTER COLUMN movie_ids SET STORAGE EXTERNAL,
    ALTER COLUMN weights SET STORAGE EXTERNAL;

