-- The first schema: articles, their tags and scores, every fetch attempt, passes, and per-source state.
-- All timestamps are UTC, stored as TIMESTAMP (without time zone).
-- The warehouse is a DuckLake: no PRIMARY KEY, UNIQUE or sequences. Keys stay unique because warehouse/store.py
-- writes each row only after checking, in the same transaction, that its key is absent (comments say which key).

CREATE TABLE runs (
    run_id          INTEGER NOT NULL,          -- key; max + 1, given by start_run
    started_at      TIMESTAMP NOT NULL,
    finished_at     TIMESTAMP,
    status          VARCHAR NOT NULL,          -- running | completed | interrupted
    sources         INTEGER NOT NULL DEFAULT 0,
    items_seen      INTEGER NOT NULL DEFAULT 0,
    articles_new    INTEGER NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE articles (
    article_id      VARCHAR NOT NULL,          -- key
    url             VARCHAR NOT NULL,          -- unique
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
    url             VARCHAR NOT NULL,          -- key
    article_id      VARCHAR NOT NULL
);

CREATE TABLE tag_scores (
    article_id          VARCHAR NOT NULL,
    classifier_version  VARCHAR NOT NULL,
    tag                 VARCHAR NOT NULL,
    score               DOUBLE NOT NULL,
    scored_at           TIMESTAMP NOT NULL     -- key: (article_id, classifier_version, tag)
);

CREATE TABLE article_tags (
    article_id          VARCHAR NOT NULL,
    tag                 VARCHAR NOT NULL,
    score               DOUBLE NOT NULL,
    evidence            VARCHAR[] NOT NULL,
    classifier_version  VARCHAR NOT NULL,
    tagged_at           TIMESTAMP NOT NULL     -- key: (article_id, tag)
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
    source                  VARCHAR NOT NULL,  -- key
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
