-- What each source turned out to be at its last discovery ("sitemap index, 3 children, gzip, 40 URLs",
-- "HTML page; feed found at …"), so `newsmon sources` can say why a source yields what it yields.

ALTER TABLE source_state ADD COLUMN found VARCHAR;
