"""Writes for an ingest pass: runs, batches of tagged articles, fetch attempts and source state.

Rows go in as one JSON parameter per table (`insert_rows`), never row by row: executemany is ~60× slower in
DuckDB. Each batch is one transaction, so a crash leaves either the whole batch or none of it.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from newsmon.records import TAGS, Classification, FetchAttempt, PassSummary, SourceOutcome, TaggedArticle
from warehouse.claims import in_turn, take_turn
from warehouse.connect import VARCHAR_LIST, Warehouse, as_json_list, insert_rows, retry_conflicts
from warehouse.stories import place_rows, write_places


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None)


ARTICLE_COLUMNS = {
    "article_id": "VARCHAR", "url": "VARCHAR", "source": "VARCHAR", "title": "VARCHAR", "author": "VARCHAR",
    "published_at": "TIMESTAMP", "first_seen_at": "TIMESTAMP", "lang": "VARCHAR", "text": "VARCHAR",
    "word_count": "INTEGER", "content_hash": "VARCHAR", "run_id": "INTEGER",
}  # fmt: skip
URL_COLUMNS = {"url": "VARCHAR", "article_id": "VARCHAR"}
SCORE_COLUMNS = {
    "article_id": "VARCHAR", "classifier_version": "VARCHAR", "tag": "VARCHAR", "score": "DOUBLE",
    "scored_at": "TIMESTAMP",
}  # fmt: skip
TAG_COLUMNS = {
    "article_id": "VARCHAR", "tag": "VARCHAR", "score": "DOUBLE", "evidence": "VARCHAR[]",
    "classifier_version": "VARCHAR", "tagged_at": "TIMESTAMP",
}  # fmt: skip
FETCH_COLUMNS = {
    "url": "VARCHAR", "source": "VARCHAR", "status": "INTEGER", "error": "VARCHAR", "elapsed_ms": "INTEGER",
    "fetched_at": "TIMESTAMP", "run_id": "INTEGER", "reason": "VARCHAR", "worker": "VARCHAR",
}  # fmt: skip


def this_worker() -> str:
    """host:pid of this process: requests are made by the process that stores their rows (the pass, a worker)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def next_id(con: Any, table: str, column: str) -> int:
    """The next key of a table the lake numbers itself (no sequences in DuckLake), read inside the transaction that
    inserts the row. Alone it is safe only for one writer at a time; `start_run` takes the claim turn around it."""
    row = con.execute(f"SELECT coalesce(max({column}), 0) + 1 FROM {table}").fetchone()
    return int(row[0])


def start_run(warehouse: Warehouse, started_at: datetime, sources: int) -> int:
    """A new runs row, numbered max + 1. Passes on two machines sharing a catalog could read the same max at once:
    the number is taken in the claim turn (warehouse/claims.py), so one of them commits and the other retries."""

    def insert(con: Any) -> int:
        run_id = next_id(con, "runs", "run_id")
        con.execute(
            "INSERT INTO runs (run_id, started_at, status, sources) VALUES (?, ?, 'running', ?)",
            [run_id, _naive_utc(started_at), sources],
        )
        return run_id

    return in_turn(warehouse, insert, "number a new run")


def run_status(warehouse: Warehouse, run_id: int) -> str | None:
    """`running`, `completed` or `interrupted`; None for a run the lake does not hold."""
    rows = warehouse.rows("SELECT status FROM runs WHERE run_id = ?", [run_id])
    return str(rows[0][0]) if rows else None


@retry_conflicts
def finish_run(warehouse: Warehouse, summary: PassSummary) -> None:
    warehouse.execute(
        "UPDATE runs SET finished_at = ?, status = 'completed', items_seen = ?, articles_new = ?, failures = ? "
        "WHERE run_id = ?",
        [
            _naive_utc(summary.finished_at),
            sum(s.seen for s in summary.sources),
            summary.articles_new,
            sum(s.failed for s in summary.sources),
            summary.run_id,
        ],
    )


@retry_conflicts
def discard_run(warehouse: Warehouse, run_id: int) -> None:
    """Remove the runs row of a job that stored nothing (an import of what is already stored leaves no trace)."""
    with warehouse.transaction() as con:
        con.execute(
            "DELETE FROM runs WHERE run_id = ? AND NOT EXISTS (SELECT 1 FROM articles WHERE run_id = ?)",
            [run_id, run_id],
        )


@retry_conflicts
def mark_interrupted_runs(warehouse: Warehouse) -> int:
    """Runs left 'running' by a crashed process are marked 'interrupted' when the next pass starts."""
    with warehouse.transaction() as con:
        found = con.execute("SELECT count(*) FROM runs WHERE status = 'running'").fetchone()
        if found and found[0]:
            con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")
    return int(found[0]) if found else 0


