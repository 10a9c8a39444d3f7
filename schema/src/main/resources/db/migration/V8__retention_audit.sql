-- SPDX-License-Identifier: Apache-2.0
-- Retention that reaches the store, pins, quotas, garbage collection runs and a hash-chained audit log.

-- Retention rules as restic's `forget` has them: monthly and yearly counts, and "keep everything
-- within this long of the newest image" (restic's duration syntax: 1y2m3d4h, normalised).
ALTER TABLE retention_policies
    ADD COLUMN keep_monthly integer NOT NULL DEFAULT 0 CHECK (keep_monthly >= 0),
    ADD COLUMN keep_yearly  integer NOT NULL DEFAULT 0 CHECK (keep_yearly >= 0),
    ADD COLUMN keep_within  text CHECK (keep_within ~ '^([0-9]{1,4}y)?([0-9]{1,5}m)?([0-9]{1,6}d)?([0-9]{1,7}h)?$'
                                        AND keep_within <> '');

-- A pin is a legal hold: retention never expires a pinned image and deletion refuses it.
-- manifest_deleted_at: when the image's manifest was removed from the store (expired and deleted
-- images only); until then the catalog keeps trying, so that expiry really frees storage.
ALTER TABLE images
    ADD COLUMN pinned_at           timestamptz,
    ADD COLUMN pinned_by           text,
    ADD COLUMN pin_reason          text CHECK (length(pin_reason) <= 500),
    ADD COLUMN manifest_deleted_at timestamptz,
    ADD CONSTRAINT images_pin_complete CHECK ((pinned_at IS NULL) = (pinned_by IS NULL));
CREATE INDEX images_manifest_to_delete ON images (state_changed_at)
    WHERE state IN ('EXPIRED', 'DELETED') AND manifest_deleted_at IS NULL;
CREATE INDEX images_pinned ON images (pinned_at) WHERE pinned_at IS NOT NULL;

-- Stored-byte quotas, one per job or per host.
CREATE TABLE quotas (
    id          bigserial   PRIMARY KEY,
    job_id      bigint      UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    host_id     text        UNIQUE REFERENCES hosts (id) ON DELETE CASCADE,
    limit_bytes bigint      NOT NULL CHECK (limit_bytes > 0),
    updated_by  text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CHECK ((job_id IS NULL) <> (host_id IS NULL))
);

-- Stored bytes per job and per host over time (what the usage chart draws), sampled by the catalog.
CREATE TABLE storage_usage (
    id           bigserial   PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT now(),
    job_id       bigint      REFERENCES jobs (id) ON DELETE CASCADE,
    host_id      text        REFERENCES hosts (id) ON DELETE CASCADE,
    stored_bytes bigint      NOT NULL CHECK (stored_bytes >= 0),
    CHECK ((job_id IS NULL) <> (host_id IS NULL))
);
CREATE INDEX storage_usage_job  ON storage_usage (job_id, at) WHERE job_id IS NOT NULL;
CREATE INDEX storage_usage_host ON storage_usage (host_id, at) WHERE host_id IS NOT NULL;

-- Garbage collection runs the catalog started (scheduled or asked for).
CREATE TABLE gc_runs (
    id                bigserial   PRIMARY KEY,
    requested_by      text        NOT NULL,
    dry_run           boolean     NOT NULL,
    state             text        NOT NULL CHECK (state IN ('RUNNING', 'SUCCEEDED', 'FAILED')),
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    manifests_deleted integer     NOT NULL DEFAULT 0,
    bytes_freed       bigint      NOT NULL DEFAULT 0,
    report            jsonb       NOT NULL DEFAULT '{}'::jsonb,
    error             text
);
CREATE INDEX gc_runs_started ON gc_runs (started_at DESC);

-- The audit log becomes a hash chain. Entries are still written by the transaction that makes the
-- change (so an entry exists exactly when its change committed); a single sequencer then gives each
-- committed entry the next position in the chain, in commit order, and its hash:
-- SHA-256 over the entry's canonical bytes and the previous entry's hash (AuditCanonical).
-- xid: the writing transaction, so the sequencer knows which entries are final: every entry whose
-- transaction is older than its snapshot's xmin has committed (or never will be seen).
ALTER TABLE audit_log ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX audit_xid ON audit_log (xid);

CREATE TABLE audit_chain (
    seq        bigint      PRIMARY KEY CHECK (seq >= 1),
    entry_id   bigint      NOT NULL UNIQUE,
    prev_hash  bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash       bytea       NOT NULL CHECK (length(hash) = 32),
    chained_at timestamptz NOT NULL DEFAULT now()
);

-- One row: how far the sequencer got (every audit entry of a transaction below `watermark` is chained).
CREATE TABLE audit_chain_state (
    id        integer PRIMARY KEY CHECK (id = 1),
    watermark xid8    NOT NULL
);
INSERT INTO audit_chain_state (id, watermark) VALUES (1, '0'::xid8);

-- Chain heads written to the store, signed by the catalog (what a rewritten database is checked against).
CREATE TABLE audit_anchors (
    seq         bigint      PRIMARY KEY,
    hash        bytea       NOT NULL CHECK (length(hash) = 32),
    object_name text        NOT NULL,
    anchored_at timestamptz NOT NULL DEFAULT now()
);

-- Nothing in the catalog updates or deletes audit entries or chain links. The triggers do not stop a
-- database owner (who can drop them); the chain and the anchors are what catch that.
CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_chain_append_only BEFORE UPDATE OR DELETE ON audit_chain
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE ON audit_chain
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
