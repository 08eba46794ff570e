"""`newsmon run` over the sample site, end to end through the CLI: what an analyst finds in DuckDB afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsmon.sample_server import SampleSite
from tests.conftest import EXPECTED, all_sample_sources, query, run_newsmon, source_entry, write_config

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture
def ingested(news_site: SampleSite, tmp_path: Path) -> Path:
    config = write_config(tmp_path, all_sample_sources(news_site))
    result = run_newsmon("run", "--config", config)
    assert result.exit_code == 0, result.output
    return config


def test_every_sample_article_is_stored_once(ingested: Path, news_site: SampleSite) -> None:
    rows = query(ingested, "SELECT url FROM articles ORDER BY url")
    paths = sorted(r["url"].removeprefix(news_site.base_url) for r in rows)
    assert paths == sorted(EXPECTED["articles"])


def test_extracted_fields_match_the_pages(ingested: Path, news_site: SampleSite) -> None:
    rows = {r["url"].removeprefix(news_site.base_url): r for r in query(ingested, "SELECT * FROM articles")}
    for path, facts in EXPECTED["articles"].items():
        row = rows[path]
        assert row["title"] == facts["title"], path
        assert row["author"] == facts["author"], path
        assert row["lang"] == facts["lang"], path
        assert row["published_at"].startswith(facts["published"]) or _within_a_day(
            row["published_at"], facts["published"]
        )
        assert row["word_count"] == len(row["text"].split())


def _within_a_day(stored: str, expected_date: str) -> bool:
    from datetime import date

    return abs((date.fromisoformat(stored[:10]) - date.fromisoformat(expected_date)).days) <= 1


def test_boilerplate_never_reaches_article_text(ingested: Path, news_site: SampleSite) -> None:
    rows = {
        r["url"].removeprefix(news_site.base_url): r["text"] for r in query(ingested, "SELECT url, text FROM articles")
    }
    for path, facts in EXPECTED["articles"].items():
        for sentence in facts["body_sentences"]:
            assert sentence in rows[path], f"{path}: body sentence missing: {sentence[:60]}"
        for chrome in facts["boilerplate"]:
            assert chrome not in rows[path], f"{path}: boilerplate extracted: {chrome[:60]}"


def test_tracking_parameters_and_amp_copies_do_not_duplicate(ingested: Path) -> None:
    rows = query(ingested, "SELECT url FROM articles WHERE url LIKE '%utm_%' OR url LIKE '%#%' OR url LIKE '%/amp/%'")
    assert rows == []
    known = query(ingested, "SELECT count(*) AS n FROM article_urls WHERE url LIKE '%/amp/%'")
    assert known[0]["n"] == 1, "the AMP URL is remembered as an alias of the canonical article"


def test_robots_disallowed_link_is_recorded_not_fetched(ingested: Path, news_site: SampleSite) -> None:
    assert not [r for r in news_site.requests if r.path.startswith("/private/")]
    rows = query(ingested, "SELECT error FROM fetches WHERE url LIKE '%/private/draft.html'")
    assert rows and rows[0]["error"].startswith("robots_disallowed")


def test_tags_follow_the_labels_on_the_sample_site(ingested: Path, news_site: SampleSite) -> None:
    rows = query(
        ingested,
        "SELECT a.url, list_sort(list(t.tag) FILTER (WHERE t.tag IS NOT NULL)) AS tags "
        "FROM articles a LEFT JOIN article_tags t USING (article_id) GROUP BY a.url",
    )
    got = {r["url"].removeprefix(news_site.base_url): r["tags"] or [] for r in rows}
    expected = {path: sorted(facts["tags"]) for path, facts in EXPECTED["articles"].items()}
    wrong = {path: (got[path], want) for path, want in expected.items() if got[path] != want}
    assert not wrong, f"(got, expected) per page: {wrong}"


def test_every_tag_row_has_score_evidence_and_version(ingested: Path) -> None:
    rows = query(ingested, "SELECT score, evidence, classifier_version FROM article_tags")
    assert rows
    for row in rows:
        assert 0 <= row["score"] <= 1
        assert row["evidence"], "a tag without evidence cannot be trusted"
        assert row["classifier_version"].startswith("rules-")


def test_a_story_listed_by_several_sources_is_fetched_once(ingested: Path, news_site: SampleSite) -> None:
    fetched = [r.path.split("?")[0] for r in news_site.requests if r.path.startswith("/articles/")]
    assert sorted(fetched) == sorted(set(fetched))
    # Listed by the world feed and the Iraq section page, among others:
    assert fetched.count("/articles/en/sinjar-convoy-families.html") == 1


def test_second_pass_refetches_nothing(ingested: Path, news_site: SampleSite) -> None:
    news_site.requests.clear()
    result = run_newsmon("run", "--config", ingested)
    assert result.exit_code == 0, result.output
    assert [r.path for r in news_site.requests if r.path.startswith("/articles/")] == []
    feed_requests = [r for r in news_site.requests if r.path.startswith("/feeds/")]
    assert feed_requests and all("if-none-match" in r.headers for r in feed_requests)
    assert query(ingested, "SELECT articles_new FROM runs ORDER BY run_id DESC LIMIT 1") == [{"articles_new": 0}]


def test_new_article_in_a_child_sitemap_is_found_though_the_index_is_unchanged(
    news_site: SampleSite, tmp_path: Path
) -> None:
    config = write_config(tmp_path, [source_entry("sitemap", news_site.url("/sitemap_index.xml"), kind="sitemap")])
    news = news_site.render("/sitemaps/news.xml") or b""
    kocho = b"/articles/en/kocho-site-exhumation.html"
    start = news.index(b"<url>", news.index(b"<urlset"))
    end = news.index(b"</url>", news.index(kocho)) + len(b"</url>")
    earlier_news = news[:start] + news[end:]  # the news sitemap before the Kocho story was published
    news_site.routes["/sitemaps/news.xml"] = lambda h: h.send_body(200, earlier_news, "application/xml")
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert query(config, "SELECT count(*) AS n FROM articles WHERE url LIKE '%kocho%'") == [{"n": 0}]

    news_site.routes["/sitemaps/news.xml"] = lambda h: h.send_body(200, news, "application/xml")
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert query(config, "SELECT count(*) AS n FROM articles WHERE url LIKE '%kocho%'") == [{"n": 1}]


def test_run_summary_lists_sources_and_tags(news_site: SampleSite, tmp_path: Path) -> None:
    config = write_config(tmp_path, [source_entry("arabic", news_site.url("/feeds/arabic.atom"), lang="ar")])
    result = run_newsmon("run", "--config", config)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.split()[:4] == ["arabic", "5", "5", "0"] for line in lines), result.stdout
    assert any(line.split()[:2] == ["isis", "2"] for line in lines), result.stdout


def test_dead_source_does_not_stop_the_others(news_site: SampleSite, tmp_path: Path) -> None:
    sources = [
        source_entry("gone", news_site.url("/feeds/removed.rss")),
        source_entry("arabic", news_site.url("/feeds/arabic.atom"), lang="ar"),
    ]
    config = write_config(tmp_path, sources)
    result = run_newsmon("run", "--config", config)
    assert result.exit_code == 0, "a pass with a failed source is still a completed pass"
    assert query(config, "SELECT count(*) AS n FROM articles") == [{"n": 5}]
    health = query(config, "SELECT source, consecutive_failures, last_error FROM source_state ORDER BY source")
    assert health[1]["source"] == "gone" and health[1]["consecutive_failures"] == 1
    assert "404" in health[1]["last_error"]


def test_unsafe_feed_links_are_refused_and_recorded(news_site: SampleSite, tmp_path: Path) -> None:
    port = news_site.base_url.rsplit(":", 1)[1]
    news_site.routes["/feeds/unsafe.rss"] = lambda handler: handler.send_body(
        200,
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>zero</title><link>http://0.0.0.0:{port}/articles/en/kocho-site-exhumation.html</link></item>
        <item><title>file</title><link>file:///etc/passwd</link></item>
        <item><title>ok</title><link>{news_site.url("/articles/en/ramadi-elders-gathering.html")}</link></item>
        </channel></rss>""".encode(),
        "application/rss+xml",
    )
    config = write_config(tmp_path, [source_entry("unsafe", news_site.url("/feeds/unsafe.rss"))])
    assert run_newsmon("run", "--config", config).exit_code == 0
    assert query(config, "SELECT count(*) AS n FROM articles") == [{"n": 1}]
    refused = query(config, "SELECT url, error FROM fetches WHERE error LIKE 'unsafe_url%'")
    urls = sorted(r["url"] for r in refused)
    assert urls[0].startswith("file:") and urls[1] == f"http://0.0.0.0:{port}/articles/en/kocho-site-exhumation.html"


