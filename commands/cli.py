"""The newsmon command line: run passes, serve schedules, query trends and the warehouse, classify, send digests.

Exit codes: 0 done (a pass with failed sources is done; they are in the summary); 1 newsmon refused (bad config,
warehouse not writable, another pass running); 2 usage error.
"""

from __future__ import annotations

import atexit
import datetime as dt
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from newsmon import __version__
from newsmon.config import CONFIG_ENV, Config, load_config
from newsmon.errors import ConfigError, NewsmonError

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _quiet_prefect() -> None:
    # Prefect's own chatter goes to stderr and only when asked for: stdout carries data only.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


def config_option(func: F) -> F:
    """--config, then $NEWSMON_CONFIG, then ./newsmon.toml."""
    return click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help=f"Config file. Default: ${CONFIG_ENV}, else ./newsmon.toml.",
    )(func)


def output_options(func: F) -> F:
    func = click.option("--full", is_flag=True, help="Show every cell whole in the table, however long.")(func)
    func = click.option("--csv", "as_csv", is_flag=True, help="Rows as CSV with a header line, cells whole.")(func)
    return click.option("--json", "as_json", is_flag=True, help="Rows as JSON Lines, cells whole.")(func)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return "; ".join(_cell(v) for v in value)
    return " ".join(str(value).split())


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def cut(text: str, width: int | None) -> str:
    """`text` in at most `width` characters; a cut is always marked with `…`, never silent."""
    if width is None or len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…"


