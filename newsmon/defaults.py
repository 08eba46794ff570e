"""Every default setting in one place, unit in the name, reason beside it."""

from __future__ import annotations

USER_AGENT = "newsmon/0.1 (+https://github.com/newsmon/newsmon; news monitoring for Iraq and Syria)"
FETCH_TIMEOUT_S = 20.0  # per attempt: from connecting to the last body byte, so a slow drip cannot stall a pass
MAX_BODY_BYTES = 5_000_000  # no article page is larger; caps decompressed size too (gzip bombs)
MAX_FEED_BYTES = 20_000_000  # a feed of 50,000 items fits; anything larger is refused
MAX_FEED_ITEMS = 50_000  # items taken from one feed or sitemap per pass
MAX_REDIRECTS = 5
MAX_SITEMAP_DEPTH = 3  # index → index → urlset is the deepest seen in the wild
MAX_SITEMAP_FETCHES = 200  # child sitemaps fetched per source per pass: news sites split by day, not by thousands
MAX_PAGE_LINKS = 500  # article links taken from one section page
PER_HOST_CONCURRENCY = 4  # polite: a news site serves many readers besides us
PER_HOST_DELAY_S = 0.0  # minimum gap between request starts to one host; robots Crawl-delay raises it
MAX_CRAWL_DELAY_S = 10.0  # a robots.txt Crawl-delay above this is capped, or a pass would never end
RETRY_ATTEMPTS = 3  # on 429, 5xx and connection errors
RETRY_BACKOFF_S = 1.0  # first wait; doubles each attempt
MAX_RETRY_AFTER_S = 60.0  # a Retry-After beyond this is not honoured within the pass: the URL is retried next pass
EXTRACT_TIMEOUT_S = 15.0  # per document; one pathological page cannot hang a pass
EXTRACT_WORKERS = 0  # 0 = one per CPU core
STORE_BATCH_ARTICLES = 200  # articles per warehouse transaction
SOURCE_CONCURRENCY = 4  # sources processed at once in a pass
MIN_ARTICLE_WORDS = 30  # shorter extractions are navigation pages or paywalls, not articles
INGEST_CRON = "*/30 * * * *"
DIGEST_CRON = "0 7 * * *"
PASS_LOCK_WAIT_S = 120.0  # a scheduled pass waits this long for a digest or retag holding the warehouse, then gives up
RETRY_FAILED_FOR_DAYS = 3  # a page that failed for a passing reason is tried again by the next passes for this long
RETRY_FAILED_MAX_ATTEMPTS = 10  # … at most this many attempts in all (3 a pass), so a dead page stops costing requests
SHARDS_PER_WORKER = 1  # a team pass's sources are split into this many shards per live worker of the pool
SHARD_LOST_AFTER_S = 60.0  # a pool run with no sign of life for this long is lost (its machine died): the pass goes on
