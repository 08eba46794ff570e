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


def _rule_words(lang: str) -> list[str]:
    """Words of the rule phrases as an article may write them: bare, capitalised, with clitics, with endings."""
    bare = sorted({word.strip("*^") for tag in RULES.languages[lang].tags.values()
                   for phrase in (*tag.terms, *tag.support, *tag.ambiguous, *tag.negative, *tag.cues)
                   for word in phrase.text.split()})
    if lang == "ar":
        return bare + [clitic + word for word in bare[::3] for clitic in ("و", "ال", "وبال", "لل", "ف")]
    return bare + [word.capitalize() for word in bare[::2]] + [word.upper() for word in bare[::5]] + [
        word + "ed" for word in bare[::4]]


@pytest.mark.parametrize("lang", ["en", "ar"])
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_new_words_read_together_get_the_forms_and_phrase_starts_each_gets_alone(lang: str,
                                                                                data: st.DataObject) -> None:
    any_word = st.sampled_from(_rule_words(lang)) | st.text("ابتدرسعونيلهةأى", min_size=1, max_size=8)
    words = data.draw(st.lists(any_word, max_size=40, unique=True))
    together, alone = Matcher(RULES.languages[lang]), Matcher(RULES.languages[lang])
    together._read_all(words)
    assert together._forms == {word: alone._forms_of(word) for word in words}
    # a word starts a phrase when any of its keys opens one: what `_lookup` finds, word by word
    assert together._starters == {word for word in words if alone._lookup(word)[1]}
