"""Reads: trend tables, source health, ad-hoc SQL for analysts, and articles to re-score."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb

from newsmon.errors import NewsmonError
from newsmon.records import TAGS
from newsmon.retry import retried_next_pass
from warehouse.connect import VARCHAR_LIST, Warehouse, as_json_list


@dataclass(frozen=True, slots=True)
class Rows:
    """A query's column names and rows, for the CLI to print as a table or JSON Lines."""

    columns: list[str]
    rows: list[tuple[Any, ...]]


class QueryError(NewsmonError):
    pass


def _rows(warehouse: Warehouse, sql: str, params: Any = None) -> Rows:
    with warehouse.lock:
        cursor = warehouse.connection.execute(sql, params)
        columns = [d[0] for d in cursor.description or []]
        return Rows(columns, cursor.fetchall())


def weekly_tag_counts(warehouse: Warehouse, weeks: int, now: datetime | None = None) -> Rows:
    """Articles per ISO week (Monday) and tag over the last `weeks` weeks, this one included; empty weeks show 0."""
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    start = (moment - timedelta(weeks=max(weeks, 1) - 1)).date()
    return _rows(
        warehouse,
        """
        WITH weeks AS (
            SELECT CAST(w AS DATE) AS week
            FROM range(
                date_trunc('week', CAST($1 AS DATE)), CAST($2 AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 7 DAY
            ) r(w)
        ), tags AS (SELECT unnest(from_json($3, '["VARCHAR"]')) AS tag)
        SELECT weeks.week, tags.tag, coalesce(sum(tw.articles), 0)::INTEGER AS articles
        FROM weeks CROSS JOIN tags
        LEFT JOIN tag_weekly tw ON tw.week = weeks.week AND tw.tag = tags.tag
        GROUP BY ALL ORDER BY weeks.week, tags.tag
        """,
        [start, moment, as_json_list(TAGS)],
    )


READ_ONLY_ADVICE = (
    "SQL here is read-only: it cannot write or read files, attach databases, install or load extensions, or "
    'change settings. Export results with --csv or --json (newsmon sql --csv "SELECT …" > out.csv), or open '
    "the warehouse in the duckdb CLI with what `newsmon attach` prints (it attaches read-only, as duckdb -readonly)"
)


def run_sql(warehouse: Warehouse, sql: str) -> Rows:
    """Run an analyst's SQL on a warehouse opened by `open_for_analysts`: queries only (SELECT, FROM, WITH, SHOW,
    DESCRIBE, SUMMARIZE, PRAGMA table_info). Refusals say why and what to do instead.

    External access is off, but the lake's own data folder must stay readable, so a statement that writes files
    (COPY, EXPORT) could reach it: only queries pass, and DuckDB's switches refuse the rest again.
    """
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryError(f"SQL failed: {exc}") from exc
    if not statements:
        raise QueryError("no SQL statement given (empty, blank or only comments). Example: newsmon sql \"SELECT "
                         "count(*) FROM articles\"")  # fmt: skip
    for statement in statements:
        if statement.type != duckdb.StatementType.SELECT:
            kind = str(statement.type).rsplit(".", 1)[-1]
            raise QueryError(f"refused: a {kind} statement; only queries run here. {READ_ONLY_ADVICE}")
    try:
        return _rows(warehouse, sql)
    except duckdb.Error as exc:
        if _refused_as_read_only(exc):
            message = " ".join(str(exc).split())
            raise QueryError(f"refused: {message}. {READ_ONLY_ADVICE}") from exc
        raise QueryError(f"SQL failed: {exc}") from exc


def _refused_as_read_only(exc: duckdb.Error) -> bool:
    """DuckDB's own refusals: external access disabled, configuration locked, or a write to a read-only file."""
    if isinstance(exc, duckdb.PermissionException):
        return True
    text = str(exc)
    return "configuration has been locked" in text or "read-only mode" in text


def source_health(warehouse: Warehouse) -> Rows:
    return _rows(
        warehouse,
        """
        SELECT s.source, s.url, s.last_success_at, s.last_attempt_at, s.consecutive_failures, s.last_error,
               (SELECT count(*) FROM articles a WHERE a.source = s.source) AS articles, s.found
        FROM source_state s ORDER BY s.source
        """,
    )


def recent_articles(warehouse: Warehouse, run_id: int, limit: int = 10) -> Rows:
    return _rows(
        warehouse,
        """
        SELECT a.source, CAST(a.published_at AS DATE) AS published, a.lang,
               coalesce(string_agg(t.tag, ',' ORDER BY t.tag), '') AS tags, a.title
        FROM articles a LEFT JOIN article_tags t USING (article_id)
        WHERE a.run_id = ? GROUP BY ALL ORDER BY published DESC, a.title LIMIT ?
        """,
        [run_id, limit],
    )


def iter_articles_for_retag(
    warehouse: Warehouse, batch_size: int = 500
) -> Iterator[list[tuple[str, str, str, str | None]]]:
    """(article_id, title, text, lang) in batches, for re-scoring with a new classifier version."""
    offset = 0
    while True:
        batch = warehouse.rows(
            "SELECT article_id, title, text, lang FROM articles ORDER BY article_id LIMIT ? OFFSET ?",
            [batch_size, offset],
        )
        if not batch:
            return
        yield [(str(r[0]), str(r[1]), str(r[2]), r[3]) for r in batch]
        offset += batch_size


def current_labels(warehouse: Warehouse) -> dict[str, set[str]]:
    labels: dict[str, set[str]] = {}
    for article_id, tag in warehouse.rows("SELECT article_id, tag FROM article_tags"):
        labels.setdefault(article_id, set()).add(tag)
    return labels


def urls_to_retry_by_source(warehouse: Warehouse, since: datetime, max_attempts: int) -> dict[str, list[str]]:
    """Per source, its article URLs whose fetch failed for a passing reason and that are still not stored, oldest
    failure first; read once for a whole pass.

    A feed that answers 304 Not Modified lists nothing, so without this a page that timed out once would never
    be fetched again. Which reasons pass is `newsmon.retry.when_to_retry`'s decision, the fetcher's too.
    """
    reasons, statuses = retried_next_pass()
    rows = warehouse.rows(
        f"""
        SELECT source, url FROM fetches
        WHERE fetched_at >= $1 AND reason IS NOT NULL
          AND (reason IN (SELECT unnest({VARCHAR_LIST.replace("?", "$3")}))
               OR (reason = 'http_status' AND status IN (SELECT unnest(from_json($4, '["INTEGER"]')))))
          AND url NOT IN (SELECT url FROM article_urls)
          AND url NOT IN (SELECT url FROM source_state)
        GROUP BY source, url HAVING count(*) < $2
        ORDER BY source, min(fetched_at), url
        """,
        [since.astimezone(UTC).replace(tzinfo=None), max_attempts, as_json_list(reasons), json.dumps(statuses)],
    )
    found: dict[str, list[str]] = {}
    for name, url in rows:
        found.setdefault(str(name), []).append(str(url))
    return found