def test_trends_prints_weekly_counts_per_tag(ingested: Path) -> None:
    result = run_newsmon("trends", "--config", ingested, "--weeks", "20", "--json")
    assert result.exit_code == 0
    import json

    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["tag"] for r in rows} == {"isis", "returns", "reconciliation"}
    assert len(rows) == 20 * 3
    total = query(ingested, "SELECT count(*) AS n FROM article_tags")[0]["n"]
    assert sum(r["articles"] for r in rows) == total


def test_sql_reads_the_analyst_copy_and_cannot_write(ingested: Path) -> None:
    result = run_newsmon("sql", "--config", ingested, "DELETE FROM articles")
    assert result.exit_code == 1
    assert "read-only" in result.stderr.lower()
    assert query(ingested, "SELECT count(*) AS n FROM articles")[0]["n"] == len(EXPECTED["articles"])


def test_tag_weekly_view_is_queryable(ingested: Path) -> None:
    rows = query(ingested, "SELECT week, tag, source, lang, articles FROM tag_weekly ORDER BY week")
    assert rows and all(r["articles"] >= 1 for r in rows)


def test_robots_txt_is_read_once_per_pass_for_all_sources_on_a_host(ingested: Path, news_site: SampleSite) -> None:
    assert [r.path for r in news_site.requests].count("/robots.txt") == 1


