-- Stories and places: which event an article reports, and which governorates it is about.
-- Plain SQL with no new keys or constraints, so the same file applies to a DuckLake catalog.

-- Reports of one real-world event share a story_id: the article_id of the story's first report.
-- NULL until the pass (or `newsmon retag`) has assigned it; views count such an article as its own story.
ALTER TABLE articles ADD COLUMN story_id VARCHAR;

-- One row per (article, governorate): ISO 3166-2 codes such as IQ-NI or SY-HA, with the names that decided it.
CREATE TABLE article_places (
    article_id      VARCHAR NOT NULL,
    place           VARCHAR NOT NULL,
    evidence        VARCHAR[] NOT NULL
);

CREATE OR REPLACE VIEW tag_weekly AS
SELECT
    CAST(date_trunc('week', a.published_at) AS DATE) AS week,
    t.tag,
    a.source,
    a.lang,
    count(*) AS articles,
    count(DISTINCT coalesce(a.story_id, a.article_id)) AS stories
FROM article_tags t
JOIN articles a USING (article_id)
GROUP BY ALL;

-- Per ISO week, governorate and tag: articles, and the distinct events they report. An article with two tags
-- counts under each; tag is NULL for articles with no tag.
CREATE VIEW place_weekly AS
SELECT
    CAST(date_trunc('week', a.published_at) AS DATE) AS week,
    p.place,
    t.tag,
    count(DISTINCT a.article_id) AS articles,
    count(DISTINCT coalesce(a.story_id, a.article_id)) AS stories
FROM article_places p
JOIN articles a USING (article_id)
LEFT JOIN article_tags t USING (article_id)
GROUP BY ALL;
