"""Places: the governorates an article is substantially about, from towns, camps and sites in English and Arabic,
and not from datelines, names inside other names, origins or lists."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsmon.errors import ConfigError
from places import find_places, load_gazetteer
from tests.conftest import run_newsmon

GAZETTEER = load_gazetteer()


def places_of(title: str, text: str) -> list[str]:
    return [found.place for found in find_places(GAZETTEER, title, text)]


def test_towns_camps_and_sites_count_for_their_governorate_in_english_and_arabic() -> None:
    assert places_of("Car bomb kills six in Tal Afar market", "The blast hit Tal Afar's vegetable market.") == ["IQ-NI"]
    assert places_of("انفجار في سوق تلعفر", "قتل ستة أشخاص بانفجار سيارة مفخخة في سوق قضاء تلعفر.") == ["IQ-NI"]
    assert places_of("Fire in al-Hol camp", "A fire tore through tents in al-Hol camp, killing two children.") == [
        "SY-HA"
    ]
    assert places_of("عائلات تعود إلى الباغوز", "عادت عشرات العائلات إلى بلدة الباغوز في ريف دير الزور.") == ["SY-DY"]


def test_a_national_story_datelined_in_the_capital_has_no_place() -> None:
    text = ("BAGHDAD — The Ministry of Migration announced a nationwide grant for returning families. "
            "The minister told a news conference in Baghdad that 4,000 families had applied.")  # fmt: skip
    assert places_of("Iraq announces nationwide grant", text) == []


def test_a_name_inside_another_name_is_not_a_place() -> None:
    text = "Officials from the Basra Gas Company met the minister in Baghdad to agree on a winter supply plan."
    assert "IQ-BA" not in places_of("Gas firm agrees winter plan", text)
    text = "A refugee opened a restaurant called Homs in Erbil. He now employs eleven people in Erbil."
    assert places_of("Refugee opens restaurant in Erbil", text) == ["IQ-AR"]


def test_the_camp_families_left_and_a_list_of_provinces_are_passing_mentions() -> None:
    text = ("A convoy carrying 150 families reached the Jadaa camp south of Mosul after leaving al-Hol. "
            "The families came from Anbar, Salahuddin, Kirkuk and Diyala.")  # fmt: skip
    assert places_of("Families reach Jadaa camp from al-Hol", text) == ["IQ-NI"]


def test_an_arabic_common_word_that_is_also_a_town_needs_a_place_word() -> None:
    assert places_of("الوضع القائم", "قال الوزير إن الوضع القائم لن يستمر طويلا، وإن الحوار القائم مستمر.") == []
    assert places_of("وثيقة صلح في القائم", "وقع شيوخ عشائر قضاء القائم وثيقة صلح.") == ["IQ-AN"]


def test_an_analyst_file_adds_places(tmp_path: Path) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text(
        '[[place]]\nid = "zorava"\nplace = "IQ-NI"\nnames = ["Qubbat Nahrain", "قبة النهرين"]\n', encoding="utf-8"
    )
    gazetteer = load_gazetteer(extra)
    assert [
        f.place
        for f in find_places(gazetteer, "Clinic opens in Qubbat Nahrain", "The clinic in Qubbat Nahrain opened.")
    ] == ["IQ-NI"]
    assert places_of("Clinic opens in Qubbat Nahrain", "The clinic in Qubbat Nahrain opened.") == []


def test_a_bad_analyst_file_is_refused_with_file_and_entry(tmp_path: Path) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text('[[place]]\nplace = "IQ-XX"\nnames = ["Nowhere"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"more.toml: \[\[place\]\] number 1: place = 'IQ-XX'"):
        load_gazetteer(extra)


def test_classify_output_carries_places() -> None:
    line = json.dumps(
        {"id": "a1", "title": "Three soldiers killed near Sinjar", "text": "A bomb hit a patrol near Sinjar."}
    )
    result = run_newsmon("classify", input=line + "\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["places"] == ["IQ-NI"]


@pytest.mark.parametrize("name", ["dev", "test", "holdout2"])
def test_places_reach_the_target_on_the_labelled_events(name: str) -> None:
    from stories.report import evaluate_events, read_events

    path = Path(__file__).resolve().parents[2] / "eval" / "events" / f"{name}.jsonl"
    report = evaluate_events(GAZETTEER, read_events(path))
    assert report.places.f1 >= 0.85
    assert report.places.f1 > report.places_baseline.f1


def test_everyday_words_and_foreign_names_that_a_village_shares_are_not_places() -> None:
    assert (
        places_of("زيارة رسمية", "وصل الوزير إلى بيروت في زيارة رسمية تستمر يومين، ووصف المحادثات بأنها سلمية.") == []
    )
    assert (
        places_of("King Salman receives envoy in Riyadh", "King Salman received the envoy in Riyadh on Monday.") == []
    )
    assert places_of("لبنان يستقبل وفدا", "وصل وفد إلى لبنان بعد زيارة إلى الرياض.") == []


def test_an_analyst_file_can_rule_a_spelling_out(tmp_path: Path) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text('not_places = ["Sinjar"]\n', encoding="utf-8")
    assert [f.place for f in find_places(load_gazetteer(extra), "Sinjar", "Sinjar, Sinjar.")] == []
