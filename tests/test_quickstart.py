"""docs/quickstart.md after `make demo`: the sample site is recent, so trends show this month, and the first digest
is the reader's to preview and send; slips on the way (a typo in --config, --html alone) get one clear line."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from newsmon.sample_server import SAMPLE_SITE, SampleSite, sample_date_shift, shift_dates
from tests.conftest import EXPECTED, run_newsmon, write_config

TEXT_FILES = sorted(p for p in SAMPLE_SITE.rglob("*") if p.suffix in {".html", ".xml", ".rss", ".atom", ".json"})


def test_every_form_of_date_in_the_site_moves_by_the_same_whole_weeks() -> None:
    five_weeks = timedelta(weeks=5)
    assert shift_dates('datetime="2026-10-27T11:00:00+03:00"', five_weeks) == 'datetime="2026-12-01T11:00:00+03:00"'
    assert shift_dates("<lastmod>2026-10-02</lastmod>", five_weeks) == "<lastmod>2026-11-06</lastmod>"
    assert shift_dates("Fri, 20 Nov 2026 09:00:00 +0300", five_weeks) == "Fri, 25 Dec 2026 09:00:00 +0300"
    assert shift_dates("8 September 2026, 07:40", five_weeks) == "13 October 2026, 07:40"
    assert shift_dates("5 Nov 2026", five_weeks) == "10 Dec 2026"
    assert shift_dates("27 تشرين الأول 2026", five_weeks) == "1 كانون الأول 2026"
    assert shift_dates("١٤ تشرين الأول ٢٠٢٦", five_weeks) == "١٨ تشرين الثاني ٢٠٢٦"
    untouched = "(c) 2019 · the 2026 budget · /archive/2026/10/ · tag:tigrisobserver.example,2026:ar"
    assert shift_dates(untouched, five_weeks) == untouched


def test_the_shift_puts_the_newest_story_in_the_week_before_today_and_never_after_it() -> None:
    for today in (date(2026, 11, 21), date(2026, 12, 4), date(2027, 6, 30), date(2031, 2, 28)):
        newest = date(2026, 11, 20) + sample_date_shift(today)  # the site's feeds were built on 20 Nov 2026
        assert today - timedelta(days=7) <= newest < today, today
        assert sample_date_shift(today).days % 7 == 0


def test_the_served_site_is_dated_in_the_last_weeks_and_expected_json_agrees() -> None:
    today = date.today()
    with SampleSite() as site:
        served = "\n".join(site.render("/" + str(p.relative_to(SAMPLE_SITE))).decode() for p in TEXT_FILES)
    iso_dates = [date.fromisoformat(d) for d in re.findall(r"(?<!\d)20\d\d-\d\d-\d\d(?!\d)", served)]
    assert max(iso_dates) == date(2026, 11, 20) + sample_date_shift()
    assert today - timedelta(days=8) <= max(iso_dates) < today  # a day's slack: the session may cross midnight
    for stamp in re.findall(r"<pubDate>([^<]+)</pubDate>", served):
        parsedate_to_datetime(stamp)  # the weekday still matches the date, or this raises
    published = [date.fromisoformat(facts["published"]) for facts in EXPECTED["articles"].values()]
    assert set(published) <= set(iso_dates)
    assert max(published) >= today - timedelta(weeks=4), "the quickstart's `trends --weeks 4` would be empty"


@pytest.mark.usefixtures("prefect_harness")
def test_after_the_demo_trends_show_recent_weeks_and_the_first_digest_is_yet_to_send(tmp_path: Path) -> None:
    demo = run_newsmon("demo", "--dir", tmp_path / "demo")
    assert demo.exit_code == 0, demo.output
    assert "Subject: newsmon digest" in demo.stdout
    config = tmp_path / "demo" / "newsmon.toml"
    outbox = tmp_path / "demo" / "data" / "outbox"
    assert not outbox.exists() or not any(outbox.iterdir()), "the demo previews the digest; it sends nothing"

    trends = run_newsmon("trends", "--config", config, "--weeks", "4", "--json")
    assert sum(json.loads(line)["articles"] for line in trends.stdout.splitlines()) > 0

    preview = run_newsmon("digest", "--config", config, "--dry-run")
    assert preview.exit_code == 0 and "Subject: newsmon digest" in preview.stdout
    sent = run_newsmon("digest", "--config", config)
    assert sent.stdout.startswith("digest sent: ") and len(list(outbox.glob("*.eml"))) == 1
    again = run_newsmon("digest", "--config", config)
    assert again.stdout.startswith("digest: nothing tagged since the previous digest")


def test_a_digest_preview_on_a_fresh_config_creates_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    result = run_newsmon("digest", "--config", config, "--dry-run")
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "no warehouse here yet. Run `newsmon run` first." in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newsmon.toml"]


def test_html_without_dry_run_is_a_usage_error_that_sends_nothing(tmp_path: Path) -> None:
    config = write_config(tmp_path, [])
    result = run_newsmon("digest", "--config", config, "--html")
    assert result.exit_code == 2
    assert result.stderr == "Error: --html only changes what --dry-run prints; add --dry-run to preview the HTML.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["newsmon.toml"]
