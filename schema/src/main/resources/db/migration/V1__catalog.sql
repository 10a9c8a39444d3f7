-- Cryostash catalog schema, version 1.
-- Forward only: a change to anything here is a new V<n>__*.sql file, never an edit.
-- Times are timestamptz (UTC on the wire); sizes are bytes in bigint.

-- People who log in to the web catalog and the API.
CREATE TABLE users (
    id            bigserial   PRIMARY KEY,
    username      text        NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9._@-]{1,64}$'),
    password_hash text        NOT NULL,                       -- DelegatingPasswordEncoder format, e.g. {bcrypt}...
    role          text        NOT NULL CHECK (role IN ('VIEWER', 'OPERATOR', 'ADMIN')),
    enabled       boolean     NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Machines that run agents. The id is the agent's stable host id (chosen by the agent, e.g. the machine id).
CREATE TABLE hosts (
    id                    text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,128}$'),
    name                  text        NOT NULL,
    arch                  text,                               -- uname -m, e.g. x86_64
    kernel                text,                               -- uname -r
    cpu_model             text,
    cpu_flags             text[]      NOT NULL DEFAULT '{}',  -- /proc/cpuinfo flags
    vdso_fingerprint      text,                               -- hash of the vDSO image and [vvar] layout
    capture_agent_version text,
    restore_agent_version text,
    last_heartbeat        timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- Bearer tokens of agents, each bound to one host. Only a SHA-256 of the token is kept.
