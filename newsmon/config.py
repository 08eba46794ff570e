"""Reads and validates newsmon.toml into frozen dataclasses, before any source is contacted.

The file is found via --config, then $NEWSMON_CONFIG, then ./newsmon.toml. Relative paths are relative to
the config file. Secrets come only from the environment, and only this module reads them.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from newsmon import defaults
from newsmon.errors import ConfigError
from newsmon.records import TAGS, SourceKind

CONFIG_ENV = "NEWSMON_CONFIG"
SMTP_PASSWORD_ENV = "NEWSMON_SMTP_PASSWORD"
DEFAULT_THRESHOLD = 0.5


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    url: str
    kind: SourceKind
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class WarehouseConfig:
    """Where the warehouse lives: a DuckLake catalog (`sqlite:PATH` embedded, or `postgres:<libpq string>`) and the
    folder or S3 prefix of its Parquet files. `path` is the single DuckDB file of earlier versions, moved into the
    lake on first use; the pass lock sits beside it."""

    path: Path
    catalog: str
    data_path: str
    s3_endpoint: str | None = None
    s3_url_style: str = "vhost"
    s3_use_ssl: bool = True
    keep_snapshots_days: int | None = None  # None: no scheduled upkeep; else after a pass, at most once a day

    @classmethod
    def beside(cls, path: Path) -> WarehouseConfig:
        """The embedded lake named after `path`: `<stem>.catalog.sqlite` and the folder `<stem>.files/` beside it."""
        return cls(
            path=path,
            catalog=f"sqlite:{path.with_name(path.stem + '.catalog.sqlite')}",
            data_path=str(path.with_name(path.stem + ".files")) + "/",
        )

    @property
    def label(self) -> str:
        """The catalog as shown in messages: never a password (those come from the environment only)."""
        return self.catalog


@dataclass(frozen=True, slots=True)
class FetchConfig:
    user_agent: str = defaults.USER_AGENT
    fetch_timeout_s: float = defaults.FETCH_TIMEOUT_S
    max_body_bytes: int = defaults.MAX_BODY_BYTES
    max_feed_bytes: int = defaults.MAX_FEED_BYTES
    max_feed_items: int = defaults.MAX_FEED_ITEMS
    per_host_concurrency: int = defaults.PER_HOST_CONCURRENCY
    per_host_delay_s: float = defaults.PER_HOST_DELAY_S
    retry_attempts: int = defaults.RETRY_ATTEMPTS
    retry_backoff_s: float = defaults.RETRY_BACKOFF_S
    max_retry_after_s: float = defaults.MAX_RETRY_AFTER_S


@dataclass(frozen=True, slots=True)
class ExtractConfig:
    extract_timeout_s: float = defaults.EXTRACT_TIMEOUT_S
    workers: int = defaults.EXTRACT_WORKERS
    min_article_words: int = defaults.MIN_ARTICLE_WORDS


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    thresholds: Mapping[str, float] = field(default_factory=dict)  # tag -> threshold; missing = default
    rules_dir: Path | None = None  # None = the rules shipped in classifiers/rules/


@dataclass(frozen=True, slots=True)
class PlacesConfig:
    extra_names: Path | None = None  # an analyst's file of more place names, shaped like places/data/sites.toml


@dataclass(frozen=True, slots=True)
class DigestConfig:
    to: tuple[str, ...] = ()
    sender: str = "newsmon@localhost"
    smtp_host: str | None = None  # None: digests go to .eml files in `outbox`
    smtp_port: int = 587
    smtp_security: str = "starttls"  # starttls | tls | none
    smtp_user: str | None = None
    outbox: Path = Path("data/outbox")
    tags: tuple[str, ...] = TAGS
    alert_threshold: float = 0.9
    alert_min_interval_minutes: float = 30.0
    send_empty: bool = False
    max_full_items_per_tag: int = 10  # beyond this, items are listed as title, source and link

    @property
    def smtp_password(self) -> str | None:
        return os.environ.get(SMTP_PASSWORD_ENV)


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    ingest: str = defaults.INGEST_CRON
    digest: str = defaults.DIGEST_CRON


@dataclass(frozen=True, slots=True)
class PoolConfig:
    """How a pass handed to a work pool (`newsmon run --pool`, or its schedule there) is shared by the workers."""

    shards_per_worker: int = defaults.SHARDS_PER_WORKER
    lost_after_s: float = defaults.SHARD_LOST_AFTER_S


@dataclass(frozen=True, slots=True)
class Config:
    path: Path  # the file this was read from
    warehouse: WarehouseConfig
    sources: tuple[SourceConfig, ...]
    fetch: FetchConfig = FetchConfig()
    extract: ExtractConfig = ExtractConfig()
    classifier: ClassifierConfig = ClassifierConfig()
    places: PlacesConfig = PlacesConfig()
    digest: DigestConfig = DigestConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    pool: PoolConfig = PoolConfig()


def find_config_path(explicit: str | os.PathLike[str] | None) -> Path:
    if explicit:
        return Path(explicit)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    return Path("newsmon.toml")


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate a config file; raises ConfigError naming the file, the source and the key."""
    config_path = find_config_path(path)
    try:
        raw = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(_missing_config(config_path, path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{config_path}: not valid TOML: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{config_path}: cannot read: {exc}") from exc
    return parse_config(raw, config_path)


def _missing_config(config_path: Path, explicit: str | os.PathLike[str] | None) -> str:
    """Name the file that is missing and where its name came from: a path the user typed is never "not found"."""
    where = "" if config_path.is_absolute() else f" (in {Path.cwd()})"
    if explicit:
        return f"{config_path}: no such file{where}; it was given with --config."
    if os.environ.get(CONFIG_ENV):
        return f"{config_path}: no such file{where}; it was named by ${CONFIG_ENV}."
    return (
        f"no config file: {config_path} does not exist{where}. Pass --config, set ${CONFIG_ENV}, "
        "or create newsmon.toml (see docs/configuration.md)."
    )


def parse_config(raw: Mapping[str, Any], config_path: Path) -> Config:
    reader = _Reader(config_path)
    base = config_path.resolve().parent
    sections = {"warehouse", "sources", "fetch", "extract", "classifier", "places", "digest", "schedule", "pool"}
    reader.only_keys(raw, "", sections)

    wh = reader.table(raw, "warehouse")
    warehouse = reader.warehouse(wh, base)

    sources = reader.sources(raw.get("sources", []))

    fetch_raw = reader.table(raw, "fetch")
    fetch = FetchConfig(**reader.fields(fetch_raw, "[fetch]", FetchConfig))
    extract_raw = reader.table(raw, "extract")
    extract = ExtractConfig(**reader.fields(extract_raw, "[extract]", ExtractConfig))

    cls_raw = reader.table(raw, "classifier")
    reader.only_keys(cls_raw, "[classifier]", {"thresholds", "rules_dir"})
    thresholds = reader.table(cls_raw, "thresholds", where="[classifier]")
    for tag, value in thresholds.items():
        if tag not in TAGS:
            raise ConfigError(
                f"{config_path}: [classifier.thresholds] {tag!r} is not a tag. Use one of: {', '.join(TAGS)}."
            )
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
            raise ConfigError(
                f"{config_path}: [classifier.thresholds] {tag} = {value!r}: expected a number from 0 to 1."
            )
    rules_dir = cls_raw.get("rules_dir")
    classifier = ClassifierConfig(
        thresholds={k: float(v) for k, v in thresholds.items()},
        rules_dir=_resolve(base, reader.string(cls_raw, "[classifier]", "rules_dir", "")) if rules_dir else None,
    )

    places_raw = reader.table(raw, "places")
    reader.only_keys(places_raw, "[places]", {"extra_names"})
    extra_names = reader.string(places_raw, "[places]", "extra_names", "")
    places = PlacesConfig(extra_names=_resolve(base, extra_names) if extra_names else None)

    # State stays together: the outbox defaults to the warehouse's folder, which a container keeps on its data
    # volume, never beside a config file that may be mounted read-only.
    digest = reader.digest(reader.table(raw, "digest"), base, default_outbox=warehouse.path.parent / "outbox")

    sched_raw = reader.table(raw, "schedule")
    reader.only_keys(sched_raw, "[schedule]", {"ingest", "digest"})
    schedule = ScheduleConfig(
        ingest=reader.cron(sched_raw, "ingest", defaults.INGEST_CRON),
        digest=reader.cron(sched_raw, "digest", defaults.DIGEST_CRON),
    )
    pool = PoolConfig(**reader.fields(reader.table(raw, "pool"), "[pool]", PoolConfig))
    if pool.shards_per_worker < 1 or pool.lost_after_s < 5:
        raise reader.fail("[pool] shards_per_worker must be at least 1, and lost_after_s at least 5 (seconds).")
    return Config(
        path=config_path.resolve(),
        warehouse=warehouse,
        sources=sources,
        fetch=fetch,
        extract=extract,
        classifier=classifier,
        places=places,
        digest=digest,
        schedule=schedule,
        pool=pool,
    )


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path)


class _Reader:
    """Type checks that name the file and key in every message."""

    def warehouse(self, wh: Mapping[str, Any], base: Path) -> WarehouseConfig:
        # analyst_path is accepted and unused: analysts now read the lake's snapshots, no copy is published.
        self.only_keys(
            wh, "[warehouse]",
            {"path", "analyst_path", "catalog", "data_path", "s3_endpoint", "s3_url_style", "s3_use_ssl",
             "keep_snapshots_days"},
        )  # fmt: skip
        where = f"{self.path}: [warehouse]"
        path = _resolve(base, self.string(wh, "[warehouse]", "path", "data/newsmon.duckdb"))
        embedded = WarehouseConfig.beside(path)
        catalog = self.string(wh, "[warehouse]", "catalog", embedded.catalog)
        if catalog.startswith("postgres:"):
            for secret_key in ("password=", "password ="):
                if secret_key in catalog.lower():
                    raise ConfigError(
                        f"{where} catalog names a password; give it in $NEWSMON_CATALOG_PASSWORD or PGPASSWORD"
                    )
        elif catalog.startswith("sqlite:") or ":" not in catalog:
            catalog = "sqlite:" + str(_resolve(base, catalog.removeprefix("sqlite:")))
        else:
            raise ConfigError(
                f"{where} catalog = {catalog!r}: expected a SQLite file (sqlite:PATH) or postgres:<connection string>"
            )
        data_path = self.string(wh, "[warehouse]", "data_path", embedded.data_path)
        if data_path.startswith("s3://"):
            data_path = data_path if data_path.endswith("/") else data_path + "/"
        elif "://" in data_path:
            raise ConfigError(f"{where} data_path = {data_path!r}: expected a folder or s3://bucket/prefix/")
        else:
            data_path = str(_resolve(base, data_path)) + "/"
        url_style = self.string(wh, "[warehouse]", "s3_url_style", "vhost")
        if url_style not in ("vhost", "path"):
            raise ConfigError(f"{where} s3_url_style = {url_style!r}: expected 'vhost' or 'path'")
        use_ssl = wh.get("s3_use_ssl", True)
        if not isinstance(use_ssl, bool):
            raise ConfigError(f"{where} s3_use_ssl = {use_ssl!r}: expected true or false")
        endpoint = self.string(wh, "[warehouse]", "s3_endpoint", "") or None
        keep_days = wh.get("keep_snapshots_days")
        if keep_days is not None and (not isinstance(keep_days, int) or isinstance(keep_days, bool) or keep_days < 1):
            raise ConfigError(
                f"{where} keep_snapshots_days = {keep_days!r}: expected a whole number of days, at least 1 "
                "(leave it out to keep every snapshot)"
            )
        return WarehouseConfig(path, catalog, data_path, endpoint, url_style, use_ssl, keep_days)

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, message: str) -> ConfigError:
        return ConfigError(f"{self.path}: {message}")

    def only_keys(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        unknown = sorted(set(table) - allowed)
        if unknown:
            place = f"{where} " if where else ""
            raise self.fail(f"{place}unknown key {unknown[0]!r}. Known keys: {', '.join(sorted(allowed))}.")

    def table(self, raw: Mapping[str, Any], key: str, where: str = "") -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(f"{where}[{key}] must be a table, found {type(value).__name__}.")
        return value

    def string(self, table: Mapping[str, Any], where: str, key: str, default: str | None = None) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.fail(f"{where} {key} must be a string, found {value!r}.")
        return value

    def fields(self, table: Mapping[str, Any], where: str, cls: type[Any]) -> dict[str, Any]:
        defaults_obj = cls()
        allowed = {f.name for f in dataclasses.fields(cls)}
        self.only_keys(table, where, allowed)
        out: dict[str, Any] = {}
        for key, value in table.items():
            expected = type(getattr(defaults_obj, key))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or isinstance(value, bool) != (expected is bool):
                raise self.fail(f"{where} {key} = {value!r}: expected {expected.__name__}.")
            if isinstance(value, int | float) and value < 0:
                raise self.fail(f"{where} {key} = {value!r}: must not be negative.")
            out[key] = value
        return out

    def sources(self, raw: Any) -> tuple[SourceConfig, ...]:
        if not isinstance(raw, list):
            raise self.fail("sources must be an array of tables: write each source as [[sources]].")
        seen: set[str] = set()
        out = []
        kinds = ", ".join(k.value for k in SourceKind)
        for index, entry in enumerate(raw, start=1):
            if not isinstance(entry, dict):
                raise self.fail(f"[[sources]] #{index} must be a table.")
            name = entry.get("name")
            label = f'[[sources]] "{name}"' if isinstance(name, str) and name else f"[[sources]] #{index}"
            self.only_keys(entry, label + ":", {"name", "url", "kind", "lang"})
            if not isinstance(name, str) or not name.strip():
                raise self.fail(f"{label}: name is missing. Every source needs a unique name.")
            if name != name.strip():
                raise self.fail(f"{label}: name has spaces at its start or end; SQL on `source` would miss it.")
            if name in seen:
                raise self.fail(f'{label}: name "{name}" is used by an earlier source. Source names must be unique.')
            seen.add(name)
            url = entry.get("url")
            if not isinstance(url, str) or not url.strip():
                raise self.fail(f"{label}: url is missing.")
            parts = urlsplit(url.strip())
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise self.fail(f"{label}: url = {url!r} is not an http(s) URL.")
            kind = entry.get("kind", "feed")
            if kind not in {k.value for k in SourceKind}:
                raise self.fail(
                    f"{label}: kind = {json.dumps(kind)} is not a source kind. Use one of: {kinds}. "
                    'RSS, Atom and JSON Feed are all kind = "feed".'
                )
            lang = entry.get("lang")
            if lang is not None and (not isinstance(lang, str) or not lang.strip()):
                raise self.fail(f'{label}: lang must be a language code such as "en" or "ar".')
            out.append(SourceConfig(name=name, url=url.strip(), kind=SourceKind(kind), lang=lang))
        return tuple(out)

    def digest(self, raw: Mapping[str, Any], base: Path, default_outbox: Path) -> DigestConfig:
        allowed = {
            "to", "from", "smtp_host", "smtp_port", "smtp_security", "smtp_user", "outbox", "tags",
            "alert_threshold", "alert_min_interval_minutes", "send_empty", "max_full_items_per_tag",
        }  # fmt: skip
        if "smtp_password" in raw or "password" in raw:
            raise self.fail(f"[digest] passwords never go in the config file: set ${SMTP_PASSWORD_ENV}.")
        self.only_keys(raw, "[digest]", allowed)
        to = raw.get("to", [])
        if isinstance(to, str):
            to = [to]
        if not isinstance(to, list) or not all(isinstance(a, str) and "@" in a for a in to):
            raise self.fail(f"[digest] to = {to!r}: expected a list of email addresses.")
        for address in [*to, raw.get("from", "")]:
            if any(ch in str(address) for ch in "\r\n"):
                raise self.fail("[digest] an address contains a line break.")
        security = raw.get("smtp_security", "starttls")
        if security not in ("starttls", "tls", "none"):
            raise self.fail(f"[digest] smtp_security = {security!r}: use one of starttls, tls, none.")
        tags = raw.get("tags", list(TAGS))
        if not isinstance(tags, list) or any(t not in TAGS for t in tags):
            raise self.fail(f"[digest] tags = {tags!r}: use any of {', '.join(TAGS)}.")
        port = raw.get("smtp_port", 465 if security == "tls" else 587)
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise self.fail(f"[digest] smtp_port = {port!r}: expected a port number.")
        threshold = raw.get("alert_threshold", 0.9)
        if not isinstance(threshold, int | float) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
            raise self.fail(f"[digest] alert_threshold = {threshold!r}: expected a number from 0 to 1.")
        interval = raw.get("alert_min_interval_minutes", 30)
        if not isinstance(interval, int | float) or isinstance(interval, bool) or interval < 0:
            raise self.fail(f"[digest] alert_min_interval_minutes = {interval!r}: expected minutes, 0 or more.")
        host = raw.get("smtp_host")
        if host is not None and not isinstance(host, str):
            raise self.fail(f"[digest] smtp_host = {host!r}: expected a host name.")
        user = raw.get("smtp_user")
        if user is not None and not isinstance(user, str):
            raise self.fail(f"[digest] smtp_user = {user!r}: expected a string.")
        max_full = raw.get("max_full_items_per_tag", 10)
        if not isinstance(max_full, int) or isinstance(max_full, bool) or max_full < 0:
            raise self.fail(f"[digest] max_full_items_per_tag = {max_full!r}: expected a count.")
        return DigestConfig(
            to=tuple(to),
            sender=self.string(raw, "[digest]", "from", "newsmon@localhost"),
            smtp_host=host or None,
            smtp_port=port,
            smtp_security=security,
            smtp_user=user,
            outbox=_resolve(base, self.string(raw, "[digest]", "outbox", str(default_outbox))),
            tags=tuple(tags),
            alert_threshold=float(threshold),
            alert_min_interval_minutes=float(interval),
            send_empty=self.boolean(raw, "[digest]", "send_empty", False),
            max_full_items_per_tag=max_full,
        )

    def boolean(self, table: Mapping[str, Any], where: str, key: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(f"{where} {key} = {value!r}: expected true or false (TOML booleans are unquoted).")
        return value

    def cron(self, raw: Mapping[str, Any], key: str, default: str) -> str:
        value = self.string(raw, "[schedule]", key, default)
        from cronsim import CronSim, CronSimError  # here, not at the top: commands that read no config skip it

        try:
            CronSim(value, datetime.now())  # standard five-field cron, as Prefect's schedules take it
        except CronSimError:
            raise self.fail(f'[schedule] {key} = "{value}" is not a cron expression such as "*/30 * * * *".') from None
        return value
