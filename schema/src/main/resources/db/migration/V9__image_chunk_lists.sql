-- SPDX-License-Identifier: Apache-2.0
-- Registering an image writes its chunk list as one row, not one row per chunk.
--
-- A 1 GiB image names about 24,000 chunks; inserting a link row for each (with its two index
-- entries and a foreign-key check) cost about a second per registration, most of the time from
-- snapshot request to registered. Now a registration writes the image's sorted key list here (one
-- TOASTed value, ~0.8 MB), the chunk rows that its parent (when live) did not already name, and a
-- row in image_links_pending. The reverse index image_chunks ("which images name this chunk"),
-- which dedup stats, retention estimates and the packs' live bytes need, is filled from the list
-- by PackLiveBytesWorker in the transaction that also applies the image to its packs' live_bytes:
-- so image_chunks holds exactly the images applied to the packs, and readers that must see every
-- registered image add the lists of the pending ones (a few, for seconds).
CREATE TABLE image_chunk_lists (
    image_id text    PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE,
    keys     bytea[] NOT NULL   -- distinct, sorted ascending
);
-- SHA-256 keys do not compress: store the list out of line without trying.
ALTER TABLE image_chunk_lists ALTER COLUMN keys SET STORAGE EXTERNAL;

-- Images whose list has not been copied into image_chunks yet (taken by PackLiveBytesWorker).
CREATE TABLE image_links_pending (
    image_id text PRIMARY KEY REFERENCES images (id) ON DELETE CASCADE
);

-- Every image registered before: its list from the links it has.
INSERT INTO image_chunk_lists (image_id, keys)
SELECT i.id, coalesce((SELECT array_agg(ic.chunk_key ORDER BY ic.chunk_key) FROM image_chunks ic WHERE ic.image_id = i.id),
                      '{}'::bytea[])
FROM images i;
