-- Images whose chunks started (+1: registered) or stopped (-1: deleted, expired) counting towards
-- their packs' live_bytes, written in the same transaction as that change. One background worker
-- (PackLiveBytesWorker) takes every committed row and applies them to packs in one statement, so
-- that registrations no longer lock pack rows (four clients registering into the same pack waited
-- for each other's commits). A plain append-only queue: no unique key, so that two transactions
-- queueing changes never wait for each other.
CREATE TABLE pack_live_changes (
    id       bigserial PRIMARY KEY,
    image_id text      NOT NULL,
    sign     smallint  NOT NULL CHECK (sign IN (-1, 1))
);
