-- Digests and alerts that left newsmon, and which tagged articles each carried.
-- A row is written only after the SMTP server accepted the message (or its .eml landed in the outbox),
-- so these two tables are what makes a rerun send nothing new and a failed send be retried.

CREATE TABLE notifications (
    notification_id INTEGER NOT NULL,          -- key; max + 1, given by record_notification
    kind            VARCHAR NOT NULL,          -- digest | alert
    message_id      VARCHAR NOT NULL,          -- unique: the Message-ID header, angle brackets included
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
    score           DOUBLE NOT NULL            -- the score the message showed; key: (notification_id, article_id, tag)
);
