"""Stories: reports of one event share a story_id across outlets and languages; the next event of the same kind
in the same place is a new story; assignment is incremental and gives the same stories for the same input."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

import warehouse as wh
from newsmon.records import Article, Classification, TaggedArticle
from places import article_places, load_gazetteer
from stories import StoryAssigner
from stories.report import LabelledArticle, evaluate_events, read_events
from stories.storing import assign_pending_stories

EVENTS = Path(__file__).resolve().parents[2] / "eval" / "events"
GAZETTEER = load_gazetteer()


def labelled(name: str) -> list[LabelledArticle]:
    return read_events(EVENTS / f"{name}.jsonl")


def tagged(article: LabelledArticle) -> TaggedArticle:
    stored = Article(
        article_id=article.id, url=f"http://127.0.0.1/{article.source}/{article.id}", source=article.source,
        title=article.title, author=None, published_at=article.published_at, first_seen_at=article.published_at,
        lang=article.lang, text=article.text, word_count=len(article.text.split()),
        content_hash=hashlib.sha1(article.text.encode()).hexdigest(),
    )  # fmt: skip
    no_tags = Classification(article.id, {"isis": 0.0, "returns": 0.0, "reconciliation": 0.0}, (), {}, "test")
    return TaggedArticle(stored, no_tags, article_places(GAZETTEER, article.title, article.text))


def stored_stories(path: Path, batches: list[list[LabelledArticle]]) -> dict[str, str]:
    """Store the articles batch by batch, as passes would, assigning stories after each; read them back."""
    with wh.open_warehouse(path) as warehouse:
        run_id = wh.start_run(warehouse, datetime.now(UTC), 1)
        for batch in batches:
            wh.store_tagged_articles(warehouse, run_id, [tagged(a) for a in batch], [])
            assign_pending_stories(warehouse, GAZETTEER, StoryAssigner())
        return {str(r[0]): str(r[1]) for r in warehouse.rows("SELECT article_id, story_id FROM articles")}


@pytest.mark.parametrize("name", ["dev", "test", "holdout2"])
def test_stories_reach_the_targets_on_the_labelled_events(name: str) -> None:
    report = evaluate_events(GAZETTEER, labelled(name))
    assert report.stories.f1 >= 0.85
    assert report.stories.cross_language_found >= 0.70
    assert report.stories.f1 > report.stories_baseline.f1
    assert report.pairs_encoded < report.pairs_judged, "the encoder is asked only where cheap signals can't say"
    assert report.titles_encoded < report.articles, "and some articles are placed without it"


def test_an_english_and_an_arabic_report_of_one_event_share_a_story_and_the_next_convoy_does_not(
    tmp_path: Path,
) -> None:
    articles = {a.id: a for a in labelled("dev")}
    stories = stored_stories(tmp_path / "w.duckdb", [[articles[i] for i in ("d01", "d02", "d03", "d04", "d05")]])
    assert stories["d01"] == stories["d02"] == stories["d03"] == "d01", "a story is named after its first report"
    assert stories["d04"] == stories["d05"] != stories["d01"], "the next convoy to the same camp is a new story"


def test_stories_assigned_pass_by_pass_equal_stories_assigned_at_once(tmp_path: Path) -> None:
    articles = labelled("dev")
    at_once = stored_stories(tmp_path / "once.duckdb", [articles])
    shuffled = articles[:]
    random.Random(7).shuffle(shuffled)
    in_passes = stored_stories(tmp_path / "passes.duckdb", [shuffled[:12], shuffled[12:25], shuffled[25:]])
    by_date = sorted(articles, key=lambda a: a.published_at)
    oldest_first = stored_stories(tmp_path / "ordered.duckdb", [by_date[:12], by_date[12:25], by_date[25:]])
    assert oldest_first == at_once
    assert _groups(in_passes) == _groups(at_once), "the same events end up together whatever the arrival order"


def _groups(stories: dict[str, str]) -> set[frozenset[str]]:
    members: dict[str, set[str]] = {}
    for article, story in stories.items():
        members.setdefault(story, set()).add(article)
    return {frozenset(m) for m in members.values()}


def test_views_count_stories_beside_articles(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    stored_stories(path, [labelled("dev")])
    with wh.open_warehouse(path) as warehouse:
        rows = warehouse.rows(
            "SELECT place, sum(articles), sum(stories) FROM place_weekly WHERE tag IS NULL GROUP BY place"
        )
        by_place = {r[0]: (int(r[1]), int(r[2])) for r in rows}
        tag_columns = [r[0] for r in warehouse.rows("DESCRIBE tag_weekly")]
    assert by_place["IQ-NI"] == (15, 6), "Ninewa: two convoys, a bombing, an ambush, a grave, a mosque"
    assert by_place["SY-DY"] == (4, 2)
    assert "stories" in tag_columns


def test_signals_read_beside_the_text_equal_those_read_back_from_the_warehouse(tmp_path: Path) -> None:
    """The pass's workers read each article's story signals while they hold its text; the stories they give must
    be those the warehouse's copy gives (a crash, a retag or a later pass reads them from there)."""
    from engine.extraction import story_signals
    from stories.storing import signals_of

    articles = [tagged(a) for a in labelled("dev")]
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        wh.store_tagged_articles(warehouse, wh.start_run(warehouse, datetime.now(UTC), 1), articles, [])
        stored = {a.article_id: signals_of(GAZETTEER, a) for a in wh.articles_without_story(warehouse, 1000)}
    beside_the_text = {t.article.article_id: story_signals(t, GAZETTEER) for t in articles}
    assert stored == beside_the_text


def test_a_title_word_most_open_reports_share_finds_no_candidates_but_a_rare_one_does() -> None:
    """In a busy window a common word would make every new report a candidate of every open one: the cost per
    article would grow with the window. Such keys are left out; what two reports of one event share is rarer."""
    from datetime import timedelta

    from stories.assign import HOT_KEY_REPORTS
    from stories.signals import Signals

    start = datetime(2026, 11, 2, 8, tzinfo=UTC)

    def report(n: int, title_words: set[str]) -> Signals:
        return Signals(f"a{n:04d}", "wire", "en", start + timedelta(minutes=n), f"title {n}", frozenset(),
                       frozenset(), frozenset(), frozenset(title_words), frozenset(title_words))  # fmt: skip

    assigner = StoryAssigner()
    assigner.assign(report(n, {"market", f"unique{n}"}) for n in range(HOT_KEY_REPORTS + 1))
    assert assigner.candidates(report(9000, {"market"})) == [], "the word every open report shares"
    found = assigner.candidates(report(9001, {"market", "unique7"}))
    assert [signals.article_id for _, signals in found] == ["a0007"]
