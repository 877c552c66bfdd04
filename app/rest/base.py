"""The base of every REST wire model: seed (camelCase) spellings, strict JSON types, no unknown fields.

Python fields are snake_case; on the wire they are the seed's camelCase names (an alias generator). A
field typed `X | Absent` is optional and never null: a response leaves it out when it has no value, and
an explicit `null` in a request is refused, as its schema says. A field typed `X | None` is one the seed
marks `¦null`: it is written as null.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator
from pydantic.alias_generators import to_camel
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError, to_jsonable_python


def _refuse_null(value: Any) -> None:
    raise PydanticCustomError("not_null", "Input is never null; leave the field out instead")


Absent = Annotated[None, SkipJsonSchema(), BeforeValidator(_refuse_null)]
"""Marks an optional field that is never null on the wire (its default; an explicit null is refused)."""

# Python's str.strip() whitespace, spelt out: JSON Schema's (ECMAScript) `\s` and the validator's `\s`
# differ from it and from each other, so a text "with content" is defined by this class alone.
_SPACE = "\\t\\n\\u000b\\u000c\\r\\u001c-\\u001f \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
NO_NUL = "^[^\\u0000]*$"
"""Every text refuses NUL characters (PostgreSQL cannot store them; the gateway refuses them in any request)."""
NOT_BLANK = f"^[^\\u0000]*[^{_SPACE}\\u0000][^\\u0000]*$"
"""A text with content: at least one character that is not whitespace, and no NUL."""


def text(description: str, *, max_length: int, blank: bool = False, min_length: int = 1, **extra: Any) -> Any:
    """A text field: a description, length bounds, no NUL and (unless `blank`) a non-space character."""
    return Field(description=description, min_length=min_length, max_length=max_length,
                 pattern=NO_NUL if blank else NOT_BLANK, **extra)


def optional_text(description: str, *, max_length: int) -> Any:
    """An optional text that is never null: left out when not given."""
    return Field(default=None, description=description, max_length=max_length, pattern=NO_NUL)


def _whole_number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]
"""An integer as JSON Schema counts them: `3.0` is one (it is taken as 3); `3.5` and `"3"` are not."""


def server_written(description: str, *, unique: bool = False, **extra: Any) -> Any:
    """A field the server writes: in a request it is accepted (checked for its type) and ignored. `unique`:
    a list of unique items."""
    if "max_length" in extra and not unique:
        extra.setdefault("pattern", NO_NUL)
    schema_extra: dict[str, Any] = {"readOnly": True, **({"uniqueItems": True} if unique else {})}
    return Field(default=None, description=f"{description} Read-only: ignored in requests.",
                 json_schema_extra=schema_extra, **extra)


class Wire(BaseModel):
    """A seed JSON object."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False, validate_by_alias=True,
                              serialize_by_alias=True, extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _unique_items(cls, value: Any, info: ValidationInfo) -> Any:
        """A list whose schema says `uniqueItems` holds no two equal items (JSON equality), so that the
        document and the validation refuse the same requests."""
        extra = cls.model_fields[str(info.field_name)].json_schema_extra
        if isinstance(value, list) and isinstance(extra, dict) and extra.get("uniqueItems"):
            seen: set[str] = set()
            for index, item in enumerate(value):
                key = json.dumps(to_jsonable_python(item, by_alias=True), sort_keys=True)
                if key in seen:
                    raise PydanticCustomError("unique_items", "Items are unique; item {index} repeats an "
                                              "earlier one", {"index": index})
                seen.add(key)
        return value
