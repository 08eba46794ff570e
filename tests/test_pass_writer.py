"""The pass's writer: several sources' articles are stored together, a source's validators never before its
articles, and a batch that cannot be stored is reported on its sources without storing any of it."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import warehouse as wh
from engine.writer import PassWriter, SourceWrite
from newsmon.records import Article, Classification, FetchAttempt, SourceOutcome, SourceSummary, TaggedArticle

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)


def articles_of(source: str, count: int) -> tuple[tuple[TaggedArticle, ...], tuple[FetchAttempt, ...]]:
    tagged, attempts = [], []
    for index in range(count):
        url = f"http://127.0.0.1/{source}/story-{index}"
        text = f"{source} report {index}: families went back to their villages near the river."
        article = Article(
            article_id=hashlib.sha1(url.encode()).hexdigest()[:16], url=url, source=source, title=f"Story {index}",
            author=None, published_at=NOW, first_seen_at=NOW, lang="en", text=text, word_count=len(text.split()),
            content_hash=hashlib.sha1(text.encode()).hexdigest(),
        )  # fmt: skip
        scores = {"isis": 0.1, "returns": 0.9, "reconciliation": 0.1}
        classification = Classification(article.article_id, scores, ("returns",), {"returns": ("went back",)}, "t-1")
        tagged.append(TaggedArticle(article, classification))
        attempts.append(FetchAttempt(url, source, 200, None, 12, NOW))
    return tuple(tagged), tuple(attempts)


def done(source: str, etag: str) -> dict[str, object]:
    """What a source that is done adds to its last write: its feed request and how discovery went."""
    feed = f"http://127.0.0.1/{source}/feed.xml"
    return {
        "other_attempts": (FetchAttempt(feed, source, 200, None, 3, NOW),),
        "outcome": SourceOutcome(source, feed, True, None, etag, None, "feed, 40 items", NOW),
    }


def stored_articles(warehouse: wh.Warehouse) -> dict[str, int]:
    return dict(warehouse.rows("SELECT source, count(*) FROM articles GROUP BY source"))  # type: ignore[arg-type]


def etags(warehouse: wh.Warehouse) -> dict[str, str]:
    return dict(warehouse.rows("SELECT source, etag FROM source_state"))  # type: ignore[arg-type]


def a_writer(warehouse: wh.Warehouse, batch_articles: int) -> tuple[PassWriter, list[TaggedArticle]]:
    noted: list[TaggedArticle] = []
    run_id = wh.start_run(warehouse, NOW, 3)
    return PassWriter(warehouse, run_id, batch_articles, noted.extend, lambda seconds: None), noted


def test_sources_batches_wait_until_enough_articles_gather_then_go_in_together(tmp_path: Path) -> None:
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        writer, noted = a_writer(warehouse, batch_articles=100)
        tigris, euphrates, khabur = SourceSummary("tigris"), SourceSummary("euphrates"), SourceSummary("khabur")

        writer.add(SourceWrite(tigris, *articles_of("tigris", 60), **done("tigris", "t1")))
        assert stored_articles(warehouse) == {} and etags(warehouse) == {}  # 60 wait: fewer than 100

        writer.add(SourceWrite(euphrates, *articles_of("euphrates", 50), **done("euphrates", "e1")))
        assert stored_articles(warehouse) == {"tigris": 60, "euphrates": 50}  # 110: stored, both sources at once
        assert etags(warehouse) == {"tigris": "t1", "euphrates": "e1"}
        assert (tigris.new, euphrates.new, len(noted)) == (60, 50, 110)

        writer.add(SourceWrite(khabur, *articles_of("khabur", 5), **done("khabur", "k1")))
        assert "khabur" not in stored_articles(warehouse)
        writer.flush()  # as the pass does before assigning stories
        assert stored_articles(warehouse)["khabur"] == 5 and etags(warehouse)["khabur"] == "k1"
        assert khabur.new == 5


def test_a_sources_validators_are_stored_with_its_last_articles_never_before(tmp_path: Path) -> None:
    """A source whose record waits behind its articles: until they are stored, neither is."""
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        writer, _ = a_writer(warehouse, batch_articles=1000)
        tigris = SourceSummary("tigris")
        first, second = articles_of("tigris", 30)[0], articles_of("tigris", 30)
        writer.add(SourceWrite(tigris, first[:20], second[1][:20]))
        writer.add(SourceWrite(tigris, first[20:], second[1][20:], **done("tigris", "t2")))
        assert etags(warehouse) == {} and stored_articles(warehouse) == {}
        writer.flush()
        assert etags(warehouse) == {"tigris": "t2"} and stored_articles(warehouse) == {"tigris": 30}


def test_a_batch_that_cannot_be_stored_is_reported_on_its_sources_and_stores_nothing(tmp_path: Path) -> None:
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        writer, noted = a_writer(warehouse, batch_articles=1000)
        tigris, khabur = SourceSummary("tigris"), SourceSummary("khabur")
        writer.add(SourceWrite(tigris, *articles_of("tigris", 10), **done("tigris", "t3")))
        # A fetch row without its required elapsed time: the database refuses the batch's transaction.
        broken = FetchAttempt("http://127.0.0.1/khabur/x", "khabur", 200, None, None, NOW)  # type: ignore[arg-type]
        writer.add(SourceWrite(khabur, failed=(broken,), **done("khabur", "k3")))
        writer.flush()

        assert stored_articles(warehouse) == {}  # the next pass fetches them again
        assert etags(warehouse) == {"tigris": None, "khabur": None}  # no validators to skip them with
        health = warehouse.rows("SELECT source, consecutive_failures, last_error FROM source_state ORDER BY 1")
        assert [(source, failures) for source, failures, _ in health] == [("khabur", 1), ("tigris", 1)]
        assert all(error.startswith("not stored: ConstraintException") for _, _, error in health)
        for summary in (tigris, khabur):
            assert summary.new == 0 and summary.failed == 1
            assert summary.errors[0].startswith("not stored: ConstraintException")
        assert noted == []
        writer.add(SourceWrite(tigris, *articles_of("tigris", 2)))  # the writer goes on with what comes next
        writer.flush()
        assert stored_articles(warehouse) == {"tigris": 2}


def test_a_source_that_lost_a_batch_saves_no_validators_for_the_rest_of_the_pass(tmp_path: Path) -> None:
    """Else the next pass would be told "not modified" and never fetch the articles of the lost batch."""
    with wh.open_warehouse(tmp_path / "w.duckdb") as warehouse:
        writer, _ = a_writer(warehouse, batch_articles=1000)
        tigris = SourceSummary("tigris")
        broken = FetchAttempt("http://127.0.0.1/tigris/x", "tigris", 200, None, None, NOW)  # type: ignore[arg-type]
        writer.add(SourceWrite(tigris, *articles_of("tigris", 10), failed=(broken,)))
        writer.flush()  # this batch is lost
        later, later_attempts = articles_of("tigris", 14)
        writer.add(SourceWrite(tigris, later[10:], later_attempts[10:], **done("tigris", "t4")))
        writer.flush()

        assert stored_articles(warehouse) == {"tigris": 4}
        assert warehouse.rows("SELECT etag, consecutive_failures FROM source_state") == [(None, 1)]
        assert tigris.errors[0].startswith("not stored:") and tigris.new == 4


def test_many_sources_outcomes_recorded_at_once_read_as_if_recorded_one_by_one(tmp_path: Path) -> None:
    """New sources that worked or failed, a working source that fails (its validators kept, one failure more), a
    failing one that recovers (failures back to 0, its last error kept as history), `found` kept when unsaid."""
    feed = "http://127.0.0.1/{}/feed.xml"
    rounds = [
        [SourceOutcome("tigris", feed.format("tigris"), True, None, "t1", "Mon", "feed, 3 items", NOW),
         SourceOutcome("khabur", feed.format("khabur"), False, "timeout: x", None, None, None, NOW)],
        [SourceOutcome("tigris", feed.format("tigris"), False, "500 oops", "t9", None, None, NOW),
         SourceOutcome("khabur", feed.format("khabur"), True, None, "k1", None, "sitemap, 2 URLs", NOW),
         SourceOutcome("zab", feed.format("zab"), True, None, None, None, None, NOW)],
        [SourceOutcome("tigris", feed.format("tigris"), False, "timeout: y", None, None, None, NOW)],
    ]  # fmt: skip
    at = NOW.replace(tzinfo=None)
    # What the former one-source-at-a-time statements left, recorded before they gave way to these.
    expected = [
        ("khabur", "k1", None, at, at, 0, "timeout: x", "sitemap, 2 URLs"),
        ("tigris", "t1", "Mon", at, at, 2, "timeout: y", "feed, 3 items"),  # a failure never replaces validators
        ("zab", None, None, at, at, 0, None, None),
    ]
    for batched in (False, True):
        with wh.open_warehouse(tmp_path / f"{batched}.duckdb") as warehouse:
            for outcomes in rounds:
                if batched:
                    wh.record_source_outcomes(warehouse, outcomes)
                    continue
                for o in outcomes:
                    wh.update_source_state(warehouse, o.source, o.url, ok=o.ok, error=o.error, etag=o.etag,
                                           last_modified=o.last_modified, at=o.at, found=o.found)  # fmt: skip
            assert (
                warehouse.rows(
                    "SELECT source, etag, last_modified, last_attempt_at, last_success_at, consecutive_failures, "
                    "last_error, found FROM source_state ORDER BY source"
                )
                == expected
            )
