-- What is inside an image, for its page: threads, memory areas (by address) and open descriptors,
-- one row per image, each list a jsonb array. Not a row per area: an image can have 100,000 areas
-- and the catalog 100,000 images, and the only reader is one image's page (a slice of each list),
-- so a child table would add millions of rows and index entries per second of registrations for a
-- query that jsonb answers from one TOASTed value. Its own table, not columns on images, so that
-- the image list's scans and state updates keep narrow rows. No row: the agent sent no lists.
CREATE TABLE image_contents (
    image_id text  PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
    threads  jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(threads) = 'array'),
    areas    jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(areas) = 'array'),   -- sorted by start address
    fds      jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(fds) = 'array')      -- sorted by descriptor
);
