"""A team pass split into shards: some of the pass's sources each, run by any machine of a work pool.

The pass that splits (the coordinator) holds the runs row and finishes it; each shard stores under the pass's run
id and reports what it did as a `ShardOutcome`. Sources of different shards may list the same article: before
fetching, a shard claims its new URLs on the lake (warehouse/claims.py), so whichever machine claims first fetches
and stores it, once. A local pass needs none of this: its sources share one process and claim in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import warehouse as wh
from engine.ingest_pass import IngestPass
from newsmon.config import Config, SourceConfig
from newsmon.errors import NewsmonError
from newsmon.records import AlertCandidate, FeedItem, PassSummary, SourceSummary
from warehouse.claims import claim_urls, ensure_claim_tables, forget_claims
from warehouse.store import run_status, this_worker


class ShardRefused(NewsmonError):
    """A shard of a pass that is no longer running: it stops before contacting any source."""


@dataclass(frozen=True, slots=True)
class ShardOutcome:
    """What one shard did: its sources' summary rows and what the pass summary adds up from every shard."""

    worker: str  # host:pid of the process that ran the shard, as in fetches.worker
    sources: list[SourceSummary]
    new_per_tag: dict[str, int] = field(default_factory=dict)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    worker_cpu_s: float = 0.0
    alert_candidates: list[AlertCandidate] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ShardOutcome:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            worker=raw["worker"],
            sources=[SourceSummary(**s) for s in raw["sources"]],
            new_per_tag=dict(raw["new_per_tag"]),
            stage_seconds=dict(raw["stage_seconds"]),
            worker_cpu_s=float(raw["worker_cpu_s"]),
            alert_candidates=[AlertCandidate(**a) for a in raw["alert_candidates"]],
        )


class ShardPass(IngestPass):
    """One shard's part of a team pass: the pass's run id, no pass lock, and URL claims on the lake."""

    @property
    def worker(self) -> str:
        return this_worker()

    @classmethod
    @contextmanager
    def open_shard(cls, config: Config, run_id: int, started_at: datetime) -> Iterator[ShardPass]:
        """The live warehouse for the pass `run_id`, which the coordinator started and will finish."""
        warehouse = wh.open_warehouse(config.warehouse, threads=1)  # as a local pass's: see IngestPass.open
        warehouse.shared = True  # other shards write at the same moment
        try:
            status = run_status(warehouse, run_id)
            if status != "running":
                # A shard of a pass whose coordinator died, picked up late: that pass is over, the next one
                # fetches what it would have.
                raise ShardRefused(f"pass {run_id} is {status or 'unknown'} in {warehouse.label}: shard not run")
            shard = cls(config, warehouse, run_id, started_at)
            try:
                yield shard
            finally:
                shard.pool.close()
        finally:
            warehouse.close()

    @classmethod
    @contextmanager
    def beside(cls, ingest_pass: IngestPass) -> Iterator[ShardPass]:
        """A shard run by the coordinator itself, on its warehouse session: it works too while the others do."""
        ingest_pass.warehouse.shared = True
        shard = cls(ingest_pass.config, ingest_pass.warehouse, ingest_pass.run_id, ingest_pass.started_at)
        try:
            yield shard
        finally:
            shard.pool.close()

    def claim(self, items: list[FeedItem]) -> list[FeedItem]:
        """The items no source of this shard took (in memory, as in a local pass), less those another machine
        claimed first in this pass: one transaction per source's batch, never one per article."""
        mine = super().claim(items)
        granted = set(claim_urls(self.warehouse, self.run_id, self.worker, [item.url for item in mine]))
        return [item for item in mine if item.url in granted]

    def outcome(self, sources: list[SourceSummary]) -> ShardOutcome:
        """What this shard did; stories are left to the coordinator, which assigns them once for the whole pass."""
        self.writer.flush()  # nothing waits while other shards write (each write is stored at once); to be sure
        return ShardOutcome(
            self.worker, sources, dict(self.new_per_tag), self.times.as_dict(), round(self.times.worker_cpu, 3),
            list(self.alert_candidates),
        )  # fmt: skip


def shard_sources(config: Config, names: Sequence[str]) -> list[SourceConfig]:
    """The configured sources a shard was given by name, in config order (the coordinator split the same file)."""
    wanted = set(names)
    return [source for source in config.sources if source.name in wanted]


def split_sources(sources: Sequence[SourceConfig], shards: int) -> list[list[str]]:
    """Source names dealt round-robin into at most `shards` non-empty shards, so big and small sources mix."""
    count = max(1, min(shards, len(sources)))
    dealt: list[list[str]] = [[] for _ in range(count)]
    for index, source in enumerate(sources):
        dealt[index % count].append(source.name)
    return dealt


def prepare_team_pass(ingest_pass: IngestPass) -> None:
    """Before any shard starts: the claim tables exist, so shards never race to create them."""
    ensure_claim_tables(ingest_pass.warehouse)


def absorb(ingest_pass: IngestPass, outcome: ShardOutcome) -> None:
    """Add a shard's counts and stage times to the coordinator's pass, for its summary."""
    ingest_pass.new_per_tag.update(outcome.new_per_tag)
    for stage, seconds in outcome.stage_seconds.items():
        ingest_pass.times.add(stage, seconds)
    ingest_pass.times.add("worker_cpu", outcome.worker_cpu_s)
    ingest_pass.alert_candidates.extend(outcome.alert_candidates)


def lost_shard(names: Sequence[str], why: str) -> list[SourceSummary]:
    """Summary rows for a shard that never reported: its sources count as failed this pass. What it stored stays
    stored (each batch is one transaction); the next pass fetches whatever it did not store."""
    return [SourceSummary(name, failed=1, errors=[f"shard lost: {why}"]) for name in names]


def finish_team_pass(ingest_pass: IngestPass, sources: list[SourceSummary]) -> PassSummary:
    """Stories for the whole pass, the runs row, and the pass's claims dropped once every shard has stopped."""
    summary = ingest_pass.finish(sources)
    forget_claims(ingest_pass.warehouse, ingest_pass.run_id)
    return summary


def pass_summary_to_json(summary: PassSummary) -> str:
    """A pass summary as JSON, for `newsmon run --pool` on another machine to print."""
    return json.dumps(asdict(summary), default=lambda moment: moment.isoformat(), ensure_ascii=False)


def pass_summary_from_json(text: str) -> PassSummary:
    raw: dict[str, Any] = json.loads(text)
    finished = raw["finished_at"]
    return PassSummary(
        run_id=int(raw["run_id"]),
        started_at=datetime.fromisoformat(raw["started_at"]),
        finished_at=datetime.fromisoformat(finished) if finished else None,
        sources=[SourceSummary(**s) for s in raw["sources"]],
        new_per_tag=dict(raw["new_per_tag"]),
        stage_seconds=dict(raw["stage_seconds"]),
        worker_cpu_s=float(raw["worker_cpu_s"]),
    )
