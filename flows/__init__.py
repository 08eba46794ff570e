"""Prefect flows: compose the pipeline stages, retry, schedule. No business logic lives here."""
