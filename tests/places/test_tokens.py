"""An article's sentences and words as places reads them: each word with its folded forms and exactly where it
stands."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from places import text as place_text
from places.finder import _SENTENCE_END
from places.text import LATIN_ARTICLES, arabic_core, fold_latin, placed_tokens, tokens, unplaced_tokens, words

# What a word is, as places/text.py defines it: a run of Arabic letters and marks, or Latin letters joined by
# apostrophes ("Qa'im"); digits and underscores are not letters.
WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u064b-\u065f\u0670\u0640]+|[^\W\d_]+(?:['’‘ʿʾ`][^\W\d_]+)*")


@given(st.text(alphabet="aAlQ'’ʿ-_2 .,\nالموصلبسنجار\u064e\u0640éﻻ٣", max_size=40))
@settings(max_examples=500, deadline=None)
def test_every_word_is_found_where_it_stands_and_only_transliterated_articles_are_dropped(text: str) -> None:
    spans = [m.span() for m in WORD.finditer(text)]
    found = [(token.start, token.end) for token in tokens(text)]
    assert found == [(start, end) for start, end in spans if fold_latin(text[start:end]) not in LATIN_ARTICLES]


@given(st.tuples(st.sampled_from("المصبسنجرأإآئؤکی"),
                 st.text(alphabet="الموصلبسنجار\u064e\u0650\u0640أإآةىئؤکی", max_size=11)).map("".join))
@settings(max_examples=300, deadline=None)
def test_an_arabic_word_reads_as_the_gazetteer_files_a_name(word: str) -> None:
    # marks dropped, letter variants folded, the article taken off: the key a gazetteer name is filed under
    # (a word opening with a mark is another matter: see test_marks_only_words.py)
    assert [token.forms[0] for token in tokens(word)] == [arabic_core(word)]


# Where places ends a sentence, as it reads: a run of . ! ? ؟ ؛ or line breaks followed by white space, or a line
# break alone.
PLAIN_SENTENCE_END = re.compile(r"([.!?؟؛\n]+\s+|\n)")


@given(st.text(alphabet="ab ب\n\r\t\u00a0\u2029\x85.!?؟؛,", max_size=40))
@settings(max_examples=500, deadline=None)
def test_sentences_end_where_the_plain_rule_ends_them(text: str) -> None:
    assert _SENTENCE_END.split(text) == PLAIN_SENTENCE_END.split(text)


@given(st.text(alphabet="aAlQ'’ʿ-_2 .,\nالموصلبسنجار\u064e\u0640éﻻ٣", max_size=40))
@settings(max_examples=300, deadline=None)
def test_a_sentence_read_without_positions_has_the_tokens_it_has_with_them(text: str) -> None:
    written = words(text)
    unplaced = unplaced_tokens(written)
    assert [(t.forms, t.capitalised) for t in unplaced] == [(t.forms, t.capitalised) for t in tokens(text)]
    assert placed_tokens(text, written) == tokens(text)


@given(st.lists(st.text(alphabet="aAlQ'’éالموصلبسنجارأإآةىئؤکی\u064e\u0640", min_size=1, max_size=9), max_size=30))
@settings(max_examples=300, deadline=None)
def test_words_folded_together_fold_as_each_does_alone(found: list[str]) -> None:
    place_text._forms_cache.clear()
    unplaced_tokens(found)  # all at once
    together = dict(place_text._forms_cache)
    place_text._forms_cache.clear()
    for word in found:
        unplaced_tokens([word])
    assert together == place_text._forms_cache
