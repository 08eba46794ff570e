"""What the tags mean is written in the repository (docs/labels.md), and every page relying on it links there."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newsmon.records import TAGS
from tests.conftest import EXPECTED

ROOT = Path(__file__).resolve().parent.parent
LABELS_MD = ROOT / "docs" / "labels.md"
MARKDOWN = sorted(
    [ROOT / "README.md", *ROOT.glob("docs/*.md"), ROOT / "warehouse" / "SCHEMA.md", ROOT / "eval" / "README.md"]
)
RULE_FILES = sorted(ROOT.glob("classifiers/rules/*.toml"))
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _sections() -> dict[str, str]:
    text = LABELS_MD.read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in re.finditer(r"^## (\w+)\n(.*?)(?=^## |\Z)", text, re.M | re.S)}


@pytest.mark.parametrize("tag", TAGS)
def test_each_tag_says_what_it_is_and_what_it_is_not(tag: str) -> None:
    section = _sections().get(tag)
    assert section, f"docs/labels.md has no '## {tag}' section"
    assert "**What it is.**" in section and "**What it is not.**" in section


def test_the_examples_table_agrees_with_the_sample_sites_expected_tags() -> None:
    expected = {facts["title"]: set(facts["tags"]) for facts in EXPECTED["articles"].values()}
    rows = re.findall(r"^\| (.+?) \| (yes|no) \| (yes|no) \| (yes|no) \|$", _sections()["Examples"], re.M)
    assert len(rows) >= 5
    for title, *marks in rows:
        assert title in expected, f"{title!r} is not a sample-site article"
        assert {tag for tag, mark in zip(TAGS, marks, strict=True) if mark == "yes"} == expected[title], title


def test_nothing_points_at_a_definitions_file_outside_the_repository() -> None:
    for path in [*MARKDOWN, *RULE_FILES]:
        text = path.read_text(encoding="utf-8")
        assert "LABELS.md" not in text and "shared/LABELS" not in text, f"{path.relative_to(ROOT)} names LABELS.md"


@pytest.mark.parametrize("relative", ["README.md", "warehouse/SCHEMA.md", "eval/README.md", "docs/classifier-rules.md"])
def test_the_pages_that_use_the_tags_link_to_their_definitions(relative: str) -> None:
    page = ROOT / relative
    targets = {(page.parent / link).resolve() for link in LINK.findall(page.read_text(encoding="utf-8"))}
    assert LABELS_MD.resolve() in targets, f"{relative} does not link to docs/labels.md"


def test_rule_files_name_the_definitions_page() -> None:
    for path in RULE_FILES:
        assert "docs/labels.md" in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("page", MARKDOWN, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_in_the_docs_leads_to_a_file(page: Path) -> None:
    for link in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z]+:|#", link):
            continue
        target = (page.parent / link.split("#", 1)[0]).resolve()
        assert target.exists(), f"{page.relative_to(ROOT)} links to {link}, which does not exist"
