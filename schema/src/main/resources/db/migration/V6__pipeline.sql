-- The event pipeline (issue 10): hosts enrol with a signing key, people and the CLI use API tokens,
-- schedules run in the catalog and ask agents for snapshots, and the catalog keeps what it could not act on.

-- The Ed25519 public key (X.509 SubjectPublicKeyInfo) a host enrolled with: every manifest it
-- registers and every message it sends must verify with it. NULL: not enrolled (or reset by an admin).
ALTER TABLE hosts ADD COLUMN public_key      bytea CHECK (length(public_key) BETWEEN 32 AND 128),
                  ADD COLUMN key_enrolled_at timestamptz;

-- Tokens that let a new host enrol itself (cse_...). Only a SHA-256 is kept; one token may enrol many hosts.
CREATE TABLE enrolment_tokens (
    id           bigserial   PRIMARY KEY,
    token_hash   bytea       NOT NULL UNIQUE,
    token_prefix text        NOT NULL,
    label        text        NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    created_by   text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    uses         integer     NOT NULL DEFAULT 0
);

-- API tokens of people and the CLI (csu_...): act as their user with the user's role at the time of use.
CREATE TABLE user_tokens (
    id           bigserial   PRIMARY KEY,
    user_id      bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL UNIQUE,
    token_prefix text        NOT NULL,
    label        text        NOT NULL DEFAULT '' CHECK (length(label) <= 200),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);

-- What StackBootstrap issued for a label (the all-in-one stack's client config), so it issues once.
CREATE TABLE client_credentials (
    label              text        PRIMARY KEY CHECK (length(label) BETWEEN 1 AND 200),
    user_token_id      bigint      NOT NULL REFERENCES user_tokens (id),
    enrolment_token_id bigint      NOT NULL REFERENCES enrolment_tokens (id),
    created_at         timestamptz NOT NULL DEFAULT now()
);

-- A job whose process is gone (the agent said so) is GONE: its schedules stop and nothing asks again.
-- process_start: /proc/PID/stat field 22 of the job's process when known, so that an agent can tell
-- a reused pid from the job's own process.
ALTER TABLE jobs ADD COLUMN state         text NOT NULL DEFAULT 'ACTIVE' CHECK (state IN ('ACTIVE', 'GONE')),
                 ADD COLUMN process_start bigint CHECK (process_start >= 0),
                 ADD COLUMN gone_at       timestamptz,
                 ADD COLUMN gone_reason   text;

-- A schedule runs every interval_seconds or on a cron expression (Spring's six-field form), one of the two.
ALTER TABLE schedules ALTER COLUMN interval_seconds DROP NOT NULL;
ALTER TABLE schedules ADD COLUMN cron       text CHECK (length(cron) BETWEEN 1 AND 200),
                      ADD COLUMN last_error text,
                      ADD CONSTRAINT schedules_interval_or_cron CHECK ((interval_seconds IS NULL) <> (cron IS NULL));
CREATE INDEX schedules_due ON schedules (next_run_at) WHERE enabled;

-- Every snapshot.requested the catalog sent, and how the agent answered (checkpoint.completed/failed
-- carry the request id): what makes those answers idempotent, and what a schedule waits on.
CREATE TABLE snapshot_requests (
    id           uuid        PRIMARY KEY,
    job_id       bigint      NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    schedule_id  bigint      REFERENCES schedules (id) ON DELETE SET NULL,
    host_id      text        NOT NULL REFERENCES hosts (id),
    requested_by text        NOT NULL,
    state        text        NOT NULL CHECK (state IN ('REQUESTED', 'COMPLETED', 'FAILED', 'TIMED_OUT')),
    image_id     text,
    error        text,
    requested_at timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);
CREATE INDEX snapshot_requests_job  ON snapshot_requests (job_id, requested_at DESC);
CREATE INDEX snapshot_requests_open ON snapshot_requests (schedule_id) WHERE state = 'REQUESTED';

-- An outbox event Kafka refuses for good (too large, invalid topic): set aside so that it does not
-- hold up every later event.
ALTER TABLE outbox ADD COLUMN failed_at timestamptz;

-- The dead-letter topic as the catalog read it: events any consumer (the catalog's or an agent's)
-- gave up on, with the reason. Unique on the record's place in the topic: reading it twice adds nothing.
CREATE TABLE dead_letters (
    id             bigserial   PRIMARY KEY,
    dl_partition   integer     NOT NULL,
    dl_offset      bigint      NOT NULL,
    original_topic text,
    message_key    text,
    event_type     text,
    consumer       text,
    reason         text        NOT NULL,
    attempts       integer,
    payload        bytea,
    parked_at      timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (dl_partition, dl_offset)
);
CREATE INDEX dead_letters_parked ON dead_letters (parked_at DESC, id DESC);
