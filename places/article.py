"""Places as the pipeline stores them: one ArticlePlace per governorate, with its evidence."""

from __future__ import annotations

from newsmon.records import ArticlePlace
from places.finder import find_places
from places.gazetteer import Gazetteer


def article_places(gazetteer: Gazetteer, title: str, text: str) -> tuple[ArticlePlace, ...]:
    return tuple(ArticlePlace(f.place, f.evidence) for f in find_places(gazetteer, title, text))