def known_urls(warehouse: Warehouse, urls: Iterable[str]) -> set[str]:
    """Which of `urls` already lead to a stored article (as its canonical URL or one it was found under)."""
    wanted = list(dict.fromkeys(urls))
    if not wanted:
        return set()
    rows = warehouse.rows(
        f"WITH wanted AS (SELECT unnest({VARCHAR_LIST}) AS url) "
        "SELECT url FROM article_urls WHERE url IN (SELECT url FROM wanted) "
        "UNION SELECT url FROM articles WHERE url IN (SELECT url FROM wanted)",
        [as_json_list(wanted)],
    )
    return {row[0] for row in rows}


@retry_conflicts
def store_tagged_articles(
    warehouse: Warehouse, run_id: int, tagged: Sequence[TaggedArticle], attempts: Sequence[FetchAttempt]
) -> list[TaggedArticle]:
    """Store a batch of articles with their tags and fetch attempts in one transaction; returns those that were new.

    An article already stored (same canonical URL, or the same text under another URL) is not stored again;
    the URL it was found under is remembered, so it is not fetched again.
    """
    now = datetime.now(UTC).replace(tzinfo=None)
    with warehouse.transaction() as con:
        if warehouse.shared:
            take_turn(con)  # the dedup below reads what other machines stored: no store of theirs may commit between
        urls = [t.article.url for t in tagged]
        hashes = [t.article.content_hash for t in tagged]
        existing_url: dict[str, str] = {}
        existing_hash: dict[str, str] = {}
        for kind, key, owner in con.execute(  # one query, not two: each costs milliseconds of catalog work
            "SELECT 'url', url, article_id FROM articles "
            f"WHERE url IN (SELECT unnest({VARCHAR_LIST.replace('?', '$1')})) "
            "UNION ALL SELECT 'hash', content_hash, min(article_id) FROM articles "
            f"WHERE content_hash IN (SELECT unnest({VARCHAR_LIST.replace('?', '$2')})) GROUP BY content_hash",
            [as_json_list(urls), as_json_list(hashes)],
        ).fetchall():
            (existing_url if kind == "url" else existing_hash)[key] = owner
        new: list[TaggedArticle] = []
        url_rows: dict[str, str] = {}
        for item in tagged:
            article = item.article
            owner = existing_url.get(article.url) or existing_hash.get(article.content_hash)
            if owner is None:
                owner = article.article_id
                existing_url[article.url] = owner
                existing_hash[article.content_hash] = owner
                new.append(item)
            for url in (article.url, *article.alternate_urls):
                url_rows.setdefault(url, owner)

        insert_rows(
            con,
            "articles",
            ARTICLE_COLUMNS,
            [
                (
                    a.article_id,
                    a.url,
                    a.source,
                    a.title,
                    a.author,
                    _naive_utc(a.published_at),
                    _naive_utc(a.first_seen_at),
                    a.lang,
                    a.text,
                    a.word_count,
                    a.content_hash,
                    run_id,
                )  # fmt: skip
                for a in (t.article for t in new)
            ],
        )
        insert_rows(con, "article_urls", URL_COLUMNS, list(url_rows.items()), absent_on=("url",))
        # Articles new in this transaction have no scores or tags yet: nothing to leave out, and checking would
        # read every stored score and tag, whose tables only grow.
        _write_tags(con, [t.classification for t in new], now, first=True)
        write_places(con, [row for t in new for row in place_rows(t.article.article_id, t.places)])
        insert_rows(con, "fetches", FETCH_COLUMNS, [_fetch_row(a, run_id) for a in attempts])
    return new


def _write_tags(con: Any, classifications: Sequence[Classification], now: datetime, *, first: bool = False) -> None:
    """Scores and tags of classifications whose `id` is the article's id; `first` when the articles have none yet
    (stored in this transaction), else rows already there for the same version and tag are left as they are."""
    score_rows = []
    tag_rows = []
    for c in classifications:
        for tag in TAGS:
            score_rows.append((c.id, c.classifier_version, tag, float(c.scores.get(tag, 0.0)), now))
        for label in c.labels:
            evidence = list(c.evidence.get(label, ()))
            tag_rows.append((c.id, label, float(c.scores[label]), evidence, c.classifier_version, now))
    insert_rows(con, "tag_scores", SCORE_COLUMNS, score_rows,
                absent_on=() if first else ("article_id", "classifier_version", "tag"))  # fmt: skip
    insert_rows(con, "article_tags", TAG_COLUMNS, tag_rows, absent_on=() if first else ("article_id", "tag"))


@retry_conflicts
def replace_tags(warehouse: Warehouse, classifications: Sequence[Classification]) -> None:
    """Re-scoring (`newsmon retag`): keep every version's scores, make this version's labels the current tags.
    Each classification's `id` is its article's id."""
    now = datetime.now(UTC).replace(tzinfo=None)
    ids = [c.id for c in classifications]
    with warehouse.transaction() as con:
        con.execute(
            f"DELETE FROM article_tags WHERE article_id IN (SELECT unnest({VARCHAR_LIST}))", [as_json_list(ids)]
        )
        _write_tags(con, classifications, now)


