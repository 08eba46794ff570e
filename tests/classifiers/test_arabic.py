"""Arabic normalisation and clitic stripping, which let one rule word match its written forms."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from classifiers.arabic import arabic_forms, arabic_share, normalise_arabic


@pytest.mark.parametrize("written, normalised", [
    pytest.param("أإآا", "اااا", id="alef-variants"),
    pytest.param("مستشفى", "مستشفي", id="alef-maqsura"),
    pytest.param("المصالحة", "المصالحه", id="ta-marbuta"),
    pytest.param("المُصَالَحَة", "المصالحه", id="tashkeel"),
    pytest.param("داعـــش", "داعش", id="tatweel"),
])
def test_spelling_variants_fold_to_one_form(written: str, normalised: str) -> None:
    assert normalise_arabic(written) == normalised


@pytest.mark.parametrize("token, stem", [
    pytest.param("والنازحين", "نازحين", id="wa-al"),
    pytest.param("بالمخيم", "مخيم", id="bi-al"),
    pytest.param("للنازحين", "نازحين", id="lil"),
    pytest.param("وللنازحين", "نازحين", id="wa-lil"),
    pytest.param("فالمصالحه", "مصالحه", id="fa-al"),
    pytest.param("كالعاده", "عاده", id="ka-al"),
])
def test_proclitics_are_stripped(token: str, stem: str) -> None:
    assert stem in arabic_forms(token)


def test_short_words_are_not_cut_into_accidental_stems() -> None:
    assert arabic_forms("وعد") == ("وعد",)


def test_script_share_tells_arabic_from_english() -> None:
    assert arabic_share("عاد النازحون إلى الموصل مع ISIS") > 0.5
    assert arabic_share("Families returned to Mosul") == 0.0


def test_script_share_of_plain_ascii_is_nil() -> None:
    assert arabic_share("Families returned to Mosul (ISIS), 2019.\n") == 0.0
    assert arabic_share("") == 0.0


@given(st.text(alphabet=st.characters(min_codepoint=0x05F0, max_codepoint=0x0700) | st.sampled_from("ab .")))
@settings(max_examples=300, deadline=None)
def test_normalising_drops_marks_and_tatweel_then_folds_letter_variants(text: str) -> None:
    marks = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
    assert normalise_arabic(text) == marks.sub("", text).translate(str.maketrans("أإآٱىةؤئ", "اااايهوي"))


def stacked_proclitics(token: str) -> tuple[str, ...]:
    """The rule as first written: strip a conjunction, then a preposition from each form, then an article."""
    if token[:1] not in "وفبلكا":
        return (token,)
    stems = [token]
    if token[:1] in "وف" and len(token) - 1 >= 3:
        stems.append(token[1:])
    stems += [s[1:] for s in stems if s[:1] in "بلك" and len(s) - 1 >= 3]
    for stem in list(stems):
        if stem.startswith(("ال", "لل")) and len(stem) - 2 >= 3:
            stems.append(stem[2:])
    return tuple(dict.fromkeys(stems))


@given(st.text(alphabet="وفبلكاانيx", max_size=9))
@settings(max_examples=1000, deadline=None)
def test_proclitics_come_off_as_the_rule_says_in_every_combination(token: str) -> None:
    assert arabic_forms(token) == stacked_proclitics(token)
