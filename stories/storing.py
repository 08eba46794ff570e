"""Stories for stored articles: those without one are read oldest first and each joins or starts a story.

Used by the pass once its sources are done (before it exits) and by `newsmon retag`. Articles a crash left
without a story, or stored before stories existed, are picked up by the next run: the work list is "no story
yet".
"""

from __future__ import annotations

from collections.abc import Mapping

import warehouse as wh
from places import Gazetteer
from stories.assign import WINDOW, StoryAssigner
from stories.signals import Signals, read_signals

BATCH = 2000


def signals_of(gazetteer: Gazetteer, article: wh.StoryArticle) -> Signals:
    return read_signals(gazetteer, article.article_id, article.source, article.lang, article.published_at,
                        article.title, article.lead, article.places)  # fmt: skip


def assign_pending_stories(
    warehouse: wh.Warehouse, gazetteer: Gazetteer, assigner: StoryAssigner, read: Mapping[str, Signals] | None = None
) -> int:
    """Give every stored article without a story its story; returns how many were assigned.

    `read` holds signals already read from articles of this pass (by the extraction workers, in parallel), by
    article id; the others are read here from what the warehouse gives back, with the same result.
    """
    read = read or {}
    assigned = 0
    while True:
        pending = wh.articles_without_story(warehouse, BATCH)
        if not pending:
            return assigned
        since = pending[0].published_at - WINDOW
        until = pending[-1].published_at + WINDOW
        for known in wh.articles_with_story_between(warehouse, since, until):
            if known.story_id is not None:
                assigner.remember(known.story_id, signals_of(gazetteer, known))
        story_ids = assigner.assign(read.get(a.article_id) or signals_of(gazetteer, a) for a in pending)
        wh.set_story_ids(warehouse, story_ids)
        assigned += len(story_ids)
        if len(pending) < BATCH:
            return assigned
