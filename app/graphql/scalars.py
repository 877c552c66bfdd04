"""Helpers for the built-in scalars: every DateTime leaves the API in UTC."""

from datetime import UTC, datetime


def utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC. asyncpg hands back UTC already.
    tz = value.tzinfo
    if tz is UTC:
        return value
    return value.replace(tzinfo=UTC) if tz is None else value.astimezone(UTC)
