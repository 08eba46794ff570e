"""The DuckDB warehouse: connection, migrations, writes and reads. All of newsmon's SQL lives in this package."""

from warehouse.connect import Warehouse, apply_migrations, open_warehouse, publish_analyst_copy
from warehouse.queries import (
    QueryError,
    Rows,
    current_labels,
    iter_articles_for_retag,
    last_run,
    recent_articles,
    run_sql,
    source_health,
    weekly_tag_counts,
)
from warehouse.store import (
    finish_run,
    known_urls,
    mark_interrupted_runs,
    record_fetch_attempts,
    replace_tags,
    source_validators,
    start_run,
    store_tagged_articles,
    update_source_state,
)

__all__ = [
    "QueryError",
    "Rows",
    "Warehouse",
    "apply_migrations",
    "current_labels",
    "finish_run",
    "iter_articles_for_retag",
    "known_urls",
    "last_run",
    "mark_interrupted_runs",
    "open_warehouse",
    "publish_analyst_copy",
    "recent_articles",
    "record_fetch_attempts",
    "replace_tags",
    "run_sql",
    "source_health",
    "source_validators",
    "start_run",
    "store_tagged_articles",
    "update_source_state",
    "weekly_tag_counts",
]
