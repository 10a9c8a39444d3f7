-- SPDX-License-Identifier: Apache-2.0
-- Cryostash catalog schema, version 7: the database's own check on what the catalog already checks
-- (issue 12). NOT VALID: rows from before are kept as they are; every new or changed row is checked.

-- Ids are path segments in the API (/api/images/{id}, /api/hosts/{id}): "." and ".." would name this
-- collection and the one above it.
ALTER TABLE images ADD CONSTRAINT images_id_not_dots CHECK (id NOT IN ('.', '..')) NOT VALID;
ALTER TABLE hosts ADD CONSTRAINT hosts_id_not_dots CHECK (id NOT IN ('.', '..')) NOT VALID;

-- Sizes an agent reports: at most 2^57 bytes each (ImageRegistration.MAX_BYTES), so that no single
-- image can push the dashboard's sums past a bigint on its own.
ALTER TABLE images ADD CONSTRAINT images_bytes_bounded
    CHECK (logical_bytes <= 144115188075855872 AND stored_bytes <= 144115188075855872) NOT VALID;
