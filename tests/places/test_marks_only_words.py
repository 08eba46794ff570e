"""Real Arabic news has stray runs of marks (tashkeel, tatweel) with no letter: they are not words, not crashes."""

from __future__ import annotations

from places.text import tokens


def test_a_run_of_marks_without_letters_is_read_without_error() -> None:
    found = tokens("زار الوزير سنجار \u0640\u064e ثم عاد")
    assert any("سنجار" in token.forms for token in found)
