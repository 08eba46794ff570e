"""The rules and model are read once and stored in the cache folder; a change to a rule file reads them anew."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from classifiers import load_classifier
from classifiers.rules import SHIPPED_RULES_DIR
from newsmon.config import ClassifierConfig
from newsmon.records import ClassifierInput

ARTICLE = ClassifierInput(id="a", title="Families go back to Sinjar",
                          text="Two hundred displaced families returned to their homes in Sinjar this week.")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NEWSMON_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    return Path(shutil.copytree(SHIPPED_RULES_DIR, tmp_path / "rules"))


def stored(cache: Path) -> list[Path]:
    return sorted(cache.glob("classifier-*.pickle"))


def test_a_later_process_reads_the_rules_and_model_the_first_one_stored(cache: Path) -> None:
    read = load_classifier()
    assert len(stored(cache)) == 1
    again = load_classifier()
    assert again.rules == read.rules and again.model == read.model and again.version == read.version
    assert again.classify(ARTICLE) == read.classify(ARTICLE)
    assert len(stored(cache)) == 1
    assert load_classifier(learned=False).model is None
    assert len(stored(cache)) == 2  # the rules alone are stored apart


def test_changing_a_rule_file_reads_the_rules_anew(cache: Path, rules_dir: Path) -> None:
    config = ClassifierConfig(rules_dir=rules_dir)
    before = load_classifier(config)
    en = rules_dir / "en.toml"
    # the first table is [isis]: its bias, raised
    en.write_text(re.sub(r"^bias = .*$", "bias = -1.0", en.read_text(encoding="utf-8"), count=1, flags=re.M),
                  encoding="utf-8")
    after = load_classifier(config)
    assert after.rules.digest != before.rules.digest
    assert after.rules.languages["en"].tags["isis"].bias == -1.0
    assert after.classify(ARTICLE).scores["isis"] > before.classify(ARTICLE).scores["isis"]
    assert len(stored(cache)) == 2  # one per version of the files: going back needs no reading


def test_a_damaged_stored_pickle_is_read_again_from_the_files(cache: Path) -> None:
    read = load_classifier()
    [path] = stored(cache)
    path.write_bytes(b"not a classifier")
    assert load_classifier().rules == read.rules
    assert path.read_bytes() != b"not a classifier"


@pytest.mark.usefixtures("unwritable_cache_folder")
def test_a_cache_folder_that_cannot_be_written_only_costs_the_reading() -> None:
    assert load_classifier().classify(ARTICLE).labels == ("returns",)
