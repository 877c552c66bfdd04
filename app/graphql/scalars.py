"""Helpers for the built-in scalars: every DateTime leaves the API in UTC."""

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