CREATE TABLE agent_tokens (
    id           bigserial   PRIMARY KEY,
    host_id      text        NOT NULL REFERENCES hosts (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL UNIQUE,
    token_prefix text        NOT NULL,                        -- first characters, to tell tokens apart in lists
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX agent_tokens_host ON agent_tokens (host_id);

-- A named thing to snapshot on a host: a pid or a command-line pattern, with labels.
CREATE TABLE jobs (
    id              bigserial   PRIMARY KEY,
    host_id         text        NOT NULL REFERENCES hosts (id),
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    pid             integer,
    command_pattern text,
    labels          jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- {"team": "physics", ...}
    created_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (host_id, name)
);
CREATE INDEX jobs_labels ON jobs USING gin (labels jsonb_path_ops);

-- Pack objects in the store; live_bytes is what still-referenced chunks occupy (kept up to date by GC).
CREATE TABLE packs (
    key        text        PRIMARY KEY,
    size_bytes bigint      NOT NULL DEFAULT 0,
    live_bytes bigint      NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Every chunk the store holds, by the hash of its uncompressed bytes.
-- No foreign key to packs: agents may register a chunk before its pack row exists.
CREATE TABLE chunks (
    key          bytea       PRIMARY KEY CHECK (length(key) BETWEEN 16 AND 64),
    pack_key     text,
    pack_offset  bigint,
    raw_bytes    integer     NOT NULL CHECK (raw_bytes >= 0),
    stored_bytes integer              CHECK (stored_bytes >= 0),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chunks_pack ON chunks (pack_key);

-- Images (checkpoints). Architecture, CPU flags and vDSO fingerprint are copied out of the
-- process summary so that host compatibility is a plain query.
CREATE TABLE images (
    id               text        PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9._:-]{1,128}$'),
    host_id          text        NOT NULL REFERENCES hosts (id),
    job_id           bigint      NOT NULL REFERENCES jobs (id),
    parent_id        text        REFERENCES images (id),
    captured_at      timestamptz NOT NULL,
    registered_at    timestamptz NOT NULL DEFAULT now(),
    state            text        NOT NULL CHECK (state IN ('UPLOADING', 'COMPLETE', 'EXPIRED', 'DELETED')),
    logical_bytes    bigint      NOT NULL CHECK (logical_bytes >= 0),
    stored_bytes     bigint      NOT NULL CHECK (stored_bytes >= 0),  -- new bytes this image added to the store
    chunk_count      integer     NOT NULL DEFAULT 0,
    manifest_key     text        NOT NULL,
    signature        text        NOT NULL,
    arch             text,
    cpu_flags        text[]      NOT NULL DEFAULT '{}',      -- CPU features the image needs
    vdso_fingerprint text,
    process_summary  jsonb       NOT NULL DEFAULT '{}'::jsonb,
    state_changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX images_captured      ON images (captured_at DESC, id DESC);
CREATE INDEX images_host_captured ON images (host_id, captured_at DESC);
CREATE INDEX images_job_captured  ON images (job_id, captured_at DESC);
CREATE INDEX images_state         ON images (state, captured_at DESC);
CREATE INDEX images_parent        ON images (parent_id) WHERE parent_id IS NOT NULL;

-- Which chunks an image names (each once); the reverse index answers "is this chunk still used".
CREATE TABLE image_chunks (
    image_id  text  NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    chunk_key bytea NOT NULL,
    PRIMARY KEY (image_id, chunk_key)
);
CREATE INDEX image_chunks_chunk ON image_chunks (chunk_key);

-- Periodic snapshots of a job.
CREATE TABLE schedules (
    id               bigserial   PRIMARY KEY,
    job_id           bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    interval_seconds integer     NOT NULL CHECK (interval_seconds >= 10),
    after_capture    text        NOT NULL DEFAULT 'RESUME' CHECK (after_capture IN ('RESUME', 'KILL')),
    enabled          boolean     NOT NULL DEFAULT true,
    last_run_at      timestamptz,
    next_run_at      timestamptz,
    created_by       text        NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX schedules_job ON schedules (job_id);

-- "Keep the last N, one an hour for H hours, one a day for D days, one a week for W weeks".
-- job_id NULL: the default policy for every job that has none of its own.
CREATE TABLE retention_policies (
    id           bigserial   PRIMARY KEY,
    name         text        NOT NULL UNIQUE,
    job_id       bigint      REFERENCES jobs (id) ON DELETE CASCADE,
    keep_last    integer     NOT NULL DEFAULT 0 CHECK (keep_last >= 0),
    keep_hourly  integer     NOT NULL DEFAULT 0 CHECK (keep_hourly >= 0),
    keep_daily   integer     NOT NULL DEFAULT 0 CHECK (keep_daily >= 0),
    keep_weekly  integer     NOT NULL DEFAULT 0 CHECK (keep_weekly >= 0),
    enabled      boolean     NOT NULL DEFAULT true,
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX retention_one_per_job ON retention_policies (coalesce(job_id, -1));

-- A person asked for an image to be brought back on a host.
CREATE TABLE restore_requests (
    id             uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    image_id       text        NOT NULL REFERENCES images (id),
    target_host_id text        NOT NULL REFERENCES hosts (id),
    requested_by   text        NOT NULL,
    state          text        NOT NULL CHECK (state IN ('REQUESTED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED')),
    error          text,
    restored_pid   integer,
    requested_at   timestamptz NOT NULL DEFAULT now(),
    started_at     timestamptz,
    finished_at    timestamptz,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX restore_requests_requested ON restore_requests (requested_at DESC);
CREATE INDEX restore_requests_host      ON restore_requests (target_host_id, state);
CREATE INDEX restore_requests_image     ON restore_requests (image_id);

-- Who did what, when, from where. Append only.
CREATE TABLE audit_log (
    id          bigserial   PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,
    actor_kind  text        NOT NULL CHECK (actor_kind IN ('USER', 'AGENT', 'SYSTEM', 'ANONYMOUS')),
    action      text        NOT NULL,
    target_type text,
    target_id   text,
    details     jsonb       NOT NULL DEFAULT '{}'::jsonb,
    remote_addr text
);
CREATE INDEX audit_at        ON audit_log (at DESC);
CREATE INDEX audit_actor_at  ON audit_log (actor, at DESC);
CREATE INDEX audit_action_at ON audit_log (action, at DESC);
CREATE INDEX audit_target    ON audit_log (target_type, target_id);

-- Transactional outbox: written in the same transaction as the change it announces,
-- published to Kafka afterwards (key = message_key, usually the target host).
CREATE TABLE outbox (
    id           bigserial   PRIMARY KEY,
    event_id     uuid        NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    topic        text        NOT NULL,
    message_key  text        NOT NULL,
    event_type   text        NOT NULL,
    payload      jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
