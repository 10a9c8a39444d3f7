-- Databases created before V4 hold images whose chunks were never counted into packs.live_bytes
-- (registration did not keep it then): a later deletion or expiry would subtract bytes that were
-- never added. Recount every pack once from what is live now. Changes still queued are part of
-- that state already, so the queue is emptied in the same transaction (Flyway runs a migration
-- in one), before any worker can apply them twice. On an empty database this does nothing.
DELETE FROM pack_live_changes;

INSERT INTO packs (key, live_bytes, size_bytes)
SELECT c.pack_key,
       coalesce(sum(c.stored_bytes) FILTER (WHERE EXISTS (
           SELECT 1 FROM image_chunks o JOIN images i ON i.id = o.image_id
           WHERE o.chunk_key = c.key AND i.state IN ('UPLOADING', 'COMPLETE'))), 0),
       coalesce(max(c.pack_offset + c.stored_bytes), 0)
FROM chunks c
WHERE c.pack_key IS NOT NULL
GROUP BY c.pack_key
ON CONFLICT (key) DO UPDATE SET live_bytes = excluded.live_bytes,
                                size_bytes = greatest(packs.size_bytes, excluded.size_bytes);
