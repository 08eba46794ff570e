"""Evaluation: the report's contract on a small file we wrote, and a quality guard on the shared dev corpora."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classifiers import evaluate, format_report, load_classifier
from classifiers.evaluation import SliceScores
from newsmon.errors import ConfigError

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"
CLASSIFIER = load_classifier()


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def test_report_prints_every_figure_beside_the_keyword_alert(tmp_path: Path) -> None:
    labels = write_jsonl(tmp_path / "labels.jsonl", [
        {"id": "1", "title": "Islamic State fighters attack", "lang": "en", "isis": 1, "returns": 0,
         "reconciliation": 0, "text": "Islamic State fighters attacked a base. The ISIS cell fled into the desert."},
        {"id": "2", "title": "Tax returns due", "lang": "en", "isis": 0, "returns": 0, "reconciliation": 0,
         "text": "Companies must file tax returns by June."},
    ])
    report = evaluate(labels, None, CLASSIFIER)
    text = format_report(report)
    assert "all    isis" in text and "en     macro-F1" in text
    assert "1.00 [1.00]" in text  # isis precision: ours, then the alert's
    tag_lines = [line for line in text.splitlines() if line.startswith(("all ", "en "))]
    assert len(tag_lines) == 8  # three tags and macro-F1, for all and for en
    assert all(line.count("[") == (1 if "macro" in line else 3) for line in tag_lines)


def test_labels_joined_with_texts_by_id(tmp_path: Path) -> None:
    labels = write_jsonl(tmp_path / "labels.jsonl", [{"id": "x", "isis": 0, "returns": 1, "reconciliation": 0}])
    text = "عادت الأسر النازحة إلى منازلها في عدن. وقال العائدون إن بيوتهم مدمرة."
    texts = write_jsonl(tmp_path / "texts.jsonl", [{"id": "x", "title": "عودة النازحين", "lang": "ar", "text": text}])
    report = evaluate(labels, texts, CLASSIFIER)
    assert report.slices[0].classifier["returns"].tp == 1


def test_label_without_text_names_file_line_and_fix(tmp_path: Path) -> None:
    labels = write_jsonl(tmp_path / "labels.jsonl", [{"id": "x", "isis": 0, "returns": 1, "reconciliation": 0}])
    with pytest.raises(ConfigError, match=r"line 1: no \"text\" for id 'x'.*--texts"):
        evaluate(labels, None, CLASSIFIER)


# Guards set a little below what the shipped rules reach (rules 2026.11.2: dev-written 1.00 / ar 1.00;
# news-real ar 0.92). dev-written is tuned on, so its guards are looser than its score; news-real is the honest one.
@pytest.mark.parametrize("labels, texts, slice_name, floor", [
    pytest.param("dev-written/articles.jsonl", None, "all", 0.95, id="dev-written"),
    pytest.param("dev-written/articles.jsonl", None, "ar", 0.93, id="dev-written-arabic"),
    pytest.param("news-real/labels-dev.jsonl", "news-real/articles.jsonl", "ar", 0.88, id="news-real-arabic"),
])
def test_macro_f1_on_dev_corpora_stays_above_guard(labels: str, texts: str | None, slice_name: str,
                                                   floor: float) -> None:
    if not (CORPORA / labels).exists():
        pytest.skip(reason=f"{CORPORA / labels} is absent: the shared dev corpora are not on this machine")
    report = evaluate(CORPORA / labels, CORPORA / texts if texts else None, CLASSIFIER)
    ours = report.macro_f1(slice_name)
    alert = next(s for s in report.slices if s.name == slice_name).macro_f1(
        next(s for s in report.slices if s.name == slice_name).keyword_alert)
    assert ours is not None and ours >= floor, (
        f"macro-F1 on {labels} ({slice_name}) fell to {ours:.3f} < {floor}: run `newsmon eval` on it and check "
        f"the worst false positives and negatives against your last rule edit.\n{format_report(report)}")
    assert alert is not None and ours > alert + 0.1, "the classifier should clearly beat the keyword alert"


HELDOUT = Path(__file__).resolve().parents[2] / "eval" / "heldout.jsonl"


@pytest.mark.parametrize("slice_name, floor", [("all", 0.92), ("en", 0.90), ("ar", 0.90)])
def test_blind_heldout_set_stays_above_its_floor(slice_name: str, floor: float) -> None:
    """eval/heldout.jsonl was written blind to the rules and is never tuned on: a guard, not a target.

    First measured at macro-F1 0.96 overall, 0.96 Arabic, 0.96 English (rules-2026.11.2).
    """
    report = evaluate(HELDOUT, None, CLASSIFIER)
    macro = report.macro_f1(slice_name)
    assert macro is not None and macro >= floor, format_report(report)


def test_every_set_is_scored_on_its_own_and_an_absent_one_is_listed_as_skipped(tmp_path: Path) -> None:
    from classifiers.eval_sets import evaluate_sets, format_summary, load_sets

    write_jsonl(tmp_path / "written.jsonl", [
        {"id": "1", "title": "Islamic State fighters attack", "lang": "en", "isis": 1, "returns": 0,
         "reconciliation": 0, "text": "Islamic State fighters attacked a base. The ISIS cell fled into the desert."},
        {"id": "2", "title": "عودة النازحين إلى الفلوجة", "lang": "ar", "isis": 0, "returns": 1,
         "reconciliation": 0, "text": "عادت مئات الأسر النازحة إلى منازلها في الفلوجة. وقال العائدون إن بيوتهم مدمرة."},
    ])
    sets_file = tmp_path / "sets.toml"
    sets_file.write_text('[[set]]\nname = "written"\nsplit = "test"\nlabels = "written.jsonl"\n\n'
                         '[[set]]\nname = "elsewhere"\nsplit = "dev"\nlabels = "missing.jsonl"\n', encoding="utf-8")
    results = evaluate_sets(load_sets(sets_file), CLASSIFIER)
    summary = format_summary(results)
    lines = summary.splitlines()
    assert [line.split()[2] for line in lines[1:4]] == ["all", "ar", "en"]  # one line per language of the set
    assert "keyword alert" in lines[0] and "margin" in lines[0]
    assert "elsewhere" in lines[4] and "skipped" in lines[4] and "missing.jsonl" in lines[4]


def test_a_malformed_sets_file_names_the_entry_and_what_it_needs(tmp_path: Path) -> None:
    from classifiers.eval_sets import load_sets

    sets_file = tmp_path / "sets.toml"
    sets_file.write_text('[[set]]\nname = "x"\nsplit = "later"\nlabels = "x.jsonl"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"sets.toml: \[\[set\]\] #1 needs name.*split = \"test\" or \"dev\""):
        load_sets(sets_file)


WRITTEN_TEST = Path(__file__).resolve().parents[2] / "eval" / "test-written.jsonl"


def test_written_test_split_stays_above_its_floor_and_far_above_the_keyword_alert() -> None:
    """eval/test-written.jsonl (hard cases, never tuned on): a guard a little below what was measured, not a target.

    Measured at macro-F1 0.947 (keyword alert 0.167) with rules-2026.12.2, 2026.12.3 and 2026.12.4 and the learned stage
    (0.913 with rules-2026.12.1).
    """
    report = evaluate(WRITTEN_TEST, None, CLASSIFIER)
    scores = report.slices[0]
    ours, alert = scores.macro_f1(scores.classifier), scores.macro_f1(scores.keyword_alert)
    assert ours is not None and alert is not None
    # A test split: on failure, print its figures, never its errors (they must stay unseen).
    assert ours >= 0.92 and ours >= alert + 0.15, format_report(report, show_errors=False)


def test_real_english_news_test_split_meets_the_bar_when_its_texts_are_cached() -> None:
    """eval/news-web-en-test.jsonl: real English news openings, labelled blind, never tuned on. Their texts stay out
    of the repository (scripts/fetch_eval_texts.py puts them in the evaluation cache), so this runs only where they
    are. Measured at macro-F1 0.965 (keyword alert 0.774) with rules-2026.12.3; the bar is 0.92 and 0.15 above the
    keyword alert.
    """
    from classifiers.eval_sets import DEFAULT_SETS_FILE, load_sets

    eval_set = next(s for s in load_sets(DEFAULT_SETS_FILE) if s.name == "real English news test")
    if eval_set.why_skipped():
        pytest.skip(reason=f"{eval_set.why_skipped()} (fetching needs web access)")
    report = evaluate(eval_set.labels, eval_set.texts, CLASSIFIER)
    scores = report.slices[0]
    ours, alert = scores.macro_f1(scores.classifier), scores.macro_f1(scores.keyword_alert)
    assert ours is not None and alert is not None
    assert ours >= 0.92 and ours >= alert + 0.15, format_report(report, show_errors=False)


def test_real_arabic_news_test_split_meets_the_bar_when_the_shared_corpus_is_here() -> None:
    """eval/news-real-test.jsonl: 40 real Arabic news articles, labelled blind, read twice, disputes decided by a
    later reader (eval/README.md), never tuned on. The texts are the shared corpus's, so this runs only where it is.
    Measured at macro-F1 0.974 (keyword alert 0.438) with rules-2026.12.4+507cf166; the bar is 0.86 and 0.15 above
    the keyword alert. Its returns tag rests on one article, so one label there can move the figure by up to a third.
    """
    from classifiers.eval_sets import DEFAULT_SETS_FILE, load_sets

    eval_set = next(s for s in load_sets(DEFAULT_SETS_FILE) if s.name == "real Arabic news test")
    if eval_set.why_skipped():
        pytest.skip(reason=eval_set.why_skipped())
    report = evaluate(eval_set.labels, eval_set.texts, CLASSIFIER)
    scores = report.slices[0]
    ours, alert = scores.macro_f1(scores.classifier), scores.macro_f1(scores.keyword_alert)
    assert ours is not None and alert is not None
    assert ours >= 0.86 and ours >= alert + 0.15, format_report(report, show_errors=False)


def test_eval_rules_only_scores_without_the_learned_stage(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from commands.cli import cli

    labels = write_jsonl(tmp_path / "labels.jsonl", [
        {"id": "1", "title": "Tax returns due", "lang": "en", "isis": 0, "returns": 0, "reconciliation": 0,
         "text": "Companies must file tax returns by June."},
    ])
    both = CliRunner().invoke(cli, ["eval", "--labels", str(labels)])
    alone = CliRunner().invoke(cli, ["eval", "--labels", str(labels), "--rules-only"])
    assert both.exit_code == alone.exit_code == 0
    assert "+linear-" in both.output.splitlines()[0] and "+linear-" not in alone.output.splitlines()[0]


def test_eval_split_dev_scores_the_dev_sets_only_so_the_test_sets_stay_unseen_while_tuning(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from commands.cli import cli

    article = {"id": "1", "title": "Tax returns due", "lang": "en", "isis": 0, "returns": 0, "reconciliation": 0,
               "text": "Companies must file tax returns by June."}
    write_jsonl(tmp_path / "a.jsonl", [article])
    sets_file = tmp_path / "sets.toml"
    sets_file.write_text('[[set]]\nname = "kept for reporting"\nsplit = "test"\nlabels = "a.jsonl"\n\n'
                         '[[set]]\nname = "tuned on"\nsplit = "dev"\nlabels = "a.jsonl"\n', encoding="utf-8")
    dev = CliRunner().invoke(cli, ["eval", "--sets", str(sets_file), "--split", "dev"])
    every = CliRunner().invoke(cli, ["eval", "--sets", str(sets_file)])
    assert dev.exit_code == every.exit_code == 0, dev.output
    assert "tuned on" in dev.output and "kept for reporting" not in dev.output
    assert "tuned on" in every.output and "kept for reporting" in every.output

    with_labels = CliRunner().invoke(cli, ["eval", "--labels", str(tmp_path / "a.jsonl"), "--split", "dev"])
    assert with_labels.exit_code == 2 and "--split picks sets of --sets" in with_labels.output
    sets_file.write_text('[[set]]\nname = "kept for reporting"\nsplit = "test"\nlabels = "a.jsonl"\n',
                         encoding="utf-8")
    no_dev = CliRunner().invoke(cli, ["eval", "--sets", str(sets_file), "--split", "dev"])
    assert no_dev.exit_code == 2 and f"{sets_file} lists no dev set." in no_dev.output


def test_macro_f1_interval_holds_the_figure_and_narrows_as_the_set_grows(tmp_path: Path) -> None:
    from classifiers.eval_sets import evaluate_sets, format_summary, load_sets

    hit = {"title": "Islamic State fighters attack", "lang": "en", "isis": 1, "returns": 0, "reconciliation": 0,
           "text": "Islamic State fighters attacked a base. The ISIS cell fled into the desert."}
    missed = {"title": "Mild weekend", "lang": "en", "isis": 1, "returns": 0, "reconciliation": 0,
              "text": "The weather was mild on Sunday."}  # a label the text never supports: always missed
    quiet = {"title": "Tax returns due", "lang": "en", "isis": 0, "returns": 0, "reconciliation": 0,
             "text": "Companies must file tax returns by June."}
    articles = [hit, missed, quiet, quiet]
    write_jsonl(tmp_path / "small.jsonl", [{**a, "id": str(i)} for i, a in enumerate(articles)])
    write_jsonl(tmp_path / "large.jsonl", [{**a, "id": str(i)} for i, a in enumerate(articles * 25)])
    sets_file = tmp_path / "sets.toml"
    sets_file.write_text('[[set]]\nname = "small"\nsplit = "dev"\nlabels = "small.jsonl"\n\n'
                         '[[set]]\nname = "large"\nsplit = "dev"\nlabels = "large.jsonl"\n', encoding="utf-8")
    results = evaluate_sets(load_sets(sets_file), CLASSIFIER)

    widths = {}
    for eval_set, report in results:
        assert report is not None
        scores = report.slices[0]
        low, high = scores.macro_f1_interval or (None, None)
        macro = SliceScores.macro_f1(scores.classifier)
        assert low is not None and high is not None and macro is not None
        assert low <= macro <= high  # the same mix of articles, so the same macro-F1 (2/3), inside its range
        widths[eval_set.name] = high - low
    assert widths["small"] > widths["large"] > 0  # 4 articles say little; 100 alike say more
    assert "macro-F1 95% interval" in format_summary(results).splitlines()[0]
