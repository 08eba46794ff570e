"""Tag articles isis / returns / reconciliation with transparent per-language rules (classifiers/rules/*.toml).

Pure: no I/O at classify time, no clock. Load once with `load_classifier`, then call `classify` per article.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from classifiers.classifier import Classifier, SupportsClassify, detect_language, load_classifier
from classifiers.jsonl import classify_jsonl, parse_article_line
from classifiers.rules import RuleSet, load_rules

if TYPE_CHECKING:
    from classifiers.evaluation import ErrorCase, EvalReport, SliceScores, TagCounts, evaluate, format_report
    from classifiers.keyword_alert import QUERIES, KeywordAlert

# Scoring against labels, and the keyword alert it compares with, are imported when first asked for, so that
# `newsmon classify` starts without them.
_LATER = {name: "classifiers.evaluation"
          for name in ("ErrorCase", "EvalReport", "SliceScores", "TagCounts", "evaluate", "format_report")}
_LATER |= {"QUERIES": "classifiers.keyword_alert", "KeywordAlert": "classifiers.keyword_alert"}


def __getattr__(name: str) -> Any:
    if name in _LATER:
        return getattr(importlib.import_module(_LATER[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "QUERIES",
    "Classifier",
    "ErrorCase",
    "EvalReport",
    "KeywordAlert",
    "RuleSet",
    "SliceScores",
    "SupportsClassify",
    "TagCounts",
    "classify_jsonl",
    "detect_language",
    "evaluate",
    "format_report",
    "load_classifier",
    "load_rules",
    "parse_article_line",
]
