-- The image list sorts by size too (largest first, or smallest): without these, such a page sorts every image.
CREATE INDEX images_logical_bytes ON images (logical_bytes DESC, id DESC);
CREATE INDEX images_stored_bytes  ON images (stored_bytes DESC, id DESC);
