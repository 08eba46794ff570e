"""Tag articles isis / returns / reconciliation with transparent per-language rules (classifiers/rules/*.toml).

Pure: no I/O at classify time, no clock. Load once with `load_classifier`, then call `classify` per article.
"""

from classifiers.classifier import Classifier, SupportsClassify, detect_language, load_classifier
from classifiers.evaluation import ErrorCase, EvalReport, SliceScores, TagCounts, evaluate, format_report
from classifiers.jsonl import classify_jsonl, parse_article_line
from classifiers.keyword_alert import QUERIES, KeywordAlert
from classifiers.rules import RuleSet, load_rules

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
