"""Reads and writes for stories and places: articles awaiting a story, the open stories near them, the results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from newsmon.records import ArticlePlace
from warehouse.connect import VARCHAR_LIST, Warehouse, as_json_list, insert_rows, retry_conflicts

LEAD_CHARS = 600  # stories compare titles and leads: the rest of the text never leaves the warehouse for them
PLACE_COLUMNS = {"article_id": "VARCHAR", "place": "VARCHAR", "evidence": "VARCHAR[]"}


@dataclass(frozen=True, slots=True)
class StoryArticle:
    """What story assignment reads of one stored article."""

    article_id: str
    story_id: str | None
    source: str
    lang: str | None
    title: str
    lead: str  # the first LEAD_CHARS characters of the text
    published_at: datetime
    places: tuple[ArticlePlace, ...]


_COLUMNS = f"""
    a.article_id, a.story_id, a.source, a.lang, a.title, left(a.text, {LEAD_CHARS}), a.published_at,
    coalesce((SELECT list({{'place': p.place, 'evidence': p.evidence}} ORDER BY p.place)
              FROM article_places p WHERE p.article_id = a.article_id), [])
"""


def _story_article(row: tuple[Any, ...]) -> StoryArticle:
    places = tuple(ArticlePlace(str(p["place"]), tuple(p["evidence"] or ())) for p in row[7])
    return StoryArticle(str(row[0]), row[1], str(row[2]), row[3], str(row[4]), str(row[5]),
                        row[6].replace(tzinfo=UTC), places)  # fmt: skip


def articles_without_story(warehouse: Warehouse, limit: int = 5000) -> list[StoryArticle]:
    """Stored articles with no story yet, oldest first (publication time, then id: the same order every run)."""
    rows = warehouse.rows(
        f"SELECT {_COLUMNS} FROM articles a WHERE a.story_id IS NULL ORDER BY a.published_at, a.article_id LIMIT ?",
        [limit],
    )
    return [_story_article(row) for row in rows]


def articles_with_story_between(warehouse: Warehouse, since: datetime, until: datetime) -> list[StoryArticle]:
    """Articles already in a story, published in [since, until]: the stories a new report may join."""
    rows = warehouse.rows(
        f"SELECT {_COLUMNS} FROM articles a WHERE a.story_id IS NOT NULL AND a.published_at BETWEEN ? AND ? "
        "ORDER BY a.published_at, a.article_id",
        [since.astimezone(UTC).replace(tzinfo=None), until.astimezone(UTC).replace(tzinfo=None)],
    )
    return [_story_article(row) for row in rows]


@retry_conflicts
def set_story_ids(warehouse: Warehouse, story_ids: Mapping[str, str]) -> None:
    """Record each article's story, in one transaction."""
    if not story_ids:
        return
    with warehouse.transaction() as con:
        con.execute(
            f"UPDATE articles SET story_id = s.story_id FROM (SELECT unnest({VARCHAR_LIST.replace('?', '$1')}) AS "
            f"article_id, unnest({VARCHAR_LIST.replace('?', '$2')}) AS story_id) s "
            "WHERE articles.article_id = s.article_id",
            [as_json_list(story_ids.keys()), as_json_list(story_ids.values())],
        )


def clear_story_ids(warehouse: Warehouse) -> None:
    """Forget every story (`newsmon retag` assigns them all again, oldest article first)."""
    warehouse.execute("UPDATE articles SET story_id = NULL WHERE story_id IS NOT NULL")


def place_rows(article_id: str, places: Sequence[ArticlePlace]) -> list[tuple[str, str, list[str]]]:
    return [(article_id, p.place, list(p.evidence)) for p in places]


def write_places(con: Any, rows: Sequence[tuple[str, str, list[str]]]) -> None:
    insert_rows(con, "article_places", PLACE_COLUMNS, rows)


def replace_places(warehouse: Warehouse, places: Mapping[str, Sequence[ArticlePlace]]) -> None:
    """Make these the places of these articles (re-scoring), in one transaction."""
    with warehouse.transaction() as con:
        con.execute(
            f"DELETE FROM article_places WHERE article_id IN (SELECT unnest({VARCHAR_LIST}))",
            [as_json_list(places.keys())],
        )
        write_places(con, [row for article_id, found in places.items() for row in place_rows(article_id, found)])


def story_count(warehouse: Warehouse) -> int:
    """Distinct stories among stored articles (an article without one counts as its own)."""
    return int(warehouse.rows("SELECT count(DISTINCT coalesce(story_id, article_id)) FROM articles")[0][0])
