"""One pathological page cannot hang a pass: extraction has a per-document time limit inside its worker."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from engine.extraction import extract_and_classify
from extractors import extract_article, time_limit
from extractors.text import ExtractionTimeout
from newsmon.config import ExtractConfig
from newsmon.records import FailureReason, FeedItem, FetchAttempt, FetchedPage


def _page(html: str) -> FetchedPage:
    url = "http://127.0.0.1:9/articles/en/huge-page.html"
    return FetchedPage(FeedItem("test", url), url, html, FetchAttempt(url, "test", 200, None, 1, datetime.now(UTC)))


def _huge_page() -> str:
    """Two megabytes of article: legal, and slow enough to cross a tight limit."""
    paragraph = "<p>Paragraph {} about canal repairs in the district and its farmers.</p>"
    paragraphs = "".join(paragraph.format(i) for i in range(20000))
    return f"<html><body><article><h1>Huge page</h1>{paragraphs}</article></body></html>"


def test_time_limit_interrupts_a_slow_block() -> None:
    started = time.monotonic()
    with pytest.raises(ExtractionTimeout), time_limit(0.2):
        while True:
            sum(range(1000))
    assert time.monotonic() - started < 2


def test_page_over_its_time_limit_becomes_a_recorded_failure() -> None:
    result = extract_and_classify(_page(_huge_page()), None, ExtractConfig(extract_timeout_s=0.01))
    assert result.tagged is None and result.failure is not None
    assert result.failure.reason is FailureReason.EXTRACTION_TIMEOUT
    assert result.page.html == "", "the page's HTML is not sent back to the main process"


def test_same_page_within_a_sensible_limit_is_extracted() -> None:
    article = extract_article(_page(_huge_page()))
    assert not hasattr(article, "reason"), article
    assert "Paragraph 19999" in article.text