def test_sources_command_shows_health_per_source(news_site: SampleSite, tmp_path: Path) -> None:
    sources = [
        source_entry("gone", news_site.url("/feeds/removed.rss")),
        source_entry("arabic", news_site.url("/feeds/arabic.atom"), lang="ar"),
    ]
    config = write_config(tmp_path, sources)
    assert run_newsmon("run", "--config", config).exit_code == 0
    result = run_newsmon("sources", "--config", config, "--json")
    import json

    health = {row["source"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert health["arabic"]["consecutive_failures"] == 0 and health["arabic"]["articles"] == 5
    assert health["gone"]["consecutive_failures"] == 1 and "404" in health["gone"]["last_error"]


def test_retag_rescores_stored_articles_and_keeps_every_version(ingested: Path) -> None:
    before = query(ingested, "SELECT count(*) AS n FROM article_tags")[0]["n"]
    rules = ingested.parent / "rules"
    shipped = Path(__file__).resolve().parent.parent / "classifiers" / "rules"
    rules.mkdir()
    for name in ("en.toml", "ar.toml"):
        (rules / name).write_text((shipped / name).read_text(encoding="utf-8"), encoding="utf-8")
    (rules / "en.toml").write_text((rules / "en.toml").read_text(encoding="utf-8") + "\n# edited by an analyst\n")
    with ingested.open("a", encoding="utf-8") as config:
        config.write(f'\n[classifier]\nrules_dir = "{rules}"\n')

    result = run_newsmon("retag", "--config", ingested)
    assert result.exit_code == 0, result.output
    assert f"{len(EXPECTED['articles'])} articles re-scored" in result.stdout
    versions = query(ingested, "SELECT DISTINCT classifier_version AS v FROM article_tags")
    assert len(versions) == 1, "current tags all come from the new version"
    assert query(ingested, "SELECT count(*) AS n FROM article_tags")[0]["n"] == before, "same rules, same labels"
    all_versions = query(ingested, "SELECT count(DISTINCT classifier_version) AS n FROM tag_scores")
    assert all_versions[0]["n"] == 2, "scores of the previous version are kept for comparison"
    assert query(ingested, "SELECT count(*) AS n FROM articles WHERE story_id IS NULL")[0]["n"] == 0
    assert "places found again" in result.stdout, "places and stories are rebuilt with the tags"


def test_unresolvable_link_and_redirect_with_tracking_cost_nothing_else(news_site: SampleSite, tmp_path: Path) -> None:
    long_label = "a" * 70  # over DNS's 63-character limit: Python raises UnicodeError, not OSError, for it
    target = news_site.url("/articles/en/ramadi-elders-gathering.html?utm_source=redirect&utm_medium=x")
    news_site.routes["/go/ramadi"] = lambda h: (h.send_response(302), h.send_header("Location", target),
                                                h.send_header("Content-Length", "0"), h.end_headers())  # fmt: skip
    news_site.routes["/feeds/mixed.rss"] = lambda handler: handler.send_body(
        200,
        f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
        <item><title>bad</title><link>http://{long_label}.localhost/news/story-one-two.html</link></item>
        <item><title>redirect</title><link>{news_site.url('/go/ramadi')}</link></item>
        <item><title>ok</title><link>{news_site.url('/articles/en/kocho-site-exhumation.html')}</link></item>
        </channel></rss>""".encode(),
        "application/rss+xml",
    )
    config = write_config(tmp_path, [source_entry("mixed", news_site.url("/feeds/mixed.rss"))])
    assert run_newsmon("run", "--config", config).exit_code == 0
    urls = sorted(r["url"].removeprefix(news_site.base_url) for r in query(config, "SELECT url FROM articles"))
    assert urls == ["/articles/en/kocho-site-exhumation.html", "/articles/en/ramadi-elders-gathering.html"]
    failed = query(config, "SELECT error FROM fetches WHERE url LIKE '%aaaa%'")
    assert failed and failed[0]["error"].startswith("connection: cannot resolve")


def test_every_stored_article_has_a_story_and_places_are_iso_codes(ingested: Path) -> None:
    assert query(ingested, "SELECT count(*) AS n FROM articles WHERE story_id IS NULL")[0]["n"] == 0
    places = query(ingested, "SELECT place, evidence FROM article_places")
    assert all(p["place"][:3] in ("IQ-", "SY-") and p["evidence"] for p in places)
    weekly = query(ingested, "SELECT articles, stories FROM tag_weekly")
    assert weekly and all(1 <= r["stories"] <= r["articles"] for r in weekly)
