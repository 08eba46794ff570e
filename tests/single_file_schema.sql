-- The schema of the single-file DuckDB warehouse of newsmon 0.1 (migrations 001 and 002 before the lake),
-- kept to build old warehouses in tests of the move into the lake.

CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMP);

-- The first schema: articles, their tags and scores, every fetch attempt, passes, and per-source state.
-- All timestamps are UTC, stored as TIMESTAMP (without time zone).

CREATE SEQUENCE IF NOT EXISTS run_id_seq START 1;

CREATE TABLE runs (
    run_id          INTEGER PRIMARY KEY DEFAULT nextval('run_id_seq'),
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL,          -- running | completed | interrupted
    sources         INTEGER NOT NULL DEFAULT 0,
    items_seen      INTEGER NOT NULL DEFAULT 0,
    articles_new    INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    article_id      VARCHAR PRIMARY KEY,
    url             VARCHAR NOT NULL UNIQUE,
    source          VARCHAR NOT NULL,
    title           VARCHAR NOT NULL,
    author          VARCHAR,
    published_at    TIMESTAMP NOT NULL,
    first_seen_at   TIMESTAMP NOT NULL,
    lang            VARCHAR,
    text            VARCHAR NOT NULL,
    word_count      INTEGER NOT NULL,
    content_hash    VARCHAR NOT NULL,
    run_id          INTEGER
);

CREATE TABLE article_urls (
    url             VARCHAR PRIMARY KEY,
    article_id      VARCHAR NOT NULL
);

CREATE TABLE tag_scores (
    article_id          VARCHAR NOT NULL,
    classifier_version  VARCHAR NOT NULL,
    tag                 VARCHAR NOT NULL,
    score               DOUBLE NOT NULL,
    scored_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, classifier_version, tag)
);

CREATE TABLE article_tags (
    article_id          VARCHAR NOT NULL,
    tag                 VARCHAR NOT NULL,
    score               DOUBLE NOT NULL,
    evidence            VARCHAR[] NOT NULL,
    classifier_version  VARCHAR NOT NULL,
    tagged_at           TIMESTAMP NOT NULL,
    PRIMARY KEY (article_id, tag)
);

CREATE TABLE fetches (
    url             VARCHAR NOT NULL,
    source          VARCHAR NOT NULL,
    status          INTEGER,
    error           VARCHAR,
    elapsed_ms      INTEGER NOT NULL,
    fetched_at      TIMESTAMP NOT NULL,
    run_id          INTEGER
);

CREATE TABLE source_state (
    source                  VARCHAR PRIMARY KEY,
    url                     VARCHAR NOT NULL,
    etag                    VARCHAR,
    last_modified           VARCHAR,
    last_attempt_at         TIMESTAMP,
    last_success_at         TIMESTAMP,
    consecutive_failures    INTEGER NOT NULL DEFAULT 0,
    last_error              VARCHAR
);

CREATE VIEW tag_weekly AS
SELECT
    CAST(date_trunc('week', a.published_at) AS DATE) AS week,
    t.tag,
    a.source,
    a.lang,
    count(*) AS articles
FROM article_tags t
JOIN articles a USING (article_id)
GROUP BY ALL;

-- Digests and alerts that left newsmon, and which tagged articles each carried.
-- A row is written only after the SMTP server accepted the message (or its .eml landed in the outbox),
-- so these two tables are what makes a rerun send nothing new and a failed send be retried.

CREATE SEQUENCE IF NOT EXISTS notification_id_seq START 1;

CREATE TABLE notifications (
    notification_id INTEGER PRIMARY KEY DEFAULT nextval('notification_id_seq'),
    kind            VARCHAR NOT NULL,          -- digest | alert
    message_id      VARCHAR NOT NULL UNIQUE,   -- the Message-ID header, angle brackets included
    subject         VARCHAR NOT NULL,
    recipients      VARCHAR[] NOT NULL,
    transport       VARCHAR NOT NULL,          -- smtp | outbox
    outbox_file     VARCHAR,                   -- the .eml written, outbox transport only
    period_start    TIMESTAMP NOT NULL,        -- articles tagged from here …
    period_end      TIMESTAMP NOT NULL,        -- … to here; the next digest starts at this instant
    articles        INTEGER NOT NULL,          -- distinct articles in the message
    sent_at         TIMESTAMP NOT NULL
);

CREATE TABLE notified_articles (
    notification_id INTEGER NOT NULL,
    article_id      VARCHAR NOT NULL,
    tag             VARCHAR NOT NULL,
    score           DOUBLE NOT NULL,           -- the score the message showed
    PRIMARY KEY (notification_id, article_id, tag)
);
