"""Rebuild docs/sample-digest.eml and docs/sample-digest.png: a digest of invented Arabic and English items.

    .venv/bin/python docs/make_sample_digest.py            # needs chromium for the PNG; the .eml is written anyway

The articles are made up for this sample (no text copied from the web). It runs the real path: articles stored
with the warehouse functions, two earlier digests recorded (so the header has a previous period and the chart
has history), then the third digest written to an outbox, and its HTML part screenshotted in headless Chromium
with the cid: chart swapped for the PNG file, as a mail client would show it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
import sys
import tempfile
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import warehouse as wh
from engine import send_digest
from newsmon.config import load_config
from newsmon.records import Article, Classification, TaggedArticle

DOCS = Path(__file__).resolve().parent
CONFIG = """\
[warehouse]
path = "data/newsmon.duckdb"

[digest]
to = ["analyst@example.org", "director@example.org"]
from = "newsmon@example.org"
outbox = "outbox"
tags = ["isis", "returns", "reconciliation"]
max_full_items_per_tag = 3
"""

# (key, source, lang, title, text, {tag: score}, {tag: evidence}, hours ago published)
THIS_PERIOD = [
    ("hamrin-raid", "tigris-world", "en",
     "Counter-terrorism forces kill two Islamic State members in Hamrin raid",
     "Iraqi counter-terrorism forces killed two members of the Islamic State group in an overnight raid in the "
     "Hamrin mountains, the service said on Tuesday. A third suspect was detained. Officials said the cell had "
     "planted roadside bombs on the road between Tuz Khurmatu and Kirkuk this spring.",
     {"isis": 0.94}, {"isis": ("members of the Islamic State group", "the cell had planted roadside bombs")}, 5),
    ("anbar-cell", "tigris-arabic", "ar",
     "القوات الأمنية تفكك خلية لتنظيم داعش في صحراء الأنبار",
     "أعلنت قيادة العمليات المشتركة تفكيك خلية تابعة لتنظيم داعش في صحراء الأنبار الغربية، واعتقال أربعة من "
     "عناصرها بعد عملية استمرت يومين. وقالت القيادة إن الخلية كانت تستخدم كهوفاً قرب وادي حوران لتخزين الأسلحة.",
     {"isis": 0.91}, {"isis": ("خلية تابعة لتنظيم داعش", "اعتقال أربعة من عناصرها")}, 9),
    ("kocho-exhumation", "euphrates-daily", "en",
     "Exhumation resumes at Kocho mass grave as Yazidi families look on",
     "Forensic teams resumed work at a mass grave near the village of Kocho on Monday, where Islamic State "
     "fighters killed hundreds of Yazidi men in 2014. Relatives gathered at the site hoping to identify remains "
     "and give their families a proper burial.",
     {"isis": 0.78, "reconciliation": 0.55}, {"isis": ("Islamic State fighters killed hundreds of Yazidi men",),
                                                "reconciliation": ("give their families a proper burial",)}, 30),
    ("deir-ambush", "tigris-briefs", "en",
     "SDF says sleeper cells stepped up ambushes near Deir ez-Zor",
     "The Syrian Democratic Forces said Islamic State sleeper cells carried out six ambushes on its checkpoints "
     "east of Deir ez-Zor in the past month, more than in any month this year.",
     {"isis": 0.72}, {"isis": ("Islamic State sleeper cells",)}, 40),
    ("jeddah-return", "tigris-arabic", "ar",
     "عودة 150 عائلة من مخيم الجدعة إلى قراها في قضاء سنجار",
     "غادرت 150 عائلة مخيم الجدعة جنوب الموصل عائدة إلى قراها في قضاء سنجار، في أكبر دفعة منذ بداية العام. "
     "وقالت وزارة الهجرة إن العائدين حصلوا على منحة مالية ومساعدات غذائية لثلاثة أشهر.",
     {"returns": 0.88}, {"returns": ("عائدة إلى قراها", "العائدين")}, 7),
    ("alhol-flight", "tigris-world", "en",
     "Repatriation flight brings 40 women and children from al-Hol to Baghdad",
     "A flight carrying 40 Iraqi women and children from the al-Hol camp in north-east Syria landed in Baghdad "
     "on Wednesday. The returnees will spend several months at a rehabilitation centre before rejoining "
     "relatives, the migration ministry said.",
     {"returns": 0.86, "isis": 0.52}, {"returns": ("from the al-Hol camp", "The returnees"),
                                       "isis": ("al-Hol camp",)}, 20),
    ("erbil-aid-cut", "euphrates-daily", "en",
     "Erbil camp residents weigh going home as food aid is cut",
     "Families in camps around Erbil say cuts to food aid leave them little choice but to return to districts "
     "where houses are still in ruins and jobs are scarce.",
     {"returns": 0.64}, {"returns": ("return to districts",)}, 50),
    ("diyala-pact", "tigris-world", "en",
     "Tribal elders in Diyala sign pact ending a decade-old feud",
     "Sunni and Shia tribal elders in Diyala province signed a reconciliation agreement on Sunday, ending a feud "
     "that left a dozen people dead. Mediators said dialogue sessions between the villages will follow.",
     {"reconciliation": 0.83}, {"reconciliation": ("signed a reconciliation agreement", "dialogue sessions")}, 12),
    ("tikrit-conference", "tigris-arabic", "ar",
     "مؤتمر للمصالحة المجتمعية في تكريت بمشاركة شيوخ العشائر",
     "عقد في تكريت مؤتمر للمصالحة المجتمعية بمشاركة شيوخ العشائر وممثلي الحكومة المحلية، لبحث عودة الأسر "
     "إلى مناطقها وتعزيز السلم الأهلي في المحافظة.",
     {"reconciliation": 0.80, "returns": 0.58}, {"reconciliation": ("المصالحة المجتمعية", "السلم الأهلي"),
                                                 "returns": ("عودة الأسر",)}, 16),
    ("kirkuk-forums", "tigris-briefs", "en",
     "Kirkuk neighbourhood forums bring police and residents to one table",
     "Monthly forums in three Kirkuk neighbourhoods now bring local police and residents together to discuss "
     "complaints, part of a programme to rebuild trust after years of violence.",
     {"reconciliation": 0.67}, {"reconciliation": ("rebuild trust",)}, 60),
]  # fmt: skip


def article(key: str, source: str, lang: str, title: str, text: str, published: dt.datetime) -> Article:
    return Article(
        article_id=hashlib.sha1(key.encode()).hexdigest()[:16],
        url=f"https://{source}.example/news/{key}",
        source=source,
        title=title,
        author=None,
        published_at=published,
        first_seen_at=published + dt.timedelta(minutes=20),
        lang=lang,
        text=text,
        word_count=len(text.split()),
        content_hash=hashlib.sha1(text.encode()).hexdigest(),
    )


def tagged(item: Article, scores: dict[str, float], evidence: dict[str, tuple[str, ...]]) -> TaggedArticle:
    labels = tuple(tag for tag in ("isis", "returns", "reconciliation") if scores.get(tag, 0) >= 0.5)
    return TaggedArticle(item, Classification(item.article_id, scores, labels, evidence, "rules-sample"))


def history(now: dt.datetime, weeks: int, offset: int = 0) -> list[TaggedArticle]:
    """Plain filler articles spread over past weeks, so the chart has a shape."""
    out = []
    pattern = {"isis": (6, 8, 5, 9, 7, 4, 6, 5, 3, 4, 2, 3), "returns": (1, 2, 2, 3, 2, 4, 3, 5, 4, 3, 4, 2),
               "reconciliation": (2, 1, 1, 2, 3, 2, 2, 1, 3, 2, 3, 1)}  # fmt: skip
    for week in range(1, weeks):
        for tag, counts in pattern.items():
            for n in range(counts[(week + offset) % len(counts)]):
                key = f"h{week}-{tag}-{n}"
                published = now - dt.timedelta(weeks=week, hours=n * 5)
                text = f"Archive filler article {key} about {tag}. " * 5
                out.append(tagged(article(key, "tigris-world", "en", f"Archive {key}", text, published),
                                  {tag: 0.7}, {tag: (tag,)}))  # fmt: skip
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "newsmon.toml").write_text(CONFIG, encoding="utf-8")
        config = load_config(folder / "newsmon.toml")
        now = dt.datetime.now(dt.UTC)

        def store(items: list[TaggedArticle]) -> None:
            with wh.open_warehouse(config.warehouse.path) as warehouse:
                wh.store_tagged_articles(warehouse, wh.start_run(warehouse, now, 0), items, [])

        # Two earlier digests: the archive, then a "previous period" the header compares against.
        store(history(now, 12))
        send_digest(config, now=dt.datetime.now(dt.UTC))
        store([tagged(article(f"prev-{i}", "tigris-world", "en", f"Previous period story {i}",
                              f"Previous period story {i} text. " * 4, now - dt.timedelta(days=8, hours=i)),
                      {tag: 0.7}, {tag: (tag,)})
               for i, tag in enumerate(["isis"] * 2 + ["returns"] * 4 + ["reconciliation"] * 3)])  # fmt: skip
        send_digest(config, now=dt.datetime.now(dt.UTC))
        this_period = []
        for key, source, lang, title, text, scores, evidence, hours in THIS_PERIOD:
            published = now - dt.timedelta(hours=hours)
            this_period.append(tagged(article(key, source, lang, title, text, published), scores, evidence))
        store(this_period)
        with wh.open_warehouse(config.warehouse.path) as warehouse:
            for _ in range(4):
                wh.update_source_state(warehouse, "nineveh-gazette", "https://nineveh-gazette.example/rss", ok=False,
                                       error="timeout: no response within 20 s", etag=None, last_modified=None,
                                       at=now)  # fmt: skip
        # The next morning's scheduled run, so the header shows a real period rather than a few seconds.
        next_morning = (now + dt.timedelta(days=1)).replace(hour=7, minute=0, second=0, microsecond=0)
        outcome = send_digest(config, now=next_morning)
        assert outcome.delivery is not None and outcome.delivery.outbox_file is not None
        eml = outcome.delivery.outbox_file.read_bytes()
        (DOCS / "sample-digest.eml").write_bytes(eml)
        print(f"wrote {DOCS / 'sample-digest.eml'} ({len(eml)} bytes)")
        return screenshot(eml, folder)


def screenshot(eml: bytes, folder: Path) -> int:
    message = message_from_bytes(eml, policy=policy.default)
    assert isinstance(message, EmailMessage)
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = str(html_part.get_content())
    for part in message.walk():
        if part.get_content_type() == "image/png":
            chart = folder / "chart.png"
            chart.write_bytes(part.get_content())
            html = html.replace(f"cid:{part['Content-ID'].strip('<>')}", chart.as_uri())
    page = folder / "digest.html"
    page.write_text(html, encoding="utf-8")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("chromium not found: docs/sample-digest.png not refreshed", file=sys.stderr)
        return 1
    target = DOCS / "sample-digest.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--hide-scrollbars", f"--screenshot={target}",
         "--window-size=800,1400", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