def print_rows(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    as_json: bool = False,
    max_width: int | None = 60,
    *,
    as_csv: bool = False,
    full: bool = False,
    whole: Sequence[str] = (),
) -> None:
    """A plain aligned table on stdout (cells cut at `max_width` with `…`, except `whole` columns or with `full`),
    or JSON Lines / CSV with every cell whole."""
    if as_json:
        for row in rows:
            click.echo(json.dumps({c: _json_value(v) for c, v in zip(columns, row, strict=True)}, ensure_ascii=False))
        return
    if as_csv:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else json.dumps(_json_value(v), ensure_ascii=False)
                             if isinstance(v, list | tuple | dict) else _json_value(v) for v in row])  # fmt: skip
        click.echo(buffer.getvalue(), nl=False)
        return
    limits = [None if full or c in whole else max_width for c in columns]
    cells = [[cut(_cell(v), limit) for v, limit in zip(row, limits, strict=True)] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    click.echo("  ".join("-" * w for w in widths))
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _load(config_path: Path | None) -> Config:
    return load_config(config_path)


class NewsmonGroup(click.Group):
    """Prints NewsmonError as `Error: …` with exit code 1; anything else is a bug and keeps its traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NewsmonError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)


@click.group(cls=NewsmonGroup, context_settings=CONTEXT)
@click.version_option(__version__, "--version", prog_name="newsmon")
@click.option("-v", "--verbose", is_flag=True, help="Log progress and Prefect's messages to stderr.")
def cli(verbose: bool) -> None:
    """newsmon: monitor news on Iraq and Syria after ISIS, tag it isis / returns / reconciliation, query trends.

    Example: newsmon run --config newsmon.toml && newsmon trends --weeks 12
    """
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = "INFO"
    _quiet_prefect()
    if not verbose and click.get_current_context().invoked_subcommand == "classify":
        # Nothing on the way logs; were anything to warn, Python's last-resort handler prints its message alone on
        # stderr, as the set-up below would. So `newsmon classify` starts without importing logging.
        return
    import logging

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr, format="%(message)s")


def print_pass_summary(summary: Any) -> None:
    rows = [(s.source, s.seen, s.new, s.failed, ", ".join(s.errors)) for s in summary.sources]
    print_rows(["source", "seen", "new", "failed", "failures"], rows, max_width=90)
    alarms = [(s.source, s.alarm) for s in summary.sources if s.alarm]
    for source, alarm in alarms:
        click.echo(f"\n!! {source}: {alarm}")
    if alarms:
        click.echo("!! newsmon, not the sites, is the likely cause: see docs/troubleshooting.md")
    click.echo()
    from newsmon.records import TAGS

    print_rows(["tag", "new articles"], [(tag, summary.new_per_tag.get(tag, 0)) for tag in TAGS])
    elapsed = (summary.finished_at - summary.started_at).total_seconds()
    click.echo(f"\nrun {summary.run_id}: {summary.articles_new} new articles from {len(summary.sources)} sources "
               f"in {elapsed:.1f} s")  # fmt: skip


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--wait", "wait_s", type=float, default=0.0, show_default=True,
              help="Seconds to wait for a running pass to finish before giving up.")  # fmt: skip
@click.option("--pool", "pool", default=None,
              help="Hand the pass to this work pool (see `newsmon deploy`) and wait for it: its live workers "
                   "share the sources.")  # fmt: skip
def run(config_path: Path | None, wait_s: float, pool: str | None) -> None:
    """Run one ingest pass over every source, as a Prefect flow run, and print a summary.

    With --pool, the pass runs on the work pool's workers at $PREFECT_API_URL instead of here, with the config
    the deployment names, and its sources are shared by every live worker; the summary is the same.

    Exit codes: 0 the pass completed, even if some sources or articles failed (they are listed);
    1 refused: bad config, warehouse not writable, another pass is running, or the pool's pass could not run or
    was lost; 2 usage error.

    Example: newsmon run --config newsmon.toml
    """
    config = _load(config_path)
    if pool is not None:
        if not pool.strip():
            raise NewsmonError("--pool: name a work pool, such as newsmon")
        from flows.ingest import run_pass_on_pool

        print_pass_summary(run_pass_on_pool(config, pool))
        return
    from engine import check_before_pass
    from newsmon.passlock import pass_lock

    check_before_pass(config)  # a bad rules_dir or an unwritable warehouse fails here, before Prefect starts
    if wait_s == 0:
        with pass_lock(config.warehouse.path):  # fail fast and quietly; the flow takes the lock again for real
            pass
    from flows.ingest import run_ingest_once

    summary = run_ingest_once(config, lock_wait_s=wait_s)
    print_pass_summary(summary)


@cli.command(context_settings=CONTEXT)
@config_option
def serve(config_path: Path | None) -> None:
    """Run the ingest flow on its cron schedule (and the digest and alert deployments) until stopped.

    Example: newsmon serve --config newsmon.toml
    """
    config = _load(config_path)
    from flows.serve import serve_deployments

    click.echo(f"serving ingest on '{config.schedule.ingest}'; Ctrl-C to stop", err=True)
    serve_deployments(config)


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--write", "write_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the deployments to this prefect.yaml instead of registering them.")  # fmt: skip
@click.option("--worker-config", "worker_config",
              help="The config file's path as the workers see it. Default: this config's absolute path.")  # fmt: skip
@click.option("--pool", "pool", default="newsmon", show_default=True,
              help="The process work pool whose workers run the deployments (created if missing).")  # fmt: skip
def deploy(config_path: Path | None, write_path: Path | None, worker_config: str | None, pool: str) -> None:
    """Register the ingest, digest and alert deployments on the Prefect server at $PREFECT_API_URL.

    The same deployments `newsmon serve` serves: crons from [schedule]; alerts on each alert event, one run at a
    time, plus an interval run. They go to the process work pool --pool (created if missing); every worker of the
    pool runs them, on any machine: `prefect worker start --pool newsmon`. Registering again replaces them.

    Example: newsmon deploy --config deploy/config/newsmon.toml --worker-config /app/config/newsmon.toml
    --write deploy/prefect.yaml
    """
    config = _load(config_path)
    from flows.deploy import prefect_yaml, register_deployments

    if write_path is not None:
        try:
            write_path.write_text(prefect_yaml(config, pool=pool, config_path=worker_config), encoding="utf-8")
        except OSError as exc:
            raise NewsmonError(f"{write_path}: cannot write: {exc.strerror or exc}") from exc
        click.echo(f"wrote {write_path}: register with `prefect deploy --all --prefect-file {write_path}`")
        return
    if not pool.strip():
        raise NewsmonError("--pool: name a work pool, such as newsmon")
    for name in register_deployments(config, pool=pool, config_path=worker_config):
        click.echo(f"registered {name} in work pool {pool!r}")


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--weeks", default=12, show_default=True, type=click.IntRange(min=1),
              help="How many weeks back, this one included.")  # fmt: skip
@output_options
def trends(config_path: Path | None, weeks: int, as_json: bool, as_csv: bool, full: bool) -> None:
    """Weekly article counts per tag, from the latest snapshot of the warehouse.

    Example: newsmon trends --weeks 4 --json
    """
    import warehouse as wh

    config = _load(config_path)
    with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
        rows = wh.weekly_tag_counts(warehouse, weeks)
    if as_json or as_csv:
        print_rows(rows.columns, rows.rows, as_json=as_json, as_csv=as_csv)
        return
    _print_trend_table(rows.rows)


def _print_trend_table(rows: Sequence[Sequence[Any]]) -> None:
    from newsmon.records import TAGS

    by_week: dict[Any, dict[str, int]] = {}
    for week, tag, count in rows:
        by_week.setdefault(week, {})[tag] = count
    print_rows(["week", *TAGS], [(str(week), *(counts.get(t, 0) for t in TAGS)) for week, counts in by_week.items()])


@cli.command(context_settings={**CONTEXT, "ignore_unknown_options": True})  # "-- a comment" is SQL, not an option
@config_option
@click.argument("query")
@output_options
def sql(config_path: Path | None, query: str, as_json: bool, as_csv: bool, full: bool) -> None:
    """Run read-only SQL against the latest snapshot of the warehouse (`-` reads the SQL from stdin).

    Nothing can be written, attached, installed or changed, and no file outside the warehouse can be read: export
    results with --csv or --json, or open the warehouse in the duckdb CLI with what `newsmon attach` prints.
    Table cells longer than 80 characters end in `…`; --full, --csv and --json show them whole.

    Example: newsmon sql --csv "SELECT tag, count(*) FROM article_tags GROUP BY tag" > tags.csv
    """
    import warehouse as wh

    config = _load(config_path)
    text = sys.stdin.read() if query == "-" else query
    with wh.open_for_analysts(config.warehouse) as warehouse:
        rows = wh.run_sql(warehouse, text)
    print_rows(rows.columns, rows.rows, as_json=as_json, max_width=80, as_csv=as_csv, full=full)


@cli.command(context_settings=CONTEXT)
@config_option
def attach(config_path: Path | None) -> None:
    """Print the SQL that opens the warehouse read-only in any DuckDB client of the same version.

    Secrets are not printed: the client reads the catalog password (PGPASSWORD) and the S3 keys from its own
    environment. Example: newsmon attach --config newsmon.toml > attach.sql && duckdb -init attach.sql
    """
    import warehouse as wh

    click.echo(wh.attach_script(_load(config_path).warehouse), nl=False)


@cli.command(context_settings=CONTEXT)
@config_option
@output_options
def sources(config_path: Path | None, as_json: bool, as_csv: bool, full: bool) -> None:
    """Health of each source: last success, consecutive failures, the whole last error, and what it was found to be.

    Example: newsmon sources --json
    """
    import warehouse as wh

    config = _load(config_path)
    with wh.open_warehouse(config.warehouse, read_only=True) as warehouse:
        rows = wh.source_health(warehouse)
    print_rows(rows.columns, rows.rows, as_json=as_json, as_csv=as_csv, full=full, whole=["last_error", "found"])


@cli.command(context_settings=CONTEXT)
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("newsmon-demo"),
              show_default=True, help="Where the demo writes its config, warehouse and outbox.")  # fmt: skip
def demo(directory: Path) -> None:
    """Serve the bundled sample news site on loopback, run a pass over it, and show what landed.

    Works offline. Example: newsmon demo --dir /tmp/newsmon-demo
    """
    from commands.demo import run_demo

    run_demo(directory, print_rows=print_rows, print_summary=print_pass_summary, print_trends=_print_trend_table)


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--input", "input_file", type=click.File("rb"), default="-",
              help="JSON Lines with id, title, text and optional lang. Default: stdin.")  # fmt: skip
def classify(config_path: Path | None, input_file: Any) -> None:
    """Tag JSON Lines of articles: one line out per line in, with scores, labels, evidence and places.

    "places" lists the Iraqi and Syrian governorates (ISO 3166-2, such as IQ-NI) the article is about.

    Bad lines are reported on stderr with their line number and skipped; the exit code is then 1.
    The same classifier as the ingest flow. Example: newsmon classify --input articles.jsonl > tags.jsonl
    """
    # Rules, model and gazetteer live as long as the command, and the word caches grow with every article, yet
    # classifying makes no reference cycles (tests/classifiers/test_classify_jsonl.py): reference counting frees
    # all it makes, and the cycle collector would only walk those tens of thousands of objects again and again.
    # And the collection every process makes as it exits need not walk them either: they are set aside at exit
    # (exit handlers run before it), not when the command returns, since a caller running the command in its own
    # process (tests do) would otherwise never again collect the cycles of anything alive now.
    collecting = gc.isenabled()
    gc.disable()
    atexit.unregister(gc.freeze)  # once per process, however often the command runs in it
    atexit.register(gc.freeze)
    try:
        bad = _classify_lines(config_path, input_file)
    finally:
        if collecting:  # as it was, for a caller running the command in its own process
            gc.enable()
    if bad:
        click.echo(f"{bad} line(s) skipped, see above", err=True)
        sys.exit(1)


def _classify_lines(config_path: Path | None, input_file: Any) -> int:
    from classifiers import classify_jsonl, load_classifier
    from places import find_places, load_gazetteer

    classifier = load_classifier(_classifier_config(config_path))
    gazetteer = load_gazetteer(_places_config(config_path).extra_names)

    def locate(doc: Any) -> list[str]:
        return [found.place for found in find_places(gazetteer, doc.title, doc.text)]

    return classify_jsonl(_utf8_lines(input_file), sys.stdout, sys.stderr, classifier, locate)


def _utf8_lines(stream: Any) -> Iterator[str]:
    """Lines decoded one by one, so the lines before a bad byte are classified and the error names its line."""
    name = getattr(stream, "name", "<stdin>")
    for number, raw in enumerate(stream, start=1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{name}: line {number} is not UTF-8 text (byte {raw[exc.start]:#04x}); the lines "
                              "before it were classified; save the file as UTF-8 and run again") from exc  # fmt: skip


def _classifier_config(config_path: Path | None) -> Any:
    """The [classifier] table when a config file is given or found, else the shipped defaults."""
    from newsmon.config import ClassifierConfig, find_config_path

    path = find_config_path(config_path)
    if config_path is None and not path.exists():
        return ClassifierConfig()
    return _load(path).classifier


def _places_config(config_path: Path | None) -> Any:
    """The [places] table when a config file is given or found, else the shipped gazetteer alone."""
    from newsmon.config import PlacesConfig, find_config_path

    path = find_config_path(config_path)
    if config_path is None and not path.exists():
        return PlacesConfig()
    return _load(path).places


@cli.command(name="eval", context_settings=CONTEXT)
@config_option
@click.option("--labels", "labels_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL with id and 0/1 per tag (and title/text, unless --texts is given). "
                   "Default: every set of --sets.")  # fmt: skip
@click.option("--texts", "texts_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL with id, title, text and lang, joined to --labels by id.")  # fmt: skip
@click.option("--sets", "sets_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="TOML list of labelled sets to score when --labels is not given. Default: eval/sets.toml.")
@click.option("--split", type=click.Choice(["dev", "test"]), default=None,
              help="Score only the sets of this split: `dev` while tuning, so the test sets stay unseen.")
@click.option("--rules-only", is_flag=True, help="Score with the rules alone, without the learned stage.")
def evaluate_command(config_path: Path | None, labels_path: Path | None, texts_path: Path | None,
                     sets_path: Path | None, split: str | None, rules_only: bool) -> None:
    """Precision, recall and F1 per tag and language, beside a boolean keyword alert, plus the worst errors.

    Without --labels, every set of eval/sets.toml is scored on its own, then summarised one line per set.
    Example: newsmon eval --labels labels-dev.jsonl --texts articles.jsonl
    """
    from classifiers import evaluate, format_report, load_classifier
    from classifiers.eval_sets import DEFAULT_SETS_FILE, evaluate_sets, format_summary, load_sets

    if labels_path is not None and split is not None:
        raise click.UsageError("--split picks sets of --sets; with --labels there is one file and no split.")
    classifier = load_classifier(_classifier_config(config_path), learned=not rules_only)
    if labels_path is not None:
        click.echo(format_report(evaluate(labels_path, texts_path, classifier)))
        return
    sets = [s for s in load_sets(sets_path or DEFAULT_SETS_FILE) if split is None or s.split == split]
    if not sets:
        raise click.UsageError(f"{sets_path or DEFAULT_SETS_FILE} lists no {split or ''} set.".replace("  ", " "))
    results = evaluate_sets(sets, classifier)
    for eval_set, report in results:
        if report is not None:
            click.echo(f"== {eval_set.name} ({eval_set.split}): {eval_set.labels}")
            click.echo(format_report(report, show_errors=False) + "\n")
    click.echo(format_summary(results))


@cli.command(name="eval-stories", context_settings=CONTEXT)
@config_option
@click.option("--events", "events_path", required=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="JSONL with id, source, lang, published_at, title, text, event and places per article.")  # fmt: skip
def evaluate_stories_command(config_path: Path | None, events_path: Path) -> None:
    """Places micro-F1 and stories B-cubed F1 on labelled events, beside their baselines (governorate names only;
    exact-title dedup), with the share of two-language same-event pairs found together and the cost.

    Example: newsmon eval-stories --events eval/events/test.jsonl
    """
    from places import load_gazetteer
    from stories.report import evaluate_events, format_events_report, read_events

    gazetteer = load_gazetteer(_places_config(config_path).extra_names)
    click.echo(format_events_report(evaluate_events(gazetteer, read_events(events_path))))


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--dry-run", is_flag=True, help="Count what would change without writing.")
def retag(config_path: Path | None, dry_run: bool) -> None:
    """Re-score every stored article with the current rules and place names, and assign its stories again.

    The new tags replace the old, all scores are kept; every tag row records its classifier version. Places are
    found again, and stories are rebuilt oldest article first. Example: newsmon retag --config newsmon.toml
    """
    from engine import retag as retag_archive

    outcome = retag_archive(_load(config_path), dry_run=dry_run)
    verb = "would change" if dry_run else "changed"
    click.echo(f"{outcome.articles} articles re-scored with {outcome.classifier_version}; labels {verb} on "
               f"{outcome.labels_changed}")  # fmt: skip
    if outcome.stories is not None:
        click.echo(f"places found again; {outcome.articles} articles in {outcome.stories} stories")




@cli.command(name="import", context_settings=CONTEXT)
@config_option
@click.option("--input", "input_file", required=True, type=click.File("rb"),
              help="JSON Lines: url, title, text, published_at, source, lang; author optional. -: stdin.")  # fmt: skip
def import_command(config_path: Path | None, input_file: Any) -> None:
    """Store an archive of articles as if each had been fetched: same canonical URL, classifier and dedup.

    Progress goes to stderr about once a second. Bad lines are reported with their line number and skipped; the
    exit code is then 1. Importing the same file again adds nothing. A published_at without an offset is UTC.

    Example: newsmon import --config newsmon.toml --input archive-2025.jsonl
    """
    from engine.backfill import import_archive

    config = _load(config_path)

    def bad_line(number: int, reason: str) -> None:
        click.echo(f"line {number}: {reason}", err=True)

    def report(progress: Any) -> None:
        click.echo(f"imported {progress.describe()}", err=True)

    progress = import_archive(config, input_file, bad_line=bad_line, report=report)
    click.echo(f"{progress.new} new articles stored, {progress.already_stored} already stored, "
               f"{progress.bad} bad lines")  # fmt: skip
    if progress.bad:
        sys.exit(1)


@cli.command(context_settings=CONTEXT)
@config_option
def migrate(config_path: Path | None) -> None:
    """Bring the warehouse's schema up to date, and move a single-file warehouse of earlier versions into the lake.

    Every row is copied in one transaction and counted; the old file ([warehouse] path) is left in place for you
    to delete once the counts look right. Passes do the same on first use. Example: newsmon migrate
    """
    import warehouse as wh
    from newsmon.passlock import pass_lock

    config = _load(config_path)
    with pass_lock(config.warehouse.path), wh.open_warehouse(config.warehouse, migrate=False) as warehouse:
        applied, moved = wh.bring_up_to_date(warehouse, required=True)
        versions = wh.schema_version(warehouse)
    click.echo(f"schema at migration {versions}" + (f" (applied now: {', '.join(applied)})" if applied else ""))
    if moved is None:
        click.echo(f"no single-file warehouse at {config.warehouse.path}: nothing to move")
        return
    when = "moved now" if moved.moved_now else "moved earlier"
    print_rows(["table", "rows"], sorted(moved.rows.items()))
    click.echo(f"{moved.source}: {sum(moved.rows.values())} rows {when} into {config.warehouse.label}, counts "
               "checked; the old file is no longer read and can be deleted")  # fmt: skip


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--keep-days", "keep_days", type=click.IntRange(min=1), default=None,
              help="Expire snapshots older than this many days. Default: [warehouse] keep_snapshots_days; "
                   "without it every snapshot is kept.")  # fmt: skip
@click.option("--wait", "wait_s", type=float, default=0.0, show_default=True,
              help="Seconds to wait for a running pass to finish before giving up.")  # fmt: skip
def maintain(config_path: Path | None, keep_days: int | None, wait_s: float) -> None:
    """Merge the warehouse's small data files, expire old snapshots, and delete files no snapshot needs.

    Every row and every answer stays the same; analysts' sessions keep answering. Time travel (AT (VERSION => n))
    works for every snapshot kept; expired snapshots are gone for good. A file the lake let go is deleted a day
    later, by the next upkeep. Passes run it themselves once a day when [warehouse] keep_snapshots_days is set.

    Example: newsmon maintain --config newsmon.toml --keep-days 30
    """
    from engine.upkeep import maintain as maintain_lake

    config = _load(config_path)
    chosen = keep_days if keep_days is not None else config.warehouse.keep_snapshots_days
    click.echo(maintain_lake(config, keep_days=chosen, wait_s=wait_s).describe())


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--dry-run", is_flag=True, help="Print the digest instead of sending it; nothing is recorded.")
@click.option("--html", "show_html", is_flag=True, help="With --dry-run: print the HTML part, not the text part.")
def digest(config_path: Path | None, dry_run: bool, show_html: bool) -> None:
    """Send one digest of the articles tagged since the previous successful digest.

    Without [digest] smtp_host the digest is written to the outbox as an .eml file. Exit code 1 when the server
    or outbox refused it: nothing is recorded then, and the next run sends it again.

    Example: newsmon digest --dry-run --html > digest.html
    """
    from engine import message_preview, send_digest

    if show_html and not dry_run:  # a usage error (exit 2), in one line: nothing was sent
        click.echo("Error: --html only changes what --dry-run prints; add --dry-run to preview the HTML.", err=True)
        sys.exit(2)
    config = _load(config_path)
    outcome = send_digest(config, now=dt.datetime.now(dt.UTC), dry_run=dry_run)
    if outcome.message is not None and dry_run:
        click.echo(message_preview(outcome.message, html=show_html))
    else:
        click.echo(outcome.describe())


@cli.command(context_settings=CONTEXT)
@config_option
@click.option("--dry-run", is_flag=True, help="Print the pending alert instead of sending it; nothing is recorded.")
def alert(config_path: Path | None, dry_run: bool) -> None:
    """Send the pending immediate alerts now, as one mail, unless the previous alert was too recent.

    Articles scoring [digest] alert_threshold or more on a watched tag are pending until alerted; at most one
    alert mail goes out per alert_min_interval_minutes. `newsmon serve` runs this on every alert event.

    Example: newsmon alert --dry-run
    """
    from engine import message_preview, send_alerts

    config = _load(config_path)
    outcome = send_alerts(config, now=dt.datetime.now(dt.UTC), dry_run=dry_run)
    if outcome.message is not None and dry_run:
        click.echo(message_preview(outcome.message))
    else:
        click.echo(outcome.describe())


def main() -> None:
    cli(prog_name="newsmon")


if __name__ == "__main__":
    main()
