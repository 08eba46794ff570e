"""The quick test skips sentences without reading them; it must never skip one the careful reading finds a name in.

So on every article at hand, the places found with the quick test are exactly those found reading every sentence,
down to each mention's words, sentence and weight.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from classifiers.eval_sets import find_corpora
from places import find_mentions, find_places, load_gazetteer

GAZETTEER = load_gazetteer()
ROOT = Path(__file__).resolve().parents[2]
OWN_ARTICLES = sorted((ROOT / "eval").glob("*.jsonl")) + sorted((ROOT / "eval" / "events").glob("*.jsonl"))
SHARED = find_corpora(ROOT)


def articles(paths: list[Path]) -> Iterator[tuple[str, str]]:
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if isinstance(row.get("text"), str):
                yield row.get("title") or "", row["text"]


def test_on_our_own_articles_the_quick_test_skips_no_sentence_with_a_name() -> None:
    read = list(articles(OWN_ARTICLES))
    assert len(read) > 100
    for title, text in read:
        assert find_mentions(GAZETTEER, title, text) == find_mentions(GAZETTEER, title, text, every_sentence=True)


@pytest.mark.skipif(SHARED is None or not (SHARED / "news-real").is_dir(), reason="shared corpora not present")
def test_on_real_news_the_quick_test_skips_no_sentence_with_a_name() -> None:
    assert SHARED is not None
    paths = [SHARED / "dev-written" / "articles.jsonl", SHARED / "news-real" / "articles.jsonl"]
    for title, text in articles([p for p in paths if p.exists()]):
        assert find_mentions(GAZETTEER, title, text) == find_mentions(GAZETTEER, title, text, every_sentence=True)


@pytest.mark.parametrize(
    ("title", "text", "place"),
    [
        ("Raid near Qa'im", "Troops raided a farm outside Al-Qa’im on Monday.", "IQ-AN"),
        ("FIGHTING IN MOSUL", "SHELLING HIT WEST MOSUL AGAIN, residents said.", "IQ-NI"),
        ("Aid reaches Nīnawá", "Convoys reached Nīnawá province and its camps on Sunday.", "IQ-NI"),
        ("عودة إلى تَلَّعْفَر", "عادت عشرات العائلات إلى قضاء تَلَّعْفَر بعد سنوات من النزوح عن تلعفر.", "IQ-NI"),
        ("مساعدات لذي قار", "وصلت المساعدات إلى محافظة ذي قار، وقال مسؤول في ذي قار إنها تكفي شهرا.", "IQ-DQ"),
        ("عائلات في الهول", "وغادرت عائلات جديدة مخيم الهول، فيما بقيت أخرى في الهول بانتظار دورها.", "SY-HA"),
    ],
)
def test_names_with_apostrophes_capitals_accents_and_tashkeel_pass_the_quick_test(
    title: str, text: str, place: str
) -> None:
    assert find_mentions(GAZETTEER, title, text) == find_mentions(GAZETTEER, title, text, every_sentence=True)
    assert place in [found.place for found in find_places(GAZETTEER, title, text)]


def test_an_article_that_names_no_place_is_not_split_into_sentences() -> None:
    screen = GAZETTEER.quick_test.screen("The committee met on Tuesday. It will meet again next week. Nothing else.")
    assert screen.passes_nothing
