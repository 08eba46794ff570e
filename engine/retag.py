"""Re-scoring the archive: every stored article through the current classifier and gazetteer, stories rebuilt."""

from __future__ import annotations

from dataclasses import dataclass

import warehouse as wh
from classifiers import load_classifier
from newsmon.config import Config
from newsmon.passlock import pass_lock
from newsmon.records import Classification, ClassifierInput
from places import article_places, load_gazetteer
from stories import StoryAssigner
from stories.storing import assign_pending_stories


@dataclass(frozen=True, slots=True)
class RetagOutcome:
    articles: int  # re-scored
    labels_changed: int  # articles whose set of labels differs from before
    classifier_version: str
    stories: int | None  # stories after the rebuild; None for a dry run


def retag(config: Config, *, dry_run: bool = False) -> RetagOutcome:
    """New tags replace the old (every version's scores are kept), places are found again, and stories are
    rebuilt oldest article first. Under the pass lock, so no pass writes meanwhile; a dry run writes nothing."""
    classifier = load_classifier(config.classifier)
    gazetteer = load_gazetteer(config.places.extra_names)
    changed = total = 0
    with pass_lock(config.warehouse.path), wh.open_warehouse(config.warehouse) as warehouse:
        current = wh.current_labels(warehouse)
        for batch in wh.iter_articles_for_retag(warehouse):
            classifications: list[Classification] = []
            places = {}
            for article_id, title, text, lang in batch:
                result = classifier.classify(ClassifierInput(article_id, title, text, lang))
                total += 1
                changed += set(result.labels) != current.get(article_id, set())
                classifications.append(result)
                places[article_id] = article_places(gazetteer, title, text)
            if not dry_run:
                wh.replace_tags(warehouse, classifications)
                wh.replace_places(warehouse, places)
        if dry_run:
            return RetagOutcome(total, changed, classifier.version, None)
        wh.clear_story_ids(warehouse)
        assign_pending_stories(warehouse, gazetteer, StoryAssigner())
        stories = wh.story_count(warehouse)
    return RetagOutcome(total, changed, classifier.version, stories)
