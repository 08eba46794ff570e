"""trafilatura's comparison with readability and justext runs where it helps: on a page whose own extraction comes
out short, not on every page (it is half of trafilatura's time)."""

from __future__ import annotations

from datetime import UTC, datetime

from extractors import extract_article
from extractors.text import COMPARE_BELOW_WORDS
from newsmon.records import Article, ExtractionFailure, FeedItem, FetchAttempt, FetchedPage

URL = "http://127.0.0.1/news/ramadi-bridge"
SENTENCES = [
    "Engineers in Ramadi finished the second span of the old iron bridge on Thursday, the provincial council said",
    "Traffic between the market district and the northern quarters had crossed the river on a pontoon for three years",
    "The contractor hired forty workers from the neighbourhoods along the bank and paid them every week in cash",
    "Shop owners near the eastern approach said their takings had doubled since the first lanes opened in spring",
    "A teacher who crosses twice a day said the ride to her school now takes ten minutes instead of almost an hour",
    "The council plans lighting, a footpath and railings before the summer floods reach their usual height",
    "Farmers from the villages upstream asked for a weight limit to be lifted so that grain lorries can use it",
    "Officials said the limit would stay until inspectors test the welds on the central pier next month",
]


def page_laid_out_without_paragraphs() -> str:
    """An article whose text sits in one div, broken by <br> tags, as some outlets' templates write it."""
    body = "<br><br>".join(f"{sentence}. {sentence.split(',')[0]} again." for sentence in SENTENCES * 3)
    menu = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(30))
    return (
        "<html><head><title>Ramadi bridge reopens</title></head><body>"
        f"<nav><ul>{menu}</ul></nav><h1>Ramadi bridge reopens</h1>"
        f'<div class="story-text">{body}</div>'
        "<footer>© 2026 Anbar Times</footer></body></html>"
    )


def extracted(html: str, **options: int) -> Article | ExtractionFailure:
    page = FetchedPage(FeedItem("anbar", URL), URL, html, FetchAttempt(URL, "anbar", 200, None, 4, datetime.now(UTC)))
    return extract_article(page, min_words=0, **options)


def test_a_page_whose_own_extraction_is_short_gets_the_comparison_and_its_whole_text() -> None:
    html = page_laid_out_without_paragraphs()
    without_comparison = extracted(html, compare_below_words=0)  # trafilatura's own extractor alone
    assert isinstance(without_comparison, ExtractionFailure) or without_comparison.word_count < COMPARE_BELOW_WORDS

    article = extracted(html)
    assert isinstance(article, Article), article
    assert article.word_count > 400
    assert "takes ten minutes instead of almost an hour" in article.text
    assert "central pier" in article.text


def test_a_long_article_in_paragraphs_reads_the_same_without_the_comparison() -> None:
    paragraphs = "".join(f"<p>{sentence}. {sentence.split(',')[0]} again.</p>" for sentence in SENTENCES * 2)
    html = (
        "<html><head><title>Ramadi bridge reopens</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Ramadi bridge reopens</h1>{paragraphs}</article></body></html>"
    )
    article, compared = extracted(html), extracted(html, compare_below_words=10**9)
    assert isinstance(article, Article) and isinstance(compared, Article)
    assert article.word_count >= COMPARE_BELOW_WORDS  # long enough to skip the comparison
    assert article.text == compared.text
