-- Which process made each request (host:pid), now that several workers of a Prefect pool can share a pass.
-- Older rows were all made by one process per pass: NULL.
ALTER TABLE fetches ADD COLUMN worker VARCHAR;
