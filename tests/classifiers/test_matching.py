"""The rule matcher: where an article's sentences break, and which rule phrases it finds in them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers import load_classifier, matching
from classifiers.matching import Matcher, split_units

# The rule as it reads: a run of white space after . ! ? ؟ ends a sentence, and so does a line break.
PLAIN_SENTENCE_BREAK = re.compile(r"(?<=[.!?؟])\s+|\s*\n+\s*")
RULES = load_classifier(learned=False).rules


@given(st.text(alphabet="abب \n\r\t\u00a0\u2029\x85.!?؟,", max_size=40))
@settings(max_examples=500, deadline=None)
def test_sentences_break_where_the_plain_rule_breaks_them(text: str) -> None:
    assert split_units("Title", text) == ["Title", *(s for s in PLAIN_SENTENCE_BREAK.split(text) if s.strip())]


ARTICLES = [
    ("Displaced families return to Sinjar", "Hundreds of displaced families returned to Sinjar on Monday. Tax "
     "returns were filed.\nThe Islamic State group once held the town. Local reconciliation committees met."),
    ("عودة النازحين إلى سنجار", "عادت مئات العائلات النازحة إلى سنجار. وقال مسؤولون إن تنظيم الدولة الإسلامية كان "
     "يسيطر على المدينة.\nواجتمعت لجان المصالحة المجتمعية."),
]


@pytest.mark.parametrize("lang, title, text", [("en", *ARTICLES[0]), ("ar", *ARTICLES[1])])
def test_a_full_word_cache_is_emptied_between_articles_without_losing_a_match(
    monkeypatch: pytest.MonkeyPatch, lang: str, title: str, text: str
) -> None:
    roomy = Matcher(RULES.languages[lang]).match(title, text)
    assert roomy.matches  # the article has phrases to find
    monkeypatch.setattr(matching, "_MAX_CACHED_WORDS", 3)
    cramped = Matcher(RULES.languages[lang])
    for _ in range(3):  # the cache overflows within the first article, and is emptied before the next ones
        assert cramped.match(title, text) == roomy
