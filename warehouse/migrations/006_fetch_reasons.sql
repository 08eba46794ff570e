-- Each failed fetch carries its typed reason beside the readable error, so what is retried never depends on
-- wording. Earlier rows get theirs from the error text as it was written then.
ALTER TABLE fetches ADD COLUMN reason VARCHAR;

UPDATE fetches SET reason = CASE
    WHEN error LIKE '%robots.txt of % unreachable%' THEN 'robots_unreachable'
    WHEN error LIKE 'extraction_failed: worker died%' THEN 'worker_crashed'
    ELSE split_part(error, ':', 1)
END
WHERE error IS NOT NULL;