def _fetch_row(attempt: FetchAttempt, run_id: int) -> tuple[Any, ...]:
    return (attempt.url, attempt.source, attempt.status, attempt.error, attempt.elapsed_ms,
            _naive_utc(attempt.fetched_at), run_id, attempt.reason, this_worker())  # fmt: skip


@retry_conflicts
def record_fetch_attempts(warehouse: Warehouse, run_id: int, attempts: Sequence[FetchAttempt]) -> None:
    """Fetch attempts that produced no article (discovery requests and failures), in one transaction."""
    if attempts:
        with warehouse.transaction() as con:
            insert_rows(con, "fetches", FETCH_COLUMNS, [_fetch_row(a, run_id) for a in attempts])


def all_source_validators(warehouse: Warehouse) -> dict[str, dict[str, tuple[str | None, str | None]]]:
    """Every source's validators (source → its URL → ETag, Last-Modified), read once for a whole pass: each query
    on the lake costs milliseconds of catalog work, so a pass asks once, not once per source."""
    found: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    for source, url, etag, last_modified in warehouse.rows("SELECT source, url, etag, last_modified FROM source_state"):
        found.setdefault(source, {})[url] = (etag, last_modified)
    return found


SOURCE_OUTCOME_SHAPE = json.dumps([{
    "source": "VARCHAR", "url": "VARCHAR", "ok": "BOOLEAN", "error": "VARCHAR", "etag": "VARCHAR",
    "last_modified": "VARCHAR", "found": "VARCHAR", "at": "TIMESTAMP",
}])  # fmt: skip


@retry_conflicts
def record_source_outcomes(warehouse: Warehouse, outcomes: Sequence[SourceOutcome]) -> None:
    """Sources' discovery outcomes, in two statements however many (each statement on the lake costs milliseconds
    of catalog work, and a pass ends many sources at once), and what discovery found a source to be when it says.
    Validators and the success time are saved only with a success, after its articles were stored; a failure
    counts one more and keeps its text."""
    outcomes = list({o.source: o for o in outcomes}.values())  # one row per source: the last outcome says
    if not outcomes:
        return
    payload = json.dumps(
        [{"source": o.source, "url": o.url, "ok": o.ok, "error": None if o.ok else o.error, "etag": o.etag,
          "last_modified": o.last_modified, "found": o.found[:1000] if o.found else None,
          "at": o.at.astimezone(UTC).replace(tzinfo=None).isoformat()} for o in outcomes],
        ensure_ascii=False,
    )  # fmt: skip
    given = f"(SELECT unnest(from_json($1, '{SOURCE_OUTCOME_SHAPE}'), recursive := true))"
    with warehouse.transaction() as con:
        con.execute(
            f"UPDATE source_state SET url = o.url, "
            "etag = CASE WHEN o.ok THEN o.etag ELSE source_state.etag END, "
            "last_modified = CASE WHEN o.ok THEN o.last_modified ELSE source_state.last_modified END, "
            "last_attempt_at = o.at, "
            "last_success_at = CASE WHEN o.ok THEN o.at ELSE source_state.last_success_at END, "
            "consecutive_failures = CASE WHEN o.ok THEN 0 ELSE source_state.consecutive_failures + 1 END, "
            "last_error = CASE WHEN o.ok THEN source_state.last_error ELSE o.error END, "
            f"found = coalesce(o.found, source_state.found) FROM {given} AS o WHERE source_state.source = o.source",
            [payload],
        )
        con.execute(
            "INSERT INTO source_state (source, url, etag, last_modified, last_attempt_at, last_success_at, "
            "consecutive_failures, last_error, found) "
            "SELECT o.source, o.url, CASE WHEN o.ok THEN o.etag END, CASE WHEN o.ok THEN o.last_modified END, "
            "o.at, CASE WHEN o.ok THEN o.at END, CASE WHEN o.ok THEN 0 ELSE 1 END, "
            "CASE WHEN o.ok THEN NULL ELSE o.error END, "
            f"o.found FROM {given} AS o WHERE NOT EXISTS (SELECT 1 FROM source_state s WHERE s.source = o.source)",
            [payload],
        )


def update_source_state(
    warehouse: Warehouse,
    source: str,
    url: str,
    *,
    ok: bool,
    error: str | None,
    etag: str | None,
    last_modified: str | None,
    at: datetime,
    found: str | None = None,
) -> None:
    """Record one source's discovery outcome, as `record_source_outcomes` records several."""
    record_source_outcomes(warehouse, [SourceOutcome(source, url, ok, error, etag, last_modified, found, at)])
