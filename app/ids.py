"""Server-made ids: 32 lowercase hex characters, unique across every kind of object."""

import re
import uuid

ID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


def new_id() -> str:
    return uuid.uuid4().hex


def is_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value))
