"""Rule files: an analyst's edit changes the version, a custom rules_dir is used, mistakes name file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from classifiers import load_classifier
from classifiers.rules import SHIPPED_RULES_DIR
from newsmon.config import ClassifierConfig
from newsmon.errors import ConfigError
from newsmon.records import ClassifierInput


def copy_rules(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    shutil.copytree(SHIPPED_RULES_DIR, folder)
    return folder


def test_version_names_the_rules_and_changes_when_a_rule_changes(tmp_path: Path) -> None:
    shipped = load_classifier()
    assert shipped.version.startswith("rules-") and "+" in shipped.version
    folder = copy_rules(tmp_path)
    assert load_classifier(ClassifierConfig(rules_dir=folder)).version == shipped.version
    en = folder / "en.toml"
    en.write_text(en.read_text(encoding="utf-8").replace('"daesh" = 1.0', '"daesh" = 0.9'), encoding="utf-8")
    assert load_classifier(ClassifierConfig(rules_dir=folder)).version != shipped.version


def test_a_term_added_in_rules_dir_takes_effect(tmp_path: Path) -> None:
    folder = copy_rules(tmp_path)
    en = folder / "en.toml"
    en.write_text(en.read_text(encoding="utf-8").replace("[isis.terms]\n", '[isis.terms]\n"zorblax" = 1.0\n'),
                  encoding="utf-8")
    doc = ClassifierInput(id="z", title="Zorblax banners seen in the market",
                          text="Zorblax banners appeared on a wall. Zorblax slogans were painted over.")
    assert "isis" not in load_classifier().classify(doc).labels
    assert "isis" in load_classifier(ClassifierConfig(rules_dir=folder)).classify(doc).labels


@pytest.mark.parametrize("content, message", [
    pytest.param("[isis\n", "not valid TOML", id="bad-toml"),
    pytest.param("[isiss]\n", "[isiss] is not a tag", id="unknown-tag"),
    pytest.param('[isis.terms]\n"daesh" = "high"\n', '[isis].terms "daesh" = \'high\'', id="weight-not-number"),
    pytest.param("[isis]\nbias = true\n", "bias = True: expected a number", id="bias-not-number"),
    pytest.param("[returns]\nwords = 1\n", "unknown key 'words'", id="unknown-key"),
    pytest.param('[[returns.pairs]]\nany = ["return*"]\n', "needs exactly", id="pair-without-with"),
    pytest.param('[returns.terms]\n"re*turn" = 1.0\n', "* may only end a word", id="star-inside-word"),
    pytest.param("[isis]\nlong_article = 0\n", "long_article = 0.0", id="long-article-not-positive"),
    pytest.param("[isis]\nlength_penalty = \"big\"\n", "length_penalty = 'big'", id="length-penalty-not-number"),
])
def test_rule_file_mistakes_name_file_and_key(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "en.toml").write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_classifier(ClassifierConfig(rules_dir=tmp_path))
    assert str(tmp_path / "en.toml") in str(caught.value)
    assert message in str(caught.value)


def test_empty_rules_dir_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no rule files"):
        load_classifier(ClassifierConfig(rules_dir=tmp_path))
